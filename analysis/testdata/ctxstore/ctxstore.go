// Pointers between a context and shared memory: a context may keep a
// pointer to shared state (c.p = &total), and shared state may keep a
// slice of a context's memory (recent = c.buf). Accesses through such a
// pointer are accesses of shared memory. (Found by the soundness oracle,
// internal/oracle.)
package main

import (
	"sync"

	"github.com/safels/safels/loop"
)

type conn struct {
	p    *int
	buf  []int
	own  []int // only ever this connection's own memory
	peer *int  // set up in main, to shared memory
	half []int // shares an array with lastHalf
	box  any   // holds a pointer to boxed
	kept sync.Map
}

var (
	total    int
	recent   []int
	other    int
	lastHalf []int
	boxed    int
	mapped   int
	registry sync.Map // of connections
)

// handleLink makes the context point at a global.
func handleLink(l *loop.Loop, c *conn) {
	c.p = &total // want "c\\.p"
}

// handleBump writes through it: that is total.
func handleBump(l *loop.Loop, c *conn) {
	*c.p++ // want "c\\.p" "writes total.*handleCount"
}

func handleCount(l *loop.Loop, c *conn) {
	total++ // want "handleCount writes total; handleBump"
}

// handleKeep publishes the context's buffer in a global.
func handleKeep(l *loop.Loop, c *conn) {
	recent = c.buf // want "recent" "c\\.buf.*handleVisit"
}

// handleFill writes the context's buffer; handleScan, through the global,
// the same array.
func handleFill(l *loop.Loop, c *conn) {
	c.buf[0]++ // want "c\\.buf"
}

func handleScan(l *loop.Loop, c *conn) {
	recent[0]++ // want "writes recent\\[i\\].*handleFill reads and writes c\\.buf"
}

// handleOwn fills a buffer of its own, through a helper: nothing shared.
func handleOwn(l *loop.Loop, c *conn) {
	setOwn(c, make([]int, 4)) // want "setOwn"
	c.own[0]++                // want "c\\.own" "c\\.own\\[i\\]"
}

func setOwn(c *conn, b []int) { c.own = b } // want "own"

// handlePeer writes through a pointer main stored before the loop ran:
// other, which handleOther writes too.
func handlePeer(l *loop.Loop, c *conn) {
	*c.peer++ // want "c\\.peer" "writes other.*handleOther"
}

func handleOther(l *loop.Loop, c *conn) {
	other++ // want "handleOther writes other; handlePeer"
}

// handleSplit makes one array and keeps it both in the context and in a
// global: handleHalf and handleLastHalf write the same memory.
func handleSplit(l *loop.Loop, c *conn) {
	b := make([]int, 4)
	c.half = b   // want "c\\.half"
	lastHalf = b // want "lastHalf"
}

func handleHalf(l *loop.Loop, c *conn) {
	c.half[0]++ // want "c\\.half"
}

func handleLastHalf(l *loop.Loop, c *conn) {
	lastHalf[0]++ // want "lastHalf"
}

// Through an interface: c.box holds &boxed.
func handleBox(l *loop.Loop, c *conn) {
	c.box = &boxed // want "c\\.box"
}

func handleUnbox(l *loop.Loop, c *conn) {
	*c.box.(*int)++ // want "c\\.box" "writes boxed.*handleBoxed"
}

func handleBoxed(l *loop.Loop, c *conn) {
	boxed++ // want "handleBoxed writes boxed; handleUnbox"
}

// Through a container of the standard library: c.kept holds &mapped.
func handleKeepMapped(l *loop.Loop, c *conn) {
	c.kept.Store(1, &mapped)
}

func handleBumpMapped(l *loop.Loop, c *conn) {
	if v, ok := c.kept.Load(1); ok {
		*v.(*int)++ // want "mapped.*handleMapped" "c\\.kept"
	}
}

func handleMapped(l *loop.Loop, c *conn) {
	mapped++ // want "handleMapped writes mapped; handleBumpMapped"
}

// The other way: the registry holds connections.
func handleRegister(l *loop.Loop, c *conn) {
	registry.Store(1, c)
}

func handleVisit(l *loop.Loop, c *conn) {
	if v, ok := registry.Load(1); ok {
		v.(*conn).own = nil // want "registry" "main\\.conn.*handleBump"
	}
}

func main() {
	l := loop.New()
	c := &conn{peer: &other}
	loop.Post(l, handleLink, c)
	loop.Post(l, handleBump, c)
	loop.Post(l, handleCount, c)
	loop.Post(l, handleKeep, c)
	loop.Post(l, handleFill, c)
	loop.Post(l, handleScan, c)
	loop.Post(l, handleOwn, c)
	loop.Post(l, handlePeer, c)
	loop.Post(l, handleOther, c)
	loop.Post(l, handleSplit, c)
	loop.Post(l, handleHalf, c)
	loop.Post(l, handleLastHalf, c)
	loop.Post(l, handleBox, c)
	loop.Post(l, handleUnbox, c)
	loop.Post(l, handleBoxed, c)
	loop.Post(l, handleKeepMapped, c)
	loop.Post(l, handleBumpMapped, c)
	loop.Post(l, handleMapped, c)
	loop.Post(l, handleRegister, c)
	loop.Post(l, handleVisit, c)
}
