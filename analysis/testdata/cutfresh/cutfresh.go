// Fresh memory below a cut: an item allocated in main is kept both in a
// global of its own (tail) and below a path that the analysis cuts
// (items.next, an item below an item). A handler writing it through the
// cut path and one writing it through tail race on one field; nothing
// ties the pointer stored in main to shared memory but its allocation,
// so the cut loc must reach memory of its type. A box that is never kept
// below an item, and a connection's own counter, stay apart.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type item struct {
	next *item
	v    int
}

type box struct{ n int }

type conn struct{ n int }

var (
	items, tail *item
	other       *box
)

func handleTail(l *loop.Loop, c *conn) { tail.v++ }

func handleScan(l *loop.Loop, c *conn) { items.next.v++ }

func handleBox(l *loop.Loop, c *conn) { other.n++ }

func handleCount(l *loop.Loop, c *conn) { c.n++ }

func main() {
	t := &item{}
	tail = t
	items = &item{next: t}
	other = &box{}
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{}
		loop.Post(l, handleTail, c)
		loop.Post(l, handleScan, c)
		loop.Post(l, handleBox, c)
		loop.Post(l, handleCount, c)
	}
	l.Run(context.Background())
}
