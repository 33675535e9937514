// Library code around and inside the handlers, as inbucket has it: a
// logging middleware wraps the whole gorilla router, whose dispatch only
// reads its routes; a websocket is upgraded for one request and closed
// (documented safe for concurrent use); a file opened for one request is
// read through a pooled bufio.Reader Reset onto it. Each of these calls
// was taken for a write of everything it may reach, and every handler
// raced with every other, itself included. Only the race on hits is real.
// One false one stays, within one handler: the file is kept by a reader
// handed back to the pool (the next Get may find it). (The new websocket
// was taken to keep the global Upgrader, and /watch raced with itself;
// it keeps nothing of the caller's.) analysis/library_test.go asserts
// the pairs between handlers.
package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/gorilla/mux"
	"github.com/gorilla/websocket"
)

var (
	readers  = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	upgrader = websocket.Upgrader{ReadBufferSize: 1024}
	files    = map[string]string{"/motd": "motd.txt"}
	hits     int
	// router is a global, as inbucket's web.Router is.
	router = mux.NewRouter()
)

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", "libwrap")
		next.ServeHTTP(w, r)
	})
}

func readFile(w http.ResponseWriter, r *http.Request) {
	f, err := os.Open(files[r.URL.Path])
	if err != nil {
		return
	}
	defer f.Close()
	br := readers.Get().(*bufio.Reader)
	br.Reset(f)
	line, _ := br.ReadString('\n')
	readers.Put(br)
	fmt.Fprint(w, line)
}

func count(w http.ResponseWriter, r *http.Request) {
	hits++ // want "/count writes hits"
}

func watch(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte(files["/motd"]))
}

func main() {
	router.HandleFunc("/motd", readFile)
	router.HandleFunc("/count", count)
	router.HandleFunc("/watch", watch)
	http.ListenAndServe("127.0.0.1:0", logRequests(router))
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/count" "/count" -- count writes hits
