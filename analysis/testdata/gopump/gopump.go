// Goroutines a handler starts with memory of its own, as a websocket
// server's write pump: a session made per request is handed to a pump
// goroutine and used by both. It is shared by the invocation and its
// pump, and by no other invocation: the race between the two is the
// handler's with itself, and the session is not every session (a global
// idle session reset by another handler). A pump that keeps its session
// in a global list publishes it.
package main

import (
	"fmt"
	"net/http"
	"sync"
)

type session struct {
	sent  int
	lines []string
}

var (
	idle session
	mu   sync.Mutex
	all  []*session
)

// pump writes its session, the handler's own.
func pump(s *session, done chan struct{}) {
	for i := 0; i < 3; i++ {
		s.sent++ // want "sent"
	}
	close(done)
}

// stream races with its own pump on sent: a conflict of stream with
// itself; it touches no other session.
func stream(w http.ResponseWriter, r *http.Request) {
	s := &session{}
	done := make(chan struct{})
	go pump(s, done)
	s.sent++ // want "sent"
	<-done
	fmt.Fprint(w, "ok")
}

// reset writes the idle session, a global.
func reset(w http.ResponseWriter, r *http.Request) {
	idle.sent = 0 // want "sent"
}

// register keeps its session in a global list.
func register(s *session) {
	mu.Lock()
	all = append(all, s)
	mu.Unlock()
	s.sent++ // want "sent"
}

// join hands its session to a goroutine that publishes it.
func join(w http.ResponseWriter, r *http.Request) {
	s := &session{}
	go register(s)
}

// count reads the sessions kept, without the lock register holds.
func count(w http.ResponseWriter, r *http.Request) {
	n := 0
	for _, s := range all {
		n += s.sent // want "sent"
	}
	fmt.Fprint(w, n)
}

func main() {
	http.HandleFunc("/stream", stream)
	http.HandleFunc("/reset", reset)
	http.HandleFunc("/join", join)
	http.HandleFunc("/count", count)
	http.ListenAndServe("127.0.0.1:0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/stream" "/stream" -- stream and the pump it starts both write its session's sent
// races: "/reset" "/reset" -- both write idle.sent
// races: "/join" "/count" -- count reads all and each kept session's sent without the lock; register appends under it and writes sent
// (stream's session is never kept; idle is never in all; each join writes
// only the session it made.)
