// Handlers in a package that is not a main one: a main elsewhere makes the
// connections with NewConn, which keeps each in a global, and posts them
// with Schedule. Neither is called here, yet what NewConn stores is what
// the handlers find.
package ctxlib

import "github.com/safels/safels/loop"

type Conn struct{ N int }

type Job struct{ N int }

var (
	kept  []*Conn
	boxed []any
	last  *Conn
)

func hCount(l *loop.Loop, c *Conn) { c.N++ }

func hSweep(l *loop.Loop, c *Conn) {
	for _, x := range kept {
		x.N++
	}
}

func hBoxed(l *loop.Loop, c *Conn) {
	for _, x := range boxed {
		x.(*Conn).N++
	}
}

func hLast(l *loop.Loop, c *Conn) {
	if last != nil {
		last.N--
	}
}

func hJob(l *loop.Loop, j *Job) { j.N++ }

// NewConn is called by the program's main, outside this package.
func NewConn() *Conn {
	c := &Conn{}
	kept = append(kept, c)
	last = c
	boxed = append(boxed, c)
	return c
}

// NewJob makes a job of its own.
func NewJob() *Job { return &Job{} }

func Schedule(l *loop.Loop, k int, c *Conn, j *Job) {
	switch k {
	case 0:
		loop.Post(l, hCount, c)
	case 1:
		loop.Post(l, hSweep, c)
	case 2:
		loop.Post(l, hLast, c)
	case 3:
		loop.Post(l, hJob, j)
	case 4:
		loop.Post(l, hBoxed, c)
	}
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races on one context: "hCount" "hCount" -- both write c.N
// races among: "hSweep" "hBoxed" "hLast" -- every Conn is kept, boxed and maybe last: each writes N of any of them
// races: "hCount" "hSweep" -- hSweep writes N of every Conn, hCount's too
// races: "hCount" "hBoxed" -- hBoxed writes N of every Conn, hCount's too
// races: "hCount" "hLast" -- hLast writes N of the last Conn made, maybe hCount's
// races on one context: "hJob" "hJob" -- both write j.N
