package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/safels/safels/loop"
)

// TestPipeline runs requests through the six stages and checks the
// answers, the database's hit counts and the access log.
func TestPipeline(t *testing.T) {
	// Start from empty shared state, as main does (and as -count=N needs).
	db, accessLog = map[string]entry{}, nil
	l := loop.New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()

	if got, want := submit(l, []string{"put a apple", " put b banana "}), []string{"stored apple", "stored banana"}; !slices.Equal(got, want) {
		t.Errorf("puts: %q, want %q", got, want)
	}
	got := submit(l, []string{"get a", "get b", "get a", "get c", "delete a"})
	// The two gets of "a" may be answered in either order.
	if !(got[0] == "apple (hit 1)" && got[2] == "apple (hit 2)" || got[0] == "apple (hit 2)" && got[2] == "apple (hit 1)") {
		t.Errorf("gets of a: %q and %q, want hits 1 and 2", got[0], got[2])
	}
	if got[1] != "banana (hit 1)" || got[3] != "not found" || got[4] != `error: cannot parse "delete a"` {
		t.Errorf("responses %q", got)
	}
	l.Stop()
	if err := <-done; err != loop.ErrStopped {
		t.Fatalf("Run: %v", err)
	}
	// The loop has stopped: the shared state is ours to read.
	if e := db["a"]; e.value != "apple" || e.hits != 2 {
		t.Errorf(`db["a"] = %+v, want apple with 2 hits`, e)
	}
	if len(accessLog) != 7 {
		t.Errorf("access log has %d lines, want 7:\n%q", len(accessLog), accessLog)
	}
}
