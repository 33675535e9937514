package loop

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The scheduler: which invocations may run now. An invocation (a task)
// needs up to two resources, its hue and its color; each is a lock that
// grants itself in the order asked (a FIFO). Admission (admit) asks for
// both at once, holding the hue's lock and then the color shard's while it
// queues the task on each that is busy, so every resource's queue is in one
// global order (the order of these critical sections, which is the order
// posted for posts that do not race), and the first invocation in that
// order that waits can always be granted what it waits for: no deadlock. A
// task whose resources are all granted goes to a run queue (worker.go);
// when it finishes it releases them, granting each to the next task
// waiting.
//
// Exclusive invocations (handlers the table does not name) are barriers,
// kept under one lock (gate): while one is pending, Post holds later
// invocations back in a list (held); when the invocations admitted before
// it have finished, it runs alone; then the held ones are admitted, in
// order. Counting "finished" must cost Post and workers little: Post adds
// one to posted, and each worker counts what it finished on a cache line
// of its own; the two are compared only while a barrier or a Shutdown is
// pending, which mode (a word written rarely, read by everyone) says.

// mode bits.
const (
	modeClosing  = 1 << iota // an exclusive invocation waits or runs: Post holds
	modeShutdown             // Shutdown: stop once idle
	modeStopped              // Stop: Post fails, workers leave
)

// hueQueue is one hue: its state word (see lkHeld), with the invocations
// waiting for it in order.
type hueQueue struct {
	st atomic.Uint32
	mu sync.Mutex
	q  ring // under mu
	_  [64]byte
}

// admit asks for v's resources (hi is v's handler's); it returns true if
// v has them all and may run now, else v waits in their queues. v is
// counted in posted.
//
// A resource that is free is taken with a CAS, without its lock, when it
// is the only one v needs (a handler that has a hue or a color, not both):
// taking one resource cannot deadlock, and a resource is free only when
// nothing waits for it, so the order of its queue holds.
func (s *sched) admit(v *inv, hi *handlerInfo) bool {
	if s.single || hi.hue == 0 && !hi.colored {
		return true
	}
	var h *hueQueue
	if hi.hue > 0 {
		h = &s.hues[hi.hue]
	}
	if !hi.colored {
		if h.st.Load() == 0 && h.st.CompareAndSwap(0, lkHeld) {
			return true
		}
		h.mu.Lock()
		ok := takeLocked(&h.st)
		if !ok {
			h.q.push(v)
		}
		h.mu.Unlock()
		return ok
	}
	key := colorOf(hi, v.ctx)
	hash := hashOf(key)
	shard := &s.shards[shardOf(hash)]
	e := shard.lookup(key, hash)
	if h == nil {
		if e != nil && e.st.Load() == 0 && e.st.CompareAndSwap(0, lkHeld) {
			return true
		}
		shard.mu.Lock()
		e = shard.entryFrom(e, key, hash)
		ok := takeLocked(&e.st)
		if !ok {
			e.q.push(v)
		}
		shard.mu.Unlock()
		return ok
	}
	// Both: under both locks, hue's first, so that every queue is in one
	// order (see the top of this file).
	h.mu.Lock()
	shard.mu.Lock()
	e = shard.entryFrom(e, key, hash)
	hueBusy := !takeLocked(&h.st)
	colorBusy := !takeLocked(&e.st)
	switch {
	case hueBusy && colorBusy:
		p := &pending{inv: *v}
		p.waits.Store(2)
		stand := inv{ctx: p, seq: v.seq}
		h.q.push(&stand)
		e.q.push(&stand)
		e.standIns++
	case hueBusy:
		h.q.push(v)
	case colorBusy:
		e.q.push(v)
	}
	shard.mu.Unlock()
	h.mu.Unlock()
	return !hueBusy && !colorBusy
}

// release gives up what w.cur, finished, held: its color goes to the next
// invocation waiting for it, its hue to the next of its hue. Of those that
// now have all they need, worker w runs one next (the hue's, a hue being
// the bottleneck) and queues the other. The one it runs next takes the
// place of the finished one in w.cur: one copy of an invocation fewer
// per step of a chain (each is a bulk write barrier while the collector
// marks). A resource nobody waits for is freed with a CAS, without its
// lock.
//
// When w hands a color on, it takes all that waits for it at once, the
// segments of its queue (when none of them waits for a hue too), into
// w.crun, which w then hands the color to in turn, with no lock and no
// copy: w keeps the color until w.crun is empty, or gives the rest back to
// the front of the color's queue (giveBack) when the color's chain leaves
// w.
func (s *sched) release(w *worker) {
	a := &w.cur // the color's next goes straight there: read w.cur first
	hi := s.infoOf(a)
	e, hue := w.heldEntry(a, hi), hi.hue
	aok := false
	if e != nil {
		if w.crun.e == e && w.crun.r.n > 0 {
			aok = w.crun.r.popTo(a)
		} else {
			w.giveBack()
			if e.st.Load() != lkHeld || !e.st.CompareAndSwap(lkHeld, 0) {
				// lkWaiters: the queue is not empty.
				sh := e.shard
				sh.mu.Lock()
				aok = e.q.popTo(a)
				if aok && a.hix == 0 {
					e.standIns--
				} else if aok && e.q.n > 0 && e.standIns == 0 {
					w.crun.e = e
					w.crun.r, e.q = e.q, ring{}
				}
				if e.q.n == 0 {
					e.st.Store(lkHeld) // held by a, and by w.crun
				}
				sh.mu.Unlock()
				aok = aok && granted(a)
			}
		}
	}
	if hue > 0 && !s.single {
		h := &s.hues[hue]
		if h.st.Load() != lkHeld || !h.st.CompareAndSwap(lkHeld, 0) {
			var hn inv
			h.mu.Lock()
			ok := h.q.popTo(&hn)
			if h.q.n == 0 {
				h.st.Store(lkHeld) // held by hn
			}
			h.mu.Unlock()
			if ok && granted(&hn) {
				if aok {
					w.giveBack() // a's color leaves w with a
					s.enqueue(a, w)
				}
				w.cur, w.hasNext = hn, true
				return
			}
		}
	}
	w.hasNext = aok
}

// colorRun is what a worker took at once from the queue of a color that
// it holds (see release).
type colorRun struct {
	e *colorEntry
	r ring
}

// giveBack returns what is left of w.crun to the front of its color's
// queue, in order: the color's chain leaves w (queued for any worker,
// or the loop stops).
func (w *worker) giveBack() {
	r := &w.crun
	if r.r.n > 0 {
		sh := r.e.shard
		sh.mu.Lock()
		r.e.q.prepend(&r.r)
		r.e.st.Store(lkHeld | lkWaiters) // held by the invocation the chain goes on with
		sh.mu.Unlock()
	} else {
		r.r.trim()
	}
	r.e = nil
}

// unfinished is the number of admitted invocations that have not
// finished. Exact only while nothing is admitted (under gate, with
// modeClosing or modeShutdown set, posts take the gate) and every worker
// has published its counts.
func (s *sched) unfinished() uint64 {
	n := s.admitted()
	for _, w := range s.workers {
		n -= w.finished.Load()
	}
	return n
}

// queued is the number of invocations posted and not started: a snapshot.
func (s *sched) queued() int {
	n := int64(s.admitted())
	for _, w := range s.workers {
		n -= int64(w.started.Load())
	}
	n += int64(s.heldN.Load()) + int64(s.exclQueued.Load())
	return int(max(n, 0))
}

// admitted is the number of invocations admitted (past any barrier),
// ever: posted, or with a single worker what inject counts.
func (s *sched) admitted() uint64 {
	if s.single {
		q := &s.inject
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.pushed
	}
	return s.posted.Load()
}

// post queues v, of the handler hi, posted from worker w (nil: from
// outside the loop).
func (s *sched) post(v *inv, hi *handlerInfo, w *worker) error {
	if s.single {
		return s.postSingle(v, w)
	}
	if hi.exclusive {
		return s.postExclusive(v, w)
	}
	if fastPost(s.mode.Load(), w) {
		seq := s.posted.Add(1)
		v.seq = uint32(seq)
		// posted then mode, while a barrier sets mode then reads posted:
		// one of the two sees the other.
		if fastPost(s.mode.Load(), w) {
			s.place(v, hi, w)
			if w == nil && seq%yieldEvery == 0 && s.queued() >= yieldEvery {
				runtime.Gosched() // see yieldEvery
			}
			return nil
		}
		return s.postSlow(v, hi, w, true)
	}
	return s.postSlow(v, hi, w, false)
}

// yieldEvery: a Post from outside the loop's handlers that finds this
// many invocations queued, or a multiple of it, yields its processor
// (runtime.Gosched), as a send on a full channel would block. A producer
// that posts in a tight loop otherwise runs far ahead of the workers
// sharing its processor (on one core, all of them): the queue grows to
// the whole run, in memory that is cold when a worker reads it. Yielding
// every 1,024 posts, a worker runs them while they are in cache: on one
// core, 0.1 µs handlers ran 10% faster per event. It costs the poster one
// Gosched per 1,024 posts, and waits for no handler: the queue stays
// unbounded (WithQueueLimit bounds it).
const yieldEvery = 1024

// place queues v, counted in posted, posted from worker w (nil: from
// outside the loop): with a single worker, on inject, in the order posted;
// else it asks for v's hue and color and queues v if it has them.
func (s *sched) place(v *inv, hi *handlerInfo, w *worker) {
	switch {
	case s.single:
		s.enqueue(v, nil)
	case s.admit(v, hi):
		s.enqueue(v, w)
	}
}

// fastPost says whether a post from worker w (nil: from outside the loop)
// may skip the gate while the loop is in mode m: when nothing is pending,
// or only a Shutdown and the post comes from a handler. The Shutdown
// cannot find the loop idle while that handler runs, so it counts the
// post; one from outside could slip in as it stops the loop, and must
// learn that it did (ErrStopped).
func fastPost(m uint32, w *worker) bool {
	return m == 0 || m == modeShutdown && w != nil
}

// postSlow queues v while a barrier, a Shutdown or Stop is pending;
// counted says v is in posted already.
func (s *sched) postSlow(v *inv, hi *handlerInfo, w *worker, counted bool) error {
	s.gate.Lock()
	m := s.mode.Load()
	if m&(modeStopped|modeClosing) != 0 {
		if counted {
			s.posted.Add(^uint64(0))
		}
		var err error
		if m&modeStopped != 0 {
			err = ErrStopped
		} else {
			s.hold(v)
		}
		var e inv
		ok := s.check(&e)
		s.gate.Unlock()
		if ok {
			s.enqueue(&e, w)
		}
		return err
	}
	if !counted {
		v.seq = uint32(s.posted.Add(1))
	}
	s.gate.Unlock()
	s.place(v, hi, w)
	return nil
}

// postSingle queues v for a single worker, on inject, in the order
// posted, counted there under its lock rather than in posted: one atomic
// operation per Post fewer. mode is read under that lock, and a Shutdown
// sets it before it counts (under the lock), so one of the two sees the
// other; a post that sees it queues under gate, as postSlow does.
func (s *sched) postSingle(v *inv, w *worker) error {
	q := &s.inject
	if fastPost(s.mode.Load(), w) {
		q.mu.Lock()
		if fastPost(s.mode.Load(), w) {
			q.pushCounted(v)
			n := q.r.n
			q.mu.Unlock()
			s.signal()
			if w == nil && n%yieldEvery == 0 {
				runtime.Gosched() // see yieldEvery
			}
			return nil
		}
		q.mu.Unlock()
	}
	s.gate.Lock()
	if s.mode.Load()&modeStopped != 0 {
		s.gate.Unlock()
		return ErrStopped
	}
	q.mu.Lock()
	q.pushCounted(v)
	q.mu.Unlock()
	s.gate.Unlock()
	s.signal()
	return nil
}

// hold puts v behind the barrier, under gate.
func (s *sched) hold(v *inv) {
	s.held = append(s.held, *v)
	s.heldN.Add(1)
}

func (s *sched) postExclusive(v *inv, w *worker) error {
	s.gate.Lock()
	if s.mode.Load()&modeStopped != 0 {
		s.gate.Unlock()
		return ErrStopped
	}
	v.seq = uint32(s.posted.Load())
	s.hold(v)
	s.mode.Or(modeClosing)
	var e inv
	ok := s.check(&e)
	s.gate.Unlock()
	if ok {
		s.enqueue(&e, w)
	}
	return nil
}

// check acts on what the invocations finished so far allow, under gate:
// it moves the exclusive invocation that may start now, if any, to dst,
// and stops the loop if a Shutdown waits for it to be idle.
func (s *sched) check(dst *inv) bool {
	if s.exclRunning {
		return false
	}
	m := s.mode.Load()
	if m&(modeClosing|modeShutdown) == 0 || m&modeStopped != 0 {
		return false
	}
	if s.unfinished() != 0 {
		return false
	}
	if len(s.held) > 0 {
		if h := &s.held[0]; s.infoOf(h).exclusive {
			*dst = *h
			s.held = s.held[1:]
			s.heldN.Add(-1)
			s.exclRunning = true
			s.exclQueued.Store(1)
			return true
		}
		return false
	}
	if m&modeShutdown != 0 {
		s.idle = true
		s.stopLocked(ErrStopped)
	}
	return false
}

// complete is called by worker w when w.cur finished: it releases what
// w.cur held and, if an invocation may run now for w to run next, leaves
// it in w.cur and sets w.hasNext. Otherwise w.cur is stale.
func (s *sched) complete(w *worker) {
	w.hasNext = false
	if !s.single && s.infoOf(&w.cur).exclusive {
		s.completeExclusive(w)
		return
	}
	s.release(w)
	// Counted after the release: an exclusive invocation that starts
	// once this count allows finds the hue and color free.
	w.ended++
	if w.ended%publishEvery == 0 {
		w.publish()
	}
	// A barrier or a Shutdown waits for every admitted invocation to
	// finish; while this worker has one to run next, or queued, they
	// have not. So the check is made by the worker that runs out of
	// work, in idle, after publishing its counts.
}

// completeExclusive lifts the barrier: the invocations held behind it up
// to the next exclusive one are admitted, in order, and if there are none
// the next exclusive one starts.
func (s *sched) completeExclusive(w *worker) {
	s.gate.Lock()
	defer s.gate.Unlock()
	s.exclRunning = false
	for len(s.held) > 0 && !s.infoOf(&s.held[0]).exclusive {
		h := &s.held[0]
		h.seq = uint32(s.posted.Add(1))
		if s.admit(h, s.infoOf(h)) {
			if !w.hasNext {
				w.cur, w.hasNext = *h, true
			} else {
				s.enqueue(h, w)
			}
		}
		s.held = s.held[1:]
		s.heldN.Add(-1)
	}
	if len(s.held) == 0 {
		s.held = nil
		s.mode.And(^uint32(modeClosing))
	}
	if !w.hasNext {
		w.hasNext = s.check(&w.cur)
	}
}

// heldEntry is the entry of the color that w.cur (a), of the handler hi,
// holds, as sched.heldEntry finds it; but first w.lastEntry, the last one
// it found, which is the same while w follows a color's chain: an entry
// that is alive (not dead) is the one of its key (see sched.heldEntry).
func (w *worker) heldEntry(a *inv, hi *handlerInfo) *colorEntry {
	if !hi.colored {
		return nil // its context is no color it holds
	}
	if e := w.lastEntry; e != nil && hi.color == colorAddr && e.key.val == nil &&
		e.key.addr == uintptr(dataWord(a.ctx)) && e.st.Load() != lkDead {
		return e
	}
	e := w.s.heldEntry(a, hi)
	if e != nil {
		w.lastEntry = e
	}
	return e
}

// heldEntry is the entry of the color that v, of the handler hi, holds;
// nil if it is not colored. Invocations do not keep it (see inv): it is
// found again as admit found it, in the shard's cache, else in its map.
// A color's entry leaves the map (dead) only while the color is free, so
// while v holds it, the live entry of its key is v's.
func (s *sched) heldEntry(v *inv, hi *handlerInfo) *colorEntry {
	if !hi.colored {
		return nil
	}
	key := colorOf(hi, v.ctx)
	hash := hashOf(key)
	sh := &s.shards[shardOf(hash)]
	if e := sh.lookup(key, hash); e != nil && e.st.Load() != lkDead {
		return e
	}
	sh.mu.Lock()
	e := sh.entry(key, hash)
	sh.mu.Unlock()
	return e
}
