// Locks: accesses under a common mutex do not conflict; a write under RLock
// is not protected; a deferred Unlock holds to the end; a lock taken in the
// caller protects the callee's accesses.
package main

import (
	"sync"

	"github.com/safels/safels/loop"
)

var (
	mu     sync.Mutex
	cache  = map[string]int{}
	rw     sync.RWMutex
	counts [8]int
	other  sync.Mutex
	total  int
)

type conn struct {
	mu    sync.Mutex
	bytes int
}

func put(k string, v int) { cache[k] = v } // want "cache\\[i\\]"

func handleSet(l *loop.Loop, c *conn) {
	mu.Lock()
	put("k", 1) // want "handleSet calls put.*handleWrong writes it"
	mu.Unlock()
	total++ // want "total" "total"
}

func handleGet(l *loop.Loop, c *conn) {
	mu.Lock()
	defer mu.Unlock()
	_ = cache["k"] // want "cache\\[i\\]; handleWrong writes it"
	_ = total      // want "total"
}

func handleCount(l *loop.Loop, c *conn) {
	rw.RLock()
	counts[0]++ // want "counts\\[i\\]" "counts\\[i\\]"
	rw.RUnlock()
}

func handleRead(l *loop.Loop, c *conn) {
	rw.RLock()
	_ = counts[1] // want "counts\\[i\\]"
	rw.RUnlock()
	rw.Lock()
	counts[2] = 0
	rw.Unlock()
}

func handleWrong(l *loop.Loop, c *conn) {
	other.Lock()
	put("x", 2) // want "put"
	other.Unlock()
	c.mu.Lock()
	c.bytes++
	c.mu.Unlock()
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleSet, c)
	loop.Post(l, handleGet, c)
	loop.Post(l, handleCount, c)
	loop.Post(l, handleRead, c)
	loop.Post(l, handleWrong, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleSet" "handleSet" -- both write total without a lock
// races: "handleSet" "handleGet" -- handleSet writes total without a lock, handleGet reads it
// races: "handleSet" "handleWrong" -- both write cache, under different mutexes
// races: "handleGet" "handleWrong" -- handleWrong writes cache under other, handleGet reads it under mu
// races: "handleCount" "handleCount" -- both write counts[0] under RLock
// (handleGet with itself only reads. handleCount writes counts[0],
// handleRead counts[2] and reads counts[1]: other elements, and its write
// under rw.Lock.)
