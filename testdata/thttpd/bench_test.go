package main

import (
	"testing"

	"github.com/safels/safels/internal/latency"
)

// server is this program under the paper's motivating experiment.
var server = latency.Server{Serve: serve, Options: &loopOptions, Handlers: []any{
	handleAccept, handleRead, handleParse, handleSend,
	handleLinger, handleIdle, handleExpire, handleShutdown,
}}

// BenchmarkCachedLatency is the control of the paper's motivating
// experiment (see package internal/latency): before the refactor,
// handleSend shares its hue with every handler that touches the
// connection table, itself included, so the hue/color table runs the
// disk-bound sends one at a time, as the serial loop does, and cached
// requests wait behind them under both: expect ratios near 1, against
// ../thttpd-deferred's. Run it with enough requests for a p99:
//
//	go test -run '^$' -bench CachedLatency -benchtime 200x -count 5 ./testdata/thttpd
func BenchmarkCachedLatency(b *testing.B) { latency.Benchmark(b, server) }

// TestCachedLatencySetup runs the benchmark's machinery for a few requests
// (no timing is checked): the analysis' table covers every handler, with
// handleSend in a hue as the paper found it before the refactor, and both
// loops serve correct responses with disk-bound requests in flight.
func TestCachedLatencySetup(t *testing.T) {
	if c := latency.Setup(t, server).Handlers[latency.Name(handleSend)]; c.Hue == 0 {
		t.Errorf("handleSend: %+v in the table; want a hue, as before the paper's refactor", c)
	}
}
