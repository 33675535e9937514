// Function values that pass through library code. A value that comes back
// from code without a body can only be one of our functions if it was
// handed there first: hooks.Load() may return setHits (stored with
// hooks.Store), so handleHook writes hits, and handleHits races with it.
// What came back is not told apart by library (handleClean's cleanups may
// be setHits too), but bumpOther, a func() used as a value and never
// handed to a library, is not among them: handleOther races with no one
// else.
//
// The body of a loop over a library iterator (slices.Backward) is a
// function the iterator calls: handleRange runs note, which races with
// handleNote. (The loop's body once ran nowhere: the race was missed.)
// The loop's own variables, which its body captures, stay the
// invocation's: a standard library iterator calls the body only during
// the loop.
package main

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/safels/safels/loop"
)

var (
	hits     int
	other    int
	logLines []string
	hooks    atomic.Value // a func()
	cleanups []func()
	later    = bumpOther // a func() used as a value, never handed to a library
	noted    string
	notes    = []func(){note}
)

type conn struct{ n int }

func setHits() { hits++ } // want "hits"

func flushLog() { logLines = nil } // want "logLines"

func bumpOther() { other++ } // want "other"

func note() { noted = "n" } // want "noted"

func handleHook(l *loop.Loop, c *conn) {
	hooks.Load().(func())() // want "flushLog"
}

func handleHits(l *loop.Loop, c *conn) {
	hits = 0 // want "hits"
}

func handleClean(l *loop.Loop, c *conn) {
	for _, f := range cleanups {
		f() // want "flushLog"
	}
}

func handleOther(l *loop.Loop, c *conn) {
	later() // want "bumpOther"
}

func handleRange(l *loop.Loop, c *conn) {
	for _, f := range slices.Backward(notes) { // want "handleRange\\$1"
		f()
	}
}

func handleNote(l *loop.Loop, c *conn) {
	noted = "" // want "noted"
}

func handleLog(l *loop.Loop, c *conn) {
	logLines = append(logLines, "x") // want "logLines"
}

func main() {
	hooks.Store(setHits)
	cleanups = append(cleanups, sync.OnceFunc(flushLog))
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleHook, c)
	loop.Post(l, handleHits, c)
	loop.Post(l, handleClean, c)
	loop.Post(l, handleOther, c)
	loop.Post(l, handleLog, c)
	loop.Post(l, handleRange, c)
	loop.Post(l, handleNote, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleHook" "handleHook" -- the hook, setHits, writes hits
// races: "handleHook" "handleHits" -- setHits writes hits, as handleHits does
// races: "handleHits" "handleHits" -- both write hits
// races: "handleClean" "handleLog" -- the cleanup, flushLog, writes logLines, which handleLog appends to
// races: "handleOther" "handleOther" -- bumpOther writes other
// races among: "handleRange" "handleNote" -- both write noted (handleRange through note)
// races: "handleLog" "handleLog" -- both append to logLines
// (sync.OnceFunc runs flushLog once, other callers waiting: two
// handleClean do not race.)
