package loop

import "testing"

// A handler becomes quick once timed alone probeFirst times under
// quickHandler, and never again once timed at quickHandler or more; a
// slow one is never quick (runChain reads the clock less often for a
// chain of quick handlers only).
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
	mixed.timedAlone(quickHandler)
	for i := 0; i < probeFirst; i++ {
		mixed.timedAlone(quickHandler / 2)
	}
	if mixed.quick.Load() {
		t.Fatal("quick though one probe was not")
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
	if x.probes.Load() != 0 || x.notQuick.Load() || x.slow.Load() || y.slow.Load() {
		t.Fatalf("a slow span of two handlers was charged to one: x probes %d, notQuick %t, slow %t; y slow %t",
			x.probes.Load(), x.notQuick.Load(), x.slow.Load(), y.slow.Load())
	}
	p = handlerSpan{}
	p.add(&x)
	p.timed(2 * slowHandler)
	if !x.slow.Load() {
		t.Fatal("a slow span of one handler did not make it slow")
	}
}
