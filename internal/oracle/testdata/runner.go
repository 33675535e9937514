// Command runner is the oracle's runner (copied into the throwaway module
// beside progs.go, which lists the programs of its chunk): it runs each
// program in one mode and marks on stderr where each begins and ends, so
// that the race detector's reports can be attributed to a program, and a
// crash (a concurrent map write is fatal) costs one program, not the chunk.
//
// Modes:
//
//	distinct   plain goroutines, nothing ordering the invocations, each on a context of its own
//	shared     the same, all invocations on one context
//	scheduled  the loop with the program's generated constraint table
//	nohue      the loop with the table's hues dropped (colors kept)
//	nocolor    the loop with the table's colors dropped (hues kept)
//	unconstrained  the loop with every handler hue 0, uncolored
//
// In distinct and shared modes the goroutines take turns (GOMAXPROCS 1,
// Gosched between invocations): the race detector finds races by
// happens-before, not by timing, and no map is ever written by two
// goroutines at once, which would crash the runner. Under the loop, two
// invocations are unordered only if they overlap in time (its workers
// synchronize on one atomic word between invocations), so handlers spin.
//
// A program with net/http handlers (Mux, Routes) has them served in the
// distinct and shared modes only: requests made with httptest, each its
// own, go through the program's ServeMux on the same goroutines as the
// loop's invocations, interleaved with them, as a server would run them
// beside its loop. The loop does not schedule them: under it they would
// race whatever its table says.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"

	"github.com/safels/safels/loop"
)

type program struct {
	index int
	run   func(mode string, seed uint64, n int)
}

func main() {
	mode := flag.String("mode", "distinct", "distinct, shared, scheduled, nohue, nocolor or unconstrained")
	from := flag.Int("from", 0, "skip the programs with a lower index")
	seed := flag.Uint64("seed", 1, "seed of the invocation plans")
	n := flag.Int("n", 64, "invocations per program")
	flag.Parse()
	if *mode == "distinct" || *mode == "shared" {
		runtime.GOMAXPROCS(1)
	}
	for _, p := range progs {
		if p.index < *from {
			continue
		}
		fmt.Fprintf(os.Stderr, "@@oracle begin %d\n", p.index)
		p.run(*mode, *seed, *n)
		fmt.Fprintf(os.Stderr, "@@oracle end %d\n", p.index)
	}
	fmt.Fprintln(os.Stderr, "@@oracle done")
}

const workers = 4

// stop is not in any table: it runs exclusively, after everything posted
// before it.
func stop(l *loop.Loop, _ int) { l.Stop() }

func run[C any](index int, t *loop.Table, handlers int, newConn func(int) C, schedule func(*loop.Loop, int, C),
	mux func() http.Handler, routes []string, mode string, seed uint64, n int) {
	r := rand.New(rand.NewPCG(seed, uint64(index)))
	switch mode {
	case "distinct", "shared":
		// The invocations are made by the program's own loop.Post calls
		// (closure handlers are made there), queued on a loop that never
		// runs, and taken back with Drain.
		l := loop.New(loop.Serial())
		one := newConn(0)
		for i := 0; i < n; i++ {
			c := one
			if mode == "distinct" {
				c = newConn(i)
			}
			schedule(l, r.IntN(handlers), c)
		}
		l.Stop()
		invs := l.Drain()
		if len(invs) != n {
			fmt.Fprintf(os.Stderr, "@@oracle error drained %d invocations of %d\n", len(invs), n)
		}
		reqs, serve := requests(index, seed, mux, routes, n/2)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < max(len(invs), len(reqs)); i += workers {
					if i < len(invs) {
						invs[i].Run()
						runtime.Gosched()
					}
					if i < len(reqs) {
						serve.ServeHTTP(httptest.NewRecorder(), reqs[i])
						runtime.Gosched()
					}
				}
			}()
		}
		wg.Wait()
	default:
		table := *t
		if mode == "scheduled" {
			checkTable(t, handlers, newConn, schedule)
		} else {
			table.Handlers = map[string]loop.Constraint{}
			for name, c := range t.Handlers {
				switch mode {
				case "nohue":
					c.Hue = 0
				case "nocolor":
					c.Colored = false
				case "unconstrained":
					c = loop.Constraint{}
				default:
					fmt.Fprintf(os.Stderr, "@@oracle error unknown mode %s\n", mode)
					os.Exit(2)
				}
				table.Handlers[name] = c
			}
		}
		l := loop.New(loop.WithTable(table), loop.WithWorkers(workers))
		ctxs := []C{newConn(0), newConn(1), newConn(2)}
		if mode == "nocolor" {
			// Only context conflicts may race here: on one context,
			// every pair of invocations may.
			ctxs = ctxs[:1]
		}
		for i := 0; i < n; i++ {
			schedule(l, r.IntN(handlers), ctxs[r.IntN(len(ctxs))])
		}
		loop.Post(l, stop, 0)
		if err := l.Run(context.Background()); err != loop.ErrStopped {
			fmt.Fprintf(os.Stderr, "@@oracle error Run: %v\n", err)
		}
	}
}

// requests makes n requests of the program's routes, and its mux (none
// if it has no net/http handler). The routes are drawn from a stream of
// their own: the loop's invocations are what they were without them.
func requests(index int, seed uint64, mux func() http.Handler, routes []string, n int) ([]*http.Request, http.Handler) {
	if mux == nil {
		return nil, nil
	}
	r := rand.New(rand.NewPCG(seed^0x68747470, uint64(index)))
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", routes[r.IntN(len(routes))], nil)
	}
	return reqs, mux()
}

// checkTable says if the table would not be used as generated: a table
// that does not match its sources, or that misses a handler, makes the loop
// run handlers exclusively, and the scheduled mode would prove nothing.
func checkTable[C any](t *loop.Table, handlers int, newConn func(int) C, schedule func(*loop.Loop, int, C)) {
	if t.Sources == nil {
		fmt.Fprintln(os.Stderr, "@@oracle error no table registered")
		return
	}
	if h, err := loop.HashSources(t.Sources, t.Files); err != nil || h != t.Hash {
		fmt.Fprintf(os.Stderr, "@@oracle error table does not match its sources (%v)\n", err)
	}
	l := loop.New(loop.Serial())
	for k := 0; k < handlers; k++ {
		schedule(l, k, newConn(0))
	}
	l.Stop()
	for _, inv := range l.Drain() {
		if _, ok := t.Handlers[inv.Handler]; !ok {
			fmt.Fprintf(os.Stderr, "@@oracle error handler %s is not in the table\n", inv.Handler)
		}
	}
}
