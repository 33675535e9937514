// Package latency is the paper's motivating experiment (section 4), shared
// by the benchmarks of the example servers testdata/thttpd and
// testdata/thttpd-deferred, so that the control (before the refactor) and
// the result (after it) are measured by the same code. Start at Benchmark.
//
// thttpd serves cached files well, but in a single-threaded event loop a
// request that blocks on the disk holds up every other, cached ones
// included; once handleSend is independent of itself (the paper's refactor)
// the hue/color scheduler runs the blocked sends on other workers and
// cached requests go through. Before the refactor handleSend shares a hue
// with nearly every handler, so the hue/color table should gain nothing
// over the serial loop. The experiment measures the latency of cached
// requests while disk-bound requests are in flight, under the serial loop
// and under the table our analysis computes for the program.
//
// "Disk-bound" is an emulation, not a real disk: the servers copy every
// file into memory before the loop starts, and evicting a file from the
// page cache needs root, so no handler ever reads the disk. thttpd mmaps
// its files, and "most blocking occurs when memory is paged in while
// writing to the network", in handle_send. The experiment reproduces that
// blocking where it happens: its listener wraps each connection, and on a
// connection that asked for a file under /disk/ every write of the body
// (one chunk of at most the server's chunk size, 16 KiB, per handleSend)
// first sleeps pageIn, as a write from mmapped memory that is not resident
// waits for the disk. The handler's worker is held for that time, as a
// thread is held by a page fault. Files elsewhere are "cached": served from
// memory with no delay.
package latency

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/loop"
)

const (
	diskClients = 4                // disk-bound requests always in flight
	diskFile    = 128 << 10        // bytes: 8 chunks of the servers' default 16 KiB
	cachedFile  = 1 << 10          // bytes
	pageIn      = time.Millisecond // per chunk of a disk-bound body; < the servers' ioPoll, or the write's deadline expires
)

// Server is an example program under the experiment.
type Server struct {
	// Serve is the program's serve: it serves the files under root on ln
	// until ctx is done, then returns.
	Serve func(ctx context.Context, ln net.Listener, root string) error
	// Options points to the program's loopOptions, which Serve passes to
	// loop.New: the experiment sets them for each run, and Serve runs once
	// at a time.
	Options *[]loop.Option
	// Handlers are the program's loop handlers (the functions it posts),
	// every one of which must be in the analysis' table: one missing would
	// run alone and make the hue/color figures those of a partly serial
	// loop.
	Handlers []any
}

// Benchmark runs the experiment on s: diskClients clients keep disk-bound
// requests (diskFile bytes, pageIn of blocking per chunk written) in
// flight, while another client fetches a small cached file, one request at
// a time, each on a new connection, pausing a random 0-2 ms between them
// (so that they arrive at random points of the disk-bound ones), and times
// each from dial to the last byte of the body. b.N is the number of cached
// requests timed under each scheduler, one after the other in the same
// run:
//
//   - serial: loop.Serial(), the classic event loop: one handler at a time.
//   - huecolor: the constraint table that analysis.Run computes for the
//     program (what `safels gen` writes).
//
// Both loops get the same number of workers (Serial runs one handler at a
// time whatever the count), in two sub-benchmarks: workers=GOMAXPROCS, the
// loop's default, sized for handlers that compute; and
// workers=GOMAXPROCS+diskClients, the pool a server with blocking handlers
// needs, so that the blocked sends leave a worker per core for the rest.
// (At workers=GOMAXPROCS the workers are mostly asleep in sends: a worker
// that finishes a send runs the next send of that connection itself, but
// leaves the chain after one send, which outlasts the loop's time slice,
// when cached requests wait for a worker.)
//
// Reported: the p50 and p99 latency under each, in ms, and the ratios
// serial/huecolor (how many times faster cached requests are served
// alongside the disk). ns/op is the time of both runs with the pauses:
// ignore it. Run it with enough requests for a p99 (-benchtime 200x).
func Benchmark(b *testing.B, s Server) {
	table := analysedTable(b, s)
	root := docRoot(b)
	for _, w := range []int{runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0) + diskClients} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			workers := loop.WithWorkers(w)
			serial := cachedLatencies(b, s, root, b.N, loop.Serial(), workers)
			hc := cachedLatencies(b, s, root, b.N, loop.WithTable(table), workers)
			b.StopTimer()
			s50, s99 := percentile(serial, 50), percentile(serial, 99)
			h50, h99 := percentile(hc, 50), percentile(hc, 99)
			b.ReportMetric(ms(s50), "serial-p50-ms")
			b.ReportMetric(ms(s99), "serial-p99-ms")
			b.ReportMetric(ms(h50), "huecolor-p50-ms")
			b.ReportMetric(ms(h99), "huecolor-p99-ms")
			b.ReportMetric(float64(s50)/float64(h50), "p50-serial/huecolor")
			b.ReportMetric(float64(s99)/float64(h99), "p99-serial/huecolor")
		})
	}
}

// Setup runs the experiment's machinery on s for a few requests under both
// loops, checking every response but no timing (a timed assertion in a
// unit test is not a benchmark: see Benchmark), and returns the analysis'
// table, which holds every handler of s, for the caller's checks of its
// hues and colors.
func Setup(t *testing.T, s Server) loop.Table {
	t.Helper()
	table := analysedTable(t, s)
	root := docRoot(t)
	for _, opt := range []loop.Option{loop.Serial(), loop.WithTable(table)} {
		if got := cachedLatencies(t, s, root, 3, opt, loop.WithWorkers(runtime.GOMAXPROCS(0)+diskClients)); len(got) != 3 {
			t.Errorf("%d latencies, want 3", len(got))
		}
	}
	return table
}

var (
	tableOnce sync.Once
	tableRes  loop.Table
	tableErr  error
)

// analysedTable returns the constraint table of the package under test
// (the current directory, as go test runs it) as `safels gen` computes it:
// analysis.Run on the package directory, the loop handlers' hues and
// colors, keyed by the names the runtime gives their functions, with the
// sources and their hash (so the loop verifies it as it verifies a
// generated one). A test binary names the functions of a main package by
// its import path, as the analysis does; safels gen writes that name too,
// but a table computed here needs no `go generate` to follow the sources,
// and adds no file to the example. The analysis runs once per process (a
// test binary tests one package). It fails tb if a handler of s is not in
// the table.
func analysedTable(tb testing.TB, s Server) loop.Table {
	tb.Helper()
	tableOnce.Do(func() { tableRes, tableErr = analyse() })
	if tableErr != nil {
		tb.Fatal(tableErr)
	}
	for _, h := range s.Handlers {
		if _, ok := tableRes.Handlers[Name(h)]; !ok {
			tb.Fatalf("the analysis' table has no entry for %s: %v", Name(h), tableRes.Handlers)
		}
	}
	return tableRes
}

func analyse() (loop.Table, error) {
	dir, err := os.Getwd()
	if err != nil {
		return loop.Table{}, err
	}
	res, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		return loop.Table{}, err
	}
	for _, p := range res.Problems {
		if !p.Warning {
			return loop.Table{}, fmt.Errorf("%s: %s", p.Pos, p.Message)
		}
	}
	var files []string
	for _, f := range res.Files {
		rel, err := filepath.Rel(dir, f)
		if err != nil || filepath.Base(rel) != rel {
			return loop.Table{}, fmt.Errorf("analysed %s, outside %s", f, dir)
		}
		files = append(files, rel)
	}
	slices.Sort(files)
	sources := os.DirFS(dir)
	hash, err := loop.HashSources(sources, files)
	if err != nil {
		return loop.Table{}, err
	}
	t := loop.Table{Hash: hash, Files: files, Sources: sources, Handlers: map[string]loop.Constraint{}}
	for _, h := range res.Handlers {
		if h.Model == analysis.ModelLoop {
			t.Handlers[h.Name] = loop.Constraint{Hue: h.Hue, Colored: h.Colored}
		}
	}
	return t, nil
}

// Name is the runtime's name of function f, the key of its entry in a
// table.
func Name(f any) string { return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name() }

// docRoot writes the cached file (/cached.html) and the disk-bound one
// (/disk/big.bin).
func docRoot(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	if err := os.Mkdir(filepath.Join(root, "disk"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, size := range map[string]int{"cached.html": cachedFile, "disk/big.bin": diskFile} {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), bytes.Repeat([]byte("x"), size), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// cachedLatencies serves root with s on a loop configured by opts, keeps
// diskClients disk-bound requests in flight, and returns the latencies of
// n cached requests made one after the other, 0-2 ms apart. It checks
// every response, and stops the server before it returns.
func cachedLatencies(tb testing.TB, s Server, root string, n int, opts ...loop.Option) []time.Duration {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	*s.Options = opts // read by Serve, before the loop starts
	defer func() { *s.Options = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, diskListener{ln}, root) }()

	// The disk-bound clients, each with one request in flight at all times.
	load, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	started := make(chan struct{}, diskClients)
	errs := make(chan error, diskClients)
	for range diskClients {
		wg.Go(func() {
			for i := 0; load.Err() == nil; i++ {
				if _, err := fetch(addr, "/disk/big.bin", diskFile); err != nil {
					if load.Err() == nil {
						errs <- err
					}
					return
				}
				if i == 0 {
					started <- struct{}{}
				}
			}
		})
	}
	stop := func() {
		stopLoad()
		wg.Wait()
		cancel()
		if err := <-served; err != nil {
			tb.Errorf("serve: %v", err)
		}
	}
	for range diskClients {
		select {
		case <-started:
		case err := <-errs:
			stop()
			tb.Fatal(err)
		}
	}
	// A few cached requests to warm up, then the timed ones.
	lat := make([]time.Duration, 0, n)
	for i := -3; i < n; i++ {
		d, err := fetch(addr, "/cached.html", cachedFile)
		if err != nil {
			stop()
			tb.Fatal(err)
		}
		if i >= 0 {
			lat = append(lat, d)
		}
		time.Sleep(rand.N(2 * time.Millisecond))
	}
	stop()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
	return lat
}

// fetch GETs path on a new connection and reads the response, which must
// be a 200 with size bytes of body; it returns the time from dial to the
// last byte.
func fetch(addr, path string, size int) (time.Duration, error) {
	start := time.Now()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return 0, err
	}
	// Reset rather than TIME_WAIT: thousands of connections a second must
	// not exhaust the ephemeral ports.
	nc.(*net.TCPConn).SetLinger(0)
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(nc, "GET "+path+" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %v", path, err)
	}
	got, err := io.Copy(io.Discard, resp.Body)
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %v", path, err)
	}
	if resp.StatusCode != 200 || got != int64(size) {
		return 0, fmt.Errorf("GET %s: status %d, %d bytes; want 200, %d bytes", path, resp.StatusCode, got, size)
	}
	return d, nil
}

// diskListener wraps the connections it accepts in diskConns.
type diskListener struct{ net.Listener }

func (l diskListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &diskConn{Conn: nc}, nil
}

// diskConn emulates a file that is not in memory: once a request for a
// path under /disk/ has been read, each write after the response header
// (handleSend writes the header, then one chunk per invocation) sleeps
// pageIn before writing. Only the handlers of its connection use it, and
// they never overlap (colored, or serial), so it needs no lock.
type diskConn struct {
	net.Conn
	sniffed, disk, inBody bool
}

func (c *diskConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.sniffed && n > 0 {
		c.sniffed = true
		c.disk = bytes.HasPrefix(p[:n], []byte("GET /disk/"))
	}
	return n, err
}

func (c *diskConn) Write(p []byte) (int, error) {
	if c.disk && c.inBody {
		time.Sleep(pageIn)
	}
	n, err := c.Conn.Write(p)
	if !c.inBody && bytes.Contains(p[:n], []byte("\r\n\r\n")) {
		c.inBody = true
	}
	return n, err
}

// percentile returns the p-th percentile of d (nearest rank).
func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
