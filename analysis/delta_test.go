package analysis_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/safels/safels/analysis"
)

// Passes over a recursive component that apply only the callee entries
// added since the last pass must find what applying them whole finds.
func TestDeltaPassesMatchWhole(t *testing.T) {
	dirs := []string{"testdata/recursion", "testdata/callback", "testdata/owned", "../testdata/thttpd"}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := analysis.Config{Dir: dir}
			delta, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			analysis.SetWholePasses(true)
			defer analysis.SetWholePasses(false)
			whole, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(whole.Conflicts) == 0 {
				t.Fatalf("no conflicts at all in %s: the comparison proves nothing", dir)
			}
			a, b := digest(delta), digest(whole)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				for i := 0; i < len(a) && i < len(b); i++ {
					if a[i] != b[i] {
						t.Fatalf("first difference:\ndelta %s\nwhole %s", a[i], b[i])
					}
				}
				t.Fatalf("delta %d lines, whole %d", len(a), len(b))
			}
		})
	}
}
