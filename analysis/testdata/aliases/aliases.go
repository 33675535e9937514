// Memory typed with an alias (any) and without it (interface{}): one type,
// one kind of slot, whichever spelling a summary was written with.
package main

import "github.com/safels/safels/loop"

type conn struct{ n int }

var (
	reg  []any           // every connection: contexts escape here
	seen []interface{}   // the same type, spelled without the alias
	byID = map[int]any{} // and as a map's elements
	last interface{ M(any) }
)

func handleKeep(l *loop.Loop, c *conn) {
	reg = append(reg, c)
	byID[c.n] = c
	c.n++
}

func handleScan(l *loop.Loop, _ *conn) {
	for _, x := range reg {
		x.(*conn).n++
	}
	for _, x := range seen {
		if c, ok := x.(*conn); ok {
			c.n++
		}
	}
}

func handleCount(l *loop.Loop, c *conn) {
	seen = append(seen, c)
	c.n += len(byID)
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleKeep, c)
	loop.Post(l, handleScan, c)
	loop.Post(l, handleCount, c)
	_ = last
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: all -- each writes the n of connections others reach through reg, seen or byID, or writes those
