package analysis

import (
	"slices"
	"strings"
)

// Pairing finds each conflict as a pair of signatures on an object: one
// conflict for every pair of their handlers. On a large server these
// pairs are few (miniflux: 1,268 on 911 objects) and the conflicts they
// stand for many (5 million, met 9.5 million times), so pairing only
// keeps the pairs, in the order found, and the list is made once all are
// in: object by object, each (pair of handlers, kind) once, witnessed by
// the first pair of signatures that found it, as if recorded as found.
// Objects are taken in the order of their names, so that counting the
// conflicts of each (A, B, Kind) first puts every conflict in its place
// in the list's order at once, without a sort.

// conflictsOn is what pairing found on one object: the pairs of
// signatures that conflict on it, in the order found.
type conflictsOn struct {
	full  string
	pairs []sigPair
}

// sigPair is one conflict of two signatures found by check: of kind k,
// on the object named's loc names (named.names).
type sigPair struct {
	x, y, named *sig
	k           Kind
}

// maxBucketed bounds the handlers for which the conflicts are put in
// order by counting (4 counters for each pair of handlers); past it, they
// are sorted. A test sets it to 0.
var maxBucketed = 1024

// listConflicts fills in the Result's conflicts, in their order
// (conflictOrder), and its matrix.
func (p *pairer) listConflicts() {
	ids := p.byName()
	seen := newPairsSeen(p.n)
	if p.n > maxBucketed {
		var cs []*Conflict
		for _, id := range ids {
			p.eachNew(p.objs[id], seen, func(sp sigPair, x, y entry) {
				p.mark(x.h, y.h, sp.k)
				c := conflictOf(sp, x, y)
				cs = append(cs, &c)
			})
		}
		slices.SortFunc(cs, conflictOrder)
		p.res.Conflicts, p.res.ConflictCount = cs, len(cs)
		return
	}
	// at[b] is where the conflicts of bucket b (A, B, Kind) begin.
	bucket := func(hx, hy int, k Kind) int { return (min(hx, hy)*p.n+max(hx, hy))<<2 | int(k) }
	at := make([]int, 4*p.n*p.n+1)
	for _, id := range ids {
		p.eachNew(p.objs[id], seen, func(sp sigPair, x, y entry) {
			p.mark(x.h, y.h, sp.k)
			at[bucket(x.h, y.h, sp.k)+1]++
		})
	}
	for b := 1; b < len(at); b++ {
		at[b] += at[b-1]
	}
	// One array for all: millions of small objects cost the collector
	// more than one large one.
	slab := make([]Conflict, at[len(at)-1])
	cs := make([]*Conflict, len(slab))
	for _, id := range ids {
		p.eachNew(p.objs[id], seen, func(sp sigPair, x, y entry) {
			b := bucket(x.h, y.h, sp.k)
			slab[at[b]] = conflictOf(sp, x, y)
			cs[at[b]] = &slab[at[b]]
			at[b]++
		})
	}
	p.res.Conflicts, p.res.ConflictCount = cs, len(cs)
}

// byName is the objects' ids in the order of their names.
func (p *pairer) byName() []int {
	ids := make([]int, len(p.objs))
	for i := range ids {
		ids[i] = i
	}
	slices.SortFunc(ids, func(i, j int) int { return strings.Compare(p.objs[i].full, p.objs[j].full) })
	return ids
}

// countConflicts is listConflicts without the list: the matrix, the
// count, and what pairing found kept for Result.Partners.
func (p *pairer) countConflicts() {
	ids := p.byName()
	seen := newPairsSeen(p.n)
	found := &foundConflicts{n: p.n, objs: make([]*conflictsOn, len(ids))}
	for i, id := range ids {
		found.objs[i] = p.objs[id]
		p.eachNew(p.objs[id], seen, func(sp sigPair, x, y entry) {
			p.mark(x.h, y.h, sp.k)
			p.res.ConflictCount++
		})
	}
	p.res.found = found
}

// foundConflicts is what pairing found on each object, in the order of
// their names: the conflicts in compact form.
type foundConflicts struct {
	n    int
	objs []*conflictsOn
}

// partners is the conflicts handler h takes part in, as listConflicts
// would list them: the pairs eachNew meets that involve h, in its order
// (by the first side's handler, then the second's), each witnessed as
// there.
func (f *foundConflicts) partners(h int) []*Conflict {
	var out []*Conflict
	seen := newPairsSeen(f.n)
	add := func(sp sigPair, x, y entry) {
		if seen.add(x.h, y.h, sp.k) {
			c := conflictOf(sp, x, y)
			out = append(out, &c)
		}
	}
	for _, o := range f.objs {
		for _, sp := range o.pairs {
			inX, inY := sp.x.handlers.has(h), sp.y.handlers.has(h)
			if !inX && !inY {
				continue
			}
			for hx := range sp.x.handlers.all() {
				switch {
				case hx == h:
					x := sp.x.firstOf(h)
					for hy := range sp.y.handlers.all() {
						add(sp, x, sp.y.firstOf(hy))
					}
				case inY:
					add(sp, sp.x.firstOf(hx), sp.y.firstOf(h))
				}
			}
		}
		seen.reset()
	}
	slices.SortFunc(out, conflictOrder)
	return out
}

// eachNew calls f for each conflict the pairs found on o stand for, the
// first time its (pair of handlers, kind) is met, with each handler's
// first access of its signature.
func (p *pairer) eachNew(o *conflictsOn, seen *pairsSeen, f func(sp sigPair, x, y entry)) {
	var ys []entry
	for _, sp := range o.pairs {
		ys = ys[:0]
		for hy := range sp.y.handlers.all() {
			ys = append(ys, sp.y.firstOf(hy))
		}
		for hx := range sp.x.handlers.all() {
			x := sp.x.firstOf(hx)
			for _, y := range ys {
				if seen.add(hx, y.h, sp.k) {
					f(sp, x, y)
				}
			}
		}
	}
	seen.reset()
}

// mark records in the matrix that handlers hx and hy conflict.
func (p *pairer) mark(hx, hy int, k Kind) {
	p.res.Matrix[hx][hy] |= k
	p.res.Matrix[hy][hx] |= k
}

// conflictOf is the conflict that sp found between the handlers of x
// and y, witnessed by them, the lower handler's (or the earlier in its
// file) first.
func conflictOf(sp sigPair, x, y entry) Conflict {
	if x.h > y.h || x.h == y.h && x.pub.Pos.Offset > y.pub.Pos.Offset {
		x, y = y, x
	}
	return Conflict{A: x.h, B: y.h, Kind: sp.k, ObjectNames: sp.named.names, AAccess: x.pub, BAccess: y.pub}
}

// pairsSeen is the (pair of handlers, kind)s met on one object: a bit
// each where there are few handlers, else a set.
type pairsSeen struct {
	n    int
	bits []uint64
	set  []int // the bits set, to clear them
	m    map[int]struct{}
}

func newPairsSeen(n int) *pairsSeen {
	if n > maxBucketed {
		return &pairsSeen{n: n, m: map[int]struct{}{}}
	}
	return &pairsSeen{n: n, bits: make([]uint64, (4*n*n+63)/64)}
}

// add reports whether (hx, hy, k), either way round, is new, and adds it.
func (s *pairsSeen) add(hx, hy int, k Kind) bool {
	i := (min(hx, hy)*s.n+max(hx, hy))<<2 | int(k)
	if s.m != nil {
		if _, ok := s.m[i]; ok {
			return false
		}
		s.m[i] = struct{}{}
		return true
	}
	if s.bits[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	s.bits[i/64] |= 1 << (i % 64)
	s.set = append(s.set, i)
	return true
}

func (s *pairsSeen) reset() {
	clear(s.m)
	for _, i := range s.set {
		s.bits[i/64] = 0
	}
	s.set = s.set[:0]
}
