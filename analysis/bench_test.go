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

// BenchmarkDerived measures what deriving library models from source
// (analysis/derive) costs a check: the analysis of a module calling the
// standard library without the derivation (the baseline), with an empty
// cache of derived models (a machine's first run), and with the cache a
// previous run left (every later run), in the same run, as ratios to the
// baseline.
//
//	go test -run '^$' -bench Derived -benchtime 3x ./analysis
func BenchmarkDerived(b *testing.B) {
	for _, dir := range []string{"testdata/derived", "testdata/models", "testdata/libfuncs"} {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			abs, err := filepath.Abs(dir)
			if err != nil {
				b.Fatal(err)
			}
			env := append(os.Environ(), "GOFLAGS=-mod=mod")
			run := func(cfg analysis.Config) (*analysis.Result, time.Duration) {
				cfg.Dir, cfg.Env = abs, env
				start := time.Now()
				res, err := analysis.Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				return res, time.Since(start)
			}
			warmDir := b.TempDir()
			run(analysis.Config{NoDerive: true})        // the build cache, as a developer's would be
			run(analysis.Config{LibraryCache: warmDir}) // the derived models' cache
			var base, cold, warm time.Duration
			var derived int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, t := run(analysis.Config{NoDerive: true})
				base += t
				res, t := run(analysis.Config{LibraryCache: b.TempDir()})
				cold += t
				derived = res.Library.Derived
				res, t = run(analysis.Config{LibraryCache: warmDir})
				warm += t
				if res.Library.Derived != 0 {
					b.Fatalf("warm run derived %d packages, want all from the cache", res.Library.Derived)
				}
			}
			b.ReportMetric(float64(cold)/float64(base), "cold/base")
			b.ReportMetric(float64(warm)/float64(base), "warm/base")
			b.ReportMetric(float64(derived), "packages-derived")
			b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "base-ns/op")
		})
	}
}
