package analysis

import (
	"go/token"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestListConflicts checks the conflicts listed from the pairs of
// signatures found against recording each as found, the way pairing
// did before it kept only the pairs: one conflict per (pair of
// handlers, kind, object), witnessed by the first pair that found it,
// sorted by conflictOrder; and the same matrix. Both ways of putting
// the list in order are run: counting, and sorting (many handlers).
func TestListConflicts(t *testing.T) {
	for _, bucketed := range []int{maxBucketed, 0} {
		old := maxBucketed
		maxBucketed = bucketed
		checkListConflicts(t, rand.New(rand.NewPCG(1, uint64(bucketed))))
		maxBucketed = old
	}
}

func checkListConflicts(t *testing.T, rng *rand.Rand) {
	t.Helper()
	const n = 40
	res := &Result{Handlers: make([]*Handler, n)}
	p := newPairer(res, nil, n)
	names := [][2]string{{"stats.conns", "m.stats.conns"}, {"b", "m.b"}, {"stats", "m.stats"}, {"(*T).x", "m.(*T).x"},
		{"ä", "m.ä"}, {"a", "m.a"}, {"a'", "m.a"}} // two short names of one object: the first found names it
	var sigs []*sig
	for range 60 {
		s := &sig{first: map[int]entry{}, id: -1}
		for h := range n {
			if rng.IntN(5) == 0 || h == n-1 && len(s.first) == 0 {
				s.first[h] = entry{h: h, pub: &Access{Handler: h, Pos: token.Position{Offset: rng.IntN(50)}}}
			}
		}
		s.seal(n)
		nm := names[rng.IntN(len(names))]
		s.names = &ObjectNames{Object: nm[1], Short: nm[0]}
		sigs = append(sigs, s)
	}
	// What found was told, in order, recorded as found.
	type key struct {
		lo, hi int
		k      Kind
		obj    string
	}
	seen := map[key]bool{}
	var want []*Conflict
	matrix := make([][]Kind, n)
	for i := range matrix {
		matrix[i] = make([]Kind, n)
	}
	for range 400 {
		x, y := sigs[rng.IntN(len(sigs))], sigs[rng.IntN(len(sigs))]
		named, k := x, Kind(1+rng.IntN(2))
		if rng.IntN(2) == 0 {
			named = y
		}
		if named.id < 0 {
			named.id = p.objectID(named.names.Object)
		}
		p.found(x, y, named, k)
		for hx := range x.handlers.all() {
			for hy := range y.handlers.all() {
				matrix[hx][hy] |= k
				matrix[hy][hx] |= k
				kk := key{min(hx, hy), max(hx, hy), k, named.names.Object}
				if seen[kk] {
					continue
				}
				seen[kk] = true
				a, b := x.first[hx], y.first[hy]
				if a.h > b.h || a.h == b.h && a.pub.Pos.Offset > b.pub.Pos.Offset {
					a, b = b, a
				}
				want = append(want, &Conflict{A: a.h, B: b.h, Kind: k, ObjectNames: named.names, AAccess: a.pub, BAccess: b.pub})
			}
		}
	}
	slices.SortFunc(want, conflictOrder)
	p.listConflicts()
	if len(res.Conflicts) != len(want) {
		t.Fatalf("maxBucketed %d: %d conflicts, want %d", maxBucketed, len(res.Conflicts), len(want))
	}
	for i, c := range res.Conflicts {
		if *c != *want[i] {
			w := want[i]
			t.Fatalf("maxBucketed %d: conflict %d: %d %d %v %q %q %p %p, want %d %d %v %q %q %p %p", maxBucketed, i,
				c.A, c.B, c.Kind, c.Object, c.Short, c.AAccess, c.BAccess, w.A, w.B, w.Kind, w.Object, w.Short, w.AAccess, w.BAccess)
		}
	}
	for i := range matrix {
		if !slices.Equal(matrix[i], res.Matrix[i]) {
			t.Fatalf("maxBucketed %d: matrix row %d: %v, want %v", maxBucketed, i, res.Matrix[i], matrix[i])
		}
	}
	if len(want) < 1000 {
		t.Fatalf("only %d conflicts: the test needs more", len(want))
	}
}

// TestSharedPartners: the accesses of one signature share its list of
// partners, and what a cut group adds to some of them is theirs alone.
func TestSharedPartners(t *testing.T) {
	acc := func(off int) *Access { return &Access{Pos: token.Position{Offset: off}} }
	ps := func(offs ...int) []Partner {
		var out []Partner
		for _, o := range offs {
			out = append(out, Partner{Access: acc(o), Kind: Global})
		}
		return out
	}
	s := &sig{partners: make([]Partner, 0, maxPartners), npartners: 3}
	s.partners = append(s.partners, ps(1, 2, 3)...)
	e1, e2, e3 := entry{pub: acc(10)}, entry{pub: acc(11)}, entry{pub: acc(12)}
	s.entries = []entry{e1, e2, e3}
	p := &pairer{sigs: []*sig{s}}
	p.givePartners()
	g1 := &cutGroup{partners: ps(4), npartners: 1, entries: []entry{e1}}
	g2 := &cutGroup{partners: ps(5, 6), npartners: 2, entries: []entry{e2, e3}}
	g3 := &cutGroup{partners: ps(7), npartners: 1, entries: []entry{e1, e2}}
	(&cutGroups{list: []*cutGroup{g1, g2, g3}}).finish()
	offsets := func(a *Access) []int {
		var out []int
		for _, p := range a.Partners {
			out = append(out, p.Access.Pos.Offset)
		}
		return out
	}
	for _, c := range []struct {
		a    *Access
		want []int
		n    int
	}{{e1.pub, []int{1, 2, 3, 4, 7}, 5}, {e2.pub, []int{1, 2, 3, 5, 6, 7}, 6}, {e3.pub, []int{1, 2, 3, 5, 6}, 5}} {
		if got := offsets(c.a); !slices.Equal(got, c.want) || c.a.NPartners != c.n {
			t.Errorf("access %d: partners %v (%d in all), want %v (%d)", c.a.Pos.Offset, got, c.a.NPartners, c.want, c.n)
		}
	}
	if len(s.partners) != 3 {
		t.Errorf("the signature's list changed: %d partners", len(s.partners))
	}
}
