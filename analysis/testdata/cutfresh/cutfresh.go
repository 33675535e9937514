// Fresh memory below a cut: an item allocated in main is kept both in a
// global of its own (tail) and below a path that the analysis cuts
// (items.next, an item below an item). A handler writing it through the
// cut path and one writing it through tail race on one field; nothing
// ties the pointer stored in main to shared memory but its allocation,
// so the cut loc must reach memory of its type. The same holds where
// append alone publishes it (it copies the element, with no store to show
// it): chain[0] is chain2[0].next. A box that is never kept below an item, and a connection's
// own counter, stay apart.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type item struct {
	next *item
	v    int
}

// link is an item of its own type for chain, so that nothing but the
// append publishes it.
type link struct {
	next *link
	v    int
}

type box struct{ n int }

type conn struct{ n int }

var (
	items, tail *item
	other       *box
	chain       []*link // chain[0] is chain2[0].next
	chain2      []*link
)

func handleTail(l *loop.Loop, c *conn) { tail.v++ }

func handleScan(l *loop.Loop, c *conn) { items.next.v++ }

func handleBox(l *loop.Loop, c *conn) { other.n++ }

func handleChain(l *loop.Loop, c *conn) { chain[0].v-- }

func handleChain2(l *loop.Loop, c *conn) { chain2[0].next.v-- }

func handleCount(l *loop.Loop, c *conn) { c.n++ }

func main() {
	t := &item{}
	tail = t
	items = &item{next: t}
	other = &box{}
	t2 := &link{}
	chain = append(chain, t2)
	chain2 = append(chain2, &link{next: t2})
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{}
		loop.Post(l, handleTail, c)
		loop.Post(l, handleScan, c)
		loop.Post(l, handleBox, c)
		loop.Post(l, handleCount, c)
		loop.Post(l, handleChain, c)
		loop.Post(l, handleChain2, c)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: "handleTail" "handleScan" -- tail is items.next: both write its v
// races: "handleBox" "handleBox" -- both write other.n
// races among: "handleChain" "handleChain2" -- chain[0] is chain2[0].next: both write its v
// races on one context: "handleCount" "handleCount" -- both write c.n
