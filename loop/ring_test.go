package loop

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The ring against a slice: pushes, pops, rings put in front, and the
// whole taken out and put back, at random, across segment boundaries.
func TestRing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q ring
	var model []inv
	next := uint32(0)
	mk := func() inv {
		next++
		v := inv{hix: 1, seq: next}
		if r.IntN(10) == 0 {
			v.hix = 0 // a stand-in
		}
		return v
	}
	for step := 0; step < 8000; step++ {
		switch op := r.IntN(10); {
		case op < 3:
			v := mk()
			q.push(&v)
			model = append(model, v)
		case op < 7:
			var v inv
			ok := q.popTo(&v)
			if ok != (len(model) > 0) || ok && v != model[0] {
				t.Fatalf("step %d: pop = %+v, %t; want %+v", step, v, ok, model)
			}
			if ok {
				model = model[1:]
			}
		case op < 8:
			// A ring of its own, built and partly emptied, in front.
			var x ring
			var xs []inv
			for k := r.IntN(3 * segSize); k > 0; k-- {
				v := mk()
				x.push(&v)
				xs = append(xs, v)
			}
			for k := r.IntN(segSize + 1); k > 0 && x.popTo(new(inv)); k-- {
				xs = xs[1:]
			}
			q.prepend(&x)
			if x != (ring{}) {
				t.Fatalf("step %d: prepend left %+v", step, x)
			}
			model = append(append([]inv(nil), xs...), model...)
		default:
			// Taken whole, as a worker takes a color's queue, and put back.
			var x ring
			x, q = q, ring{}
			v := mk()
			q.push(&v)
			model = append(model, v)
			q.prepend(&x)
		}
		if q.n != len(model) {
			t.Fatalf("step %d: n = %d, want %d", step, q.n, len(model))
		}
	}
}

// Popped slots are not cleared one by one, but none keeps its context
// once its segment is done: a ring that keeps its last segment clears it
// when it empties, and a segment from the pool comes clear.
func TestRingLetsContextsGo(t *testing.T) {
	ctx := new(int)
	var q ring
	for i := 0; i < 2*segSize+3; i++ {
		q.push(&inv{hix: 1, ctx: ctx, seq: uint32(i)})
	}
	var v inv
	for q.popTo(&v) {
	}
	if q.head == nil || q.head != q.tail {
		t.Fatalf("an empty ring keeps one segment: head %p, tail %p", q.head, q.tail)
	}
	for i, x := range q.head.buf {
		if x != (inv{}) {
			t.Fatalf("slot %d of the segment kept is not clear: %+v", i, x)
		}
	}

	s := &segment{dirty: 3}
	for i := range 3 {
		s.buf[i] = inv{hix: 1, ctx: ctx}
	}
	segments.Put(s)
	got := getSegment()
	if got.dirty != 0 {
		t.Fatalf("dirty %d after getSegment", got.dirty)
	}
	for i, x := range got.buf {
		if x != (inv{}) {
			t.Fatalf("slot %d of a segment from the pool is not clear: %+v", i, x)
		}
	}
}

// An invocation takes half a cache line (see inv), and seq orders across
// the wrap of its 32 bits.
func TestInvSize(t *testing.T) {
	if n := unsafe.Sizeof(inv{}); n > 32 {
		t.Errorf("an invocation takes %d bytes", n)
	}
	for _, c := range []struct{ a, b uint32 }{{1, 2}, {0xFFFFFFFF, 0}, {0xFFFFFF00, 5}, {7, 1<<31 + 6}} {
		if !seqBefore(c.a, c.b) || seqBefore(c.b, c.a) {
			t.Errorf("seqBefore(%#x, %#x) = %t, seqBefore(%#x, %#x) = %t", c.a, c.b, seqBefore(c.a, c.b), c.b, c.a, seqBefore(c.b, c.a))
		}
	}
}

// Drain orders what it gives back by seq across the wrap of its 32 bits.
func TestDrainOrderAcrossSeqWrap(t *testing.T) {
	var order []int
	free := func(_ *Loop, i int) { order = append(order, i) }
	l := New(WithTable(testTable(t, map[string]Constraint{funcName(free): {}})), WithWorkers(4))
	const before = 1<<32 - 5 // as if that many had run
	l.s.posted.Store(before)
	w := l.s.workers[0]
	w.ran, w.ended = before, before
	w.publish()
	for i := range 10 {
		Post(l, free, i)
	}
	l.Stop()
	for _, v := range l.Drain() {
		v.Run()
	}
	if fmt.Sprint(order) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Errorf("drained in the order %v", order)
	}
}
