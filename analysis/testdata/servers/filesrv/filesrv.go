// A net/http server that opens a file per request, as inbucket's
// fileHandler and miniflux's icon handlers do: each *os.File, and what
// its Stat describes, is the request's own, as is a hash sha1.New makes;
// the hit counter is shared, and so is a counting writer.
package main

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"os"

	"github.com/gorilla/mux"
)

var hits int

// fileHandler sends the named file whatever the URL, as inbucket's does.
func fileHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		f, err := os.Open(name)
		if err != nil {
			http.Error(w, "Error opening file", http.StatusInternalServerError)
			return
		}
		defer f.Close()
		d, err := f.Stat()
		if err != nil {
			http.Error(w, "Error opening file", http.StatusInternalServerError)
			return
		}
		http.ServeContent(w, req, d.Name(), d.ModTime(), f)
	})
}

func source(w http.ResponseWriter, r *http.Request) {
	f, err := os.Open(mux.Vars(r)["id"] + ".raw")
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := f.Read(buf)
	w.Write(buf[:n])
	io.Copy(w, f)
	hits++ // want "GET /source/\\{id\\} writes hits"
}

func list(w http.ResponseWriter, r *http.Request) {
	d, err := os.Open(".")
	if err != nil {
		return
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, n := range names {
		io.WriteString(w, n+"\n")
	}
	if hits > 0 { // want "GET /list reads hits"
		io.WriteString(w, "busy\n")
	}
}

// counter is an io.Writer of the workspace's, which counts into itself.
type counter struct{ n int }

func (c *counter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil } // want "POST /count writes written.n"

var written = &counter{}

// hashName hashes the name as inbucket's HashMailboxName does: the hash
// sha1.New makes is the library's, whose Write is its own, never a
// counter's.
func hashName(w http.ResponseWriter, r *http.Request) {
	h := sha1.New()
	io.WriteString(h, mux.Vars(r)["name"])
	io.WriteString(w, hex.EncodeToString(h.Sum(nil)))
}

func count(w http.ResponseWriter, r *http.Request) {
	io.WriteString(written, r.URL.Path) // want "POST /count calls \\(\\*counter\\).Write" "POST /count writes written\\.\\.\\."
}

func main() {
	r := mux.NewRouter()
	r.Handle("/favicon.png", fileHandler("favicon.png"))
	r.HandleFunc("/source/{id}", source).Methods("GET")
	r.HandleFunc("/list", list).Methods("GET")
	r.HandleFunc("/hash/{name}", hashName).Methods("GET")
	r.HandleFunc("/count", count).Methods("POST")
	http.ListenAndServe("127.0.0.1:0", r)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "GET /source/{id}" "GET /source/{id}" -- both write hits
// races: "GET /source/{id}" "GET /list" -- source writes hits, list reads it
// races: "POST /count" "POST /count" -- both write written.n through its Write
