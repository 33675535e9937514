package loop

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// inv is an invocation, held by value in the queues: a Post of a handler
// whose context is a pointer (or any pointer-shaped value) allocates
// nothing. It is passed by pointer: copies of it are few.
type inv struct {
	// info is the handler's; nil marks a stand-in for an invocation that
	// waits for its hue and its color at once: ctx holds the *pending,
	// which sits in both wait lists, and whichever grants it last makes it
	// runnable.
	info *handlerInfo
	fn   unsafe.Pointer // the handler: a func(*Loop, C) value
	ctx  any            // the context
	ce   *colorEntry    // its color's entry, if colored
	seq  uint64         // from posted: the order posted, for Drain
}

type pending struct {
	waits   atomic.Int32
	inv     inv
	drained bool
}

func (v *inv) run(l *Loop) { v.info.invoke(l, v.fn, v.ctx) }

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
	if v.info != nil {
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
// empties gives its memory back for the next.
type ring struct {
	head, tail *segment
	hd, tl     int // next to pop in head, next to push in tail
	n          int
}

const segSize = 32

type segment struct {
	buf  [segSize]inv
	next *segment
}

var segments = sync.Pool{New: func() any { return new(segment) }}

func (r *ring) push(v *inv) {
	if r.tail == nil || r.tl == segSize {
		s := segments.Get().(*segment)
		if r.tail == nil {
			r.head, r.hd = s, 0
		} else {
			r.tail.next = s
		}
		r.tail, r.tl = s, 0
	}
	r.tail.buf[r.tl] = *v
	r.tl++
	r.n++
}

// popTo moves the first invocation to dst; false if there is none.
func (r *ring) popTo(dst *inv) bool {
	if r.n == 0 {
		return false
	}
	s := r.head
	*dst = s.buf[r.hd]
	s.buf[r.hd] = inv{}
	r.hd++
	r.n--
	if r.hd == segSize || r.n == 0 {
		// Done with s: every slot taken is cleared.
		next := s.next
		s.next = nil
		segments.Put(s)
		if r.n == 0 {
			r.head, r.tail, r.hd, r.tl = nil, nil, 0, 0
		} else {
			r.head, r.hd = next, 0
		}
	}
	return true
}

// runQueue is a FIFO of runnable invocations under a lock, with whether
// it holds any readable without it (set when it becomes non-empty and
// cleared when it empties: not on every push and pop).
type runQueue struct {
	mu  sync.Mutex
	r   ring
	any atomic.Bool
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
