// Locks through a context's pointer: main's one server is in every
// connection, and its mutex guards its fields, whichever connection
// leads there, when the lock and the access reach the server through the
// same pointer (c.srv read twice with nothing between that may change
// it). Not when something may change the pointer in between, when the
// access goes through another pointer, below the server, or to another
// element of an array than the locked one.
package main

import (
	"context"
	"sync"

	"github.com/safels/safels/loop"
)

type account struct {
	mu  sync.Mutex
	bal int
}

type server struct {
	mu    sync.Mutex
	a, b  int
	hits  [4]int
	c     int
	per   map[string]int64
	d, e  int
	accts [4]account
}

type conn struct {
	srv *server
	alt *link // another way to a server
	n   int
}

type link struct{ srv *server }

// moving is a context whose server may be swapped.
type moving struct{ srv *server }

var spare = &server{per: map[string]int64{}}

// Guarded: the same load's server, twice.
func handleTwice(l *loop.Loop, c *conn) {
	c.srv.mu.Lock()
	c.srv.a++
	c.srv.mu.Unlock()
}

// Guarded: one pointer value, and an array held in the server.
func handleLocal(l *loop.Loop, c *conn) {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b++
	s.hits[c.n&3]++
}

// Not guarded: the other way's server may be another one.
func handleAlt(l *loop.Loop, c *conn) {
	c.srv.mu.Lock()
	c.alt.srv.c++ // want "handleAlt reads c\\.alt\\.srv;" "handleAlt writes c\\.alt\\.srv\\.c; handleAlt \\(another invocation\\) reads c\\.alt\\.srv .*, handleAlt \\(another invocation\\) reads and writes it"
	c.srv.mu.Unlock()
}

// Not guarded: two servers may share one map.
func handleMap(l *loop.Loop, c *conn) {
	c.srv.mu.Lock()
	c.srv.per["x"]++ // want "handleMap writes c\\.srv\\.per\\[i\\]; handleMap \\(another invocation\\) reads c\\.srv\\.per .*, handleMap \\(another invocation\\) reads and writes it"
	c.srv.mu.Unlock()
}

// Not guarded: the server is swapped between the lock and the access.
func handleMove(l *loop.Loop, m *moving) {
	s := m.srv // want "handleMove reads m\\.srv; handleMove \\(another invocation\\) writes it .* on the same context$"
	s.mu.Lock()
	m.srv = spare // want "handleMove writes m\\.srv;"
	m.srv.d++     // want "handleMove reads m\\.srv;" "handleMove writes m\\.srv\\.d; handleMove \\(another invocation\\) reads and writes it" "handleMove writes spare\\.d; handleMove \\(another invocation\\) reads and writes it"
	s.mu.Unlock()
}

// Not guarded: a call between may swap it.
func handleCall(l *loop.Loop, c *conn) {
	c.srv.mu.Lock()
	swap(c)
	c.srv.e++ // want "handleCall writes c\\.srv\\.e; handleCall \\(another invocation\\) reads and writes it"
	c.srv.mu.Unlock()
}

//go:noinline
func swap(c *conn) {}

// Not guarded: accts[i].mu is not accts[j].mu.
func handleTransfer(l *loop.Loop, c *conn) {
	i, j := c.n&3, (c.n+1)&3
	c.srv.accts[i].mu.Lock()
	c.srv.accts[j].bal++ // want "handleTransfer writes c\\.srv\\.accts\\[i\\]\\.bal; handleTransfer \\(another invocation\\) reads and writes it"
	c.srv.accts[i].mu.Unlock()
}

func main() {
	srv := &server{per: map[string]int64{}}
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{srv: srv, alt: &link{srv: srv}, n: i}
		loop.Post(l, handleTwice, c)
		loop.Post(l, handleLocal, c)
		loop.Post(l, handleAlt, c)
		loop.Post(l, handleMap, c)
		loop.Post(l, handleCall, c)
		loop.Post(l, handleTransfer, c)
		loop.Post(l, handleMove, &moving{srv: srv})
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleMove" "handleMove" -- a moved context locks spare.mu, one not moved yet srv.mu: both write spare.d (and m.srv, on one context)
// (As main builds them, every conn's alt.srv is srv, the one server with
// the one map, swap changes nothing, and each conn's handleTransfer writes
// the account after the one it locks, which no other conn's writes: those
// writes are all under one lock or of memory no one else touches.)
