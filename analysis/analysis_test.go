package analysis_test

import (
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/wanttest"
)

// cell returns the matrix cell of two handlers named by their short names.
func cell(t *testing.T, r *analysis.Result, a, b string) analysis.Kind {
	t.Helper()
	idx := map[string]int{}
	for i, h := range r.Handlers {
		idx[h.Short] = i
	}
	i, ok := idx[a]
	j, ok2 := idx[b]
	if !ok || !ok2 {
		t.Fatalf("handlers %s, %s not both found among %v", a, b, idx)
	}
	return r.Matrix[i][j]
}

func TestFields(t *testing.T) {
	r := wanttest.Run(t, "testdata/fields")
	// handleUser touches stats.users, handleConn stats.conns: distinct fields.
	// They conflict only through table[] (indices conflated).
	if got := cell(t, r, "handleConn", "handleUser"); got != analysis.Global {
		t.Errorf("handleConn/handleUser = %b, want 01 (table[] only)", got)
	}
	if got := cell(t, r, "handleUser", "handlePtr"); got != 0 {
		t.Errorf("handleUser/handlePtr = %b, want 00: statsPtr.conns is not stats.users", got)
	}
}
