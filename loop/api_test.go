package loop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/safels/safels/loop"
)

// A colored invocation waits for the invocations of its color posted
// before it, even one that waits for its hue: B (no hue) does not pass A
// (hue 1, held by another invocation) on their context.
func TestColorOrderHoldsAcrossHues(t *testing.T) {
	for round := 0; round < 20; round++ {
		var mu sync.Mutex
		var order []string
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		release := make(chan struct{})
		blocker := func(*loop.Loop, int) { <-release } // holds hue 1
		a := func(*loop.Loop, *ctxA) { note("A") }
		b := func(*loop.Loop, *ctxA) { note("B") }
		cons := map[string]loop.Constraint{
			nameOf(blocker): {Hue: 1}, nameOf(a): {Hue: 1, Colored: true}, nameOf(b): {Colored: true},
		}
		l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(3))
		go l.Run(context.Background())
		c := &ctxA{}
		loop.Post(l, blocker, 0)
		loop.Post(l, a, c)
		loop.Post(l, b, c)
		close(release)
		if err := l.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(order); got != "[A B]" {
			t.Fatalf("round %d: ran %s, want [A B]: B passed A on their color", round, got)
		}
	}
}

// A handler's post that follows a post from outside the loop (ordered by
// a channel) runs after it on their color, though the one from outside
// may still wait to be admitted when the handler posts: a is posted from
// outside, then the waiter, running on another worker, is told to post b;
// round after round, a and b alternate.
func TestHandlerPostFollowsOutsidePost(t *testing.T) {
	const rounds = 2000
	var order []byte // appended by a and b only, which share a color
	a := func(*loop.Loop, *ctxA) { order = append(order, 'a') }
	b := func(*loop.Loop, *ctxA) { order = append(order, 'b') }
	tok, posted := make(chan *ctxA), make(chan struct{})
	waiter := func(l *loop.Loop, _ int) {
		loop.Post(l, b, <-tok)
		posted <- struct{}{}
	}
	cons := map[string]loop.Constraint{nameOf(a): {Colored: true}, nameOf(b): {Colored: true}, nameOf(waiter): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(2))
	go l.Run(context.Background())
	c := &ctxA{}
	for i := 0; i < rounds; i++ {
		loop.Post(l, waiter, i)
		loop.Post(l, a, c)
		tok <- c
		<-posted
	}
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("ab", rounds); string(order) != want {
		i := 0
		for i < len(order) && order[i] == want[i] {
			i++
		}
		t.Fatalf("round %d: a handler's post passed the post from outside before it (%q from there)", i/2, order[i:min(i+8, len(order))])
	}
}

// What is not ordered, as the package doc says: a handler with no hue and
// no color, posted last, runs while invocations posted before it on its
// own context still wait for their color.
func TestIndependentHandlerMayRunFirst(t *testing.T) {
	release := make(chan struct{})
	var seen []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
	busy := func(_ *loop.Loop, c *ctxA) { note(fmt.Sprint("busy", c.id)); <-release }
	last := func(_ *loop.Loop, c *ctxA) { note("last"); close(release) }
	cons := map[string]loop.Constraint{nameOf(busy): {Colored: true}, nameOf(last): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(2))
	c := &ctxA{}
	for i := 0; i < 3; i++ {
		loop.Post(l, busy, c) // one at a time: the first holds the color until last runs
	}
	loop.Post(l, last, c)
	go l.Run(context.Background())
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first busy holds the color until last runs, so the other two
	// run after last; whether the first busy notes itself before last
	// runs on the other worker is not ordered.
	if got := fmt.Sprint(seen); got != "[busy0 last busy0 busy0]" && got != "[last busy0 busy0 busy0]" {
		t.Errorf("ran %s: last should run while the first busy holds the color", got)
	}
}

// Shutdown lets the queued work finish, follow-ups that handlers post
// included, then stops the loop: Run returns, nothing is left to Drain,
// and Post fails afterwards.
func TestShutdownFinishesQueuedWork(t *testing.T) {
	var counted atomic.Int64
	var count func(*loop.Loop, int)
	count = func(l *loop.Loop, n int) {
		counted.Add(1)
		if n > 0 {
			loop.Post(l, count, n-1)
		}
	}
	cons := map[string]loop.Constraint{nameOf(count): {Hue: 1}}
	for _, workers := range []int{1, 3} {
		counted.Store(0)
		l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(workers))
		for i := 0; i < 10; i++ {
			loop.Post(l, count, 5) // 6 invocations each
		}
		ran := make(chan error)
		go func() { ran <- l.Run(context.Background()) }()
		if err := l.Shutdown(context.Background()); err != nil {
			t.Fatalf("workers %d: Shutdown = %v", workers, err)
		}
		if err := <-ran; !errors.Is(err, loop.ErrStopped) {
			t.Errorf("workers %d: Run = %v, want ErrStopped", workers, err)
		}
		if n := counted.Load(); n != 60 {
			t.Errorf("workers %d: ran %d of 60", workers, n)
		}
		if rest := l.Drain(); len(rest) != 0 {
			t.Errorf("workers %d: %d left to Drain", workers, len(rest))
		}
		if err := loop.Post(l, count, 0); !errors.Is(err, loop.ErrStopped) {
			t.Errorf("workers %d: Post after Shutdown = %v", workers, err)
		}
		if err := l.Shutdown(context.Background()); err != nil {
			t.Errorf("workers %d: a second Shutdown = %v", workers, err)
		}
	}
}

// Shutdown ends with its context: it stops the loop as Stop does and
// returns the context's error; what did not run stays for Drain.
func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	stuck := func(*loop.Loop, int) { close(started); <-release }
	other := func(*loop.Loop, int) {}
	cons := map[string]loop.Constraint{nameOf(stuck): {Hue: 1}, nameOf(other): {Hue: 1}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(2))
	loop.Post(l, stuck, 0)
	loop.Post(l, other, 1) // waits for hue 1
	ran := make(chan error)
	go func() { ran <- l.Run(context.Background()) }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Shutdown(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-ran; !errors.Is(err, loop.ErrStopped) {
		t.Errorf("Run = %v", err)
	}
	if rest := l.Drain(); len(rest) != 1 || rest[0].Handler != nameOf(other) {
		t.Errorf("drained %v, want the other handler", rest)
	}
}

// From a handler, Shutdown starts the shutdown and returns: the loop stops
// once idle. On an idle loop that never ran, it stops at once.
func TestShutdownFromHandlerAndIdle(t *testing.T) {
	var after atomic.Bool
	late := func(*loop.Loop, int) { after.Store(true) }
	first := func(l *loop.Loop, _ int) {
		if err := l.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown from a handler = %v", err)
		}
		loop.Post(l, late, 0) // still accepted: the loop is not idle
	}
	l := loop.New()
	loop.Post(l, first, 0)
	run(t, l)
	if !after.Load() {
		t.Error("the handler posted during the shutdown did not run")
	}

	idle := loop.New()
	if err := idle.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown of an idle loop = %v", err)
	}
	if err := idle.Run(context.Background()); !errors.Is(err, loop.ErrStopped) {
		t.Errorf("Run after Shutdown = %v", err)
	}
}

// WithQueueLimit(n, Reject): a Post from outside the loop that finds n
// invocations queued fails with ErrQueueFull; Len counts them, exclusive
// ones included.
func TestQueueLimitReject(t *testing.T) {
	h := func(*loop.Loop, int) {}
	excl := func(*loop.Loop, int) {}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{nameOf(h): {Colored: true}})), loop.WithQueueLimit(3, loop.Reject), loop.WithWorkers(2))
	for i := 0; i < 2; i++ {
		if err := loop.Post(l, h, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := loop.Post(l, excl, 0); err != nil {
		t.Fatal(err)
	}
	if n := l.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	if err := loop.Post(l, h, 9); !errors.Is(err, loop.ErrQueueFull) {
		t.Errorf("Post to a full queue = %v, want ErrQueueFull", err)
	}
	go l.Run(context.Background())
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len after Shutdown = %d", n)
	}
}

// An exclusive invocation that may start at once (nothing before it) is
// queued and not started until a worker runs it: Len counts it, and so
// does WithQueueLimit.
func TestLenCountsExclusiveReady(t *testing.T) {
	excl := func(*loop.Loop, int) {}
	l := loop.New(loop.WithTable(table(t, nil)), loop.WithWorkers(2), loop.WithQueueLimit(1, loop.Reject))
	if err := loop.Post(l, excl, 0); err != nil {
		t.Fatal(err)
	}
	if n := l.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
	if err := loop.Post(l, excl, 1); !errors.Is(err, loop.ErrQueueFull) {
		t.Errorf("Post past the limit = %v, want ErrQueueFull", err)
	}
	go l.Run(context.Background())
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len after Shutdown = %d", n)
	}
}

// WithQueueLimit(n, Block): a Post from outside waits while n invocations
// are queued (the worker is held, so nothing drains until it is let go),
// and posts from handlers are never held back (a handler posting into a
// full queue would otherwise wait for itself). The fan that posts ten
// waits until the queue's length has been read, so that its own posts,
// which may pass the limit, are not counted against the outside one.
func TestQueueLimitBlock(t *testing.T) {
	release := make(chan struct{})
	measured := make(chan struct{})
	hold := func(*loop.Loop, int) { <-release }
	var ran atomic.Int64
	var fan func(*loop.Loop, int)
	fan = func(l *loop.Loop, n int) {
		ran.Add(1)
		if n > 0 {
			<-measured
		}
		for i := 0; i < n; i++ {
			if err := loop.Post(l, fan, 0); err != nil {
				t.Errorf("Post from a handler: %v", err)
			}
		}
	}
	l := loop.New(loop.WithQueueLimit(2, loop.Block), loop.WithWorkers(1))
	go l.Run(context.Background())
	loop.Post(l, hold, 0)
	loop.Post(l, fan, 0)
	loop.Post(l, fan, 0)
	lenAfter := make(chan int)
	trying := make(chan struct{})
	go func() {
		close(trying)
		loop.Post(l, fan, 10) // waits: two fans are queued behind hold
		lenAfter <- l.Len()
	}()
	<-trying
	close(release)
	if n := <-lenAfter; n > 2 {
		t.Errorf("a Post returned with %d queued, over the limit of 2", n)
	}
	close(measured)
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := ran.Load(); n != 13 {
		t.Errorf("ran %d of 13", n)
	}
}

// A poster blocked on a full queue is let go by Stop, with ErrStopped.
func TestQueueLimitBlockedPosterStopped(t *testing.T) {
	h := func(*loop.Loop, int) {}
	l := loop.New(loop.WithQueueLimit(1, loop.Block))
	loop.Post(l, h, 0)
	done := make(chan error)
	go func() { done <- loop.Post(l, h, 1) }()
	l.Stop()
	if err := <-done; !errors.Is(err, loop.ErrStopped) {
		t.Errorf("blocked Post after Stop = %v, want ErrStopped", err)
	}
	if n := len(l.Drain()); n != 1 {
		t.Errorf("drained %d, want 1", n)
	}
}

// WithStrictTable: a stale table is an error for Run and Post, a handler
// the table does not name is an error for Post (and is not queued), and
// nothing is logged.
func TestStrictTable(t *testing.T) {
	logged := captureLog(t)
	in := func(*loop.Loop, int) {}
	out := func(*loop.Loop, int) {}
	good := table(t, map[string]loop.Constraint{nameOf(in): {}})
	l := loop.New(loop.WithTable(good), loop.WithStrictTable())
	if err := loop.Post(l, in, 0); err != nil {
		t.Errorf("Post of a handler in the table: %v", err)
	}
	err := loop.Post(l, out, 0)
	if !errors.Is(err, loop.ErrNotInTable) || !strings.Contains(err.Error(), nameOf(out)) {
		t.Errorf("Post of a handler not in the table = %v, want ErrNotInTable naming it", err)
	}
	if n := l.Len(); n != 1 {
		t.Errorf("Len = %d: the refused handler was queued", n)
	}

	stale := good
	stale.Sources = fstest.MapFS{"a.go": {Data: []byte("package a // changed")}}
	for _, opts := range [][]loop.Option{
		{loop.WithTable(stale), loop.WithStrictTable()},
		{loop.WithTable(loop.Table{Hash: "x", Handlers: map[string]loop.Constraint{nameOf(in): {}}}), loop.WithStrictTable()},
	} {
		l := loop.New(opts...)
		if err := loop.Post(l, in, 0); !errors.Is(err, loop.ErrStaleTable) {
			t.Errorf("Post with a stale table = %v, want ErrStaleTable", err)
		}
		if err := l.Run(context.Background()); !errors.Is(err, loop.ErrStaleTable) {
			t.Errorf("Run with a stale table = %v, want ErrStaleTable", err)
		}
	}
	if s := logged.String(); s != "" {
		t.Errorf("strict mode logged %q", s)
	}
}

// Schedules says how each handler runs, and why.
func TestSchedules(t *testing.T) {
	free := func(*loop.Loop, int) {}
	hued := func(*loop.Loop, *ctxA) {}
	banned := func(*loop.Loop, int) {}
	missing := func(*loop.Loop, int) {}
	tab := table(t, map[string]loop.Constraint{nameOf(free): {}, nameOf(hued): {Hue: 4, Colored: true}, nameOf(banned): {Hue: -1}})
	l := loop.New(loop.WithTable(tab))
	loop.Post(l, free, 0)
	loop.Post(l, hued, &ctxA{})
	loop.Post(l, banned, 0)
	loop.Post(l, missing, 0)
	want := map[string]loop.Schedule{
		nameOf(free):    {Handler: nameOf(free), Entry: nameOf(free), Why: loop.WhyInTable},
		nameOf(hued):    {Handler: nameOf(hued), Entry: nameOf(hued), Constraint: loop.Constraint{Hue: 4, Colored: true}, Why: loop.WhyInTable},
		nameOf(banned):  {Handler: nameOf(banned), Entry: nameOf(banned), Constraint: loop.Constraint{Hue: -1}, Exclusive: true, Why: loop.WhyInTable},
		nameOf(missing): {Handler: nameOf(missing), Exclusive: true, Why: loop.WhyNotInTable},
	}
	got := l.Schedules()
	if len(got) != len(want) {
		t.Fatalf("Schedules = %v", got)
	}
	for _, s := range got {
		if s != want[s.Handler] {
			t.Errorf("schedule %v, want %v", s, want[s.Handler])
		}
	}
	for _, tc := range []struct {
		l   *loop.Loop
		why loop.Why
	}{
		{loop.New(loop.WithTable(tab), loop.Serial()), loop.WhySerial},
		{loop.New(loop.WithTable(loop.Table{Hash: "stale"})), loop.WhyStaleTable},
	} {
		if s := loop.ScheduleOf(tc.l, free); !s.Exclusive || s.Why != tc.why {
			t.Errorf("ScheduleOf = %v, want exclusive, %v", s, tc.why)
		}
	}
	if s := loop.ScheduleOf(l, free).String(); !strings.Contains(s, "hue 0") {
		t.Errorf("String() = %q", s)
	}
}

type ctxKey struct{}

// Handlers get the loop's context: Run's values, done when the loop
// stops, with the cause.
func TestContext(t *testing.T) {
	got := make(chan any, 1)
	waited := make(chan error, 1)
	look := func(l *loop.Loop, _ int) { got <- l.Context().Value(ctxKey{}) }
	wait := func(l *loop.Loop, _ int) {
		ctx := l.Context()
		l.Stop()
		<-ctx.Done()
		waited <- context.Cause(ctx)
	}
	l := loop.New()
	loop.Post(l, look, 0)
	loop.Post(l, wait, 0)
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	if err := l.Run(ctx); !errors.Is(err, loop.ErrStopped) {
		t.Fatal(err)
	}
	if v := <-got; v != "v" {
		t.Errorf("Context().Value = %v, want Run's value", v)
	}
	if err := <-waited; !errors.Is(err, loop.ErrStopped) {
		t.Errorf("cause %v, want ErrStopped", err)
	}
	if l.Context().Err() == nil {
		t.Error("the context of a stopped loop is not done")
	}
}

type shapeA struct{ n int }
type shapeB struct{ s string }

func generic[C any](_ *loop.Loop, c C) { genericSeen <- fmt.Sprint(c) }

var genericSeen chan string

// Instantiations of a generic handler for context types of one shape share
// their code: each still gets its own context, and the table's entry for
// the generic function ("…generic[...]") covers both.
func TestGenericHandlersShareCode(t *testing.T) {
	genericSeen = make(chan string, 4)
	name := nameOf(generic[*shapeA])
	if !strings.HasSuffix(name, "generic[...]") || nameOf(generic[*shapeB]) != name {
		t.Fatalf("runtime names %s, %s", name, nameOf(generic[*shapeB]))
	}
	l := loop.New(loop.WithTable(table(t, map[string]loop.Constraint{name: {Colored: true}})), loop.WithWorkers(2))
	loop.Post(l, generic[*shapeA], &shapeA{1})
	loop.Post(l, generic[*shapeB], &shapeB{"b"})
	loop.Post(l, generic[int], 7)
	go l.Run(context.Background())
	if err := l.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(genericSeen)
	var seen []string
	for s := range genericSeen {
		seen = append(seen, s)
	}
	if got := strings.Join(sorted(seen), " "); got != "&{1} &{b} 7" {
		t.Errorf("handlers got %s", got)
	}
	for _, s := range l.Schedules() {
		if s.Exclusive || !s.Constraint.Colored {
			t.Errorf("%v: not matched to the generic entry", s)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Drain gives back what never ran in the order posted, across hues,
// colors, barriers and the queues of several workers.
func TestDrainInOrderPosted(t *testing.T) {
	var order []int
	hued := func(_ *loop.Loop, i int) { order = append(order, i) }
	colored := func(_ *loop.Loop, c *ctxA) { order = append(order, c.id) }
	free := func(_ *loop.Loop, i int) { order = append(order, i) }
	excl := func(_ *loop.Loop, i int) { order = append(order, i) }
	cons := map[string]loop.Constraint{nameOf(hued): {Hue: 1}, nameOf(colored): {Hue: 2, Colored: true}, nameOf(free): {}}
	l := loop.New(loop.WithTable(table(t, cons)), loop.WithWorkers(4))
	c := make([]ctxA, 40)
	for i := 0; i < 40; i++ {
		switch i % 4 {
		case 0:
			loop.Post(l, hued, i)
		case 1:
			c[i].id = i
			loop.Post(l, colored, &c[i])
		case 2:
			loop.Post(l, free, i)
		case 3:
			if i == 23 {
				loop.Post(l, excl, i)
			} else {
				loop.Post(l, free, i)
			}
		}
	}
	l.Stop()
	for _, inv := range l.Drain() {
		inv.Run()
	}
	if fmt.Sprint(order) != fmt.Sprint(seq(40)) {
		t.Errorf("drained in the order %v", order)
	}
}
