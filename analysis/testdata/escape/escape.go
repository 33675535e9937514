// Contexts that escape into shared state, goroutines started by handlers,
// and writes during initialization.
package main

import "github.com/safels/safels/loop"

type conn struct {
	fd    int
	idle  int
	bytes int
}

var (
	conns   = map[int]*conn{} // every open connection: contexts escape here
	limit   int               // set in main before the loop starts
	tickets int
)

func init() { limit = 10 }

func handleAccept(l *loop.Loop, c *conn) {
	conns[c.fd] = c // want "conns\\[i\\]" "conns\\[i\\]"
	loop.Post(l, handleRead, c)
}

func handleRead(l *loop.Loop, c *conn) {
	c.idle = 0       // want "c.idle.*handleIdle reads and writes conns\\[i\\].idle"
	c.bytes += limit // want "c.bytes.*on the same context"
}

// handleIdle reaches every context through the table: it may touch the
// context another handler is running on, whatever that handler's context.
func handleIdle(l *loop.Loop, _ *conn) {
	for _, c := range conns { // want "conns\\[i\\]"
		c.idle++ // want "conns\\[i\\].idle" "conns\\[i\\].idle"
	}
}

// handleSpawn's goroutine runs while other handlers do: its accesses are
// the handler's own, never atomic with it.
func handleSpawn(l *loop.Loop, c *conn) {
	go func() { // want "handleSpawn calls handleSpawn\\$1"
		tickets++ // want "tickets" "tickets"
	}()
}

func main() {
	limit = 20 // initialization: not a handler write
	l := loop.New()
	c := &conn{fd: 1}
	loop.Post(l, handleAccept, c)
	loop.Post(l, handleIdle, c)
	loop.Post(l, handleSpawn, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleAccept" "handleAccept" -- both write conns
// races: "handleAccept" "handleIdle" -- handleAccept writes conns, handleIdle ranges over it
// races on one context: "handleRead" "handleRead" -- both write c.idle and c.bytes
// races: "handleRead" "handleIdle" -- handleIdle writes the idle of every kept connection, handleRead that of its own
// races: "handleIdle" "handleIdle" -- both write the idle of every kept connection
// races: "handleSpawn" "handleSpawn" -- the goroutines write tickets
