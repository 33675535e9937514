package analysis_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/safels/safels/analysis"
)

// sameMeaning is what grouping the sets below cuts must not change: the
// matrix, hues and colors, which handler pairs conflict and of what kind,
// and where findings are (each access with partners, and the call site
// through which the handler reaches it).
func sameMeaning(r *analysis.Result) []string {
	var out []string
	for i, row := range r.Matrix {
		h := r.Handlers[i]
		out = append(out, fmt.Sprintf("row %s %v hue %d colored %v", h.Name, row, h.Hue, h.Colored))
	}
	for _, c := range r.Conflicts {
		out = append(out, fmt.Sprintf("pair %d %d %v", c.A, c.B, c.Kind))
	}
	for _, h := range r.Handlers {
		for _, a := range h.Accesses {
			if a.NPartners == 0 {
				continue
			}
			site := ""
			if len(a.Via) > 0 {
				site = a.Via[0].Pos.String()
			}
			out = append(out, fmt.Sprintf("finding %s %v %s", h.Short, a.Pos, site))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Pairing each loc below a cut once, for every access that reaches it
// (cutgroup.go), must find what copying the locs into each access finds.
// The examples hold cuts below contexts, globals, interfaces and
// recursive types; every set is grouped here, even the smallest.
func TestCutGroupsMatchCopies(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	more, _ := filepath.Glob("../testdata/*")
	grouped := 0
	for _, dir := range append(dirs, more...) {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(m) == 0 {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := analysis.Config{Dir: dir}
			copied, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			old := analysis.SetGroupCutsOver(0)
			defer analysis.SetGroupCutsOver(old)
			groups, err := analysis.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if accesses(groups) < accesses(copied) {
				grouped++
			}
			a, b := sameMeaning(copied), sameMeaning(groups)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				for _, x := range a {
					if !slices.Contains(b, x) {
						t.Errorf("copied only: %s", x)
					}
				}
				for _, x := range b {
					if !slices.Contains(a, x) {
						t.Errorf("grouped only: %s", x)
					}
				}
			}
		})
	}
	t.Logf("grouping changed the accesses of %d examples", grouped)
	// Otherwise the comparison proves nothing.
	if grouped < 3 {
		t.Errorf("grouping changed the accesses of %d examples, want at least 3", grouped)
	}
}

func accesses(r *analysis.Result) int {
	n := 0
	for _, h := range r.Handlers {
		n += len(h.Accesses)
	}
	return n
}
