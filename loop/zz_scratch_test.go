package loop_test

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// scratch: one scheduler alone, for profiles (not committed).
func BenchmarkScratch(b *testing.B) {
	load := os.Getenv("LOAD")
	if load == "" {
		load = "uniform"
	}
	div, _ := strconv.Atoi(os.Getenv("DIV"))
	if div == 0 {
		div = 10
	}
	nw, _ := strconv.Atoi(os.Getenv("NW"))
	if nw == 0 {
		nw = runtime.GOMAXPROCS(0)
	}
	cal := calibrate()
	ev := events(load, 10240)
	wl := &workload{spins: cal / div, conns: newConns()}
	runs := map[string]func(*workload, []event, int) time.Duration{"loop": runLoop, "serial": runSerial, "pool": runPool, "goroutines": runGoroutines}
	for _, name := range []string{"loop", "serial", "pool"} {
		b.Run(name, func(b *testing.B) {
			var t time.Duration
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				t += runs[name](wl, ev, nw)
			}
			b.ReportMetric(float64(t.Nanoseconds())/float64(b.N*len(ev)), "ns/ev")
			b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N*len(ev)), "cpu-ns/ev")
		})
	}
}

func cpuTime() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
