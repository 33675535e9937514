package analysis

import (
	"context"
	"fmt"
	"go/types"
	"slices"
	"strings"
	"testing"

	"github.com/safels/safels/internal/testmod"
)

// TestImplementersInOneOrder: the types an interface may hold come out in
// the same order however often they are asked for. They are the slots
// below an interface (pollution.slotsBelow), whose order decides which of
// two tied accesses a conflict names; taken in the order of the program's
// maps (its packages, their members), the same workspace printed a
// different a_access from one run to the next (inbucket).
func TestImplementersInOneOrder(t *testing.T) {
	dir := t.TempDir()
	testmod.Init(t, dir, "example.com/impl")
	var src strings.Builder
	src.WriteString("package shapes\n\ntype Shape interface{ Area() int }\n")
	for i := range 12 {
		fmt.Fprintf(&src, "\ntype S%d struct{ n int }\n\nfunc (s *S%d) Area() int { return s.n }\n", i, i)
	}
	writeFiles(t, dir, map[string]string{"shapes/shapes.go": src.String()})
	l, err := load(context.Background(), Config{Dir: dir, Patterns: []string{"./shapes"}, Env: testmod.Env()})
	if err != nil {
		t.Fatal(err)
	}
	if l.prog == nil || len(l.roots) != 1 {
		t.Fatalf("shapes did not load: %v", l.problems)
	}
	iface := l.roots[0].Types.Scope().Lookup("Shape").Type().Underlying().(*types.Interface)
	var first []string
	for run := range 8 {
		a := &analyzer{prog: l.prog, fset: l.fset}
		var got []string
		for _, x := range a.implementers(iface) {
			got = append(got, types.TypeString(x, nil))
		}
		if len(got) != 12 {
			t.Fatalf("%d implementers, want the 12 pointer types: %v", len(got), got)
		}
		if run == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("asked again, the implementers came out in another order:\n%v\nthen\n%v", first, got)
		}
	}
}
