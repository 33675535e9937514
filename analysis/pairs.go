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
	bySig map[string]*sig
	// Conflicts are recorded once per (pair of handlers, kind, object);
	// the key packs the four into one integer, for the fast map path: this
	// set has one entry per conflict, hundreds of thousands on large
	// workspaces.
	byKey     map[uint64]struct{}
	byWideKey map[[2]uint64]struct{} // more than 65536 handlers
	objIDs    map[string]int
	objOf     []int32 // the object's id of each conflict recorded
	// covered: the pairs of handler sets already reported for an object
	// (check).
	covered map[coverKey][][2]handlerSet
}

// newPairer makes a pairer for the handlers of res, and res's matrix.
func newPairer(res *Result, pol *pollution) *pairer {
	n := len(res.Handlers)
	res.Matrix = make([][]Kind, n)
	for i := range res.Matrix {
		res.Matrix[i] = make([]Kind, n)
	}
	return &pairer{res: res, pol: pol, n: n, bySig: map[string]*sig{},
		byKey: map[uint64]struct{}{}, byWideKey: map[[2]uint64]struct{}{},
		objIDs: map[string]int{}, covered: map[coverKey][][2]handlerSet{}}
}

// sigOf is the signature of key k, made with r as its representative.
func (p *pairer) sigOf(r *rawAccess, k string) *sig {
	g := p.bySig[k]
	if g == nil {
		g = &sig{rep: r, first: map[int]entry{}, id: -1}
		p.bySig[k] = g
		p.sigs = append(p.sigs, g)
	}
	return g
}

// signatures groups the accesses of all (and those below each cut of cg)
// by signature.
func (p *pairer) signatures(all []entry, cg *cutGroups) {
	for _, e := range all {
		g := p.sigOf(e.raw, sigKey(e.raw))
		g.entries = append(g.entries, e)
		if _, ok := g.first[e.h]; !ok {
			g.first[e.h] = e
		}
	}
	// Each loc below a cut is a signature of its own, with the accesses
	// of the groups that reach it (cutgroup.go).
	for _, grp := range cg.list {
		for _, x := range grp.set.locs {
			rep := *grp.rep
			rep.loc = x
			g := p.sigOf(&rep, x.Key+"|"+grp.attrs)
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

// markGuards names on each access the locks that kept its conflicts off.
func (p *pairer) markGuards() {
	for _, g := range p.sigs {
		for _, name := range g.guards {
			for _, e := range g.entries {
				e.pub.GuardedBy = appendOnce(e.pub.GuardedBy, name)
			}
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

// check records the conflict of two signatures, if any: in the matrix,
// once per pair of handlers and object, and as partners of their accesses.
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
	if named.id < 0 {
		named.short, named.obj = named.rep.loc.Names()
		id, ok := p.objIDs[named.obj]
		if !ok {
			id = len(p.objIDs)
			p.objIDs[named.obj] = id
		}
		named.id = id
	}
	// Many pairs of signatures name one object for the same
	// handlers (on miniflux, every handler's): a pair of handler
	// sets inside one already reported for it has nothing new.
	ck := coverKey{named.id, k}
	if !covers(p.covered[ck], x.handlers, y.handlers) {
		for hx := range x.handlers.all() {
			for hy := range y.handlers.all() {
				p.report(x, y, hx, hy, k, named.short, named.obj, named.id)
			}
		}
		if len(p.covered[ck]) < maxCovers {
			p.covered[ck] = append(p.covered[ck], [2]handlerSet{x.handlers, y.handlers})
		}
	}
	partnersOf(x, y, k)
	if x != y {
		partnersOf(y, x, k)
	}
}

// partnersOf names, on the accesses of to, those of from as partners.
func partnersOf(to, from *sig, k Kind) {
	for _, e := range to.entries {
		if len(e.pub.Partners) >= maxPartners {
			e.pub.NPartners += from.count // full: counted only
			continue
		}
		from.each(func(p entry) bool {
			if len(e.pub.Partners) >= maxPartners {
				return false
			}
			e.pub.Partners = append(e.pub.Partners, Partner{Access: p.pub, Kind: k})
			return true
		})
		e.pub.NPartners += from.count
	}
	for _, grp := range to.groups {
		grp.partnersFrom(from, k)
	}
}

// report records that handlers hx and hy conflict on the object named
// (short, obj), through signatures sx and sy.
func (p *pairer) report(sx, sy *sig, hx, hy int, k Kind, short, obj string, id int) {
	p.res.Matrix[hx][hy] |= k
	p.res.Matrix[hy][hx] |= k
	lo, hi := min(hx, hy), max(hx, hy)
	var dup bool
	if p.n <= 1<<16 {
		key := uint64(id)<<34 | uint64(lo)<<18 | uint64(hi)<<2 | uint64(k)
		_, dup = p.byKey[key]
		p.byKey[key] = struct{}{}
	} else {
		key := [2]uint64{uint64(id), uint64(lo)<<34 | uint64(hi)<<2 | uint64(k)}
		_, dup = p.byWideKey[key]
		p.byWideKey[key] = struct{}{}
	}
	if dup {
		return
	}
	x, y := sx.firstOf(hx), sy.firstOf(hy)
	if x.h > y.h || x.h == y.h && x.pub.Pos.Offset > y.pub.Pos.Offset {
		x, y = y, x
	}
	p.res.Conflicts = append(p.res.Conflicts, &Conflict{A: x.h, B: y.h, Kind: k, Object: obj, Short: short, AAccess: x.pub, BAccess: y.pub})
	p.objOf = append(p.objOf, int32(id))
}

// conflictOrder is the conflicts' total order: a conflict is recorded
// once per (A, B, Kind, Object).
func conflictOrder(x, y *Conflict) int {
	return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B), cmp.Compare(x.Kind, y.Kind), strings.Compare(x.Object, y.Object))
}

// sortConflicts puts the conflicts in their total order: by handlers,
// kind and object (a conflict is recorded once for each). Millions of
// them on large workspaces, so they are compared as one integer each,
// the object by its rank among the objects' names, where that fits;
// else by the four fields.
func (p *pairer) sortConflicts() {
	cs := p.res.Conflicts
	if p.n > 1<<16 || len(p.objIDs) >= 1<<28 {
		slices.SortFunc(cs, conflictOrder)
		return
	}
	names := make([]string, len(p.objIDs))
	for name, id := range p.objIDs {
		names[id] = name
	}
	byName := make([]int32, len(names))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(x, y int32) int { return strings.Compare(names[x], names[y]) })
	rank := make([]uint64, len(names))
	for r, id := range byName {
		rank[id] = uint64(r)
	}
	type keyed struct {
		key uint64
		c   *Conflict
	}
	ks := make([]keyed, len(cs))
	for i, c := range cs {
		ks[i] = keyed{uint64(c.A)<<48 | uint64(c.B)<<32 | uint64(c.Kind)<<28 | rank[p.objOf[i]], c}
	}
	slices.SortFunc(ks, func(x, y keyed) int { return cmp.Compare(x.key, y.key) })
	for i := range ks {
		cs[i] = ks[i].c
	}
}
