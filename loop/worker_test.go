package loop

import (
	"testing"
	"testing/fstest"
)

// A handler becomes quick once timed alone probeFirst times in a row under
// quickHandler, is not once timed at quickHandler or more, and is again
// after probeFirst more in a row; a slow one is not quick (runChain reads
// the clock less often for a chain of quick handlers only).
func TestQuickHandler(t *testing.T) {
	var hi handlerInfo
	for i := 0; i < probeFirst-1; i++ {
		hi.timedAlone(quickHandler / 2)
	}
	if hi.quick.Load() {
		t.Fatal("quick before probeFirst probes")
	}
	hi.timedAlone(quickHandler / 2)
	if !hi.quick.Load() {
		t.Fatal("not quick after probeFirst quick probes")
	}
	hi.timedAlone(quickHandler)
	if hi.quick.Load() || hi.slow.Load() {
		t.Fatalf("quick %t, slow %t after a probe at quickHandler", hi.quick.Load(), hi.slow.Load())
	}
	hi.timedAlone(quickHandler / 2)
	if hi.quick.Load() {
		t.Fatal("quick again")
	}

	var slow handlerInfo
	for i := 0; i < probeFirst; i++ {
		slow.timedAlone(quickHandler / 2)
	}
	slow.timedAlone(2 * slowHandler)
	if slow.quick.Load() || !slow.slow.Load() {
		t.Fatalf("quick %t, slow %t after a slow probe", slow.quick.Load(), slow.slow.Load())
	}

	var mixed handlerInfo
	for i := 0; i < probeFirst-1; i++ {
		mixed.timedAlone(quickHandler / 2)
	}
	mixed.timedAlone(quickHandler)
	for i := 0; i < probeFirst-1; i++ {
		mixed.timedAlone(quickHandler / 2)
	}
	if mixed.quick.Load() {
		t.Fatal("quick though one probe of its last probeFirst was not")
	}
	mixed.timedAlone(quickHandler / 2)
	if !mixed.quick.Load() {
		t.Fatal("not quick after probeFirst quick probes in a row")
	}
}

// The handlers a chain ran between two clock readings are each timed
// under quickHandler when the whole span took less (the counter's handler,
// which seldom runs alone between two readings, is learnt quick so), a
// span of one handler is that handler's time, whatever it is, and a span
// of several that took quickHandler or more says nothing of any of them.
func TestSpanTimesItsHandlers(t *testing.T) {
	var a, b, c handlerInfo
	for i := 0; i < probeFirst; i++ {
		var p handlerSpan
		for _, hi := range []*handlerInfo{&a, &b, &a, &c} {
			p.add(hi)
		}
		p.timed(quickHandler / 2)
	}
	if !a.quick.Load() || !b.quick.Load() {
		t.Fatalf("after %d quick spans of a, b, a, c: a quick %t, b quick %t", probeFirst, a.quick.Load(), b.quick.Load())
	}
	if c.probes.Load() != 0 {
		t.Fatalf("a span's third handler was timed (%d probes)", c.probes.Load())
	}

	var x, y handlerInfo
	var p handlerSpan
	p.add(&x)
	p.add(&y)
	p.timed(2 * slowHandler)
	if x.probes.Load() != 0 || x.slow.Load() || y.slow.Load() {
		t.Fatalf("a slow span of two handlers was charged to one: x probes %d, slow %t; y slow %t",
			x.probes.Load(), x.slow.Load(), y.slow.Load())
	}
	p = handlerSpan{}
	p.add(&x)
	p.timed(2 * slowHandler)
	if !x.slow.Load() {
		t.Fatal("a slow span of one handler did not make it slow")
	}
}

// A handler seen slow once is slow no more after unslowAfter times in a
// row under slowHandler (a slow one in between starts the count again),
// and quick after probeFirst more.
func TestSlowHandlerRecovers(t *testing.T) {
	var hi handlerInfo
	hi.timedAlone(2 * slowHandler)
	for i := 0; i < unslowAfter-1; i++ {
		hi.timedAlone(quickHandler / 2)
	}
	hi.timedAlone(2 * slowHandler)
	for i := 0; i < unslowAfter-1; i++ {
		hi.timedAlone(quickHandler / 2)
	}
	if !hi.slow.Load() {
		t.Fatalf("not slow after %d quick runs since a slow one", unslowAfter-1)
	}
	hi.timedAlone(quickHandler / 2)
	if hi.slow.Load() {
		t.Fatalf("slow after %d quick runs in a row", unslowAfter)
	}
	for i := 0; i < probeFirst-1; i++ {
		hi.timedAlone(quickHandler / 2)
	}
	if hi.quick.Load() {
		t.Fatalf("quick %d quick runs after it was slow", probeFirst-1)
	}
	hi.timedAlone(quickHandler / 2)
	if !hi.quick.Load() {
		t.Fatalf("not quick %d quick runs after it was slow", probeFirst)
	}
}

// A worker following a chain of a handler marked slow, while other
// invocations wait, times it at every step, and so unlearns that it is
// slow once it ran quick unslowAfter times in a row: a handler that was
// seen slow once, when its thread lost its core, does not make every step
// of its chains read the clock for good. (Its chain may yield, and a step
// may be slow on a loaded machine: the test asks only that the handler be
// seen not slow at some point, in a chain of 16 times unslowAfter.)
func TestChainUnlearnsSlow(t *testing.T) {
	fsys := fstest.MapFS{"a.go": {Data: []byte("package a")}}
	h, err := HashSources(fsys, []string{"a.go"})
	if err != nil {
		t.Fatal(err)
	}
	var hi *handlerInfo
	ran, unslow := 0, false
	other := func(*Loop, int) {}
	onConn := func(l *Loop, _ *int) {
		ran++
		unslow = unslow || !hi.slow.Load()
		Post(l, other, 0) // another waits: the chain is timed
	}
	tab := Table{Hash: h, Files: []string{"a.go"}, Sources: fsys, Handlers: map[string]Constraint{
		funcName(onConn): {Colored: true},
		funcName(other):  {},
	}}
	// The loop is not run: the test drives one worker.
	l := New(WithTable(tab), WithWorkers(2))
	s := l.s
	hi = info(s, onConn)
	hi.timedAlone(2 * slowHandler)
	var conn int
	const n = 16 * unslowAfter
	for range n {
		Post(l, onConn, &conn)
	}
	w := s.workers[0]
	for ran < n {
		if !w.find() {
			t.Fatalf("the worker found nothing to run after %d of %d", ran, n)
		}
		w.runChain()
	}
	if !unslow {
		t.Fatalf("still slow after %d quick runs in chains", n)
	}
}

// A worker finds the color entry a finished invocation held from the one
// it released last (heldEntry's hint) only for a colored handler: a
// handler of a hue whose context is a pointer too (bump, posted on the
// connection) holds no color, and releasing the connection's for it left
// the color held by nobody, so that the connection's next invocation
// waited forever.
func TestReleaseHintOnlyForColored(t *testing.T) {
	var onConn, bump func(*Loop, *int)
	ran := 0
	onConn = func(l *Loop, c *int) {
		ran++
		if ran == 1 {
			Post(l, bump, c)
		}
	}
	bump = func(l *Loop, c *int) { ran++ }
	l := New(WithTable(testTable(t, map[string]Constraint{
		funcName(onConn): {Colored: true},
		funcName(bump):   {Hue: 1},
	})), WithWorkers(2))
	w := l.s.workers[0]   // the loop is not run: the test drives one worker
	l.s.nstarted.Store(1) // as if Run had started it, for find
	var conn int
	drive := func(want int) {
		t.Helper()
		for ran < want {
			if !w.find() {
				t.Fatalf("the worker found nothing to run after %d of %d", ran, want)
			}
			w.runChain()
		}
	}
	Post(l, onConn, &conn)
	Post(l, onConn, &conn)
	drive(3) // two onConn, and the bump of the first after them
	Post(l, onConn, &conn)
	drive(4)
}
