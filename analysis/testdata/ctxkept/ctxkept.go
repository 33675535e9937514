// Contexts that main keeps in shared memory before posting them: appended
// to a global slice (the new array holds the context, and the global the
// array), of pointers or of interfaces. A handler that walks the global
// writes the contexts other handlers run on.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type conn struct{ n int }

type sess struct{ n int }

type job struct{ n int }

var (
	conns    []*conn
	sessions []any
)

func handleCount(l *loop.Loop, c *conn) { c.n++ }

func handleScan(l *loop.Loop, c *conn) {
	for _, x := range conns {
		x.n++
	}
}

func handleSess(l *loop.Loop, s *sess) { s.n++ }

func handleSweep(l *loop.Loop, s *sess) {
	for _, x := range sessions {
		x.(*sess).n++
	}
}

// jobs are kept in main's own slice, never shared: they stay the
// handlers' contexts.
func handleJob(l *loop.Loop, j *job) { j.n++ }

func main() {
	l := loop.New()
	var mine []*job
	for i := 0; i < 2; i++ {
		c := &conn{}
		conns = append(conns, c)
		loop.Post(l, handleCount, c)
		loop.Post(l, handleScan, c)
		s := &sess{}
		sessions = append(sessions, s)
		loop.Post(l, handleSess, s)
		loop.Post(l, handleSweep, s)
		j := &job{}
		mine = append(mine, j)
		loop.Post(l, handleJob, j)
	}
	_ = mine
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races on one context: "handleCount" "handleCount" -- both write c.n
// races: "handleCount" "handleScan" -- handleScan writes n of every kept conn, handleCount's too
// races: "handleScan" "handleScan" -- both write n of every kept conn
// races on one context: "handleSess" "handleSess" -- both write s.n
// races: "handleSess" "handleSweep" -- handleSweep writes n of every kept sess, handleSess's too
// races: "handleSweep" "handleSweep" -- both write n of every kept sess
// races on one context: "handleJob" "handleJob" -- both write j.n
