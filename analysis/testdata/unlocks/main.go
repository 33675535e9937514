// Unlocks in callees: a helper that unlocks the mutex its caller holds,
// or releases it for a while, leaves what follows, and what it does
// after the unlock, unguarded. A helper that locks and unlocks a mutex of
// its own changes nothing of its caller's.
package main

import (
	"context"
	"sync"

	"github.com/safels/safels/loop"
)

var (
	mu      sync.Mutex
	other   sync.Mutex
	total   int
	pending int
	hits    int
	kept    int
	locker  sync.Locker = &mu
)

type conn struct{}

// release unlocks the caller's mutex.
func release() { mu.Unlock() }

// slow releases the caller's mutex while it works, and takes it back.
func slow() {
	mu.Unlock()
	pending++ // want "pending"
	mu.Lock()
}

// count takes a mutex of its own.
func count() {
	other.Lock()
	hits++
	other.Unlock()
}

// Not guarded: release unlocked mu before the write.
func handleRelease(l *loop.Loop, c *conn) {
	mu.Lock()
	release()
	total++ // want "handleRelease writes total; handleRelease \\(another invocation\\) reads and writes it"
}

// Not guarded: slow writes pending after it unlocked mu.
func handleSlow(l *loop.Loop, c *conn) {
	mu.Lock()
	slow() // want "handleSlow calls slow, which writes pending"
	mu.Unlock()
}

// Not guarded: mu is unlocked through a sync.Locker.
func handleLocker(l *loop.Loop, c *conn) {
	mu.Lock()
	locker.Unlock()
	kept++ // want "handleLocker writes kept; handleLocker \\(another invocation\\) reads and writes it"
}

// Guarded: count's own mutex leaves mu held.
func handleCount(l *loop.Loop, c *conn) {
	mu.Lock()
	count()
	hits++
	mu.Unlock()
}

func main() {
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{}
		loop.Post(l, handleRelease, c)
		loop.Post(l, handleSlow, c)
		loop.Post(l, handleLocker, c)
		loop.Post(l, handleCount, c)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleRelease" "handleRelease" -- both write total after release unlocked mu
// races: "handleSlow" "handleSlow" -- both write pending while slow has mu unlocked
// races: "handleLocker" "handleLocker" -- both write kept after mu was unlocked through locker
