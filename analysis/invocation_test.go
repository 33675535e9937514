package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/wanttest"
)

// TestParamStores: a concurrent handler's request is its own, but not
// what it stores there that is not (a global URL), nor a request it
// published (kept in a global another handler reads), nor a parameter
// of the server's own type a wrapper filled with shared memory, nor a
// response writer it published (written by another handler through the
// global), nor the global URL a library call reads through the request.
// Each was taken to be the invocation's own and its conflicts dropped.
func TestParamStores(t *testing.T) {
	r := wanttest.Run(t, "testdata/paramstore")
	for _, p := range [][2]string{{"pin", "pin"}, {"keep", "peek"}, {"count", "count"}, {"pubW", "useW"}, {"pubW", "pubW"}, {"query", "pin"}} {
		if got := cell(t, r, p[0], p[1]); got&analysis.Global == 0 {
			t.Errorf("%s/%s = %02b, want the global bit", p[0], p[1], got)
		}
	}
	// The wrapper's parameter is of the server's type, the request of
	// the library's: what count reaches through its env is no request's.
	if got := cell(t, r, "count", "pin"); got != 0 {
		t.Errorf("count/pin = %02b, want 00", got)
	}
}

// TestInvocationTypes: a library type .safels.json declares made for one
// invocation keeps what one handler stored in it from the others; without
// the declaration the message may be the one another handler pointed at
// the global, and bump's write through it is a write of the global.
func TestInvocationTypes(t *testing.T) {
	reg := `"registrations": [{"package": "example.com/relay", "receiver": "Relay", "names": ["On"], "args": [2], "model": "concurrent"}]`
	for _, c := range []struct {
		config string
		want   analysis.Kind // bump/pin and bump/bump
	}{
		{`{` + reg + `}`, analysis.Global},
		{`{` + reg + `, "invocationTypes": [{"package": "example.com/relay", "name": "Msg"}]}`, 0},
	} {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS("testdata/invtypes")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, analysis.ConfigFile), []byte(c.config), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"."}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Problems {
			if !p.Note && !p.Warning {
				t.Fatalf("%s: %s", p.Pos, p.Message)
			}
		}
		for _, pair := range [][2]string{{"bump", "pin"}, {"bump", "bump"}} {
			if got := cell(t, r, pair[0], pair[1]) & analysis.Global; got != c.want {
				t.Errorf("%s: %s/%s global bit = %02b, want %02b", c.config, pair[0], pair[1], got, c.want)
			}
		}
	}
}

// TestHeldPublished: a pointer loaded from a handler's own object and
// published (stored in a global, by a callee, sent on a channel) shares
// what it leads to; the handler's writes through the object reach it.
func TestHeldPublished(t *testing.T) {
	wanttest.Run(t, "testdata/heldpub")
}

// TestFreshAppend: entities a handler loads for itself (a constructor's,
// appended to a slice of the loader's, their fields filled by a library)
// are its own, and so is what they hold; a slice literal holding a
// global, appended to, still holds it, and an entry the loader also kept
// in a global is shared.
func TestFreshAppend(t *testing.T) {
	wanttest.Run(t, "testdata/freshappend")
}

// TestAggregates: a pointer taken out of a struct or array value a call
// returns, or an interface holds, points to shared memory (here); its
// accesses were lost.
func TestAggregates(t *testing.T) {
	wanttest.Run(t, "testdata/aggregates")
}
