package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortConflicts checks that the integer keys sortConflicts compares
// put the conflicts in the order of their four fields (handlers, kind,
// object by name), with objects given ids in an order of their own.
func TestSortConflicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"stats.conns", "b", "", "stats", "(*T).x", "a.b", "ä", "a", "stats.conns.n"}
	p := &pairer{n: 40, res: &Result{}, objIDs: map[string]int{}}
	type key struct {
		a, b int
		k    Kind
		obj  string
	}
	seen := map[key]bool{}
	for len(p.res.Conflicts) < 3000 {
		a, b := rng.IntN(p.n), rng.IntN(p.n)
		k := key{min(a, b), max(a, b), Kind(1 + rng.IntN(3)), names[rng.IntN(len(names))]}
		if seen[k] {
			continue
		}
		seen[k] = true
		id, ok := p.objIDs[k.obj]
		if !ok {
			id = len(p.objIDs)
			p.objIDs[k.obj] = id
		}
		p.res.Conflicts = append(p.res.Conflicts, &Conflict{A: k.a, B: k.b, Kind: k.k, Object: k.obj})
		p.objOf = append(p.objOf, int32(id))
	}
	want := slices.Clone(p.res.Conflicts)
	slices.SortFunc(want, conflictOrder)
	p.sortConflicts()
	for i, c := range p.res.Conflicts {
		if c != want[i] {
			t.Fatalf("conflict %d: %d %d %v %q, want %d %d %v %q", i, c.A, c.B, c.Kind, c.Object, want[i].A, want[i].B, want[i].Kind, want[i].Object)
		}
	}
}
