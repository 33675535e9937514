package analysis_test

import (
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
