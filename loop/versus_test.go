package loop_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safels/safels/loop"
)

// BenchmarkVersus compares the loop, with the table the analysis computes
// for its handlers, to what a Go developer writes instead, on the same
// events in the same run:
//
//   - serial: one goroutine ranging over a buffered channel, the classic
//     event loop;
//   - pool: a worker pool sharded by connection: events hashed by
//     connection id onto a worker's buffered channel, so that a
//     connection's events run in order on one worker, and the shared
//     counter under a mutex;
//   - goroutines: a goroutine per event, the connection's state under the
//     connection's mutex, the counter under its own (no order kept);
//   - loop: loop.Post of each event's handler, then Shutdown.
//
// Two loads of 10,240 events over 64 connections (1,024 events for the
// blocking handlers, whose serial run would otherwise take seconds):
//
//   - uniform: connections picked at random; each event does its work on
//     its connection's state (onData: colored), and 1 in 10 also counts
//     (onCount), deferring the shared counter to a handler of its own
//     (bump: hue 1), as in the paper's refactor of thttpd;
//   - skewed: the same, except that 3 events in 4 go to one hot connection
//     whose handler (onHot) reads only what never changes after setup: the
//     table makes it uncolored, so the loop runs its events in parallel
//     where the pool runs them one after the other on the connection's
//     worker.
//
// Handlers spin for 0.1 µs, 1 µs or 20 µs of work (a calibrated loop), or
// sleep 200 µs (blocking), with GOMAXPROCS workers and with 16. Reported:
// each scheduler's time per event (…-ns/ev) and the loop's speedup over
// each (vs-serial, vs-pool, vs-goroutines: their time over the loop's, so
// above 1 the loop is faster), medians over the benchmark's rounds; and
// the CPU time the process spent per event (user and system, from
// getrusage around each run) for the loop, serial and pool (…-cpu-ns/ev),
// and the loop's saving in it (cpu-vs-serial, cpu-vs-pool: their median
// CPU time over the loop's): with idle workers parked, a scheduler's wall
// time mixes the cost of dispatch with time its workers wait, and on a
// loaded machine with time it waits for a core; its CPU time does not.
// loop-cores and pool-cores are the cores each kept busy (the median of
// its runs' CPU time over their time): where the loop should gain from a
// second core (the skewed load, where the pool keeps one busy), a
// loop-cores near 1 says that the machine did not give it one. On
// the skewed load, hot-max-worker-share is the largest share of the hot
// connection's events that one of the loop's workers ran (in one more
// run, untimed): 1/workers when they spread evenly. The four run in a
// different order each round (balanced). Run it, on one core and on all,
// with
//
//	go test -run '^$' -bench Versus -benchtime 7x -cpu 1,2 ./loop/
//
// ns/op is the time of one round of all four: ignore it. To profile or
// trace one scheduler, VERSUS_ONLY=loop (or serial, pool, goroutines) runs
// it alone and reports nothing else; in a CPU profile of all four, each
// one's samples carry the label sched (pprof -tagfocus sched=loop).
func BenchmarkVersus(b *testing.B) {
	cal := calibrate()
	for _, load := range []string{"uniform", "skewed"} {
		for _, w := range []struct {
			name  string
			n     int // events
			spins int // 0: sleep
		}{
			{"0.1us", 10240, cal / 10},
			{"1us", 10240, cal},
			{"20us", 10240, 20 * cal},
			{"block200us", 1024, 0},
		} {
			for _, nw := range []int{0, 16} {
				name := fmt.Sprintf("%s/work=%s/workers=%d", load, w.name, nw)
				if nw == 0 {
					name = fmt.Sprintf("%s/work=%s/workers=procs", load, w.name)
				}
				b.Run(name, func(b *testing.B) {
					workers := nw
					if workers == 0 {
						workers = runtime.GOMAXPROCS(0) // as -cpu sets it
					}
					ev := events(load, w.n)
					wl := &workload{spins: w.spins, sleep: 200 * time.Microsecond, conns: newConns()}
					runs := []struct {
						name string
						run  func(*workload, []event, int) time.Duration
					}{
						{"loop", runLoop}, {"serial", runSerial}, {"pool", runPool}, {"goroutines", runGoroutines},
					}
					times := map[string][]time.Duration{}
					cpus := map[string][]time.Duration{}
					cores := map[string][]time.Duration{} // CPU time over wall time, in thousandths
					only := os.Getenv("VERSUS_ONLY")
					for i := 0; i < b.N; i++ {
						for j := range runs {
							r := runs[balanced(i, j, len(runs))]
							if only != "" && only != r.name {
								continue
							}
							cpu := cpuTime()
							var t time.Duration
							// Labelled, with the goroutines it starts, for
							// -cpuprofile: pprof -tagfocus sched=loop.
							pprof.Do(context.Background(), pprof.Labels("sched", r.name), func(context.Context) {
								t = r.run(wl, ev, workers)
							})
							c := cpuTime() - cpu
							times[r.name] = append(times[r.name], t)
							cpus[r.name] = append(cpus[r.name], c)
							cores[r.name] = append(cores[r.name], time.Duration(1000*c/max(t, 1)))
						}
					}
					b.StopTimer()
					if only != "" {
						return
					}
					med := map[string]time.Duration{}
					for name, ts := range times {
						med[name] = median(ts)
						b.ReportMetric(float64(med[name].Nanoseconds())/float64(len(ev)), name+"-ns/ev")
					}
					for _, name := range []string{"loop", "serial", "pool"} {
						b.ReportMetric(float64(median(cpus[name]).Nanoseconds())/float64(len(ev)), name+"-cpu-ns/ev")
					}
					for _, name := range []string{"loop", "pool"} {
						b.ReportMetric(float64(median(cores[name]))/1000, name+"-cores")
					}
					for _, other := range []string{"serial", "pool", "goroutines"} {
						b.ReportMetric(float64(med[other])/float64(med["loop"]), "vs-"+other)
					}
					for _, other := range []string{"serial", "pool"} {
						b.ReportMetric(float64(median(cpus[other]))/float64(median(cpus["loop"])), "cpu-vs-"+other)
					}
					if load == "skewed" {
						b.ReportMetric(hotShare(wl, ev, workers), "hot-max-worker-share")
					}
				})
			}
		}
	}
}

// balanced is the j-th of n schedulers to run in round i: a balanced
// Latin square (Williams), so that over n rounds each goes first once and
// runs right after each other once. What runs before a scheduler moves
// its time: after the goroutine per event, whose 10,240 goroutines leave
// the caches cold, the next ran 4 to 7% slower (one core, 0.1 µs). A
// rotation (i+j)%n keeps the order within a round, and ran the loop right
// after the goroutines in 3 rounds of 4.
func balanced(i, j, n int) int {
	f := (j + 1) / 2 // 0, 1, n-1, 2, n-2, ...
	if j%2 == 0 {
		f = (n - j/2) % n
	}
	return (i + f) % n
}

// hotShare runs the skewed load once more through the loop, untimed,
// counting the hot connection's events per worker (a handler is given its
// worker's *Loop), and returns the largest share one worker ran: 1/workers
// if they spread evenly, 1 if one worker ran them all (as the pool does).
func hotShare(w *workload, ev []event, workers int) float64 {
	var mu sync.Mutex
	per := map[*loop.Loop]int{}
	hotCount = func(l *loop.Loop) {
		mu.Lock()
		per[l]++
		mu.Unlock()
	}
	defer func() { hotCount = nil }()
	runLoop(w, ev, workers)
	total, most := 0, 0
	for _, n := range per {
		total += n
		most = max(most, n)
	}
	return float64(most) / float64(max(total, 1))
}

const nConns = 64

type benchConn struct {
	id    int
	key   uint64 // set before the run, only read after: onHot reads it
	state uint64 // the connection's state: its events update it
	mu    sync.Mutex
}

func newConns() []*benchConn {
	cs := make([]*benchConn, nConns)
	for i := range cs {
		cs[i] = &benchConn{id: i, key: uint64(i)*0x9E3779B97F4A7C15 | 1}
	}
	return cs
}

const (
	kindData = iota
	kindCount
	kindHot
)

type event struct {
	conn int
	kind uint8
}

// events is the load: a fixed sequence, the same for every scheduler.
func events(load string, n int) []event {
	r := rand.New(rand.NewPCG(1, 2))
	ev := make([]event, n)
	for i := range ev {
		e := event{conn: r.IntN(nConns), kind: kindData}
		if r.IntN(10) == 0 {
			e.kind = kindCount
		}
		if load == "skewed" && r.IntN(4) != 0 {
			e = event{conn: 0, kind: kindHot}
		}
		ev[i] = e
	}
	return ev
}

// workload is what handlers do: spins iterations of burn, or a sleep.
type workload struct {
	spins   int
	sleep   time.Duration
	conns   []*benchConn
	counter int
	hot     atomic.Int64
}

func (w *workload) work(x uint64) uint64 {
	if w.spins == 0 {
		time.Sleep(w.sleep)
		return x
	}
	return burn(x, w.spins)
}

// burn is a spin that the compiler cannot remove: xorshift rounds.
func burn(x uint64, n int) uint64 {
	x |= 1
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var burnSink atomic.Uint64

// calibrate returns the iterations of burn in a microsecond, at best.
func calibrate() int {
	const n = 1 << 20
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		burnSink.Store(burn(uint64(start.UnixNano()), n))
		if d := time.Since(start); d < best {
			best = d
		}
	}
	return int(float64(n) / (float64(best) / float64(time.Microsecond)))
}

// cpuTime is the CPU time the process has used, user and system: what a
// run costs beside how long it takes. The process's, not the run's
// goroutines': the benchmark runs nothing else meanwhile (a garbage
// collection a run causes is counted in it, as it should be).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ts []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ts...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// The handlers, as a Go developer writes them for the serial loop and the
// pool: whoever runs an event of a connection owns its state.
func (w *workload) data(c *benchConn) { c.state = w.work(c.state ^ c.key) }
func (w *workload) hotRead(c *benchConn) {
	if w.work(c.key) == 42 {
		w.hot.Add(1)
	}
}

func runSerial(w *workload, ev []event, _ int) time.Duration {
	start := time.Now()
	ch := make(chan event, 1024)
	done := make(chan struct{})
	go func() {
		for e := range ch {
			c := w.conns[e.conn]
			switch e.kind {
			case kindData:
				w.data(c)
			case kindCount:
				w.data(c)
				w.counter++
			case kindHot:
				w.hotRead(c)
			}
		}
		close(done)
	}()
	for _, e := range ev {
		ch <- e
	}
	close(ch)
	<-done
	return time.Since(start)
}

func runPool(w *workload, ev []event, workers int) time.Duration {
	start := time.Now()
	var mu sync.Mutex // the counter's
	chs := make([]chan event, workers)
	var wg sync.WaitGroup
	for i := range chs {
		chs[i] = make(chan event, 1024)
		wg.Add(1)
		go func(ch chan event) {
			defer wg.Done()
			for e := range ch {
				c := w.conns[e.conn]
				switch e.kind {
				case kindData:
					w.data(c)
				case kindCount:
					w.data(c)
					mu.Lock()
					w.counter++
					mu.Unlock()
				case kindHot:
					w.hotRead(c)
				}
			}
		}(chs[i])
	}
	for _, e := range ev {
		chs[e.conn%workers] <- e
	}
	for _, ch := range chs {
		close(ch)
	}
	wg.Wait()
	return time.Since(start)
}

func runGoroutines(w *workload, ev []event, _ int) time.Duration {
	start := time.Now()
	var mu sync.Mutex // the counter's
	var wg sync.WaitGroup
	for _, e := range ev {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := w.conns[e.conn]
			switch e.kind {
			case kindData, kindCount:
				c.mu.Lock()
				w.data(c)
				c.mu.Unlock()
				if e.kind == kindCount {
					mu.Lock()
					w.counter++
					mu.Unlock()
				}
			case kindHot:
				w.hotRead(c)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// The loop's handlers: the workload travels in a package variable, set
// before each run, as a server's configuration does.
var wl *workload

func onData(l *loop.Loop, c *benchConn) { wl.data(c) }

func onCount(l *loop.Loop, c *benchConn) {
	wl.data(c)
	loop.Post(l, bump, c)
}

func bump(l *loop.Loop, _ *benchConn) { wl.counter++ }

// hotCount, if set, is told which worker runs each of onHot's events
// (hotShare). Set only between runs, so the handlers read it unsynchronized.
var hotCount func(*loop.Loop)

func onHot(l *loop.Loop, c *benchConn) {
	if hotCount != nil {
		hotCount(l)
	}
	wl.hotRead(c)
}

// versusTable is what the analysis proves of the handlers above: onData
// and onCount write their connection's state (colored); bump writes the
// counter (hue 1), and its context is not used; onHot reads what nothing
// writes once the loop runs, and updates an atomic (neither).
func versusTable(tb testing.TB) loop.Table {
	return table(tb, map[string]loop.Constraint{
		nameOf(onData):  {Colored: true},
		nameOf(onCount): {Colored: true},
		nameOf(bump):    {Hue: 1},
		nameOf(onHot):   {},
	})
}

var versusTab loop.Table
var versusOnce sync.Once

func runLoop(w *workload, ev []event, workers int) time.Duration {
	return runLoopOpts(w, ev, workers)
}

func runLoopOpts(w *workload, ev []event, workers int, opts ...loop.Option) time.Duration {
	versusOnce.Do(func() { versusTab = versusTable(nil) })
	wl = w
	start := time.Now()
	l := loop.New(append(opts, loop.WithTable(versusTab), loop.WithWorkers(workers))...)
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	for _, e := range ev {
		c := w.conns[e.conn]
		switch e.kind {
		case kindData:
			loop.Post(l, onData, c)
		case kindCount:
			loop.Post(l, onCount, c)
		case kindHot:
			loop.Post(l, onHot, c)
		}
	}
	l.Shutdown(context.Background())
	<-done
	return time.Since(start)
}

// TestBalancedOrder: over n rounds, each scheduler runs once in each
// place, and right after each other once.
func TestBalancedOrder(t *testing.T) {
	for _, n := range []int{2, 4, 6} {
		first := map[int]int{}
		after := map[[2]int]int{}
		for i := 0; i < n; i++ {
			seen := map[int]bool{}
			prev := -1
			for j := 0; j < n; j++ {
				k := balanced(i, j, n)
				if seen[k] {
					t.Fatalf("n=%d round %d runs %d twice", n, i, k)
				}
				seen[k] = true
				if j == 0 {
					first[k]++
				} else {
					after[[2]int{prev, k}]++
				}
				prev = k
			}
		}
		if len(first) != n || len(after) != n*(n-1) {
			t.Errorf("n=%d: %d go first, %d of %d pairs follow each other", n, len(first), len(after), n*(n-1))
		}
	}
}
