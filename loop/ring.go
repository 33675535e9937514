package loop

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// inv is an invocation, held by value in the queues: a Post of a handler
// whose context is a pointer (or any pointer-shaped value) allocates
// nothing. It is passed by pointer: copies of it are few. It takes 32
// bytes, half a cache line, where it took 48 (a pointer to the handler's
// info in place of hix and seq, a 64-bit seq, and a pointer to its color's
// entry, which is now found again when it is released: heldEntry): with
// 0.1 µs handlers the loop spent 1 to 3% less CPU per event for it (30
// runs of each in alternation, 1 and 2 cores).
type inv struct {
	// hix is the handler's info: sched.infoAt(hix). 0 marks a stand-in
	// for an invocation that waits for its hue and its color at once: ctx
	// holds the *pending, which sits in both wait lists, and whichever
	// grants it last makes it runnable.
	hix uint32
	// seq is from posted, the order posted, for Drain: modulo 2^32, which
	// orders the invocations queued at once while they are fewer than
	// 2^31 (see seqBefore).
	seq uint32
	fn  unsafe.Pointer // the handler: a func(*Loop, C) value
	ctx any            // the context
}

// seqBefore orders a before b, modulo 2^32.
func seqBefore(a, b uint32) bool { return int32(a-b) < 0 }

type pending struct {
	waits   atomic.Int32
	inv     inv
	drained bool
}

func (v *inv) run(l *Loop, hi *handlerInfo) { hi.invoke(l, v.fn, v.ctx) }

// invokeAs calls a handler taking a C, given as an inv holds it.
func invokeAs[C any](l *Loop, fn unsafe.Pointer, ctx any) {
	h := *(*func(*Loop, C))(unsafe.Pointer(&fn))
	c, _ := ctx.(C) // a nil interface context: the zero C
	h(l, c)
}

// granted is called on an invocation just granted a resource it waited
// for; it reports whether it has all it needs now, and replaces a
// stand-in by the invocation it stands for.
func granted(v *inv) bool {
	if v.hix != 0 {
		return true
	}
	p := v.ctx.(*pending)
	if p.waits.Add(-1) != 0 {
		return false
	}
	*v = p.inv
	return true
}

// ring is a FIFO of invocations, in segments of segSize taken from and
// returned to a pool: a queue that grows copies nothing, and one that
// empties gives its memory back for the next, but for its last segment,
// which it keeps for its next push (a queue that fills and empties by one
// or two, as a busy color's does, would take and return a segment each
// time) until trim.
type ring struct {
	head, tail *segment
	n          int
}

const segSize = 32

// segment holds buf[lo:hi] of a ring, in order. The slots an invocation
// was popped from are not cleared one by one: the worker that pops them
// only reads the segment, so that a poster that takes it from the pool
// next does not wait for its lines to come back from that worker's core
// (a Post's stores into queue memory the worker had just written were a
// third of its time, with 0.1 µs handlers on 2 cores). They are cleared
// at once, so as not to keep their contexts alive: by the ring that keeps
// the segment when it empties, or by the next to take it from the pool
// (dirty: the slots to clear). A segment in use keeps those of buf[:lo].
type segment struct {
	buf    [segSize]inv
	lo, hi int
	dirty  int
	next   *segment
}

var segments = sync.Pool{New: func() any { return new(segment) }}

// getSegment takes a segment from the pool, every slot clear.
func getSegment() *segment {
	s := segments.Get().(*segment)
	if s.dirty > 0 {
		clear(s.buf[:s.dirty])
		s.dirty = 0
	}
	return s
}

func (r *ring) push(v *inv) {
	if r.tail == nil || r.tail.hi == segSize {
		s := getSegment()
		if r.tail == nil {
			r.head = s
		} else {
			r.tail.next = s
		}
		r.tail = s
	}
	r.tail.buf[r.tail.hi] = *v
	r.tail.hi++
	r.n++
}

// popTo moves the first invocation to dst; false if there is none.
func (r *ring) popTo(dst *inv) bool {
	if r.n == 0 {
		return false
	}
	s := r.head
	*dst = s.buf[s.lo]
	s.lo++
	r.n--
	if s.lo == s.hi {
		// Done with s: to the pool, its slots cleared by the next to
		// take it, or kept, cleared now.
		if s.next != nil {
			r.head = s.next
			s.next = nil
			s.dirty, s.lo, s.hi = s.hi, 0, 0
			segments.Put(s)
		} else {
			clear(s.buf[:s.hi])
			s.lo, s.hi = 0, 0
		}
	}
	return true
}

// trim gives back the segment an empty r keeps.
func (r *ring) trim() {
	if r.n == 0 && r.head != nil {
		segments.Put(r.head)
		r.head, r.tail = nil, nil
	}
}

// prepend puts what x holds in front of what r holds, in order, and
// empties x: the segments change hands, the invocations stay where they
// are.
func (r *ring) prepend(x *ring) {
	switch {
	case x.n == 0:
		x.trim()
	case r.n == 0:
		r.trim()
		*r = *x
	default:
		x.tail.next = r.head
		r.head = x.head
		r.n += x.n
	}
	*x = ring{}
}

// runQueue is a FIFO of runnable invocations under a lock, with whether
// it holds any readable without it (set when it becomes non-empty and
// cleared when it empties: not on every push and pop).
type runQueue struct {
	mu     sync.Mutex
	r      ring
	any    atomic.Bool
	pushed uint64 // by pushCounted, under mu (inject, for a single worker)
}

// pushCounted queues v under q.mu, counted in q.pushed, which gives it
// its seq.
func (q *runQueue) pushCounted(v *inv) {
	q.pushed++
	v.seq = uint32(q.pushed)
	q.r.push(v)
	if q.r.n == 1 {
		q.any.Store(true)
	}
}

func (q *runQueue) push(v *inv) {
	q.mu.Lock()
	q.r.push(v)
	if q.r.n == 1 {
		q.any.Store(true)
	}
	q.mu.Unlock()
}

func (q *runQueue) popTo(dst *inv) bool {
	if !q.any.Load() {
		return false
	}
	q.mu.Lock()
	ok := q.r.popTo(dst)
	if q.r.n == 0 {
		q.any.Store(false)
	}
	q.mu.Unlock()
	return ok
}

// take moves invocations of q, the oldest, into dst: share(n) of the n
// that q holds (at least one, at most len(dst)). It returns how many.
func (q *runQueue) take(dst []inv, share func(n int) int) int {
	if !q.any.Load() {
		return 0
	}
	q.mu.Lock()
	k := min(share(q.r.n), q.r.n, len(dst))
	for i := 0; i < k; i++ {
		q.r.popTo(&dst[i])
	}
	if q.r.n == 0 {
		q.any.Store(false)
	}
	q.mu.Unlock()
	return k
}

// takeAll moves everything q holds to dst, which must be empty: the
// segments change hands, the invocations stay where they are.
func (q *runQueue) takeAll(dst *ring) {
	if !q.any.Load() {
		return
	}
	q.mu.Lock()
	*dst, q.r = q.r, ring{}
	q.any.Store(false)
	q.mu.Unlock()
}

// pushAll queues vs, in order.
func (q *runQueue) pushAll(vs []inv) {
	if len(vs) == 0 {
		return
	}
	q.mu.Lock()
	for i := range vs {
		q.r.push(&vs[i])
	}
	q.any.Store(true)
	q.mu.Unlock()
}

// drain takes everything (Drain, once the workers are gone).
func (q *runQueue) drain(take func(*inv)) {
	q.mu.Lock()
	var v inv
	for q.r.popTo(&v) {
		take(&v)
	}
	q.any.Store(false)
	q.mu.Unlock()
}
