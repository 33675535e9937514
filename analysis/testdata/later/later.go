// Handlers posted through wrappers of loop.Post in another package
// (state.Later, and state.Soon, which calls it) are found through them;
// where a wrapper is given a value safels does not follow, or is used as
// a value itself, the warning says so there.
package main

import (
	"context"

	"github.com/safels/safels/analysis/testdata/later/state"
	"github.com/safels/safels/loop"
)

func handleCount(l *loop.Loop, c *state.Conn) {
	state.Total++ // want "handleCount writes Total; .*handleAgain reads and writes it"
	c.N++         // want "handleCount writes c\\.N; handleCount \\(another invocation\\) reads and writes it \\(later.go:16\\) on the same context$"
}

func handleAgain(l *loop.Loop, c *state.Conn) {
	state.Total-- // want "handleAgain writes Total; handleCount"
}

// handleTabled is posted only from a table: not found, so not in the
// table the loop reads; it runs exclusively.
func handleTabled(l *loop.Loop, c *state.Conn) {
	state.Total += 2
}

var table = []func(*loop.Loop, *state.Conn){handleTabled}

func main() {
	l := loop.New()
	c := &state.Conn{}
	state.Later(l, handleCount, c)
	state.Soon(l, handleAgain, c)
	state.Later(l, table[0], c) // a value not followed: said here
	l.Run(context.Background())
}
