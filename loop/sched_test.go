package loop_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"math/rand"
	"os"
	"os/exec"
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

// run runs l until it stops, failing the test if that takes a minute (a
// deadlock: no timing is asserted).
func run(t testing.TB, l *loop.Loop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.Run(ctx); !errors.Is(err, loop.ErrStopped) {
		t.Fatalf("Run = %v, want ErrStopped", err)
	}
}

// meet returns a function that n goroutines call: it reports whether all
// n were inside it at once. The timeout only keeps a failing test from
// hanging; the answer never depends on timing.
func meet(n int) func() bool {
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	return func() bool {
		arrived.Done()
		select {
		case <-all:
			return true
		case <-time.After(20 * time.Second):
			return false
		}
	}
}

type ctxA struct{ id int }

var ctxs = [8]ctxA{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}

// The overlap checker: per hue and per color, how many invocations run at
// once, counted at entry and exit of each handler.
type checker struct {
	cons     map[string]loop.Constraint
	hue      [8]atomic.Int32
	color    [len(ctxs)]atomic.Int32
	all      atomic.Int32
	excl     atomic.Int32
	ran      atomic.Int64
	violated atomic.Value
}

func (k *checker) enter(name string, c *ctxA) func() {
	con, ok := k.cons[name]
	if !ok {
		// Exclusive: mark first, then count; a handler entering at the
		// same time sees the mark, or is seen by the count.
		k.excl.Add(1)
		if k.all.Add(1) != 1 {
			k.violated.Store(name + " (exclusive) overlapped another handler")
		}
	} else {
		k.all.Add(1)
		if k.excl.Load() != 0 {
			k.violated.Store(name + " overlapped an exclusive handler")
		}
	}
	if ok && con.Hue > 0 && k.hue[con.Hue].Add(1) != 1 {
		k.violated.Store(fmt.Sprintf("two invocations of hue %d overlapped (%s)", con.Hue, name))
	}
	if ok && con.Colored && k.color[c.id].Add(1) != 1 {
		k.violated.Store(fmt.Sprintf("two colored invocations on context %d overlapped (%s)", c.id, name))
	}
	return func() {
		if ok && con.Colored {
			k.color[c.id].Add(-1)
		}
		if ok && con.Hue > 0 {
			k.hue[con.Hue].Add(-1)
		}
		k.all.Add(-1)
		if !ok {
			k.excl.Add(-1)
		}
		k.ran.Add(1)
	}
}

var chk *checker

func work() {
	for i := 0; i < 50; i++ {
		runtime.Gosched()
	}
}

func h0(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h0), c)(); work() }
func h1(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h1), c)(); work() }
func h2(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h2), c)(); work() }
func h3(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h3), c)(); work() }
func h4(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h4), c)(); work() }
func h5(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h5), c)(); work() }
func h6(l *loop.Loop, c *ctxA) { defer chk.enter(nameOf(h6), c)(); work() }

// h7 posts a follow-up, as handlers of a request pipeline do (Figure 1 of
// the paper: each stage posts the next).
func h7(l *loop.Loop, c *ctxA) {
	defer chk.enter(nameOf(h7), c)()
	work()
	loop.Post(l, h0, &ctxs[(c.id+1)%len(ctxs)])
}

var hs = []func(*loop.Loop, *ctxA){h0, h1, h2, h3, h4, h5, h6, h7}

// The paper's guarantee: no two invocations of one hue, or of one color,
// ever overlap, and (safe by default) a handler missing from the table
// overlaps nothing. Over many random tables, posted from several goroutines
// and from handlers.
func TestSchedulerNeverOverlapsConflicts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const posters, per = 6, 60
	for round := 0; round < 40; round++ {
		cons := map[string]loop.Constraint{}
		for _, h := range hs {
			if rng.Intn(6) == 0 {
				continue // missing from the table: exclusive
			}
			cons[nameOf(h)] = loop.Constraint{Hue: rng.Intn(4), Colored: rng.Intn(2) == 0}
		}
		chk = &checker{cons: cons}
		l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(2+round%4))
		var posted atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < posters; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				r := rand.New(rand.NewSource(int64(round*100 + g)))
				for i := 0; i < per; i++ {
					h := hs[r.Intn(len(hs))]
					posted.Add(1)
					if nameOf(h) == nameOf(h7) {
						posted.Add(1) // and its follow-up
					}
					loop.Post(l, h, &ctxs[r.Intn(len(ctxs))])
				}
			}(g)
		}
		go func() {
			wg.Wait()
			for chk.ran.Load() < posted.Load() {
				runtime.Gosched()
			}
			l.Stop()
		}()
		run(t, l)
		if v := chk.violated.Load(); v != nil {
			t.Fatalf("round %d, table %v: %v", round, cons, v)
		}
		if got, want := chk.ran.Load(), posted.Load(); got != want {
			t.Fatalf("round %d: ran %d of %d", round, got, want)
		}
	}
}

// An exclusive invocation is a barrier: what was posted before it has
// finished when it starts, and nothing posted after it has started.
func TestExclusiveIsABarrier(t *testing.T) {
	free := func(l *loop.Loop, c *atomic.Int64) { work(); c.Add(1) }
	var before, after atomic.Int64
	var bad atomic.Value
	var running atomic.Int32
	round := 0
	excl := func(l *loop.Loop, want int64) {
		if running.Add(1) != 1 {
			bad.Store("an exclusive handler overlapped another")
		}
		if n := before.Load(); n != want {
			bad.Store(fmt.Sprintf("exclusive #%d started after %d of the %d invocations posted before it", round, n, want))
		}
		if n := after.Load(); n != 0 {
			bad.Store(fmt.Sprintf("%d invocations posted after an exclusive one ran before it", n))
		}
		round++
		running.Add(-1)
	}
	cons := map[string]loop.Constraint{nameOf(free): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(4))
	for i := 1; i <= 5; i++ {
		for j := 0; j < 40; j++ {
			loop.Post(l, free, &before)
		}
		loop.Post(l, excl, int64(40*i))
	}
	for j := 0; j < 40; j++ {
		loop.Post(l, free, &after)
	}
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	if before.Load() != 200 || after.Load() != 40 {
		t.Fatalf("ran %d + %d of 240", before.Load(), after.Load())
	}
}

// Each hue and each color runs its invocations in the order posted (the
// handlers are closures of one function literal: one runtime name, one
// constraint).
func TestHueAndColorKeepPostedOrder(t *testing.T) {
	var hueSeen, colorSeen []int
	hued := func(i int) func(*loop.Loop, int) {
		return func(*loop.Loop, int) { hueSeen = append(hueSeen, i); work() }
	}
	colored := func(i int) func(*loop.Loop, *ctxA) {
		return func(*loop.Loop, *ctxA) { colorSeen = append(colorSeen, i); work() }
	}
	cons := map[string]loop.Constraint{
		nameOf(hued(0)):    {Hue: 1},
		nameOf(colored(0)): {Hue: 2, Colored: true},
	}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(4))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // while the loop runs
		defer wg.Done()
		for i := 0; i < 100; i++ {
			loop.Post(l, hued(i), i)
			loop.Post(l, colored(i), &ctxs[0])
		}
		loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0) // exclusive: after all of them
	}()
	run(t, l)
	wg.Wait()
	if fmt.Sprint(hueSeen) != fmt.Sprint(seq(100)) {
		t.Errorf("hue 1 ran out of order: %v", hueSeen)
	}
	if fmt.Sprint(colorSeen) != fmt.Sprint(seq(100)) {
		t.Errorf("color ran out of order: %v", colorSeen)
	}
}

// A worker runs the hue successor of the invocation it finished itself,
// but not forever: a hue that is never idle (a handler that posts itself
// again) does not starve the other invocations, even with one worker.
func TestBusyHueDoesNotStarve(t *testing.T) {
	var otherRan atomic.Bool
	var again func(*loop.Loop, int)
	again = func(l *loop.Loop, n int) {
		if !otherRan.Load() {
			loop.Post(l, again, n+1)
		}
	}
	other := func(l *loop.Loop, _ int) { otherRan.Store(true); l.Stop() }
	cons := map[string]loop.Constraint{nameOf(again): {Hue: 1}, nameOf(other): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(1))
	loop.Post(l, again, 0)
	loop.Post(l, again, 0)
	loop.Post(l, other, 0) // no exclusive handler here: it would hold back the posts
	run(t, l)
	if !otherRan.Load() {
		t.Fatal("the other handler never ran")
	}
}

// A worker follows a chain of slow handlers (a connection's disk-bound
// sends, each reposting itself on the same context) for no longer than
// its time slice once another invocation waits: one handler that sleeps
// longer than the slice is enough, whatever the number of handlers. The
// first chain overruns by one send: the worker reads the clock at the
// start of a chain only for a handler it has seen to be slow, and times
// this one from its second send. The order is asserted, not a time: a
// sleep lasts at least what it is asked. Two workers (one alone runs
// everything in the order posted, with no chains), one of them held by
// a handler until the end.
func TestSlowChainYields(t *testing.T) {
	const sends = 4
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	a, b := &ctxA{id: 0}, &ctxA{id: 10}
	held, release := make(chan struct{}), make(chan struct{})
	hold := func(*loop.Loop, int) { close(held); <-release }
	var other func(*loop.Loop, string)
	var send func(*loop.Loop, *ctxA)
	send = func(l *loop.Loop, c *ctxA) {
		note(fmt.Sprint("send", c.id))
		if c.id%10 == 0 {
			loop.Post(l, other, fmt.Sprint("other", c.id)) // waits for the only free worker
		}
		time.Sleep(time.Millisecond) // longer than the slice (0.5 ms)
		switch c.id++; {
		case c.id%10 < sends:
			loop.Post(l, send, c) // the next of its color: the worker's to follow
		case c == a:
			loop.Post(l, send, b) // the second chain, once the first is done
		default:
			close(release)
			l.Stop()
		}
	}
	other = func(_ *loop.Loop, s string) { note(s) }
	cons := map[string]loop.Constraint{nameOf(send): {Colored: true}, nameOf(other): {}, nameOf(hold): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(2))
	loop.Post(l, hold, 0)
	go func() { <-held; loop.Post(l, send, a) }()
	run(t, l)
	want := "[send0 send1 other0 send2 send3 send10 other10 send11 send12 send13]"
	if got := fmt.Sprint(order); got != want {
		t.Errorf("ran %s\nwant %s: the worker should leave a chain after one slow handler (two, before it knows the handler)", got, want)
	}
}

// One worker runs invocations one at a time in the order posted, whatever
// the table: a chain does not pass what waits (the order asserted above
// does not hold, by design).
func TestSingleWorkerRunsInOrderPosted(t *testing.T) {
	var order []string
	var send, other func(*loop.Loop, *ctxA)
	send = func(l *loop.Loop, c *ctxA) {
		order = append(order, fmt.Sprint("send", c.id))
		if c.id == 0 {
			loop.Post(l, other, c)
		}
		if c.id++; c.id < 3 {
			loop.Post(l, send, c)
		} else {
			l.Stop()
		}
	}
	other = func(l *loop.Loop, c *ctxA) { order = append(order, "other") }
	cons := map[string]loop.Constraint{nameOf(send): {Colored: true}, nameOf(other): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(1))
	loop.Post(l, send, &ctxA{})
	run(t, l)
	if got, want := fmt.Sprint(order), "[send0 other send1 send2]"; got != want {
		t.Errorf("ran %s, want %s", got, want)
	}
}

// A single worker that ran out of work and parked is woken by what is
// posted next from outside, however the posts race with its taking
// them. Two producers post bursts and wait for each to run before the
// next, so that the worker parks between them; a lost wake-up leaves a
// burst unrun and the test times out (as it did when only a post that
// made the queue hold two signalled).
func TestSingleWorkerWakesForBursts(t *testing.T) {
	h := func(_ *loop.Loop, wg *sync.WaitGroup) { wg.Done() }
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {}})), loop.WithWorkers(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var producers sync.WaitGroup
	for p := range 2 {
		producers.Add(1)
		go func() {
			defer producers.Done()
			for burst := range 100 {
				var wg sync.WaitGroup
				n := 1 + (burst+p)%3
				wg.Add(n)
				for range n {
					loop.Post(l, h, &wg)
				}
				wg.Wait()
				time.Sleep(200 * time.Microsecond) // long enough to park, mostly
			}
		}()
	}
	waited := make(chan struct{})
	go func() { producers.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		t.Fatal("a burst never ran: the worker was not woken")
	}
	if err := l.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, loop.ErrStopped) {
		t.Fatalf("Run = %v, want ErrStopped", err)
	}
}

// Handlers of hue 0 that are not colored run in parallel: two of them wait
// for each other, which only completes if both run at once.
func TestIndependentHandlersRunInParallel(t *testing.T) {
	together := meet(2)
	var met atomic.Int32
	h := func(l *loop.Loop, _ int) {
		if together() {
			met.Add(1)
		}
	}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {}})), loop.WithWorkers(2))
	loop.Post(l, h, 1)
	loop.Post(l, h, 2)
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0) // exclusive: after both
	run(t, l)
	if met.Load() != 2 {
		t.Fatal("two independent handlers did not run at the same time")
	}
}

// Colored handlers on different contexts run in parallel, on the same
// context never; a context is colored by address if it is a pointer, by
// value if comparable, and by type otherwise; an interface context by its
// dynamic value.
func TestColors(t *testing.T) {
	type pair struct{ a, b int }
	var busy sync.Map // color → *atomic.Int32
	var bad atomic.Value
	enter := func(key any) func() {
		v, _ := busy.LoadOrStore(key, new(atomic.Int32))
		n := v.(*atomic.Int32)
		if n.Add(1) != 1 {
			bad.Store(fmt.Sprintf("two invocations on color %v overlapped", key))
		}
		work()
		return func() { n.Add(-1) }
	}
	byPtr := func(l *loop.Loop, c *ctxA) { defer enter(c)() }
	byIface := func(l *loop.Loop, c any) { defer enter(c)() }
	byVal := func(l *loop.Loop, c pair) { defer enter(c)() }
	bySlice := func(l *loop.Loop, c []int) { defer enter("slices")() }
	byNilIface := func(l *loop.Loop, c error) { defer enter("nil errors")() }
	cons := map[string]loop.Constraint{}
	for _, h := range []any{byPtr, byIface, byVal, bySlice, byNilIface} {
		cons[nameOf(h)] = loop.Constraint{Colored: true}
	}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(4))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				c := &ctxs[(g+i)%2]
				loop.Post(l, byPtr, c)
				loop.Post(l, byIface, any(c)) // same color as byPtr on c
				loop.Post(l, byVal, pair{i % 2, 1})
				loop.Post(l, bySlice, make([]int, 1)) // distinct slices, one color
				loop.Post(l, byNilIface, nil)         // one color for nil
			}
		}(g)
	}
	wg.Wait()
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}

	// Different colors do run at once.
	together := meet(2)
	var met atomic.Int32
	h := func(l *loop.Loop, _ int) {
		if together() {
			met.Add(1)
		}
	}
	l = loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {Colored: true}})), loop.WithWorkers(2))
	loop.Post(l, h, 1)
	loop.Post(l, h, 2)
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	if met.Load() != 2 {
		t.Fatal("colored handlers on different contexts did not run at the same time")
	}
}

// WithWorkers bounds how many handlers run at once, and that many do.
func TestWorkers(t *testing.T) {
	for _, n := range []int{1, 3} {
		var running, most atomic.Int32
		together := meet(n)
		var met atomic.Int32
		h := func(l *loop.Loop, first bool) {
			r := running.Add(1)
			for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
			}
			if first && together() {
				met.Add(1)
			}
			work()
			running.Add(-1)
		}
		l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {}})), loop.WithWorkers(n))
		for i := 0; i < n; i++ {
			loop.Post(l, h, true)
		}
		for i := 0; i < 100; i++ {
			loop.Post(l, h, false)
		}
		loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
		run(t, l)
		if most.Load() > int32(n) {
			t.Errorf("WithWorkers(%d): %d handlers ran at once", n, most.Load())
		}
		if met.Load() != int32(n) {
			t.Errorf("WithWorkers(%d): the %d workers did not all run handlers at once", n, n)
		}
	}
}

// captureLog redirects package log for the test.
func captureLog(t *testing.T) *syncBuffer {
	var buf syncBuffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })
	return &buf
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var staleRun atomic.Int64

// A table that does not vouch for its sources (changed, missing, or not
// embedded) is ignored: handlers it says are independent run one at a
// time, in order, and the loop says so once, however many loops use it.
func TestStaleTableRunsSerially(t *testing.T) {
	const line = "safels: constraint table is stale (sources changed since `safels gen`); running handlers one at a time. Run `go generate` to refresh."
	for _, tc := range []struct {
		name  string
		spoil func(*loop.Table)
	}{
		{"changed", func(tab *loop.Table) {
			tab.Sources = fstest.MapFS{"a.go": {Data: []byte("package a // edited")}}
		}},
		{"missing file", func(tab *loop.Table) { tab.Files = append(tab.Files, "b.go") }},
		{"no sources", func(tab *loop.Table) { tab.Sources = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logged := captureLog(t)
			var busy, overlaps atomic.Int32
			var order []int
			h := func(l *loop.Loop, i int) {
				if busy.Add(1) != 1 {
					overlaps.Add(1)
				}
				order = append(order, i) // never overlapping: no race
				work()
				busy.Add(-1)
			}
			// The loop reports a table once per program; make this one
			// new to the program (go test -count=N).
			fsys := fstest.MapFS{"a.go": {Data: []byte(fmt.Sprintf("package a // %d", staleRun.Add(1)))}}
			hash, _ := loop.HashSources(fsys, []string{"a.go"})
			tab := loop.Table{Hash: hash, Files: []string{"a.go"}, Sources: fsys,
				Handlers: map[string]loop.Constraint{nameOf(h): {}}}
			tc.spoil(&tab)
			for round := 0; round < 3; round++ {
				order = nil
				l := loop.New(loop.WithTable(tab), loop.WithWorkers(4))
				for i := 0; i < 50; i++ {
					loop.Post(l, h, i)
				}
				loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
				run(t, l)
				if overlaps.Load() != 0 {
					t.Fatalf("%d overlaps under a stale table", overlaps.Load())
				}
				if fmt.Sprint(order) != fmt.Sprint(seq(50)) {
					t.Fatalf("ran out of order under a stale table: %v", order)
				}
			}
			if got := logged.String(); got != line+"\n" {
				t.Errorf("logged %q, want this line once: %q", got, line)
			}
		})
	}
	// A valid table is not reported.
	logged := captureLog(t)
	loop.New(loop.WithTable(table(t, nil)))
	if got := logged.String(); got != "" {
		t.Errorf("a valid table: logged %q", got)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// HashSources is what `safels gen` writes into the table: it must not
// change, or every generated table turns stale.
func TestHashSourcesIsStable(t *testing.T) {
	fsys := fstest.MapFS{
		"a.go":     {Data: []byte("package a\n")},
		"sub/b.go": {Data: []byte("package a\n\nvar x = 1\n")},
	}
	got, err := loop.HashSources(fsys, []string{"a.go", "sub/b.go"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("a.go\x00package a\n\x00sub/b.go\x00package a\n\nvar x = 1\n\x00"))
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("HashSources = %s, want %s", got, want)
	}
	// The same, written down: tables generated today must verify tomorrow.
	if golden := "ce49718da4bf193b03e6a5c92a20dd4e2c516e32418ae2fb8a3385fa9275c039"; got != golden {
		t.Errorf("HashSources = %s, want %s", got, golden)
	}
	if again, _ := loop.HashSources(fsys, []string{"a.go", "sub/b.go"}); again != got {
		t.Error("HashSources is not deterministic")
	}
	if swapped, _ := loop.HashSources(fsys, []string{"sub/b.go", "a.go"}); swapped == got {
		t.Error("HashSources ignores the order of files")
	}
	// The separators matter: moving bytes from a name into the content
	// changes the hash.
	moved := fstest.MapFS{"a.g": {Data: []byte("opackage a\n")}, "sub/b.go": fsys["sub/b.go"]}
	if h, _ := loop.HashSources(moved, []string{"a.g", "sub/b.go"}); h == got {
		t.Error("HashSources confuses names and contents")
	}
	if _, err := loop.HashSources(fsys, []string{"missing.go"}); err == nil {
		t.Error("HashSources of a missing file: no error")
	}
}

// Stop loses nothing: what did not run is returned by Drain, in order;
// Drain waits for Run to return (called while the handler that stopped the
// loop still runs, it would otherwise find the loop running).
func TestDrainReturnsWhatDidNotRun(t *testing.T) {
	l := loop.New()
	var ran []int
	stopped, proceed := make(chan struct{}), make(chan struct{})
	h := func(l *loop.Loop, i int) {
		ran = append(ran, i)
		if i == 3 {
			l.Stop()
			close(stopped)
			<-proceed
		}
	}
	for i := 0; i < 10; i++ {
		loop.Post(l, h, i)
	}
	drained := make(chan []loop.Invocation)
	go func() {
		<-stopped
		go func() { drained <- l.Drain() }()
		close(proceed)
	}()
	run(t, l)
	rest := <-drained
	if len(ran)+len(rest) != 10 || len(ran) != 4 {
		t.Fatalf("ran %v, drained %d", ran, len(rest))
	}
	for _, inv := range rest {
		if inv.Handler != nameOf(h) {
			t.Errorf("drained handler %q, want %q", inv.Handler, nameOf(h))
		}
		inv.Run()
	}
	if fmt.Sprint(ran) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Errorf("after running the drained invocations: %v", ran)
	}
	if l.Drain() != nil {
		t.Error("a second Drain returned something")
	}
}

// Under the scheduler, with posts racing with Stop: every invocation whose
// Post returned before Stop was called either ran or is drained, exactly
// once.
func TestDrainLosesNothing(t *testing.T) {
	for round := 0; round < 20; round++ {
		var seen sync.Map // id → times run
		var stopping atomic.Bool
		var must sync.Map // ids posted before Stop
		body := func(id int) {
			n, _ := seen.LoadOrStore(id, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			work()
		}
		// Closures of one literal share a runtime name, so a constraint;
		// each carries its id, and they share a few contexts (colors).
		free := func(id int) func(*loop.Loop, *ctxA) { return func(*loop.Loop, *ctxA) { body(id) } }
		hued := func(id int) func(*loop.Loop, *ctxA) { return func(*loop.Loop, *ctxA) { body(id) } }
		colored := func(id int) func(*loop.Loop, *ctxA) { return func(*loop.Loop, *ctxA) { body(id) } }
		both := func(id int) func(*loop.Loop, *ctxA) { return func(*loop.Loop, *ctxA) { body(id) } }
		excl := func(id int) func(*loop.Loop, *ctxA) { return func(*loop.Loop, *ctxA) { body(id) } }
		cons := map[string]loop.Constraint{
			nameOf(free(0)): {}, nameOf(hued(0)): {Hue: 1},
			nameOf(colored(0)): {Colored: true}, nameOf(both(0)): {Hue: 2, Colored: true},
		}
		kinds := []func(int) func(*loop.Loop, *ctxA){free, hued, colored, both, excl}
		// A single worker runs from what it took from inject at once;
		// several, from their queues and the color and hue queues.
		workers := []int{3, 1}[round%2]
		l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(workers))
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					id := g*1000 + i
					loop.Post(l, kinds[(g+i)%len(kinds)](id), &ctxs[id%3])
					if !stopping.Load() {
						must.Store(id, true)
					}
				}
			}(g)
		}
		go func() {
			for i := 0; i < 20*round; i++ {
				runtime.Gosched()
			}
			stopping.Store(true)
			l.Stop()
		}()
		run(t, l)
		wg.Wait()
		for _, inv := range l.Drain() {
			inv.Run()
		}
		must.Range(func(id, _ any) bool {
			n, ok := seen.Load(id)
			if !ok {
				t.Fatalf("round %d (%d workers): invocation %v posted before Stop neither ran nor was drained", round, workers, id)
			}
			if k := n.(*atomic.Int32).Load(); k != 1 {
				t.Fatalf("round %d: invocation %v ran %d times", round, id, k)
			}
			return true
		})
		seen.Range(func(id, n any) bool {
			if k := n.(*atomic.Int32).Load(); k != 1 {
				t.Fatalf("round %d: invocation %v ran %d times", round, id, k)
			}
			return true
		})
	}
}

// A stopped loop that never ran gives back everything posted before Stop.
func TestDrainWithoutRun(t *testing.T) {
	h := func(l *loop.Loop, i int) {}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {Hue: 1}})))
	for i := 0; i < 5; i++ {
		loop.Post(l, h, i)
	}
	loop.Post(l, func(l *loop.Loop, i int) {}, 5) // exclusive
	loop.Post(l, h, 6)
	l.Stop()
	loop.Post(l, h, 7) // after Stop: dropped
	if got := len(l.Drain()); got != 7 {
		t.Fatalf("drained %d, want 7", got)
	}
}

// A panicking handler is reported with its name and the loop goes on; what
// the handler held (its hue, its color) is released.
func TestPanicIsReported(t *testing.T) {
	var got bytes.Buffer
	var mu sync.Mutex
	boom := func(l *loop.Loop, c *ctxA) { panic("boom") }
	after := 0
	next := func(l *loop.Loop, c *ctxA) { after++ }
	cons := map[string]loop.Constraint{nameOf(boom): {Hue: 1, Colored: true}, nameOf(next): {Hue: 1, Colored: true}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithPanicHandler(func(h string, v any, stack []byte) {
		mu.Lock()
		fmt.Fprintf(&got, "%s: %v\n%s", h, v, stack)
		mu.Unlock()
	}))
	for i := 0; i < 3; i++ {
		loop.Post(l, boom, &ctxs[0])
		loop.Post(l, next, &ctxs[0])
	}
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	mu.Lock()
	defer mu.Unlock()
	if after != 3 || strings.Count(got.String(), nameOf(boom)+": boom") != 3 {
		t.Errorf("after=%d report %q", after, got.String())
	}
	if !strings.Contains(got.String(), "panic") || !strings.Contains(got.String(), "sched_test.go") {
		t.Errorf("the report has no stack of the panic: %q", got.String())
	}
}

// By default a panic is logged, and the loop goes on.
func TestPanicLoggedByDefault(t *testing.T) {
	logged := captureLog(t)
	boom := func(l *loop.Loop, _ int) { panic("kaboom") }
	l := loop.New()
	loop.Post(l, boom, 0)
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	if s := logged.String(); !strings.Contains(s, nameOf(boom)) || !strings.Contains(s, "kaboom") {
		t.Errorf("logged %q", s)
	}
}

// A handler that ends its goroutine (runtime.Goexit, as t.FailNow does)
// does not stop the loop nor keep its hue.
func TestGoexitInHandler(t *testing.T) {
	quit := func(l *loop.Loop, _ int) { runtime.Goexit() }
	ran := 0
	next := func(l *loop.Loop, _ int) { ran++ }
	cons := map[string]loop.Constraint{nameOf(quit): {Hue: 1}, nameOf(next): {Hue: 1}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(1))
	for i := 0; i < 3; i++ {
		loop.Post(l, quit, i)
		loop.Post(l, next, i)
	}
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	if ran != 3 {
		t.Errorf("ran %d of 3 handlers after Goexit", ran)
	}
}

// A handler that panics, or ends its goroutine, in the middle of its
// color's chain breaks the chain, not the color's order: what was posted
// on the color after it runs after it, in the order posted, with one
// worker or several (a worker recovers once for all the handlers it runs,
// and puts what the failed one made runnable in its queue).
func TestFailingHandlerKeepsColorOrder(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			var order []string // under the color: its handlers never overlap
			ok := func(l *loop.Loop, c *ctxA) { order = append(order, "ok") }
			boom := func(l *loop.Loop, c *ctxA) { order = append(order, "boom"); panic("boom") }
			quit := func(l *loop.Loop, c *ctxA) { order = append(order, "quit"); runtime.Goexit() }
			cons := map[string]loop.Constraint{nameOf(ok): {Colored: true}, nameOf(boom): {Colored: true}, nameOf(quit): {Colored: true}}
			var panics atomic.Int32
			l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(workers),
				loop.WithPanicHandler(func(string, any, []byte) { panics.Add(1) }))
			var want []string
			for i := 0; i < 40; i++ {
				h, name := ok, "ok"
				switch i % 7 {
				case 2:
					h, name = boom, "boom"
				case 5:
					h, name = quit, "quit"
				}
				loop.Post(l, h, &ctxs[0])
				want = append(want, name)
			}
			loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0) // exclusive: after all of them
			run(t, l)
			if got := fmt.Sprint(order); got != fmt.Sprint(want) {
				t.Errorf("ran %s\nwant %s", got, want)
			}
			if n := strings.Count(fmt.Sprint(want), "boom"); panics.Load() != int32(n) {
				t.Errorf("%d panics reported, want %d", panics.Load(), n)
			}
		})
	}
}

// WithCrashOnPanic: a handler's panic crashes the program (checked in a
// child process).
func TestCrashOnPanic(t *testing.T) {
	if os.Getenv("LOOP_TEST_CRASH") == "1" {
		l := loop.New(loop.WithCrashOnPanic())
		loop.Post(l, func(l *loop.Loop, _ int) { panic("crash-boom") }, 0)
		l.Run(context.Background())
		os.Exit(0) // not reached
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashOnPanic$")
	cmd.Env = append(os.Environ(), "LOOP_TEST_CRASH=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the program did not crash: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "panic: crash-boom") || !strings.Contains(string(out), "TestCrashOnPanic") {
		t.Errorf("crash output:\n%s", out)
	}
}

// Serial ignores a valid table.
func TestSerialOption(t *testing.T) {
	var busy, overlaps atomic.Int32
	var order []int
	h := func(l *loop.Loop, i int) {
		if busy.Add(1) != 1 {
			overlaps.Add(1)
		}
		order = append(order, i)
		work()
		busy.Add(-1)
	}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {}})), loop.Serial(), loop.WithWorkers(4))
	for i := 0; i < 50; i++ {
		loop.Post(l, h, i)
	}
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	run(t, l)
	if overlaps.Load() != 0 || fmt.Sprint(order) != fmt.Sprint(seq(50)) {
		t.Errorf("Serial: %d overlaps, order %v", overlaps.Load(), order)
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

// More runnable invocations than the run queue's channel holds: they wait
// in its overflow, all run, and a Stop while the channel is full (no room
// for the nils that wake the workers) still stops the workers, and loses
// nothing.
func TestManyQueued(t *testing.T) {
	const n = 5000
	var ran atomic.Int64
	var order []int
	var mu sync.Mutex
	h := func(l *loop.Loop, i int) {
		mu.Lock()
		order = append(order, i)
		mu.Unlock()
		if ran.Add(1) == n/2 {
			l.Stop()
		}
	}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {}})), loop.WithWorkers(3))
	for i := 0; i < n; i++ {
		loop.Post(l, h, i)
	}
	run(t, l)
	rest := l.Drain()
	if got := ran.Load() + int64(len(rest)); got != n {
		t.Fatalf("ran %d + drained %d, want %d", ran.Load(), len(rest), n)
	}
	for _, inv := range rest {
		inv.Run()
	}
	seenAll := make([]bool, n)
	for _, i := range order {
		if seenAll[i] {
			t.Fatalf("invocation %d ran twice", i)
		}
		seenAll[i] = true
	}

	// Stopped before Run: Drain gives them back in the order posted.
	l = loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {}})))
	ran.Store(0)
	order = nil
	for i := 0; i < n; i++ {
		loop.Post(l, h, i)
	}
	l.Stop()
	rest = l.Drain()
	if len(rest) != n {
		t.Fatalf("drained %d of %d", len(rest), n)
	}
	for _, inv := range rest {
		inv.Run()
	}
	if fmt.Sprint(order) != fmt.Sprint(seq(n)) {
		t.Error("drained out of order")
	}
}

// A registered table that names none of the handlers a loop looks up (one
// keyed "main.f" in a test binary, which names package main by its import
// path) is reported, once however many loops use it, rather than leaving
// every handler to run alone in silence; one that names the first handler
// posted is not, though it misses later ones (those run alone, as
// handlers outside the analysed package may).
func TestUnmatchedTableIsReported(t *testing.T) {
	if mode := os.Getenv("LOOP_TEST_UNMATCHED"); mode != "" {
		h := func(*loop.Loop, int) {}
		g := func(*loop.Loop, int) {}
		key := "main.handleSend" // a program's name, not this binary's
		if mode == "match" {
			key = nameOf(h)
		}
		loop.Register(table(t, map[string]loop.Constraint{key: {}}))
		for range 2 {
			l := loop.New()
			loop.Post(l, h, 0)
			loop.Post(l, g, 0)
			loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
			run(t, l)
		}
		os.Exit(0)
	}
	for mode, want := range map[string]int{"miss": 1, "match": 0} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnmatchedTableIsReported$")
		cmd.Env = append(os.Environ(), "LOOP_TEST_UNMATCHED="+mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, out)
		}
		if got := strings.Count(string(out), "is not in the constraint table"); got != want {
			t.Errorf("%s: reported %d times, want %d:\n%s", mode, got, want, out)
		}
	}
}

// A producer outside the loop that posts in a tight loop, far more than
// the loop runs meanwhile, yields its processor every so many posts (so
// that the workers sharing it run them while they are in cache): with one
// processor and with two, one worker and several, every invocation runs
// once, and each color's and each hue's run in the order posted.
func TestLongProducerKeepsOrder(t *testing.T) {
	const n = 5*1024 + 7
	for _, procs := range []int{1, 2} {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("procs=%d/workers=%d", procs, workers), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				var colorSeen [len(ctxs)][]int
				var hueSeen []int
				var free atomic.Int64
				// The i-th invocation posted on its color, as a closure: one
				// handler for the table.
				colored := func(i int) func(*loop.Loop, *ctxA) {
					return func(_ *loop.Loop, c *ctxA) { colorSeen[c.id] = append(colorSeen[c.id], i) }
				}
				hued := func(_ *loop.Loop, i int) { hueSeen = append(hueSeen, i) }
				uncolored := func(*loop.Loop, *ctxA) { free.Add(1) }
				cons := map[string]loop.Constraint{
					nameOf(colored(0)): {Colored: true},
					nameOf(hued):       {Hue: 1},
					nameOf(uncolored):  {},
				}
				l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(workers))
				done := make(chan error, 1)
				go func() { done <- l.Run(context.Background()) }()
				var want [len(ctxs)]int
				nhue, nfree := 0, 0
				for i := 0; i < n; i++ {
					switch c := &ctxs[i%len(ctxs)]; i % 5 {
					case 0:
						loop.Post(l, hued, nhue)
						nhue++
					case 1:
						loop.Post(l, uncolored, c)
						nfree++
					default:
						loop.Post(l, colored(want[c.id]), c)
						want[c.id]++
					}
				}
				if err := l.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				<-done
				for id := range ctxs {
					if fmt.Sprint(colorSeen[id]) != fmt.Sprint(seq(want[id])) {
						t.Errorf("color %d ran %d invocations out of order or not all (want %d)", id, len(colorSeen[id]), want[id])
					}
				}
				if fmt.Sprint(hueSeen) != fmt.Sprint(seq(nhue)) {
					t.Errorf("hue ran %d invocations out of order or not all (want %d)", len(hueSeen), nhue)
				}
				if free.Load() != int64(nfree) {
					t.Errorf("uncolored ran %d, want %d", free.Load(), nfree)
				}
			})
		}
	}
}
