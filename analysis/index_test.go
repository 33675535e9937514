package analysis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/synth"
)

// digest is everything the index could change: the matrix, the conflicts
// and how many partners each access has.
func digest(r *analysis.Result) []string {
	var out []string
	for i, row := range r.Matrix {
		out = append(out, fmt.Sprintf("row %d %v", i, row))
	}
	for _, c := range r.Conflicts {
		out = append(out, fmt.Sprintf("conflict %d %d %v %s", c.A, c.B, c.Kind, c.Object))
	}
	for _, h := range r.Handlers {
		for _, a := range h.Accesses {
			out = append(out, fmt.Sprintf("access %s %s %v %d %v", h.Short, a.Object, a.Pos, a.NPartners, a.GuardedBy))
		}
	}
	sort.Strings(out)
	return out
}

// The index of imprecise accesses by field and type must find every
// conflict that comparing them with everything finds.
func TestAliasIndexMatchesBruteForce(t *testing.T) {
	dirs := []string{"testdata/fields", "testdata/calls", "testdata/escape", "testdata/locks", "testdata/nethttp",
		"../testdata/thttpd", "../testdata/thttpd-deferred", "../testdata/pipeline", "../testdata/slides"}
	synthDir := t.TempDir()
	synth.Write(t, synthDir, 8, 4)
	dirs = append(dirs, synthDir)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := analysis.Config{Dir: dir}
			if dir == synthDir {
				cfg.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
			}
			indexed, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			analysis.SetBruteForceAliasing(true)
			defer analysis.SetBruteForceAliasing(false)
			brute, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, b := digest(indexed), digest(brute)
			if len(brute.Conflicts) == 0 {
				t.Fatalf("no conflicts at all in %s: the comparison proves nothing", dir)
			}
			if fmt.Sprint(a) != fmt.Sprint(b) {
				for i := 0; i < len(a) && i < len(b); i++ {
					if a[i] != b[i] {
						t.Fatalf("first difference:\nindexed %s\nbrute   %s", a[i], b[i])
					}
				}
				t.Fatalf("indexed %d lines, brute force %d", len(a), len(b))
			}
		})
	}
}
