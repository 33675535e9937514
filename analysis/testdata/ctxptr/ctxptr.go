// A pointer kept in the context may lead back into it: after
// c.cur = &c.in, c.cur.x and c.in.x are one memory, also where the
// context is known only by its type (captured by a closure). (Found by
// the soundness oracle, internal/oracle.)
package main

import "github.com/safels/safels/loop"

type inner struct{ x, y int }

type conn struct {
	in  inner
	cur *inner
	n   int
}

func handleLink(l *loop.Loop, c *conn) {
	c.cur = &c.in // want "cur"
}

func handleCur(l *loop.Loop, c *conn) {
	c.cur.x++ // want "cur"
}

func handleX(l *loop.Loop, c *conn) {
	c.in.x++ // want "in.x"
}

func handleY(l *loop.Loop, c *conn) {
	c.in.y++ // want "in.y"
}

// handleReset's context is captured by a closure: still its own context,
// whose in may be where handleCur's c.cur points.
func handleReset(l *loop.Loop, c *conn) {
	c.in = inner{}            // want "in"
	count := func() { c.n++ } // want "n"
	count()                   // want "handleReset\\$1"
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleLink, c)
	loop.Post(l, handleCur, c)
	loop.Post(l, handleX, c)
	loop.Post(l, handleY, c)
	loop.Post(l, handleReset, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among on one context: "handleLink" "handleCur" -- handleLink writes c.cur, which handleCur reads
// races among on one context: "handleCur" "handleX" "handleReset" -- c.cur may point at c.in: each writes c.in.x
// races among on one context: "handleY" "handleReset" -- both write c.in.y
