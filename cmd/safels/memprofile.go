package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// startPeakHeapProfile writes to file a heap profile taken near the peak
// of the live heap: a profile at the end would show what the result
// keeps, not what made the run need its memory. Every half second it
// reads the heap's size, and where it grew by a tenth past the largest
// seen, it takes a profile (of the heap as of the last collection) and
// keeps it; stop writes the last one kept. The size read is the heap
// found live by the last collection, which is what the profile shows: the
// bytes of all objects, dead ones not yet swept included, peaked wherever
// garbage piled up before a collection, and on caddy the profile kept was
// of the summaries' 1.2 GB while the conflicts' 1.5 GB went unseen.
func startPeakHeapProfile(file string) (stop func() error, err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	finished := make(chan []byte)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		var kept []byte
		take := func() {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak+peak/10 {
				peak = v
				var b bytes.Buffer
				if pprof.Lookup("heap").WriteTo(&b, 0) == nil {
					kept = b.Bytes()
				}
			}
		}
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				take()
			case <-done:
				if kept == nil {
					runtime.GC()
					take()
				}
				finished <- kept
				return
			}
		}
	}()
	return func() error {
		close(done)
		_, err := f.Write(<-finished)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}
