package analysis

import (
	"cmp"
	"fmt"
	"go/token"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
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
	p, res, told := randomFound(rng, n, 60, 400, 5)
	want, matrix := listAsFound(n, told)
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

// randomFound makes nsigs signatures of n handlers (each handler in one
// of every density) and tells found of nfound conflicts between them,
// which it returns in order.
func randomFound(rng *rand.Rand, n, nsigs, nfound, density int) (*pairer, *Result, []sigPair) {
	res := &Result{Handlers: make([]*Handler, n)}
	p := newPairer(res, nil, n)
	names := [][2]string{{"stats.conns", "m.stats.conns"}, {"b", "m.b"}, {"stats", "m.stats"}, {"(*T).x", "m.(*T).x"},
		{"ä", "m.ä"}, {"a", "m.a"}, {"a'", "m.a"}} // two short names of one object: the first found names it
	for i := range nsigs / 4 {
		names = append(names, [2]string{fmt.Sprintf("o%d", i), fmt.Sprintf("m.o%d", i)})
	}
	var sigs []*sig
	for range nsigs {
		s := &sig{first: map[int]entry{}, id: -1}
		for h := range n {
			if rng.IntN(density) == 0 || h == n-1 && len(s.first) == 0 {
				s.first[h] = entry{h: h, pub: &Access{Handler: h, Pos: token.Position{Offset: rng.IntN(50)}}}
			}
		}
		s.seal(n)
		nm := names[rng.IntN(len(names))]
		s.names = &ObjectNames{Object: nm[1], Short: nm[0]}
		sigs = append(sigs, s)
	}
	var told []sigPair
	for range nfound {
		x, y := sigs[rng.IntN(len(sigs))], sigs[rng.IntN(len(sigs))]
		named, k := x, Kind(1+rng.IntN(2))
		if rng.IntN(2) == 0 {
			named = y
		}
		if named.id < 0 {
			named.id = p.objectID(named.names.Object)
		}
		p.found(x, y, named, k)
		told = append(told, sigPair{x: x, y: y, named: named, k: k})
	}
	return p, res, told
}

// listAsFound lists the conflicts told, each recorded as it is met,
// the way pairing did before it kept only the pairs: a set of every
// conflict's (object, pair of handlers, kind) packed in an integer, one
// allocation per conflict, a sort by one integer each (the object by the
// rank of its name). It returns them and the matrix.
func listAsFound(n int, told []sigPair) ([]*Conflict, [][]Kind) {
	matrix := make([][]Kind, n)
	for i := range matrix {
		matrix[i] = make([]Kind, n)
	}
	ids := map[string]uint64{}
	seen := map[uint64]struct{}{}
	var cs []*Conflict
	var objOf []uint64
	for _, sp := range told {
		id, ok := ids[sp.named.names.Object]
		if !ok {
			id = uint64(len(ids))
			ids[sp.named.names.Object] = id
		}
		for hx := range sp.x.handlers.all() {
			for hy := range sp.y.handlers.all() {
				matrix[hx][hy] |= sp.k
				matrix[hy][hx] |= sp.k
				key := id<<34 | uint64(min(hx, hy))<<18 | uint64(max(hx, hy))<<2 | uint64(sp.k)
				if _, dup := seen[key]; dup {
					continue
				}
				seen[key] = struct{}{}
				a, b := sp.x.first[hx], sp.y.first[hy]
				if a.h > b.h || a.h == b.h && a.pub.Pos.Offset > b.pub.Pos.Offset {
					a, b = b, a
				}
				cs = append(cs, &Conflict{A: a.h, B: b.h, Kind: sp.k, ObjectNames: sp.named.names, AAccess: a.pub, BAccess: b.pub})
				objOf = append(objOf, id)
			}
		}
	}
	names := make([]string, 0, len(ids))
	for name := range ids {
		names = append(names, name)
	}
	slices.Sort(names)
	rank := make([]uint64, len(ids))
	for r, name := range names {
		rank[ids[name]] = uint64(r)
	}
	type keyed struct {
		key uint64
		c   *Conflict
	}
	ks := make([]keyed, len(cs))
	for i, c := range cs {
		ks[i] = keyed{uint64(c.A)<<48 | uint64(c.B)<<32 | uint64(c.Kind)<<28 | rank[objOf[i]], c}
	}
	slices.SortFunc(ks, func(x, y keyed) int { return cmp.Compare(x.key, y.key) })
	for i := range ks {
		cs[i] = ks[i].c
	}
	return cs, matrix
}

// BenchmarkListConflicts lists the conflicts of a synthetic server
// (170 handlers, 400 pairs of signatures found on 66 objects, each
// signature reached by a third of the handlers) both ways, in the same
// run: from the pairs found (listConflicts) and as each is met (the way
// before, listAsFound). It reports the ratios of their times and of the
// bytes they allocate (asfound/listed), and the conflicts listed.
//
//	go test ./analysis -run '^$' -bench ListConflicts
func BenchmarkListConflicts(b *testing.B) {
	var listed, asFound time.Duration
	var listedBytes, asFoundBytes uint64
	var m runtime.MemStats
	allocated := func() uint64 { runtime.ReadMemStats(&m); return m.TotalAlloc }
	conflicts := 0
	for b.Loop() {
		p, res, told := randomFound(rand.New(rand.NewPCG(3, 4)), 170, 240, 400, 3)
		a0, t0 := allocated(), time.Now()
		p.listConflicts()
		listed += time.Since(t0)
		listedBytes += allocated() - a0
		a1, t1 := allocated(), time.Now()
		cs, _ := listAsFound(170, told)
		asFound += time.Since(t1)
		asFoundBytes += allocated() - a1
		if len(cs) != len(res.Conflicts) {
			b.Fatalf("%d conflicts listed, %d as found", len(res.Conflicts), len(cs))
		}
		conflicts = len(cs)
	}
	b.ReportMetric(float64(asFound)/float64(listed), "asfound/listed-time")
	b.ReportMetric(float64(asFoundBytes)/float64(listedBytes), "asfound/listed-bytes")
	b.ReportMetric(float64(conflicts), "conflicts")
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
	s.entries = []*Access{e1.pub, e2.pub, e3.pub}
	p := &pairer{sigs: []*sig{s}}
	p.givePartners()
	g1 := &cutGroup{partners: ps(4), npartners: 1, entries: []*Access{e1.pub}}
	g2 := &cutGroup{partners: ps(5, 6), npartners: 2, entries: []*Access{e2.pub, e3.pub}}
	g3 := &cutGroup{partners: ps(7), npartners: 1, entries: []*Access{e1.pub, e2.pub}}
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
