package analysis_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
)

// A recursive component detached past its bound loses precision, never a
// conflict: every global conflict stays global, every same-context one is
// still a conflict (a global one, at worst), and a note names the
// component.
func TestDetachedComponentsLoseNoConflict(t *testing.T) {
	for _, dir := range []string{"testdata/recursion", "../testdata/thttpd"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := analysis.Config{Dir: dir}
			exact, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			old := analysis.SetComponentBound(10)
			defer analysis.SetComponentBound(old)
			detached, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			noted := false
			for _, p := range detached.Problems {
				noted = noted || p.Note && strings.Contains(p.Message, "taken as done to any memory of its type")
			}
			if !noted {
				t.Fatalf("no component was detached in %s: the comparison proves nothing", dir)
			}
			if len(exact.Handlers) != len(detached.Handlers) {
				t.Fatalf("%d handlers, %d detached", len(exact.Handlers), len(detached.Handlers))
			}
			for i, row := range exact.Matrix {
				for j, k := range row {
					d := detached.Matrix[i][j]
					if k&analysis.Global != 0 && d&analysis.Global == 0 || k != 0 && d == 0 {
						t.Errorf("%s/%s: %02b exact, %02b detached", exact.Handlers[i].Short, exact.Handlers[j].Short, k, d)
					}
				}
			}
		})
	}
}
