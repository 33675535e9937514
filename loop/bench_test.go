package loop_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safels/safels/loop"
)

// Benchmarks. Run them with
//
//	go test -run '^$' -bench . ./loop/
//
// Each reports, measured in the same run, the time per invocation of every
// scheduler it compares (…-ns/inv) and the hue/color scheduler's speedup
// over the others (speedup-vs-…). ns/op is the time of one round of all of
// them: ignore it.

// BenchmarkThroughput: independent handlers (hue 0, not colored), CPU-bound
// (a 20µs spin; cpu-short: 2µs, where dispatch costs show) and blocking (a
// 200µs sleep; the system may sleep longer), under
//
//   - huecolor: this package's scheduler;
//   - serial: loop.Serial(), the classic event loop;
//   - naive: the naive scheduler the paper rejects, one global lock over
//     the scheduling state, taken for every dispatch and completion (not
//     held while a handler runs);
//   - colorsonly: libasync-smp's colors, every handler colored, each
//     invocation on its own context.
//
// Blocking handlers gain beyond the cores: there, every parallel scheduler
// has 16 workers. "pipeline" is the paper's Figure 1 in small: per request,
// parse (colored), query (hue 1, colored: it touches the database and the
// request) and respond (colored), 5µs of work each.
func BenchmarkThroughput(b *testing.B) {
	for _, kind := range []struct {
		name    string
		n       int // invocations per round
		workers int
		work    func()
	}{
		{"cpu", 400, runtime.GOMAXPROCS(0), func() { spin(20 * time.Microsecond) }},
		{"cpu-short", 2000, runtime.GOMAXPROCS(0), func() { spin(2 * time.Microsecond) }},
		{"blocking", 200, 16, func() { time.Sleep(200 * time.Microsecond) }},
	} {
		b.Run(kind.name, func(b *testing.B) {
			var left atomic.Int64
			done := make(chan struct{}, 1)
			finish := func() {
				if left.Add(-1) == 0 {
					done <- struct{}{}
				}
			}
			h := func(_ *loop.Loop, _ *ctxA) { kind.work(); finish() }
			free := loop.WithTable(table(b, map[string]loop.Constraint{nameOf(h): {}}))
			colored := loop.WithTable(table(b, map[string]loop.Constraint{nameOf(h): {Colored: true}}))
			workers := loop.WithWorkers(kind.workers)
			viaLoop := func(opts ...loop.Option) time.Duration {
				l := loop.New(opts...)
				left.Store(int64(kind.n))
				start := time.Now()
				go func() { <-done; l.Stop() }()
				for i := 0; i < kind.n; i++ {
					loop.Post(l, h, &distinct[i])
				}
				l.Run(context.Background())
				return time.Since(start)
			}
			viaNaive := func() time.Duration {
				s := newNaive(kind.workers)
				left.Store(int64(kind.n))
				start := time.Now()
				for i := 0; i < kind.n; i++ {
					s.post(0, nil, func() { h(nil, nil) })
				}
				<-done
				s.stop()
				return time.Since(start)
			}
			var hueColor, serial, naive, colorsOnly time.Duration
			for i := 0; i < b.N; i++ {
				hueColor += viaLoop(free, workers)
				serial += viaLoop(loop.Serial())
				naive += viaNaive()
				colorsOnly += viaLoop(colored, workers)
			}
			report(b, kind.n, map[string]time.Duration{"huecolor": hueColor, "serial": serial, "naive": naive, "colorsonly": colorsOnly})
		})
	}
	b.Run("pipeline", func(b *testing.B) {
		const requests = 200
		var left atomic.Int64
		done := make(chan struct{}, 1)
		var db [64]int // the database: only query touches it
		var respond, query func(*loop.Loop, *ctxA)
		parse := func(l *loop.Loop, c *ctxA) { spin(5 * time.Microsecond); c.id++; loop.Post(l, query, c) }
		query = func(l *loop.Loop, c *ctxA) { spin(5 * time.Microsecond); db[c.id%len(db)]++; loop.Post(l, respond, c) }
		respond = func(l *loop.Loop, c *ctxA) {
			spin(5 * time.Microsecond)
			c.id++
			if left.Add(-1) == 0 {
				done <- struct{}{}
			}
		}
		cons := map[string]loop.Constraint{
			nameOf(parse): {Colored: true}, nameOf(query): {Hue: 1, Colored: true}, nameOf(respond): {Colored: true},
		}
		viaLoop := func(opts ...loop.Option) time.Duration {
			l := loop.New(opts...)
			left.Store(requests)
			start := time.Now()
			go func() { <-done; l.Stop() }()
			for i := 0; i < requests; i++ {
				loop.Post(l, parse, &distinct[i])
			}
			l.Run(context.Background())
			return time.Since(start)
		}
		viaNaive := func() time.Duration {
			s := newNaive(runtime.GOMAXPROCS(0))
			left.Store(requests)
			start := time.Now()
			for i := 0; i < requests; i++ {
				c := &distinct[i]
				s.post(0, c, func() {
					spin(5 * time.Microsecond)
					c.id++
					s.post(1, c, func() {
						spin(5 * time.Microsecond)
						db[c.id%len(db)]++
						s.post(0, c, func() {
							spin(5 * time.Microsecond)
							c.id++
							if left.Add(-1) == 0 {
								done <- struct{}{}
							}
						})
					})
				})
			}
			<-done
			s.stop()
			return time.Since(start)
		}
		var hueColor, serial, naive time.Duration
		for i := 0; i < b.N; i++ {
			hueColor += viaLoop(loop.WithTable(table(b, cons)))
			serial += viaLoop(loop.Serial())
			naive += viaNaive()
		}
		report(b, 3*requests, map[string]time.Duration{"huecolor": hueColor, "serial": serial, "naive": naive})
	})
}

func report(b *testing.B, n int, d map[string]time.Duration) {
	per := float64(b.N * n)
	for name, t := range d {
		b.ReportMetric(float64(t.Nanoseconds())/per, name+"-ns/inv")
		if name != "huecolor" {
			b.ReportMetric(float64(t)/float64(d["huecolor"]), "speedup-vs-"+name)
		}
	}
}

func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

var distinct [2000]ctxA

// naive is the scheduler the paper describes and rejects: one lock over
// the pool of pending invocations and the set of running hues and colors,
// taken to pick each invocation (the first one that conflicts with nothing
// running) and to retire it.
type naive struct {
	mu      sync.Mutex
	cond    sync.Cond
	pending []*naiveInv
	hues    map[int]bool
	colors  map[any]bool
	stopped bool
	wg      sync.WaitGroup
}

type naiveInv struct {
	hue   int
	color any // nil: not colored
	run   func()
}

func newNaive(workers int) *naive {
	s := &naive{hues: map[int]bool{}, colors: map[any]bool{}}
	s.cond.L = &s.mu
	s.wg.Add(workers)
	for w := 0; w < workers; w++ {
		go s.work()
	}
	return s
}

func (s *naive) post(hue int, color any, run func()) {
	s.mu.Lock()
	s.pending = append(s.pending, &naiveInv{hue, color, run})
	s.mu.Unlock()
	s.cond.Signal()
}

func (s *naive) work() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		var inv *naiveInv
		for inv == nil {
			if s.stopped {
				s.mu.Unlock()
				return
			}
			for i, p := range s.pending {
				if (p.hue == 0 || !s.hues[p.hue]) && (p.color == nil || !s.colors[p.color]) {
					inv = p
					s.pending = append(s.pending[:i], s.pending[i+1:]...)
					break
				}
			}
			if inv == nil {
				s.cond.Wait()
			}
		}
		if inv.hue != 0 {
			s.hues[inv.hue] = true
		}
		if inv.color != nil {
			s.colors[inv.color] = true
		}
		s.mu.Unlock()
		inv.run()
		s.mu.Lock()
		delete(s.hues, inv.hue)
		delete(s.colors, inv.color)
		s.mu.Unlock()
		s.cond.Broadcast()
	}
}

func (s *naive) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cond.Broadcast()
	s.wg.Wait()
}

// BenchmarkDispatch: the cost of an empty handler, posted from one
// goroutine while the loop runs, against handing a func to one worker
// goroutine over a buffered channel (measured in the same run, with the
// timer stopped). Both keep at most 1024 invocations in flight (a channel
// of 1024 does by itself; Post never blocks, so the poster waits): this is
// the steady state, not a queue growing without bound.
func BenchmarkDispatch(b *testing.B) {
	const window = 1024
	var inflight atomic.Int64
	empty := func(*loop.Loop, *ctxA) { inflight.Add(-1) }
	throttle := func() {
		for inflight.Add(1) > window {
			inflight.Add(-1)
			runtime.Gosched()
		}
	}
	for _, v := range []struct {
		name string
		opts []loop.Option
	}{
		{"huecolor", []loop.Option{loop.WithTable(table(b, map[string]loop.Constraint{nameOf(empty): {}}))}},
		{"huecolor-1worker", []loop.Option{loop.WithTable(table(b, map[string]loop.Constraint{nameOf(empty): {}})), loop.WithWorkers(1)}},
		{"colored", []loop.Option{loop.WithTable(table(b, map[string]loop.Constraint{nameOf(empty): {Colored: true}}))}},
		{"hue-colored", []loop.Option{loop.WithTable(table(b, map[string]loop.Constraint{nameOf(empty): {Hue: 1, Colored: true}}))}},
		{"serial", []loop.Option{loop.Serial()}},
	} {
		b.Run(v.name, func(b *testing.B) {
			b.StopTimer()
			ch := make(chan func(), window)
			done := make(chan struct{})
			go func() {
				for f := range ch {
					f()
				}
				close(done)
			}()
			f := func() { inflight.Add(-1) }
			start := time.Now()
			for i := 0; i < b.N; i++ {
				throttle()
				ch <- f
			}
			close(ch)
			<-done
			chanTime := time.Since(start)

			l := loop.New(v.opts...)
			ran := make(chan struct{})
			go func() { l.Run(context.Background()); close(ran) }()
			b.StartTimer()
			start = time.Now()
			for i := 0; i < b.N; i++ {
				throttle()
				loop.Post(l, empty, &distinct[i%len(distinct)])
			}
			loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0) // exclusive: after all of them
			<-ran
			loopTime := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(chanTime.Nanoseconds())/float64(b.N), "channel-ns/op")
			b.ReportMetric(float64(loopTime)/float64(chanTime), "vs-channel")
		})
	}
}
