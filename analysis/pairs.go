package analysis

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/safels/safels/analysis/mem"
)

// A pairer compares the accesses of all handlers and records the conflicts
// they make, in the Result's matrix and list.
//
// Accesses are compared by signature (location, op, atomicity, locks
// held), not one by one: the same field reached at many positions and
// from many handlers is compared once, which keeps the cost near the
// size of the output (the matrix and the conflicts) instead of the
// square of the number of accesses.
type pairer struct {
	res *Result
	pol *pollution
	n   int // handlers

	sigs  []*sig
	bySig map[sigKey]*sig
	// The objects conflicts were found on, by id, and each one's id by
	// its full name.
	objs   []*conflictsOn
	objIDs map[string]int
	// covered: the pairs of handler sets already reported for an object
	// (check).
	covered map[coverKey][][2]handlerSet
}

// newPairer makes a pairer for n handlers, and res's matrix.
func newPairer(res *Result, pol *pollution, n int) *pairer {
	res.Matrix = make([][]Kind, n)
	for i := range res.Matrix {
		res.Matrix[i] = make([]Kind, n)
	}
	return &pairer{res: res, pol: pol, n: n, bySig: map[sigKey]*sig{},
		objIDs: map[string]int{}, covered: map[coverKey][][2]handlerSet{}}
}

// sigOf is the signature of key k, made with r as its representative.
func (p *pairer) sigOf(r *rawAccess, k sigKey) *sig {
	g := p.bySig[k]
	if g == nil {
		g = &sig{rep: r, first: map[int]entry{}, id: -1}
		p.bySig[k] = g
		p.sigs = append(p.sigs, g)
	}
	return g
}

// add puts e, of sigAttrs attrs, in its signature.
func (p *pairer) add(e entry, attrs string) {
	g := p.sigOf(e.raw, sigKey{e.raw.loc.Key, attrs})
	g.entries = append(g.entries, e.pub)
	if _, ok := g.first[e.h]; !ok {
		g.first[e.h] = e
	}
}

// signatures adds the signatures of the locs below each cut of cg to
// those of the accesses (add), and seals them all.
func (p *pairer) signatures(cg *cutGroups) {
	// Each loc below a cut is a signature of its own, with the accesses
	// of the groups that reach it (cutgroup.go).
	for _, grp := range cg.list {
		for _, x := range grp.set.locs {
			rep := *grp.rep
			rep.loc = x
			g := p.sigOf(&rep, sigKey{x.Key, grp.attrs})
			g.groups = append(g.groups, grp)
		}
	}
	for _, g := range p.sigs {
		g.seal(p.n)
	}
}

// compareByRoot checks every pair of signatures of one root, and returns
// the loose ones, which compareLoose compares with the rest.
func (p *pairer) compareByRoot() (loose []int) {
	// Precise accesses can only overlap within one root; loose ones
	// (imprecise, or through a context's pointer) are compared with
	// everything.
	byRoot := map[string][]int{}
	for i, g := range p.sigs {
		byRoot[g.rep.loc.Base.Key] = append(byRoot[g.rep.loc.Base.Key], i)
		if g.rep.loc.Loose() {
			loose = append(loose, i)
		}
	}
	roots := make([]string, 0, len(byRoot))
	for k := range byRoot {
		roots = append(roots, k)
	}
	sort.Strings(roots)
	for _, k := range roots {
		g := byRoot[k]
		for i := range g {
			for j := i; j < len(g); j++ {
				p.check(p.sigs[g[i]], p.sigs[g[j]])
			}
		}
	}
	return loose
}

// compareLoose checks each loose signature against those it may alias.
// An imprecise access may alias memory of its type anywhere: instead of
// comparing it with every signature, look up those that mention its
// field or type (a superset of what typeAlias can match), then check
// those exactly.
func (p *pairer) compareLoose(loose []int) {
	hay := map[any][]int{}     // field or type key -> signatures whose loc mentions it
	needles := map[any][]int{} // field or type key -> imprecise signatures that look for it
	for i, g := range p.sigs {
		for _, k := range mem.Haystack(g.rep.loc) {
			hay[k] = append(hay[k], i)
		}
	}
	for _, i := range loose {
		for _, k := range mem.NeedlesOf(p.sigs[i].rep.loc) {
			needles[k] = append(needles[k], i)
		}
	}
	seen := make([]int, len(p.sigs))
	for n := range seen {
		seen[n] = -1
	}
	// Each signature's root as a small integer, and whether it is loose,
	// read in a dense array: the candidates of one loose signature run
	// into the hundreds of thousands on caddy, and following each one's
	// pointers to its root's key took most of this loop.
	rootOf := make([]int32, len(p.sigs))
	isLoose := make([]bool, len(p.sigs))
	roots := map[string]int32{}
	for n, g := range p.sigs {
		id, ok := roots[g.rep.loc.Base.Key]
		if !ok {
			id = int32(len(roots))
			roots[g.rep.loc.Base.Key] = id
		}
		rootOf[n], isLoose[n] = id, g.rep.loc.Loose()
	}
	for _, i := range loose {
		var cand []int
		add := func(js []int) {
			for _, j := range js {
				if seen[j] != i {
					seen[j] = i
					cand = append(cand, j)
				}
			}
		}
		if bruteForceAliasing {
			add(allSigs(len(p.sigs)))
		} else {
			for _, k := range mem.NeedlesOf(p.sigs[i].rep.loc) {
				add(hay[k])
			}
			for _, k := range mem.Haystack(p.sigs[i].rep.loc) {
				add(needles[k])
			}
		}
		sort.Ints(cand)
		for _, j := range cand {
			if rootOf[j] == rootOf[i] {
				continue // done above
			}
			if isLoose[j] && j < i {
				continue // the pair was checked from j
			}
			p.check(p.sigs[i], p.sigs[j])
		}
	}
}

// givePartners gives each access what its signature's conflicts found:
// its partners, how many in all, the locks that kept conflicts away. The
// accesses of one signature share these lists (published accesses are
// read-only), clipped so that what a cut group adds to one (finish) is
// a copy of its own.
func (p *pairer) givePartners() {
	for _, g := range p.sigs {
		partners, guards := slices.Clip(g.partners), slices.Clip(g.guards)
		if len(guards) == 0 {
			guards = nil
		}
		for _, acc := range g.entries {
			acc.Partners, acc.NPartners, acc.GuardedBy = partners, g.npartners, guards
		}
	}
}

// kindOf is the kind of conflict two accesses make, 0 if none.
func (p *pairer) kindOf(x, y *rawAccess) Kind {
	if x.op == Read && y.op == Read || x.atomic && y.atomic {
		return 0
	}
	xi, yi := x.loc.Imprecise(), y.loc.Imprecise()
	if mem.Overlaps(x.loc, y.loc) {
		if x.loc.Base.Kind == mem.Context && !xi && !yi {
			return Context
		}
		return Global
	}
	if (xi || yi) && mem.TypeAlias(x.loc, y.loc) && p.pol.mayAlias(x.loc, y.loc) {
		return Global
	}
	if x.loc.Base.Kind == mem.Context && y.loc.Base.Kind == mem.Context && x.loc.Base.Key == y.loc.Base.Key && mem.ContextAlias(x.loc, y.loc) {
		return Context
	}
	return 0
}

// check records the conflict of two signatures, if any: for the Result's
// list and matrix (found), and as partners of their accesses.
func (p *pairer) check(x, y *sig) {
	k := p.kindOf(x.rep, y.rep)
	if k == 0 {
		return
	}
	if g := commonLock(x.rep, y.rep, k); g != "" {
		x.guard(g)
		y.guard(g)
		return
	}
	// Name the more specific of the two: a write of stats conflicts
	// with a read of stats.conns on stats.conns.
	named := x
	if len(y.rep.loc.Path) > len(x.rep.loc.Path) {
		named = y
	}
	p.found(x, y, named, k)
	partnersOf(x, y, k)
	if x != y {
		partnersOf(y, x, k)
	}
}

// found records that signatures x and y conflict on named's object,
// for the Result's list (listConflicts).
func (p *pairer) found(x, y, named *sig, k Kind) {
	if named.id < 0 {
		short, full := named.rep.loc.Names()
		named.names = &ObjectNames{Object: full, Short: short}
		named.id = p.objectID(full)
	}
	// Many pairs of signatures name one object for the same
	// handlers (on miniflux, every handler's): a pair of handler
	// sets inside one already reported for it has nothing new.
	ck := coverKey{named.id, k}
	if covers(p.covered[ck], x.handlers, y.handlers) {
		return
	}
	o := p.objs[named.id]
	o.pairs = append(o.pairs, sigPair{x: x, y: y, named: named, k: k})
	if len(p.covered[ck]) < maxCovers {
		p.covered[ck] = append(p.covered[ck], [2]handlerSet{x.handlers, y.handlers})
	}
}

// objectID is the id of the object of full name full.
func (p *pairer) objectID(full string) int {
	id, ok := p.objIDs[full]
	if !ok {
		id = len(p.objs)
		p.objIDs[full] = id
		p.objs = append(p.objs, &conflictsOn{full: full})
	}
	return id
}

// partnersOf names, on the accesses of to, those of from as partners.
func partnersOf(to, from *sig, k Kind) {
	if len(to.partners) < maxPartners {
		from.each(func(p *Access) bool {
			if len(to.partners) >= maxPartners {
				return false
			}
			to.partners = append(to.partners, Partner{Access: p, Kind: k})
			return true
		})
	}
	to.npartners += from.count
	for _, grp := range to.groups {
		grp.partnersFrom(from, k)
	}
}

// conflictOrder is the conflicts' total order: a conflict is recorded
// once per (A, B, Kind, Object).
func conflictOrder(x, y *Conflict) int {
	return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B), cmp.Compare(x.Kind, y.Kind), strings.Compare(x.Object, y.Object))
}
