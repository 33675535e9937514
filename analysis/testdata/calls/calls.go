// Interface and closure calls, recursion, context-only conflicts, atomics
// and read/read pairs.
package main

import (
	"sync/atomic"

	"github.com/safels/safels/loop"
)

type store interface{ put(k string) }

type memStore struct{ n int }

func (m *memStore) put(k string) { m.n++ } // want "n" "n"

type nopStore struct{}

func (nopStore) put(k string) {}

var db store = &memStore{}
var hooks []func()
var hits int
var depth int
var requests atomic.Int64
var served int64
var motd = "hello"

type req struct {
	path  string
	state int
}

// walk recurses; its write of depth must still be seen.
func walk(n int) {
	if n == 0 {
		depth++ // want "depth" "depth"
		return
	}
	walk(n - 1)
}

func init() {
	hooks = append(hooks, func() { hits++ }) // want "hits" "hits"
}

func handlePut(l *loop.Loop, r *req) {
	db.put(r.path) // want "put"
	for _, h := range hooks {
		h() // want "init#1\\$1"
	}
	requests.Add(1)
	atomic.AddInt64(&served, 1)
	_ = motd
}

func handleWalk(l *loop.Loop, r *req) {
	walk(3)     // want "walk"
	r.state = 2 // want "r.state"
	_ = motd
}

func handleState(l *loop.Loop, r *req) {
	_ = r.state // want "r.state"
	_ = atomic.LoadInt64(&served)
	_ = requests.Load()
}

func main() {
	l := loop.New()
	r := &req{path: "/"}
	loop.Post(l, handlePut, r)
	loop.Post(l, handleWalk, r)
	loop.Post(l, handleState, r)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handlePut" "handlePut" -- memStore's put writes n of the one db; the hook writes hits
// races: "handleWalk" "handleWalk" -- walk writes depth (and r.state, on one context)
// races on one context: "handleWalk" "handleState" -- handleWalk writes r.state, handleState reads it
