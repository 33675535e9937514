package loop

import (
	"context"
	"errors"
	"log"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

var (
	// ErrStopped is returned by Run when the loop was stopped (Stop, or
	// Shutdown), and by Post after it was.
	ErrStopped = errors.New("loop: stopped")
	// ErrQueueFull is returned by Post, from outside the loop's handlers,
	// when the queue is at the limit set by WithQueueLimit(n, Reject).
	ErrQueueFull = errors.New("loop: queue full")
)

// Loop is an event loop. The zero value is not usable: call New.
//
// A handler is given the loop as seen from the worker that runs it: the
// same loop (Post, Stop, Context act on it), but not the pointer New
// returned, so do not compare the two. Posting through it is what makes a
// Post a handler's own: it goes to that worker's queue, and it is never
// held back by WithQueueLimit.
type Loop struct {
	s *sched
	w *worker // the worker whose handlers are given this Loop; nil: the loop New returned
}

// sched is a loop's state, shared by the Loop New returns and those its
// workers give their handlers.
type sched struct {
	// Configuration, set by New.
	onPanic  func(handler string, v any, stack []byte)
	crash    bool
	serial   bool
	strict   bool
	explicit *Table
	nworkers int
	limit    int
	full     Full

	// single: one worker, so no two invocations ever overlap, and a FIFO
	// run queue keeps every hue's, color's and barrier's order by itself:
	// Post and the worker skip the bookkeeping of hues, colors and
	// barriers.
	single bool

	table    *tableState
	hueIx    map[int]int // the table's hue → index in hues (≥ 1)
	hues     []hueQueue
	handlers handlerCache
	matched  atomic.Bool // a handler was found in the table
	shards   [1 << shardBits]colorShard

	// posted is written by every Post, mode by barriers, Shutdown and
	// Stop only and read by everyone: each on a cache line of its own.
	_      [64]byte
	posted atomic.Uint64 // invocations admitted (past any barrier), ever
	_      [64]byte
	mode   atomic.Uint32
	_      [64]byte

	gate        sync.Mutex // guards held, exclRunning, idle, and changes of mode
	held        []inv      // invocations behind a barrier, in order; the first is exclusive
	heldN       atomic.Int32
	exclRunning bool         // an exclusive invocation was taken from held and has not finished
	exclQueued  atomic.Int32 // 1 while that invocation has not started (for queued)
	idle        bool         // Shutdown stopped the loop once idle

	inject   runQueue // what goroutines outside the loop post
	_        [64]byte
	workers  []*worker
	idleMu   sync.Mutex
	idleList []*worker // parked workers
	nidle    atomic.Int32
	spinning atomic.Int32 // workers looking for work (or woken, or started, to)
	maxSpin  int32
	wg       sync.WaitGroup // the workers started, and Run while canGrow
	nstarted atomic.Int32   // workers started: workers[:nstarted]
	growMu   sync.Mutex     // changes of canGrow, and starting a worker; taken alone
	canGrow  atomic.Bool    // Run runs and the loop has not stopped

	roomMu      sync.Mutex // WithQueueLimit(n, Block): posters wait on room
	room        sync.Cond
	roomWaiters atomic.Int32

	runMu    sync.Mutex
	started  bool
	finished bool
	drained  bool
	stopCh   chan struct{} // closed by Stop
	runDone  chan struct{} // closed when Run returns

	ctx     atomic.Pointer[context.Context]
	ctxMu   sync.Mutex
	cancels []context.CancelCauseFunc

	pub *Loop // the Loop New returned
}

func (s *sched) stopped() bool { return s.mode.Load()&modeStopped != 0 }

// Option configures a Loop.
type Option func(*sched)

// WithTable uses t instead of the registered table. It is verified the same
// way: if t does not match its sources, every handler is exclusive.
func WithTable(t Table) Option { return func(s *sched) { s.explicit = &t } }

// WithWorkers sets the number of worker goroutines that run handlers
// (default runtime.GOMAXPROCS(0)); n < 1 keeps the default. They start
// as work is queued for them, not all at once. Handlers that block (disk,
// network) gain from more workers than cores.
func WithWorkers(n int) Option {
	return func(s *sched) {
		if n > 0 {
			s.nworkers = n
		}
	}
}

// WithPanicHandler sets what happens when a handler panics: f is called on
// the worker goroutine that ran the handler, with the handler's runtime
// name, the panic value and the stack, and the loop goes on. f may be
// called from several workers at once, and must not panic itself. The
// default logs through package log (to stderr).
func WithPanicHandler(f func(handler string, v any, stack []byte)) Option {
	return func(s *sched) { s.onPanic = f }
}

// WithCrashOnPanic lets a handler's panic go on: it crashes the program,
// with the handler's stack, as a panic in any goroutine does.
func WithCrashOnPanic() Option { return func(s *sched) { s.crash = true } }

// Serial ignores any table: one handler at a time, in the order posted (the
// classic event loop).
func Serial() Option { return func(s *sched) { s.serial = true } }

// WithStrictTable makes a table the loop cannot use an error rather than a
// line on stderr: with no table (none registered nor given, or a stale
// one), Run and Post return an error wrapping ErrStaleTable; Post of a
// handler that the table does not name returns one wrapping ErrNotInTable
// and queues nothing. Handlers the table makes exclusive are allowed.
// Without it, such handlers run exclusively (safe, and slower).
func WithStrictTable() Option { return func(s *sched) { s.strict = true } }

// Full says what Post does when the queue is at its limit (WithQueueLimit).
type Full int

const (
	// Block: Post waits until fewer invocations are queued, or the loop
	// stops (then it returns ErrStopped).
	Block Full = iota
	// Reject: Post returns ErrQueueFull.
	Reject
)

// WithQueueLimit bounds the queue: a Post made outside the loop's handlers
// when n or more invocations are queued (posted and not started, see Len)
// blocks or fails, as full says. Posts from handlers (through the Loop
// they are given) are never held back: they are the work already admitted
// going on, and a handler that waited for room could wait for itself.
// Concurrent posters may each pass the limit by one. n < 1: no limit (the
// default).
func WithQueueLimit(n int, full Full) Option {
	return func(s *sched) {
		if n > 0 {
			s.limit, s.full = n, full
		}
	}
}

// New returns a loop with nothing queued, configured by opts. Unless
// Serial, it uses the table given WithTable, else the registered one, after
// checking that the table matches its sources. It may be called from any
// goroutine.
func New(opts ...Option) *Loop {
	s := &sched{
		nworkers: runtime.GOMAXPROCS(0),
		stopCh:   make(chan struct{}),
		runDone:  make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	if s.onPanic == nil {
		s.onPanic = func(h string, v any, stack []byte) {
			log.Printf("safels: handler %s panicked: %v\n%s", h, v, stack)
		}
	}
	t := s.explicit
	if t == nil {
		registry.Lock()
		t = registry.table
		registry.Unlock()
	}
	s.table = newTableState(t, s.serial, s.explicit != nil, s.strict)
	s.hueIx = map[int]int{}
	for _, name := range slices.Sorted(maps.Keys(s.table.cons)) {
		if h := s.table.cons[name].Hue; h > 0 && s.hueIx[h] == 0 {
			s.hueIx[h] = len(s.hueIx) + 1
		}
	}
	s.hues = make([]hueQueue, len(s.hueIx)+1)
	s.room.L = &s.roomMu
	s.single = s.nworkers == 1
	s.maxSpin = int32(max(1, min(s.nworkers, runtime.GOMAXPROCS(0))/2))
	s.workers = make([]*worker, s.nworkers)
	for i := range s.workers {
		w := &worker{s: s, id: i, wake: make(chan struct{}, 1), rnd: uint32(i)*2654435761 + 1}
		w.self = Loop{s: s, w: w}
		s.workers[i] = w
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	s.ctx.Store(&ctx)
	s.cancels = []context.CancelCauseFunc{cancel}
	s.pub = &Loop{s: s}
	return s.pub
}

// Post queues the invocation h(l, c) and returns nil, or returns why it
// did not: ErrStopped after Stop (or once Shutdown stopped the loop),
// ErrQueueFull (WithQueueLimit with Reject), or, WithStrictTable, an
// error wrapping ErrStaleTable or ErrNotInTable. It may be called from any
// goroutine, including from handlers (with the Loop they are given),
// before or while the loop runs; it never waits for handlers, except
// WithQueueLimit(n, Block) from outside the loop's handlers (from outside
// them, it yields its processor now and then while many invocations are
// queued, so that workers sharing it run them: see yieldEvery). h must
// not be nil.
//
// The invocation runs after the invocations of its hue and, if it is
// colored, of its color, that were posted before it, one at a time; if
// its handler is exclusive, after everything posted before it, alone. An
// invocation with no hue and no color (one the table proves independent of
// every handler) is ordered only by exclusive ones: it may run before, or
// alongside, anything posted before it, on the same context included.
func Post[C any](l *Loop, h func(*Loop, C), c C) error {
	if h == nil {
		panic("loop: Post with a nil handler")
	}
	s := l.s
	hi := info(s, h)
	if hi.err != nil {
		return hi.err
	}
	if s.limit > 0 && l.w == nil {
		if err := s.waitRoom(); err != nil {
			return err
		}
	}
	v := inv{hix: hi.ix, fn: *(*unsafe.Pointer)(unsafe.Pointer(&h)), ctx: c}
	return s.post(&v, hi, l.w)
}

// waitRoom waits until the queue is below the limit (WithQueueLimit).
func (s *sched) waitRoom() error {
	if s.queued() < s.limit {
		return nil
	}
	if s.full == Reject {
		return ErrQueueFull
	}
	s.roomMu.Lock()
	s.roomWaiters.Add(1)
	for s.queued() >= s.limit && !s.stopped() {
		s.room.Wait()
	}
	s.roomWaiters.Add(-1)
	s.roomMu.Unlock()
	if s.stopped() {
		return ErrStopped
	}
	return nil
}

// Len is the number of invocations posted and not started: queued, or
// waiting for their hue, their color or a barrier. It is a snapshot: it
// may be out of date when it returns. It may be called from any
// goroutine.
func (l *Loop) Len() int { return l.s.queued() }

// Context is the loop's context, for handlers to pass to what they call
// that may block: once Run is called, a context derived from Run's, with
// its values; it is done when the loop stops (Stop, Run's context done,
// Shutdown's deadline, or Shutdown's end), and context.Cause says why
// (ErrStopped, or the cause of Run's context). Before Run it has no
// values. It may be called from any goroutine.
func (l *Loop) Context() context.Context { return *l.s.ctx.Load() }

// Run runs queued handlers, on its workers, until ctx is done, Stop is
// called, or Shutdown finds nothing left to do; then it waits for the
// handlers running to return, and returns ctx.Err() if ctx is done, else
// ErrStopped. WithStrictTable and no usable table, it returns an error
// wrapping ErrStaleTable at once (and stops the loop). It may be called
// once, from any goroutine but a handler's; after Stop it returns at once.
func (l *Loop) Run(ctx context.Context) error {
	s := l.s
	if l.w != nil {
		return errors.New("loop: Run called from a handler")
	}
	s.runMu.Lock()
	if s.started {
		s.runMu.Unlock()
		return errors.New("loop: Run called twice")
	}
	s.started = true
	var err error
	switch {
	case s.strict && s.table.err != nil:
		err = s.table.err
	case s.stopped():
		err = ErrStopped
	}
	if err != nil {
		s.finished = true
		close(s.runDone)
		s.runMu.Unlock()
		s.stop(err)
		return err
	}
	s.wg.Add(1) // Run's own, while workers may start: see grow
	s.runMu.Unlock()

	rctx, cancel := context.WithCancelCause(ctx)
	s.ctxMu.Lock()
	s.ctx.Store(&rctx)
	s.cancels = append(s.cancels, cancel)
	if s.stopped() {
		cancel(ErrStopped)
	}
	s.ctxMu.Unlock()
	stopWatch := context.AfterFunc(ctx, func() { s.stop(context.Cause(ctx)) })
	defer stopWatch()

	// One worker now; queuing work starts the others (grow), when the
	// workers started are all busy.
	s.growMu.Lock()
	s.canGrow.Store(true)
	s.nstarted.Store(1)
	s.wg.Add(1)
	go s.workers[0].run()
	s.growMu.Unlock()
	<-s.stopCh
	s.growMu.Lock()
	s.canGrow.Store(false)
	s.growMu.Unlock()
	s.wg.Done()
	s.wg.Wait()
	s.runMu.Lock()
	s.finished = true
	close(s.runDone)
	s.runMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrStopped
}

// Stop ends Run: no invocation starts after it, the handlers running
// finish, then Run returns. Invocations still queued stay queued for Drain;
// Post returns ErrStopped afterwards. It may be called from any goroutine,
// handlers included, before or during Run, more than once.
func (l *Loop) Stop() { l.s.stop(ErrStopped) }

func (s *sched) stop(cause error) {
	s.gate.Lock()
	s.stopLocked(cause)
	s.gate.Unlock()
}

// stopLocked stops the loop, under gate.
func (s *sched) stopLocked(cause error) {
	if s.stopped() {
		return
	}
	s.mode.Or(modeStopped)
	close(s.stopCh)
	s.ctxMu.Lock()
	for _, cancel := range s.cancels {
		cancel(cause)
	}
	s.ctxMu.Unlock()
	s.wakeAll()
	s.roomMu.Lock()
	s.room.Broadcast()
	s.roomMu.Unlock()
}

// Shutdown stops the loop once everything posted has run: queued
// invocations run under the same rules, and so do those that handlers and
// other goroutines post meanwhile; when none is left (queued or running),
// the loop stops, Run returns, and Shutdown returns nil once it has. If
// ctx is done first, Shutdown stops the loop as Stop does (what did not
// run stays for Drain) and returns ctx.Err() without waiting for Run. A
// loop that chains work forever (a handler that always posts another) is
// never idle: only ctx ends it. Stop the producers outside the loop before
// calling it.
//
// It may be called from any goroutine. From a handler, it starts the
// shutdown and returns nil at once (the loop cannot be idle while the
// handler that waits for it runs); ctx still bounds it. On a stopped loop
// it returns nil if a Shutdown stopped it, else ErrStopped.
func (l *Loop) Shutdown(ctx context.Context) error {
	s := l.s
	s.gate.Lock()
	if s.stopped() {
		idle := s.idle
		s.gate.Unlock()
		if idle {
			s.waitRun()
			return nil
		}
		return ErrStopped
	}
	s.mode.Or(modeShutdown)
	var e inv
	ok := s.check(&e)
	s.gate.Unlock()
	if ok {
		s.enqueue(&e, l.w)
	}
	if l.w != nil {
		context.AfterFunc(ctx, func() { s.stop(context.Cause(ctx)) })
		return nil
	}
	select {
	case <-s.stopCh:
	case <-ctx.Done():
		s.stop(context.Cause(ctx))
	}
	s.gate.Lock()
	idle := s.idle
	s.gate.Unlock()
	switch {
	case idle:
		s.waitRun()
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return ErrStopped
}

// waitRun waits for Run to return, if it was called.
func (s *sched) waitRun() {
	s.runMu.Lock()
	started := s.started
	s.runMu.Unlock()
	if started {
		<-s.runDone
	}
}

// Invocation is a queued handler call, as returned by Drain.
type Invocation struct {
	// Handler is the runtime name of the handler function.
	Handler string
	// Run calls the handler on its context, on the calling goroutine, with
	// no scheduling constraint and no panic recovery: the caller decides.
	Run func()
}

// Drain waits until the loop is stopped and Run (if it was called) has
// returned, then returns the invocations that were posted and never ran,
// so that nothing posted before Stop is lost: the caller may run them
// (Invocation.Run, with no scheduling constraint) or dispose of them. They
// come in the order posted (posts that raced with each other in either
// order), so running them in that order keeps every hue's and color's
// order, and every barrier. The first call returns them, later calls nil.
// It may be called from any goroutine; from a handler it returns nil at
// once (Run cannot return while a handler runs).
func (l *Loop) Drain() []Invocation {
	s := l.s
	if l.w != nil {
		return nil
	}
	<-s.stopCh
	s.waitRun()
	s.runMu.Lock()
	if s.drained {
		s.runMu.Unlock()
		return nil
	}
	s.drained = true
	s.runMu.Unlock()
	// No worker is left; what was admitted and did not finish is in the
	// queues, or about to be (a Post that raced with Stop): wait for it.
	var admitted, held []inv
	for {
		admitted, held = s.collect(admitted, held)
		s.gate.Lock()
		want := int(s.unfinished())
		if s.exclRunning {
			want++ // taken from held, in a run queue
		}
		done := len(admitted) >= want && s.heldN.Load() == 0
		s.gate.Unlock()
		if done {
			break
		}
		runtime.Gosched()
	}
	slices.SortStableFunc(admitted, func(a, b inv) int {
		switch {
		case seqBefore(a.seq, b.seq):
			return -1
		case seqBefore(b.seq, a.seq):
			return 1
		}
		return 0
	})
	out := make([]Invocation, 0, len(admitted)+len(held))
	for _, v := range append(admitted, held...) {
		hi := s.infoOf(&v)
		out = append(out, Invocation{Handler: hi.name, Run: func() { v.run(s.pub, hi) }})
	}
	return out
}

// collect takes every invocation out of the queues (once the workers are
// gone).
func (s *sched) collect(admitted, held []inv) ([]inv, []inv) {
	take := func(v *inv) {
		if v.hix == 0 {
			p := v.ctx.(*pending)
			if p.drained {
				return // taken from its other wait list
			}
			p.drained = true
			v = &p.inv
		}
		admitted = append(admitted, *v)
	}
	drainRing := func(r *ring) {
		var v inv
		for r.popTo(&v) {
			take(&v)
		}
	}
	s.inject.drain(take)
	for _, w := range s.workers {
		drainRing(&w.own)
		w.q.drain(take)
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, e := range sh.addr {
			drainRing(&e.q)
		}
		for _, e := range sh.vals {
			drainRing(&e.q)
		}
		sh.mu.Unlock()
	}
	for i := range s.hues {
		h := &s.hues[i]
		h.mu.Lock()
		drainRing(&h.q)
		h.mu.Unlock()
	}
	s.gate.Lock()
	held = append(held, s.held...)
	s.heldN.Add(-int32(len(s.held)))
	s.held = nil
	s.gate.Unlock()
	return admitted, held
}
