package analysis_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/synth"
)

// touch appends a comment to every Go file under dir.
func touch(b *testing.B, dir string, i int) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".go") {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(f, "// edit %d\n", i)
			f.Close()
		}
		return nil
	})
}

// peakHeap samples the heap while f runs.
func peakHeap(f func()) uint64 {
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak
}

// BenchmarkCheck measures the analysis of a generated workspace of a few
// hundred handlers across many packages, in-process, against `go vet ./...`
// on the same packages in the same run (the baseline a Go developer knows).
//
//	go test -run '^$' -bench Check -benchtime 3x ./analysis
func BenchmarkCheck(b *testing.B) {
	for _, size := range []struct{ pkgs, handlers int }{{50, 6}, {200, 6}, {200, 24}} {
		b.Run(fmt.Sprintf("pkgs=%d,handlers=%d", size.pkgs, size.handlers), func(b *testing.B) {
			dir := b.TempDir()
			lines := synth.Write(b, dir, size.pkgs, size.handlers)
			env := append(os.Environ(), "GOFLAGS=-mod=mod")
			goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
			vet := func() {
				cmd := exec.Command(goCmd, "vet", "./...")
				cmd.Dir, cmd.Env = dir, env
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("go vet: %v\n%s", err, out)
				}
			}
			vet() // warm the build cache, as a developer's would be
			var res *analysis.Result
			runtime.GC()
			b.ResetTimer()
			start := time.Now()
			peak := peakHeap(func() {
				for i := 0; i < b.N; i++ {
					var err error
					res, err = analysis.Run(context.Background(), analysis.Config{Dir: dir, Env: env})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			check := time.Since(start)
			b.StopTimer()
			if len(res.Handlers) != size.pkgs*size.handlers {
				b.Fatalf("found %d handlers, want %d (problems %v)", len(res.Handlers), size.pkgs*size.handlers, res.Problems)
			}
			// go vet caches its results: edit every file before each run, as
			// a developer's change would, so that it analyses the workspace
			// again (dependencies stay cached, as they do for safels).
			var vetTime time.Duration
			for i := 0; i < b.N; i++ {
				touch(b, dir, i)
				vetStart := time.Now()
				vet()
				vetTime += time.Since(vetStart)
			}
			b.ReportMetric(float64(check.Nanoseconds())/float64(b.N*len(res.Handlers)), "ns/handler")
			b.ReportMetric(float64(lines), "lines")
			b.ReportMetric(float64(len(res.Conflicts)), "conflicts")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(check)/float64(vetTime), "check/vet")
		})
	}
}
