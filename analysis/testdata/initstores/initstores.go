// An object's fields set where it is made, before it is stored anywhere,
// are no one else's yet: handleOpen fills a box and publishes it under mu,
// and handleRead, which finds it under mu, reads what was filled in
// without a race. A field written after the box is published is shared:
// handleBump writes n once the box is in the map, and races with
// handleRead's read of it.
package main

import (
	"sync"

	"github.com/safels/safels/loop"
)

type box struct {
	name string
	n    int
}

var (
	mu    sync.Mutex
	boxes = map[string]*box{}
)

type conn struct{ id string }

func handleOpen(l *loop.Loop, c *conn) {
	b := &box{name: c.id}
	mu.Lock()
	boxes[c.id] = b
	mu.Unlock()
}

func handleBump(l *loop.Loop, c *conn) {
	b := &box{name: c.id}
	mu.Lock()
	boxes[c.id] = b
	mu.Unlock()
	b.n++ // want "n"
}

func handleRead(l *loop.Loop, c *conn) {
	mu.Lock()
	b := boxes[c.id]
	mu.Unlock()
	if b != nil && b.name != "" && b.n > 0 { // want "n"
		println(b.name)
	}
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleOpen, c)
	loop.Post(l, handleBump, c)
	loop.Post(l, handleRead, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleBump" "handleRead" -- handleBump writes n of a box it published, handleRead reads it
// (Each handleBump writes the box it made; what handleOpen fills in is
// set before the box is published under mu.)
