// A context that is a library container: each session's variables are an
// expvar.Map, and handleSet puts the one global counter in it. What
// handleBump gets back from its session's map is then the same counter
// for every session: two handleBump on two sessions write one n. The
// analysis has no body for expvar (its calls are assumed): Set is taken
// to keep the counter in the map (what it writes may keep any pointer it
// is given), so what Get returns is the counter where one was put. evio's
// c.Context() after c.SetContext (servers/evioshared) is still missed.
package main

import (
	"context"
	"expvar"

	"github.com/safels/safels/loop"
)

type counter struct{ n int }

func (c *counter) String() string { return "counter" }

var shared = &counter{}

func handleSet(l *loop.Loop, vars *expvar.Map) { vars.Set("hits", shared) }

func handleBump(l *loop.Loop, vars *expvar.Map) {
	if c, ok := vars.Get("hits").(*counter); ok {
		c.n++
	}
}

func main() {
	l := loop.New()
	for i := 0; i < 2; i++ {
		vars := new(expvar.Map)
		loop.Post(l, handleSet, vars)
		loop.Post(l, handleBump, vars)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleBump" "handleBump" -- every session's map holds shared: two sessions' handleBump write shared.n
// (expvar.Map's Set and Get lock the map; handleSet writes no counter.)
