package loop

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Workers and run queues. Each worker has a queue of its own, for what
// its handlers post and what the invocations it finishes make runnable;
// what goroutines outside the loop post goes to a shared queue (inject).
// A worker takes from its own queue, then a batch from inject, then half
// of another worker's queue; with nothing to do it spins a little (one or
// a few workers at a time) and then parks. Posting to a queue wakes a
// parked worker only when no worker is spinning: a worker busy posting
// does not pay a wake-up per invocation.
//
// Workers start on demand: Run starts one, and queuing work starts
// another (grow) when none is parked or looking for work, up to the
// loop's number; once started, a worker parks rather than ends. Started
// all at once by Run, they all waited on the run queue of Run's
// processor, the last started running first and the others waiting for
// another processor to steal them: with events posted before Run, a trace
// showed one worker running every invocation. And a worker started while
// nothing was queued went straight to park, to be woken.

// worker is one of the goroutines that run handlers.
type worker struct {
	s    *sched
	id   int
	self Loop // the loop as its handlers see it: their posts come here
	q    runQueue
	wake chan struct{} // a token: Stop, or work for a parked worker
	rnd  uint32
	// tick counts finds; yielded says w put a chain back in its queue
	// (see find).
	tick    uint32
	yielded bool
	// cur is the invocation the worker runs; once it finished, if
	// hasNext, the one that finishing it made runnable, for the worker to
	// run next (see complete and runChain).
	cur       inv
	hasNext   bool
	inHandler bool        // w.cur's handler runs (see handlerEnded)
	crun      colorRun    // invocations of the color w.cur holds, taken at once
	lastEntry *colorEntry // a hint: the entry of the last color released (see heldEntry)
	// own holds what a single worker took from inject at once: all of
	// it, segments and all, with no copy. With several workers, a worker
	// moves a share of inject to q through batch (scratch, made when it
	// first takes some: New with 16 workers, most of which never start,
	// allocated 24 KiB more with it in the worker), where idle workers
	// may steal them.
	own        ring
	batch      *[32]inv
	ran, ended uint64 // started and finished, not yet published
	_          [64]byte
	// started and finished count this worker's invocations (exclusive
	// ones not included, but with a single worker): written by it alone,
	// read by others. It publishes them every few invocations, before
	// it looks for work elsewhere or parks, and when it ends.
	started  atomic.Uint64
	finished atomic.Uint64
	_        [64]byte
}

// publishEvery is how many invocations a worker may run before it
// publishes its counts when nothing waits for them.
const publishEvery = 16

// publish makes w's counts visible to others.
func (w *worker) publish() {
	w.started.Store(w.ran)
	w.finished.Store(w.ended)
}

const (
	// chainSlice is how long a worker may follow a chain while other
	// invocations wait; a handler that runs longer than slowHandler is
	// timed from its start when it starts a chain (see chain).
	chainSlice  = 500 * time.Microsecond
	slowHandler = chainSlice / 8
	// spinRounds is how many times an idle worker looks for work before
	// it parks.
	spinRounds = 16
	// probeFirst is how many times a handler is timed alone in a chain
	// before chains are timed from their first step one in 8 only.
	probeFirst = 16
	// quickHandler: a handler always timed under it is quick (see
	// runChain). 32 of them take under half the slice.
	quickHandler = chainSlice / 64
	// unslowAfter: a handler seen slow is slow no more once timed under
	// slowHandler this many times in a row (see timedAlone). Seen slow
	// for good, a 0.1 µs handler whose thread once lost its core for
	// 63 µs made its chains read the clock at every step for the loop's
	// life: a long-lived loop on the uniform load, on this loaded
	// machine, read it once per event after a hundred batches of 10,240,
	// fifty times as often as before. A handler slow one time in a
	// hundred or more seldom runs this many quick in a row: it stays
	// slow.
	unslowAfter = 256
)

// enqueue queues a runnable invocation: on worker w's queue if w is not
// nil (posted by its handler, or made runnable by what it finished), else
// on inject; then wakes a worker if none is looking for work. With a
// single worker, everything goes through inject, in the order posted.
func (s *sched) enqueue(v *inv, w *worker) {
	if w != nil && !s.single {
		w.q.push(v)
	} else {
		s.inject.push(v)
	}
	s.signal()
}

// signal wakes a parked worker if there is one and no worker is spinning:
// a spinning worker finds the invocation queued before (it checks the
// queues after it stops spinning and before it parks). If none is parked
// (every worker started is busy), it starts another, if the loop has one.
func (s *sched) signal() {
	if s.spinning.Load() != 0 {
		return
	}
	if s.nidle.Load() != 0 {
		s.wakeOne()
	} else if s.canGrow.Load() && s.nstarted.Load() < int32(len(s.workers)) {
		s.grow()
	}
}

// grow starts the next worker while Run runs (see Run: it holds growMu
// while it changes canGrow, and keeps wg above zero while canGrow is
// set, so that no worker is added once Run waits for them to end).
// signal reads canGrow before it calls grow: posts before Run (or once
// every worker started) take no lock for it. The
// new worker counts as spinning until it has looked for work, as a woken
// one does: posts meanwhile start no other, and the worker that finds
// work starts the next if more waits (maybeWakeAnother). growMu is taken
// with nothing else held and takes nothing: signal is called under gate
// and under idleMu's callers alike, so growing must not wait for either.
func (s *sched) grow() {
	s.growMu.Lock()
	n := s.nstarted.Load()
	if s.canGrow.Load() && int(n) < len(s.workers) {
		s.nstarted.Store(n + 1)
		s.spinning.Add(1)
		s.wg.Add(1)
		go s.workers[n].start()
	}
	s.growMu.Unlock()
}

// startedWorkers is the workers started so far.
func (s *sched) startedWorkers() []*worker {
	return s.workers[:s.nstarted.Load()]
}

func (s *sched) wakeOne() {
	s.idleMu.Lock()
	n := len(s.idleList)
	if n == 0 {
		s.idleMu.Unlock()
		return
	}
	w := s.idleList[n-1]
	s.idleList = s.idleList[:n-1]
	s.nidle.Add(-1)
	s.spinning.Add(1) // on its behalf: it looks for work once awake
	s.idleMu.Unlock()
	w.wake <- struct{}{}
}

// wakeAll wakes every parked worker (Stop).
func (s *sched) wakeAll() {
	s.idleMu.Lock()
	ws := s.idleList
	s.idleList = nil
	s.nidle.Store(0)
	s.spinning.Add(int32(len(ws)))
	s.idleMu.Unlock()
	for _, w := range ws {
		w.wake <- struct{}{}
	}
}

// find moves an invocation for w to run to w.cur; false if there is none.
func (w *worker) find() bool {
	s := w.s
	if s.single {
		if w.own.n == 0 {
			s.inject.takeAll(&w.own)
		}
		return w.own.popTo(&w.cur)
	}
	// Now and then, and after w put a chain back for others to pass it,
	// inject first: what goroutines outside the loop post (a new
	// connection) is not held up behind what w's handlers keep posting.
	w.tick++
	if (w.tick%16 == 0 || w.yielded) && (w.takeFrom(&s.inject, s.fairShare)) {
		w.yielded = false
		return true
	}
	w.yielded = false
	// Invocations are taken from w's queue one at a time: one held aside
	// while w runs a handler that blocks could be one that the handler
	// waits for, which another worker must be able to steal.
	if w.q.popTo(&w.cur) {
		return true
	}
	// A fair share of what waits in inject, so that other workers find
	// some; then half of another worker's queue, starting at a random one.
	if w.takeFrom(&s.inject, s.fairShare) {
		return true
	}
	ws := s.startedWorkers()
	w.rnd = w.rnd*1664525 + 1013904223
	start := int(w.rnd>>16) % len(ws)
	for i := range ws {
		x := ws[(start+i)%len(ws)]
		if x != w && w.takeFrom(&x.q, half) {
			return true
		}
	}
	return false
}

// takeFrom takes a share of q: the first (the oldest) to w.cur, the rest
// to w's queue, where other workers may steal them back if w is slow to
// run them (one is woken to, if there are some).
func (w *worker) takeFrom(q *runQueue, share func(int) int) bool {
	if !q.any.Load() {
		return false
	}
	if w.batch == nil {
		w.batch = new([32]inv)
	}
	n := q.take(w.batch[:], share)
	if n == 0 {
		return false
	}
	w.cur = w.batch[0]
	w.q.pushAll(w.batch[1:n])
	clear(w.batch[:n])
	if n > 1 {
		w.s.signal()
	}
	return true
}

func half(n int) int { return (n + 1) / 2 }

func (s *sched) fairShare(n int) int { return n/len(s.workers) + 1 }

// idle waits for work: spins a little, then parks. It moves the work found
// to w.cur, and returns false if the loop stopped.
func (w *worker) idle() bool {
	s := w.s
	w.publish()
	if s.mode.Load() != 0 {
		// A barrier or Shutdown may be waiting for the counts just
		// published: the check falls to the worker that runs out of work.
		s.gate.Lock()
		ok := s.check(&w.cur)
		s.gate.Unlock()
		if ok {
			return true
		}
	}
	if s.spinning.Add(1) <= s.maxSpin {
		for i := 0; i < spinRounds && !s.stopped(); i++ {
			runtime.Gosched()
			if w.find() {
				s.spinning.Add(-1)
				w.maybeWakeAnother()
				return true
			}
		}
	}
	s.spinning.Add(-1)
	for !s.stopped() {
		s.idleMu.Lock()
		s.idleList = append(s.idleList, w)
		s.nidle.Add(1)
		s.idleMu.Unlock()
		// Look again: what was queued before we were on the list did
		// not wake us.
		found := w.find()
		if found || s.stopped() {
			if !s.unpark(w) {
				<-w.wake // a waker took us off the list: take its token
				s.spinning.Add(-1)
			}
			if found {
				w.maybeWakeAnother()
			}
			return found
		}
		<-w.wake
		found = w.find()
		s.spinning.Add(-1)
		if found {
			w.maybeWakeAnother()
			return true
		}
	}
	return false
}

// maybeWakeAnother wakes another worker if more work waits, so that
// parallelism ramps up.
func (w *worker) maybeWakeAnother() {
	s := w.s
	if w.own.n > 0 || w.q.any.Load() || s.inject.any.Load() {
		s.signal()
	}
}

// unpark takes w off the idle list; false if a waker did first.
func (s *sched) unpark(w *worker) bool {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	for i, x := range s.idleList {
		if x == w {
			s.idleList = append(s.idleList[:i], s.idleList[i+1:]...)
			s.nidle.Add(-1)
			return true
		}
	}
	return false
}

// othersWait reports whether invocations wait for w (or for any worker):
// a racy hint, read after each handler of a chain.
func (w *worker) othersWait() bool {
	return w.own.n > 0 || w.q.any.Load() || w.s.inject.any.Load()
}

// start is the goroutine of a worker that grow started, counted as
// spinning: it looks for work once, then runs.
func (w *worker) start() {
	s := w.s
	found := !s.stopped() && w.find()
	s.spinning.Add(-1)
	if found {
		w.maybeWakeAnother()
	}
	w.loop(found)
}

// run is the goroutine of the worker Run starts, or of one that takes
// the place of a worker whose handler ended its goroutine (replace).
func (w *worker) run() { w.loop(false) }

// loop runs invocations until the loop stops; found says w.cur holds one
// to run first.
func (w *worker) loop(found bool) {
	s := w.s
	defer s.wg.Done()
	if s.single {
		w.runSingle()
		return
	}
	for {
		done, ok := w.runFrom(found)
		if !ok {
			return // a new goroutine carries on
		}
		if done {
			break
		}
		found = false // a handler panicked (recovered): go on
	}
	w.publish()
}

// runFrom runs invocations until the loop stops (done), or a handler
// panics (recovered: not done, ok) or ends the goroutine (not ok: a new
// one took its place); found says w.cur holds one to run first. One
// deferred recovery stands for all the handlers it runs: set up once per
// handler, it cost a 0.1 µs handler a few percent of its time.
func (w *worker) runFrom(found bool) (done, ok bool) {
	s := w.s
	defer w.runEnded(&ok)
	for !s.stopped() {
		if !found && !w.find() && !w.idle() {
			break
		}
		found = false
		if s.stopped() {
			w.q.push(&w.cur) // found as the loop stopped: for Drain
			break
		}
		w.runChain()
	}
	if found {
		// Found by a worker just started (start), as the loop stopped:
		// for Drain too. Lost, it left Drain waiting for it forever
		// (TestManyQueued, once in some hundred runs).
		w.q.push(&w.cur)
	}
	return true, true
}

// handlerEnded is called, deferred, when the handler of w.cur did not
// return: it panicked (x, recovered) or ended the goroutine (x nil:
// runtime.Goexit, as t.FailNow does in tests, or a panic about to crash
// the program, WithCrashOnPanic, not recovered). It releases what w.cur
// holds and puts what that makes runnable in w's queue (the chain is
// broken). After a recovered panic, reported, it returns true: the
// caller goes on; else it starts a goroutine in this one's place. A panic
// outside a handler is the loop's own: it goes on up.
func (w *worker) handlerEnded(x any) bool {
	s := w.s
	if !w.inHandler {
		if x != nil {
			panic(x)
		}
		return false
	}
	w.inHandler = false
	if s.single {
		w.ended++
	}
	if x != nil {
		s.onPanic(s.infoOf(&w.cur).name, x, debug.Stack())
	}
	if !s.single {
		s.complete(w)
		if w.hasNext {
			w.hasNext = false
			w.giveBack()
			s.enqueue(&w.cur, w)
		}
	}
	if x != nil {
		return true
	}
	w.replace()
	return false
}

// runSingle is the loop of a single worker: it runs what Post queued on
// inject, taken all at once, in the order posted; no hue, color or
// barrier needs keeping (nothing could overlap).
func (w *worker) runSingle() {
	for {
		done, ok := w.runSingleFrom()
		if !ok {
			return // a new goroutine carries on
		}
		if done {
			break
		}
		// A handler panicked (recovered): go on.
	}
	w.publish()
}

// runEnded, deferred by runFrom and runSingleFrom, sees how their run of
// handlers ended: a panic is recovered here (recover works only in the
// deferred call itself), unless the loop was asked to crash on one.
func (w *worker) runEnded(ok *bool) {
	if *ok {
		return
	}
	var x any
	if !w.s.crash {
		x = recover()
	}
	*ok = w.handlerEnded(x)
}

// runSingleFrom is runFrom for a single worker.
func (w *worker) runSingleFrom() (done, ok bool) {
	s := w.s
	defer w.runEnded(&ok)
	for !s.stopped() {
		if w.own.n == 0 {
			s.inject.takeAll(&w.own)
		}
		if !w.own.popTo(&w.cur) {
			w.cur = inv{} // let the last context go while idle
			if !w.idle() {
				break
			}
		}
		if s.stopped() {
			w.own.push(&w.cur) // for Drain, which sorts what it finds
			break
		}
		// w.cur is off the queue first: a handler that ends the goroutine
		// is not run again by the one that takes its place.
		w.ran++
		if s.limit > 0 {
			w.roomMade()
		}
		w.inHandler = true
		w.cur.run(&w.self, s.infoOf(&w.cur))
		w.inHandler = false
		w.ended++
		if w.ended%publishEvery == 0 {
			w.publish()
		}
	}
	return true, true
}

// replace starts a goroutine in the place of w's, which a handler is
// ending (runtime.Goexit, or a panic about to crash the program): it
// carries on with w's queues and counts, so the ending one touches w no
// more.
func (w *worker) replace() {
	w.publish()
	w.s.wg.Add(1)
	go w.run()
}

// roomMade publishes that w started an invocation, for posters waiting
// for room in the queue (WithQueueLimit).
func (w *worker) roomMade() {
	s := w.s
	w.started.Store(w.ran)
	if s.roomWaiters.Load() > 0 {
		s.roomMu.Lock()
		s.room.Broadcast()
		s.roomMu.Unlock()
	}
}

// runChain runs w.cur and then, as long as it may, the invocation that
// finishing one made runnable (the next of its hue or color) itself,
// rather than hand it to another worker and put a wake-up on the chain's
// critical path. But while other invocations wait, it follows the chain
// for no longer than chainSlice: a chain of slow handlers (a disk-bound
// response, 1 ms a chunk) yields after one of them, not after a count of
// them.
//
// The clock is read after a handler that has a successor while others
// wait, at steps 4, 8, 16 and every 32 after, and at steps 1 and 2 too in
// the first chains a handler starts and then one chain in 8 (a clock read
// per handler would cost fast handlers more than the slice saves: a tenth
// of a 0.1 µs handler's time), at every step for a handler seen to be
// slow (until it runs quick unslowAfter times in a row), and at the start
// of a chain whose first handler was seen to be slow. A handler is seen
// to be slow when two readings bracket it alone: when it follows another
// in a chain timed from step 1, while others wait. A chain of quick handlers (each timed probeFirst times under
// quickHandler, alone or within the handlers between two readings, and
// never alone at quickHandler or more: 32 of them take under half the
// slice) skips steps 4, 8 and 16: on this kind of machine a clock read
// costs 50 to 75 ns, and with 0.1 µs handlers those three reads were
// some 5 ns per event. The probes of steps 1 and 2 go on, so a quick
// handler that turns slow is seen to.
func (w *worker) runChain() {
	s := w.s
	start := time.Duration(-1) // when the chain started; -1: not read
	ran := s.infoOf(&w.cur)    // the handler of w.cur, run next
	if ran.slow.Load() {
		start = monotonic()
	}
	last := start // the last reading, taken before span began; -1: none
	var span handlerSpan
	step := 0
	probe := w.tick%8 == 0 || ran.probes.Load() < probeFirst // time steps 1 and 2
	quick := ran.quick.Load()                                // every handler of the chain so far is quick
	for {
		w.runOne(ran) // w.cur is the next to run now, if hasNext
		if !w.hasNext {
			return
		}
		if s.stopped() {
			w.giveBack()
			w.q.push(&w.cur) // for Drain
			return
		}
		if !w.othersWait() {
			last, step = -1, 0
			ran = s.infoOf(&w.cur)
			continue
		}
		prev := ran
		ran = s.infoOf(&w.cur)
		step++
		span.add(prev)
		quick = quick && ran.quick.Load()
		timed := step&(step-1) == 0 && (step > 2 && !quick || probe && step <= 2) || step%32 == 0
		if !timed && !prev.slow.Load() && !ran.slow.Load() {
			continue
		}
		now := monotonic()
		if last >= 0 {
			span.timed(now - last)
		}
		span = handlerSpan{}
		if start < 0 {
			start = now
		} else if now-start > chainSlice {
			w.giveBack()
			s.enqueue(&w.cur, w)
			w.yielded = true
			return
		}
		last = now
	}
}

// handlerSpan is the handlers a chain ran since its last clock reading:
// the first two distinct ones, n in all.
type handlerSpan struct {
	a, b *handlerInfo
	n    int
}

func (p *handlerSpan) add(hi *handlerInfo) {
	p.n++
	switch {
	case p.a == nil || p.a == hi:
		p.a = hi
	case p.b == nil || p.b == hi:
		p.b = hi
	}
}

// timed records that the span took d: the time of its handler if it ran
// one alone; else, if d is under quickHandler, a time under quickHandler
// for each of its first two handlers (each took less than the whole),
// so that a handler that seldom starts a chain's second step (the
// counter's, one event in ten) is learnt quick from the spans between
// steps 4, 8 and 16, and its chains stop reading the clock there. A span
// that took quickHandler or more says nothing of any one handler in it.
func (p *handlerSpan) timed(d time.Duration) {
	switch {
	case p.n == 1:
		p.a.timedAlone(d)
	case d < quickHandler && p.n > 1:
		p.a.timedAlone(d)
		if p.b != nil {
			p.b.timedAlone(d)
		}
	}
}

// timedAlone records that hi, timed alone in a chain, took d. Both what
// it learns can be unlearnt: a handler whose thread lost its core for a
// while (a loaded machine) is seen slow, or not quick, once; kept for
// good, that made every chain of a 0.1 µs handler read the clock at
// every step (or at steps 4, 8 and 16) for the rest of a loop's life.
func (hi *handlerInfo) timedAlone(d time.Duration) {
	switch {
	case d > slowHandler:
		hi.fastRuns.Store(0)
		hi.slow.Store(true)
		hi.quick.Store(false)
		hi.probes.Store(0)
		return
	case hi.slow.Load():
		// Timed at every step of its chains, a handler seen slow is slow
		// no more after unslowAfter times in a row under slowHandler.
		if hi.fastRuns.Add(1) >= unslowAfter {
			hi.slow.Store(false)
			hi.fastRuns.Store(0)
		}
		return
	case d >= quickHandler:
		// Quick again only after probeFirst quick ones in a row.
		hi.quick.Store(false)
		hi.probes.Store(0)
		return
	}
	if hi.probes.Load() < probeFirst && hi.probes.Add(1) == probeFirst {
		hi.quick.Store(true)
	}
}

// epoch makes monotonic a single read of the monotonic clock: time.Now
// also reads the wall clock, which a duration does not need.
var epoch = time.Now()

func monotonic() time.Duration { return time.Since(epoch) }

// runOne runs w.cur, of the handler hi, and completes it (complete leaves
// in w.cur what w may run next, if hasNext). If the handler does not
// return, runFrom's deferred recovery completes it (handlerEnded).
func (w *worker) runOne(hi *handlerInfo) {
	s := w.s
	v := &w.cur
	if !hi.exclusive {
		w.ran++
	} else {
		s.exclQueued.Store(0)
	}
	if s.limit > 0 {
		w.roomMade()
	}
	w.inHandler = true
	v.run(&w.self, hi)
	w.inHandler = false
	s.complete(w)
}
