// Ownership (issue 13): what a handler reaches through its context is the
// context's own only when it was allocated for that context and stored
// only into it. Each shape comes both ways: shared memory (a global
// conflict, a hue) and memory truly the connection's (no global conflict).
package main

import (
	"context"
	"sync"

	"github.com/safels/safels/loop"
)

type server struct {
	mu       sync.Mutex
	requests int
	perPath  map[string]int
	locked   int
}

type conn struct {
	srv    *server // main's one server, injected into every connection
	own    *server // a server of this connection's own
	buf    []byte  // a buffer allocated for this connection
	window int
	timer  timer // posted as a context of its own
	tick   *tick // allocated for this connection, posted whole
}

type timer struct{ fired int }

type tick struct{ n int }

// stream is a context a connection's handler makes, pointing back to it.
type stream struct {
	conn *conn
	sent int
	data []byte // its own
}

type listener struct{ srv *server }

type account struct {
	mu  sync.Mutex
	bal int
}

var (
	accounts [4]account
	bankMu   sync.Mutex
	bank     int
)

// 1. The injected server is every connection's.
func handleRequest(l *loop.Loop, c *conn) {
	c.srv.requests++     // want "handleRequest writes c\\.srv\\.requests; handleRequest \\(another invocation\\) reads and writes it \\(owned.go:56\\), handleOwn"
	c.srv.perPath["/"]++ // want "handleRequest writes c\\.srv\\.perPath\\[i\\]; handleRequest \\(another invocation\\)"
}

// What is allocated for the connection is its own.
func handleOwn(l *loop.Loop, c *conn) {
	c.own.requests++ // want "handleOwn writes c\\.own\\.requests; handleRequest"
	c.buf[0]++       // want "handleOwn writes c\\.buf\\[i\\]; handleOwn \\(another invocation\\) reads and writes it \\(owned.go:63\\) on the same context$"
}

// The server's own mutex guards its fields, whichever connection leads
// there.
func handleLocked(l *loop.Loop, c *conn) {
	c.srv.mu.Lock()
	c.srv.locked++ // the same server through the same pointer: guarded (ptrlocks)
	c.srv.mu.Unlock()
}

// A listener passes its server on to the connections it accepts.
func handleAccept(l *loop.Loop, ln *listener) {
	c := &conn{srv: ln.srv, own: &server{}, buf: make([]byte, 64), tick: &tick{}}
	loop.Post(l, handleRequest, c)
}

// 3. A stream spends the window its connection refills.
func handleData(l *loop.Loop, c *conn) {
	c.window += 100 // want "handleData writes c\\.window.*handleStream"
	loop.Post(l, handleStream, &stream{conn: c, data: make([]byte, 8)})
}

func handleStream(l *loop.Loop, s *stream) {
	s.sent++        // want "handleStream writes s\\.sent; .* on the same context$"
	s.data[0]++     // want "handleStream writes s\\.data\\[i\\]; .* on the same context$"
	s.conn.window-- // want "handleStream writes s\\.conn\\.window; .*handleData reads and writes c\\.window"
}

// 4. The timer inside the connection is posted as a context.
func handleArm(l *loop.Loop, c *conn) {
	c.timer.fired = 0 // want "handleArm writes c\\.timer\\.fired; .*handleTimer reads and writes \\(\\*main\\.timer\\)\\.fired"
	loop.Post(l, handleTimer, &c.timer)
}

func handleTimer(l *loop.Loop, t *timer) {
	t.fired++ // want "handleTimer writes \\(\\*main\\.timer\\)\\.fired"
}

// A tick allocated for the connection, posted whole, is the tick's.
func handleTicker(l *loop.Loop, c *conn) {
	loop.Post(l, handleTick, c.tick)
}

func handleTick(l *loop.Loop, t *tick) {
	t.n++ // want "handleTick writes t\\.n; handleTick \\(another invocation\\) reads and writes it \\(owned.go:108\\) on the same context$"
}

// 5. accounts[i].mu is not accounts[j].mu.
func handleTransfer(l *loop.Loop, c *conn) {
	i, j := c.window&3, (c.window+1)&3 // want "handleTransfer reads c\\.window"
	accounts[i].mu.Lock()
	accounts[j].bal += 10 // want "handleTransfer writes accounts\\[i\\]\\.bal; handleTransfer \\(another invocation\\) reads and writes it"
	accounts[i].mu.Unlock()
}

// One concrete mutex guards.
func handleDeposit(l *loop.Loop, c *conn) {
	bankMu.Lock()
	bank++
	bankMu.Unlock()
}

func newConn(srv *server) *conn {
	return &conn{srv: srv, own: &server{}, buf: make([]byte, 64), tick: &tick{}}
}

func main() {
	srv := &server{perPath: map[string]int{}}
	a, b := newConn(srv), newConn(srv)
	l := loop.New()
	for _, c := range []*conn{a, b} {
		loop.Post(l, handleRequest, c)
		loop.Post(l, handleOwn, c)
		loop.Post(l, handleLocked, c)
		loop.Post(l, handleData, c)
		loop.Post(l, handleArm, c)
		loop.Post(l, handleTicker, c)
		loop.Post(l, handleTransfer, c)
		loop.Post(l, handleDeposit, c)
	}
	loop.Post(l, handleAccept, &listener{srv: srv})
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleRequest" "handleRequest" -- both write requests and perPath of main's one server
// races on one context: "handleOwn" "handleOwn" -- both write the connection's own server and buffer
// races on one context: "handleData" "handleData" -- both write c.window
// races: "handleData" "handleStream" -- a stream, on a context of its own, writes its connection's window
// races: "handleStream" "handleStream" -- two streams of one connection write its window
// races on one context: "handleArm" "handleArm" -- both write c.timer.fired
// races: "handleArm" "handleTimer" -- the timer, posted as a context of its own, is c.timer
// races on one context: "handleTimer" "handleTimer" -- both write t.fired
// races on one context: "handleTick" "handleTick" -- both write t.n
// races: "handleTransfer" "handleTransfer" -- c.window, read twice, may change between (a stream writes it): then j is not i+1, and accounts[j] is written under another account's mutex
// races on one context: "handleTransfer" "handleData" -- handleData writes c.window, handleTransfer reads it
// races: "handleTransfer" "handleStream" -- a stream writes its connection's window, handleTransfer reads it
// (c.own is a server made for the connection, never main's; a timer is
// a field of its connection, no server.)
