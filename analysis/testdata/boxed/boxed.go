// Values handed to fmt from elsewhere (an any loaded from a global): fmt
// may call the String method of whatever type they hold, but only a type
// whose values are made into an interface somewhere can be held there.
// Never's values never are; Boxed's are, in main.
package main

import (
	"fmt"

	"github.com/safels/safels/loop"
)

type conn struct{ n int }

var (
	current    any // set in main: what handlePrint prints
	neverHits  int
	boxedHits  int
	printed    string
	neverValue Never
)

// Never is never made into an interface: no interface value holds one.
type Never struct{ n int }

func (Never) String() string { neverHits++; return "never" }

// Boxed is: current holds one.
type Boxed struct{ n int }

func (*Boxed) String() string { boxedHits++; return "boxed" }

func handlePrint(l *loop.Loop, c *conn) { printed = fmt.Sprint(current) }

func handleNever(l *loop.Loop, c *conn) { neverHits += neverValue.n }

func handleBoxed(l *loop.Loop, c *conn) { boxedHits++ }

func main() {
	current = &Boxed{}
	l := loop.New()
	c := &conn{}
	loop.Post(l, handlePrint, c)
	loop.Post(l, handleNever, c)
	loop.Post(l, handleBoxed, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: "handlePrint" "handleBoxed" -- fmt calls (*Boxed).String, which writes boxedHits; handlePrint also writes printed
// races: "handleNever" "handleNever" -- both write neverHits
