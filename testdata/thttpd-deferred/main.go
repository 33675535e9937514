// Command thttpd-deferred is ../thttpd after the paper's refactor: handleSend
// posts deferClearConnection instead of calling reallyClearConnection, and
// posts deferCountResponse instead of updating stats.responses. The rest is
// the same server. `safels check` finds handleSend independent of itself
// except on the same connection, and of every other handler except on the
// same connection (see ../README.md).
//
// Like thttpd it keeps a global connection table and global statistics and
// never blocks the loop for long: an accept goroutine posts each new
// connection to the loop, and every read or write uses a short deadline, the
// handler posting itself again to continue where it stopped.
//
// Usage:
//
//	thttpd-deferred [-addr 127.0.0.1:8080] [-root .] [-max-conns 256] [-chunk 16384] [-v]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"mime"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/safels/safels/loop"
)

// Configuration. Set from flags in main before the loop starts and only read
// by handlers afterwards: read-only after initialization, so never a
// conflict, however many handlers read it.
var (
	maxConnects   = 256                  // size of connTable
	maxPerClient  = 32                   // open connections per client address
	chunkSize     = 16 << 10             // bytes handleSend writes per invocation
	maxHeader     = 8 << 10              // longest request header accepted
	ioPoll        = 5 * time.Millisecond // how long one read or write may wait
	idleReadLimit = 30 * time.Second     // a client that sends no request
	idleSendLimit = 60 * time.Second     // a client that reads no response
	lingerTime    = 500 * time.Millisecond
	idleTick      = time.Second // how often handleIdle visits the table
	verbose       bool

	// loopOptions configure the loop serve runs: none in the program (the
	// generated table if any, GOMAXPROCS workers). The latency benchmark
	// (bench_test.go) sets loop.Serial or the analysis' table, and workers
	// for blocking handlers.
	loopOptions []loop.Option

	// cache maps a URL path to its document. serve fills it before the loop
	// starts; handlers only read it (and the bytes it holds), so responses
	// share it with no conflict. Unlike thttpd's mmap cache it is a snapshot:
	// files added later are not served until a restart.
	cache map[string]*file
)

// The connection table, as in thttpd: a slot per open connection, the
// number in use and a hint for where to look for a free one.
var (
	connTable   []*conn        // nil: a free slot
	numConnects int            // slots in use
	firstFree   int            // no free slot below this index
	perClient   map[string]int // open connections per client address
)

// serverStats are the counters the server logs with -v.
type serverStats struct {
	connections  int64    // accepted
	refused      int64    // closed at once: table full or client over its limit
	simultaneous int      // most connections open at once
	requests     int64    // request headers parsed
	bytes        int64    // bytes sent on connections since closed
	responses    [6]int64 // responses completed, by status class (2 for 2xx)
}

var stats serverStats

// file is a cached document.
type file struct {
	data    []byte
	ctype   string
	modTime time.Time
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	root := flag.String("root", ".", "document root `dir`ectory")
	flag.IntVar(&maxConnects, "max-conns", maxConnects, "most open connections")
	flag.IntVar(&chunkSize, "chunk", chunkSize, "bytes written per send event")
	flag.BoolVar(&verbose, "v", false, "log closed connections and statistics")
	flag.Parse()
	if maxConnects < 1 || chunkSize < 1 {
		log.Fatal("thttpd: -max-conns and -chunk must be positive")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("thttpd: serving %s on http://%s/", *root, ln.Addr())
	if err := serve(ctx, ln, *root); err != nil {
		log.Fatal(err)
	}
}

// serve serves the files under root on ln until ctx is done, then closes ln
// and every open connection and returns. It initializes the global state
// first, so it is not to be called twice at once.
func serve(ctx context.Context, ln net.Listener, root string) error {
	files, err := loadCache(root)
	if err != nil {
		ln.Close()
		return err
	}
	// Initialization, before the loop runs: not a handler access.
	cache = files
	connTable = make([]*conn, maxConnects)
	numConnects, firstFree = 0, 0
	perClient = map[string]int{}
	stats = serverStats{}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := loop.New(loopOptions...)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		acceptLoop(ctx, l, ln)
	}()
	go func() {
		defer wg.Done()
		tick(ctx, l)
	}()
	context.AfterFunc(ctx, func() { ln.Close() })

	// acceptLoop posts handleShutdown after its last handleAccept. Under a
	// table, handleShutdown conflicts with nothing and may run before
	// handleAccepts still queued: what the loop left is run here, alone
	// (no handler runs once Run returns; their posts fail), so that every
	// accepted connection ends in the table.
	if err := l.Run(context.Background()); !errors.Is(err, loop.ErrStopped) {
		return err
	}
	cancel()
	wg.Wait()
	for _, inv := range l.Drain() {
		inv.Run()
	}
	// The loop has stopped: no handler runs, so the table is ours.
	for _, c := range connTable {
		if c != nil {
			c.nc.Close()
		}
	}
	return nil
}

// acceptLoop blocks in Accept so that the loop never does, and hands each
// connection to handleAccept. It runs in its own goroutine, started by
// serve, not by a handler.
func acceptLoop(ctx context.Context, l *loop.Loop, ln net.Listener) {
	defer loop.Post(l, handleShutdown, struct{}{})
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or the like: wait for some to close.
			log.Printf("thttpd: accept: %v", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		client, _, err := net.SplitHostPort(nc.RemoteAddr().String())
		if err != nil {
			client = nc.RemoteAddr().String()
		}
		loop.Post(l, handleAccept, &conn{nc: nc, client: client, slot: -1})
	}
}

// tick posts handleIdle every idleTick until ctx is done: thttpd's timers.
func tick(ctx context.Context, l *loop.Loop) {
	t := time.NewTicker(idleTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			loop.Post(l, handleIdle, now)
		}
	}
}

// maxCachedFile bounds what loadCache holds in memory per file.
const maxCachedFile = 64 << 20

// loadCache reads every regular file under root, keyed by its URL path.
func loadCache(root string) (map[string]*file, error) {
	files := map[string]*file{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxCachedFile {
			log.Printf("thttpd: %s: larger than %d bytes, not served", p, maxCachedFile)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(filepath.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		files["/"+filepath.ToSlash(rel)] = &file{data: data, ctype: ctype, modTime: info.ModTime()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("thttpd: loading %s: %w", root, err)
	}
	return files, nil
}
