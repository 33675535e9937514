package loop_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/safels/safels/loop"
)

// Throughput of independent handlers (hue 0, not colored) under the
// hue/color scheduler, against the serial loop, a naive scheduler that runs
// each invocation under one global lock, and colors only (every handler
// colored, each on its own context, as libasync-smp would run them):
//
//	go test -run '^$' -bench Throughput ./loop
func BenchmarkThroughput(b *testing.B) {
	for _, kind := range []struct {
		name string
		work func()
	}{
		{"cpu", func() { spin(20 * time.Microsecond) }},
		{"blocking", func() { time.Sleep(200 * time.Microsecond) }},
	} {
		b.Run(kind.name, func(b *testing.B) {
			const n = 400
			measure := func(opts []loop.Option, h func(*loop.Loop, *ctxA)) time.Duration {
				start := time.Now()
				for i := 0; i < b.N; i++ {
					runLoop(opts, n, h)
				}
				return time.Since(start)
			}
			var h func(*loop.Loop, *ctxA)
			h = func(*loop.Loop, *ctxA) { kind.work() }
			free := loop.WithTable(table(nil, map[string]loop.Constraint{nameOf(h): {}}))
			colored := loop.WithTable(table(nil, map[string]loop.Constraint{nameOf(h): {Colored: true}}))
			workers := loop.WithWorkers(8) // blocking handlers gain beyond the cores
			hueColor := measure([]loop.Option{free, workers}, h)
			serial := measure([]loop.Option{loop.Serial()}, h)
			colorsOnly := measure([]loop.Option{colored, workers}, h)
			start := time.Now()
			for i := 0; i < b.N; i++ {
				naiveRun(8, n, kind.work)
			}
			naive := time.Since(start)
			b.ReportMetric(float64(serial)/float64(hueColor), "speedup-vs-serial")
			b.ReportMetric(float64(naive)/float64(hueColor), "speedup-vs-global-lock")
			b.ReportMetric(float64(colorsOnly)/float64(hueColor), "speedup-vs-colors-only")
			b.ReportMetric(float64(hueColor.Nanoseconds())/float64(b.N*n), "ns/invocation")
		})
	}
}

func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

var distinct [400]ctxA

// runLoop posts n invocations on distinct contexts, then a handler missing
// from the table: exclusive, it starts only after all the others finished,
// and stops the loop.
func runLoop(opts []loop.Option, n int, h func(*loop.Loop, *ctxA)) {
	l := loop.New(opts...)
	for i := 0; i < n; i++ {
		loop.Post(l, h, &distinct[i%len(distinct)])
	}
	loop.Post(l, stop, 0)
	l.Run(context.Background())
}

func stop(l *loop.Loop, _ int) { l.Stop() }

// naiveRun is the baseline: workers that take each invocation from a queue
// under one global lock and run it holding the lock (the simplest safe
// parallel loop: as serial as the serial loop, plus the locking).
func naiveRun(workers, n int, work func()) {
	var mu sync.Mutex
	queue := n
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if queue == 0 {
					mu.Unlock()
					return
				}
				queue--
				work()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// Dispatch overhead of an empty handler, against handing a func to one
// worker goroutine over a buffered channel.
//
//	go test -run '^$' -bench Dispatch ./loop
func BenchmarkDispatch(b *testing.B) {
	empty := func(*loop.Loop, int) {}
	var l *loop.Loop
	l = loop.New(loop.Serial())
	for i := 0; i < b.N; i++ {
		loop.Post(l, empty, i)
	}
	loop.Post(l, func(l *loop.Loop, _ int) { l.Stop() }, 0)
	start := time.Now()
	l.Run(context.Background())
	loopTime := time.Since(start)

	ch := make(chan func(), 1024)
	done := make(chan struct{})
	go func() {
		for f := range ch {
			f()
		}
		close(done)
	}()
	start = time.Now()
	for i := 0; i < b.N; i++ {
		ch <- func() {}
	}
	close(ch)
	<-done
	chanTime := time.Since(start)
	b.ReportMetric(float64(loopTime.Nanoseconds())/float64(b.N), "ns/dispatch")
	b.ReportMetric(float64(loopTime)/float64(chanTime), "vs-channel")
}
