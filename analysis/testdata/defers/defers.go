// Deferred calls and closures under locks: a deferred call runs when the
// handler returns, so a lock held at the defer statement protects it only
// if it is still held then; a closure is protected by the locks held where
// it is called, not where it is made; a context's mutex, once the context
// is captured by a closure, is still each context's own. (Found by the
// soundness oracle, internal/oracle: handleLate and handleBoxed raced.)
package main

import (
	"sync"

	"github.com/safels/safels/loop"
)

var (
	mu     sync.Mutex
	late   int // written by a deferred closure after mu is released
	bumped int // written by a deferred call after mu is released
	kept   int // written by a deferred closure while mu is still held
	made   int // written by a closure made before mu is taken, called under it
	boxed  int // written under the context's mutex: by invocations on other contexts too
)

type conn struct {
	mu   sync.Mutex
	n    int
	done bool
}

func bump(p *int) { *p++ } // want "bumped"

func handleLate(l *loop.Loop, c *conn) {
	mu.Lock()
	defer func() { late++ }() // want "late"
	mu.Unlock()
}

func handleBump(l *loop.Loop, c *conn) {
	mu.Lock()
	defer bump(&bumped) // want "bump"
	mu.Unlock()
}

func handleKept(l *loop.Loop, c *conn) {
	mu.Lock()
	defer mu.Unlock()
	defer func() { kept++ }()
}

func handleMade(l *loop.Loop, c *conn) {
	f := func() { made += c.n }
	mu.Lock()
	f()
	mu.Unlock()
}

func handleMadeToo(l *loop.Loop, c *conn) {
	mu.Lock()
	made--
	mu.Unlock()
}

func handleBoxed(l *loop.Loop, c *conn) {
	defer func() { c.done = true }() // want "done"
	c.mu.Lock()
	boxed++ // want "boxed"
	c.mu.Unlock()
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleLate, c)
	loop.Post(l, handleBump, c)
	loop.Post(l, handleKept, c)
	loop.Post(l, handleMade, c)
	loop.Post(l, handleMadeToo, c)
	loop.Post(l, handleBoxed, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleLate" "handleLate" -- the deferred closure writes late after mu is released
// races: "handleBump" "handleBump" -- the deferred bump writes bumped after mu is released
// races: "handleBoxed" "handleBoxed" -- boxed under each context's own mutex; c.done too, on one context
