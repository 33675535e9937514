package analysis_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/wanttest"
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
			copied, groups := runBoth(t, dir, func() func() {
				old := analysis.SetGroupCutsOver(0)
				return func() { analysis.SetGroupCutsOver(old) }
			})
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

// Past maxHandlerAccesses a handler enters each function from one call
// site only: fewer places to defer are named, the conflicts stay the same,
// and a note says so at the handler.
func TestNarrowedSitesSameConflicts(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/*")
	dirs = append(dirs, "testdata/calls", "testdata/sites", "testdata/callbacks")
	narrowed := 0
	for _, dir := range dirs {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(m) == 0 {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			whole, narrow := runBoth(t, dir, func() func() {
				old := analysis.SetMaxHandlerAccesses(0)
				return func() { analysis.SetMaxHandlerAccesses(old) }
			})
			pairs := func(r *analysis.Result) string {
				var out []string
				for _, line := range sameMeaning(r) {
					if !strings.HasPrefix(line, "finding ") {
						out = append(out, line)
					}
				}
				return strings.Join(out, "\n")
			}
			if a, b := pairs(whole), pairs(narrow); a != b {
				t.Errorf("narrowed sites changed the conflicts:\n%s\n---\n%s", a, b)
			}
			if accesses(narrow) < accesses(whole) {
				narrowed++
				if !slices.ContainsFunc(narrow.Problems, func(p analysis.Problem) bool {
					return p.Note && strings.Contains(p.Message, "findings name one place to defer per function")
				}) {
					t.Errorf("fewer accesses (%d, not %d), and no note says why", accesses(narrow), accesses(whole))
				}
			}
		})
	}
	if narrowed < 1 {
		t.Errorf("narrowing changed the accesses of no example: the comparison proves nothing")
	}
}

// Each call through which a handler reaches a write is named as a place to
// defer, below the bounds (testdata/sites).
func TestEverySiteNamed(t *testing.T) {
	wanttest.Run(t, "testdata/sites")
}

// Past maxLockSets a walk enters a function as if no lock were held: that
// may only add conflicts (fewer locks keep fewer apart), and a note says
// so at the handler.
func TestLockSetsBoundOnlyAdds(t *testing.T) {
	cut := 0
	for _, dir := range []string{"testdata/locks", "testdata/ptrlocks", "../testdata/thttpd"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			whole, none := runBoth(t, dir, func() func() {
				old := analysis.SetMaxLockSets(0)
				return func() { analysis.SetMaxLockSets(old) }
			})
			for i, row := range whole.Matrix {
				for j, k := range row {
					if none.Matrix[i][j]&k != k {
						t.Errorf("%s/%s: %v with every lock set, %v with none", whole.Handlers[i].Short, whole.Handlers[j].Short, k, none.Matrix[i][j])
					}
				}
			}
			noted := slices.ContainsFunc(none.Problems, func(p analysis.Problem) bool {
				return p.Note && strings.Contains(p.Message, "sets of locks: past them, it is taken to hold none")
			})
			if len(none.Conflicts) > len(whole.Conflicts) {
				cut++
				if !noted {
					t.Errorf("more conflicts (%d, not %d) and no note says why", len(none.Conflicts), len(whole.Conflicts))
				}
			}
		})
	}
	if cut == 0 {
		t.Errorf("dropping locks added no conflict in any example: the test proves nothing")
	}
}

// runBoth runs the analysis on dir as it is, then with set applied (set
// returns what undoes it).
func runBoth(t *testing.T, dir string, set func() func()) (plain, changed *analysis.Result) {
	t.Helper()
	cfg := analysis.Config{Dir: dir}
	plain, err := analysis.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer set()()
	changed, err = analysis.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return plain, changed
}
