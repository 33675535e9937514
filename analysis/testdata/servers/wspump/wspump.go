// Websockets as real servers use them (inbucket's monitor, a chat
// broadcast): a connection upgraded for one request and written in the
// handler (deadlines, JSON events), one kept in a global list for a
// broadcast, and a request the server keeps for its status page. A
// websocket.Conn holds the connection taken over from the response
// writer and the Upgrader's buffer pool, uses them only through their
// methods, and keeps nothing of the writer or the request; its methods
// change its own state. It was taken to call any method of the table on
// any value (echo raced with status, and with every String) and to write
// all the global Upgrader reaches.
package main

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// counter counts the times it is printed.
type counter struct{ n int }

func (c *counter) String() string {
	printed++
	return fmt.Sprint(c.n)
}

// event's MarshalJSON counts the events encoded: WriteJSON calls it.
type event struct{ Text string }

func (e *event) MarshalJSON() ([]byte, error) {
	encoded++
	return []byte(fmt.Sprintf("%q", e.Text)), nil
}

var (
	upgrader = websocket.Upgrader{ReadBufferSize: 1024}
	printed  int
	encoded  int
	requests = map[string]*http.Request{}
	mu       sync.Mutex
	conns    []*websocket.Conn
	hits     = &counter{}
)

// echo upgrades its own connection and writes to it: nothing shared.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	if err := c.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte("hello"))
}

// status keeps the request for a status page (under a lock) and reads
// the counters: it shares the request with whoever reads requests.
func status(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	requests[r.URL.Path] = r
	mu.Unlock()
	fmt.Fprint(w, r.URL.Path)
}

// notify encodes an event, whose MarshalJSON writes encoded.
func notify(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.WriteJSON(&event{Text: r.URL.Path}) // want "encoded" "encoded"
}

// join keeps its connection in a global list: broadcast writes it.
func join(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	mu.Lock()
	conns = append(conns, c)
	mu.Unlock()
}

// broadcast writes every kept connection without the lock.
func broadcast(w http.ResponseWriter, r *http.Request) {
	for _, c := range conns {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	}
}

func main() {
	fmt.Println(hits)
	http.HandleFunc("/echo", echo)
	http.HandleFunc("/status", status)
	http.HandleFunc("/notify", notify)
	http.HandleFunc("/join", join)
	http.HandleFunc("/broadcast", broadcast)
	http.ListenAndServe("127.0.0.1:0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/notify" "/notify" -- WriteJSON calls (*event).MarshalJSON, which writes encoded
// races: "/join" "/broadcast" -- broadcast reads conns without the lock join appends under
// races: "/broadcast" "/broadcast" -- both set the write deadline of the same kept Conn
// (status prints a string: fmt calls no String of it.)
