package loop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/safels/safels/loop"
)

func nameOf(h any) string { return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name() }

// table returns a valid table for the given constraints.
func table(t testing.TB, cs map[string]loop.Constraint) loop.Table {
	fsys := fstest.MapFS{"a.go": {Data: []byte("package a")}}
	h, err := loop.HashSources(fsys, []string{"a.go"})
	if err != nil {
		t.Fatal(err)
	}
	return loop.Table{Hash: h, Files: []string{"a.go"}, Sources: fsys, Handlers: cs}
}

type ctxA struct{ id int }

// Eight handlers; the overlap checker counts, per hue and per color, how
// many invocations run at once.
var (
	hueBusy   [4]atomic.Int32
	colorBusy [8]atomic.Int32
	allBusy   atomic.Int32
	exclBusy  atomic.Int32
	violation atomic.Value
	cons      map[string]loop.Constraint
	ran       atomic.Int64
)

func enter(name string, c *ctxA) func() {
	con, ok := cons[name]
	if exclBusy.Load() != 0 {
		violation.Store(name + " overlapped an exclusive handler")
	}
	n := allBusy.Add(1)
	if !ok {
		if exclBusy.Add(1) != 1 || n != 1 {
			violation.Store(name + " (exclusive) overlapped another handler")
		}
	}
	if ok && con.Hue > 0 && hueBusy[con.Hue].Add(1) != 1 {
		violation.Store(fmt.Sprintf("two invocations of hue %d overlapped (%s)", con.Hue, name))
	}
	if ok && con.Colored && colorBusy[c.id].Add(1) != 1 {
		violation.Store(fmt.Sprintf("two colored invocations on context %d overlapped (%s)", c.id, name))
	}
	return func() {
		if ok && con.Colored {
			colorBusy[c.id].Add(-1)
		}
		if ok && con.Hue > 0 {
			hueBusy[con.Hue].Add(-1)
		}
		if !ok {
			exclBusy.Add(-1)
		}
		allBusy.Add(-1)
		ran.Add(1)
	}
}

func work() {
	for i := 0; i < 200; i++ {
		runtime.Gosched()
	}
}

func h0(l *loop.Loop, c *ctxA) { defer enter(nameOf(h0), c)(); work() }
func h1(l *loop.Loop, c *ctxA) { defer enter(nameOf(h1), c)(); work() }
func h2(l *loop.Loop, c *ctxA) { defer enter(nameOf(h2), c)(); work() }
func h3(l *loop.Loop, c *ctxA) { defer enter(nameOf(h3), c)(); work() }
func h4(l *loop.Loop, c *ctxA) { defer enter(nameOf(h4), c)(); work() }
func h5(l *loop.Loop, c *ctxA) { defer enter(nameOf(h5), c)(); work() }

// No two invocations of one hue, or of one color, ever overlap, and an
// exclusive handler overlaps nothing: over many random tables, posted from
// several goroutines and from handlers.
func TestSchedulerNeverOverlapsConflicts(t *testing.T) {
	hs := []func(*loop.Loop, *ctxA){h0, h1, h2, h3, h4, h5}
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 30; round++ {
		cons = map[string]loop.Constraint{}
		for _, h := range hs {
			if rng.Intn(5) == 0 {
				continue // missing from the table: exclusive
			}
			cons[nameOf(h)] = loop.Constraint{Hue: rng.Intn(4), Colored: rng.Intn(2) == 0}
		}
		ran.Store(0)
		l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(4))
		const per = 4
		const total = per * 100
		var wg sync.WaitGroup
		for g := 0; g < per; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					loop.Post(l, hs[(g+i)%len(hs)], &ctxs[(g*7+i)%len(ctxs)])
				}
			}(g)
		}
		go func() {
			wg.Wait()
			for ran.Load() < total {
				time.Sleep(time.Millisecond)
			}
			l.Stop()
		}()
		if err := l.Run(context.Background()); !errors.Is(err, loop.ErrStopped) {
			t.Fatal(err)
		}
		if v := violation.Load(); v != nil {
			t.Fatalf("round %d, table %v: %v", round, cons, v)
		}
	}
}

var ctxs = [8]ctxA{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}

// Handlers of hue 0 that are not colored do run in parallel: two of them
// wait for each other, which only completes if both run at once.
func TestIndependentHandlersRunInParallel(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(2)
	met := make(chan bool, 2)
	meet := func(l *loop.Loop, _ int) {
		arrived.Done()
		done := make(chan struct{})
		go func() { arrived.Wait(); close(done) }()
		select {
		case <-done:
			met <- true
		case <-time.After(10 * time.Second):
			met <- false
		}
	}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(meet): {}})), loop.WithWorkers(2))
	loop.Post(l, meet, 1)
	loop.Post(l, meet, 2)
	go func() { <-met; <-met; l.Stop() }()
	l.Run(context.Background())
	arrived.Wait()
}

// A table whose sources changed is ignored: handlers run one at a time,
// and the loop says so (once per program).
func TestStaleTableRunsSerially(t *testing.T) {
	tab := table(t, nil)
	var busy, overlaps atomic.Int32
	h := func(l *loop.Loop, _ int) {
		if busy.Add(1) != 1 {
			overlaps.Add(1)
		}
		work()
		busy.Add(-1)
	}
	tab.Handlers = map[string]loop.Constraint{nameOf(h): {}}
	tab.Hash = strings.Repeat("0", 64) // not the sources' hash
	l := loop.New(loop.WithTable(tab), loop.WithWorkers(4))
	for i := 0; i < 200; i++ {
		loop.Post(l, h, i)
	}
	var n atomic.Int32
	loop.Post(l, func(l *loop.Loop, _ int) { n.Add(1); l.Stop() }, 0)
	l.Run(context.Background())
	if overlaps.Load() != 0 {
		t.Errorf("%d overlaps under a stale table", overlaps.Load())
	}
}

// Stop loses nothing: what did not run is returned by Drain, in order.
func TestDrainReturnsWhatDidNotRun(t *testing.T) {
	l := loop.New()
	var ran []int
	h := func(l *loop.Loop, i int) {
		ran = append(ran, i)
		if i == 3 {
			l.Stop()
		}
	}
	for i := 0; i < 10; i++ {
		loop.Post(l, h, i)
	}
	if l.Drain() != nil {
		t.Error("Drain before Run returned something")
	}
	l.Run(context.Background())
	rest := l.Drain()
	if len(ran)+len(rest) != 10 || len(ran) != 4 {
		t.Fatalf("ran %v, drained %d", ran, len(rest))
	}
	for _, inv := range rest {
		inv.Run()
	}
	if fmt.Sprint(ran) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Errorf("after running the drained invocations: %v", ran)
	}
}

// A panicking handler is reported with its name and the loop goes on.
func TestPanicIsReported(t *testing.T) {
	var got bytes.Buffer
	var mu sync.Mutex
	l := loop.New(loop.WithPanicHandler(func(h string, v any, stack []byte) {
		mu.Lock()
		fmt.Fprintf(&got, "%s: %v", h, v)
		mu.Unlock()
	}))
	boom := func(l *loop.Loop, _ int) { panic("boom") }
	after := false
	loop.Post(l, boom, 0)
	loop.Post(l, func(l *loop.Loop, _ int) { after = true; l.Stop() }, 0)
	l.Run(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if !after || !strings.Contains(got.String(), "TestPanicIsReported") || !strings.Contains(got.String(), "boom") {
		t.Errorf("after=%v report %q", after, got.String())
	}
}

// A program has one table: a second Register panics, with a message that
// says so. (Under -count=N the first call panics too: the table of the
// previous run is still registered.)
func TestRegisterTwicePanics(t *testing.T) {
	register := func() (v any) {
		defer func() { v = recover() }()
		loop.Register(table(t, nil)) // no handlers: every handler stays exclusive
		return nil
	}
	register()
	v := register()
	if v == nil {
		t.Fatal("a second Register did not panic")
	}
	if !strings.Contains(fmt.Sprint(v), "Register called twice") {
		t.Errorf("panic %q does not say why", v)
	}
}
