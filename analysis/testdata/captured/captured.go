// A handler's closures that use its context: the context is still the
// handler's own, so invocations on different contexts do not conflict.
package main

import "github.com/safels/safels/loop"

type conn struct{ n, m int }

var done int

// handleDefer undoes its change in a deferred closure.
func handleDefer(l *loop.Loop, c *conn) {
	c.n++                    // want "c\\.n"
	defer func() { c.n-- }() // want "c\\.n" "handleDefer\\$1"
}

// handleEach walks with a closure that writes the context and a global.
func handleEach(l *loop.Loop, c *conn) {
	add := func(k int) { c.m += k; done++ } // want "c\\.m" "done" "handleEach\\$1"
	add(1)                                  // want "handleEach\\$1"
	add(2)                                  // want "handleEach\\$1"
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleDefer, c)
	loop.Post(l, handleEach, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races on one context: "handleDefer" "handleDefer" -- both write c.n
// races: "handleEach" "handleEach" -- the closure writes done
