package codeactions_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/codeactions"
	"github.com/safels/safels/diagnostics"
	"github.com/safels/safels/internal/testmod"
)

// modEnv lets the go command complete the copy's go.mod.
var modEnv = testmod.Env()

// applyFix runs the analysis, finds the finding on line whose message
// contains what, applies the fix whose title starts with title, and writes
// the file back.
func applyFix(t *testing.T, dir, file string, line int, what, title string) {
	t.Helper()
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"."}, Env: modEnv})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Logf("%s: %s", p.Pos, p.Message)
	}
	path := filepath.Join(dir, file)
	src, _ := os.ReadFile(path)
	for _, f := range diagnostics.Findings(r) {
		if f.Pos.Filename != path || f.Pos.Line != line || !strings.Contains(f.Message, what) {
			continue
		}
		for _, fix := range codeactions.For(r, f, src) {
			if strings.HasPrefix(fix.Title, title) {
				os.WriteFile(path, applyEdits(t, src, fix.Edits), 0o644)
				return
			}
		}
	}
	t.Fatalf("%s:%d: no %q fix on a finding about %q", file, line, title, what)
}

func lineOf(t *testing.T, path, text string) int {
	t.Helper()
	data, _ := os.ReadFile(path)
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s: no line with %q", path, text)
	return 0
}

// TestPaperRefactor replays the paper's thttpd study with the quick fix:
// "We first deferred the invocation of really_clear_connection to a
// separate handler ... We deferred the counter update to another handler
// ... This change removed all conflicts, not only making handle_send
// independent with itself (when invoked with different contexts), but also
// with almost all the other handlers."
func TestPaperRefactor(t *testing.T) {
	dir := testmod.Copy(t, "../testdata/thttpd")
	file := filepath.Join(dir, "handlers.go")
	applyFix(t, dir, "handlers.go", lineOf(t, file, "\treallyClearConnection(c) // want"), "reallyClearConnection", "Defer reallyClearConnection(c)")
	applyFix(t, dir, "handlers.go", lineOf(t, file, "stats.responses[c.status/100]++"), "stats.responses", "Defer stats.responses")

	got, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"."}, Env: modEnv})
	if err != nil {
		t.Fatal(err)
	}
	want, err := analysis.Run(context.Background(), analysis.Config{Dir: "..", Patterns: []string{"./testdata/thttpd-deferred"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got.Problems {
		t.Errorf("refactored program: %s: %s", p.Pos, p.Message)
	}
	// The quick fix names its handlers after what they run; the hand-made
	// refactor named them differently.
	rename := map[string]string{
		"deferReallyClearConnection": "deferClearConnection",
		"deferStatsResponses":        "deferCountResponse",
	}
	row := func(r *analysis.Result, name string) map[string]analysis.Kind {
		out := map[string]analysis.Kind{}
		for i, h := range r.Handlers {
			if h.Short != name {
				continue
			}
			for j, o := range r.Handlers {
				n := o.Short
				if m, ok := rename[n]; ok {
					n = m
				}
				out[n] = r.Matrix[i][j]
			}
		}
		return out
	}
	g, w := row(got, "handleSend"), row(want, "handleSend")
	if len(g) == 0 || len(g) != len(w) {
		t.Fatalf("handleSend's row: got %v, want %v", g, w)
	}
	for n, k := range w {
		if g[n] != k {
			t.Errorf("handleSend/%s = %02b after the quick fixes, %02b in thttpd-deferred", n, g[n], k)
		}
		if g[n]&analysis.Global != 0 {
			t.Errorf("handleSend still conflicts globally with %s", n)
		}
	}
}
