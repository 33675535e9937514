package main

import (
	"testing"

	"github.com/safels/safels/internal/latency"
	"github.com/safels/safels/loop"
)

// server is this program under the paper's motivating experiment.
var server = latency.Server{Serve: serve, Options: &loopOptions, Handlers: []any{
	handleAccept, handleRead, handleParse, handleSend, deferClearConnection,
	deferCountResponse, handleLinger, handleIdle, handleExpire, handleShutdown,
}}

// BenchmarkCachedLatency is the paper's motivating experiment (see package
// internal/latency) after its refactor: handleSend has no hue, so the
// hue/color table runs the disk-bound sends of other connections alongside
// the cached requests, which the serial loop makes wait. ../thttpd's
// benchmark is the control. Run it with enough requests for a p99:
//
//	go test -run '^$' -bench CachedLatency -benchtime 200x -count 5 ./testdata/thttpd-deferred
func BenchmarkCachedLatency(b *testing.B) { latency.Benchmark(b, server) }

// TestCachedLatencySetup runs the benchmark's machinery for a few requests
// (no timing is checked): the analysis' table covers every handler, with
// handleSend free of hues as in the paper, and both loops serve correct
// responses with disk-bound requests in flight.
func TestCachedLatencySetup(t *testing.T) {
	if c := latency.Setup(t, server).Handlers[latency.Name(handleSend)]; c != (loop.Constraint{Hue: 0, Colored: true}) {
		t.Errorf("handleSend: %+v in the table; want no hue, colored, as after the paper's refactor", c)
	}
}
