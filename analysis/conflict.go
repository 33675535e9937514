package analysis

import (
	"cmp"
	"go/types"
	"slices"
	"sort"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// maxPartners bounds the partners kept per access: a message names a few,
// and a hot global shared by hundreds of handlers must not make the result
// quadratic in size.
const maxPartners = 8

// bruteForceAliasing makes imprecise accesses be compared with every
// signature, as a test oracle for the index.
var bruteForceAliasing = false

func allSigs(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

type entry struct {
	h   int
	raw *rawAccess
	pub *Access
}

// conflicts fills in handlers, the conflicts between their accesses, the
// matrix, hues and colors.
func (a *analyzer) conflicts(res *Result, found []found, setup []*ssa.Function) {
	// Handlers in source order of the code the user wrote: a handler behind
	// middleware is the wrapper's function, the same for all of them, so
	// it sorts by what the wrapping holds, then by route, so that the
	// output does not depend on the order discovery met them.
	sort.SliceStable(found, func(i, j int) bool {
		fi, fj := found[i].inner(), found[j].inner()
		pi, pj := a.position(fi.fn.Pos()), a.position(fj.fn.Pos())
		if pi.Filename != pj.Filename {
			return pi.Filename < pj.Filename
		}
		if pi.Offset != pj.Offset {
			return pi.Offset < pj.Offset
		}
		if ri, rj := strings.Join(found[i].routes, ","), strings.Join(found[j].routes, ","); ri != rj {
			return ri < rj
		}
		return funcName(found[i].fn) < funcName(found[j].fn)
	})
	var all []entry
	accesses := make([][]*rawAccess, len(found))
	pol := newPollution()
	pol.owners = a.owners
	pol.implementers = a.implementers
	pol.inWorkspace = func(p *types.Package) bool { return a.workspace[p] }
	gathered := 0
	for i, f := range found {
		var stores []*rawStore
		accesses[i], stores = a.handlerAccesses(f)
		pol.add(stores)
		gathered += len(accesses[i])
		a.progress.tick("conflicts: the accesses of %d of %d handlers gathered (%d accesses)", i+1, len(found), gathered)
		for _, r := range accesses[i] {
			if r.loc.Base.Kind == mem.Context && !slices.ContainsFunc(pol.ctxTypes, func(t types.Type) bool { return types.Identical(t, r.loc.Base.Type) }) {
				pol.ctxTypes = append(pol.ctxTypes, r.loc.Base.Type)
			}
		}
	}
	for _, fn := range setup {
		pol.add(a.setupStores(fn))
	}
	var cg cutGroups
	for i, f := range found {
		h := &Handler{Name: funcName(f.fn), Short: shortFuncName(f.fn), Pos: a.position(f.fn.Pos()), Model: f.model}
		for _, r := range accesses[i] {
			// Where the access may cross between a context and shared
			// memory, its loc changes, and it may stand for more accesses.
			l, extra, cuts := pol.apply(r.loc)
			cuts = slices.DeleteFunc(cuts, func(c *cutSet) bool {
				if len(c.locs) > groupCutsOver {
					return false
				}
				extra = append(extra, c.locs...)
				return true
			})
			var main entry
			for j, x := range append([]mem.Loc{l}, extra...) {
				raw := r
				if j > 0 || x.Base != r.loc.Base || !slices.Equal(x.Path, r.loc.Path) {
					c := *r
					c.loc = x
					raw = &c
				}
				acc := a.publish(raw, i)
				h.Accesses = append(h.Accesses, acc)
				e := entry{h: i, raw: raw, pub: acc}
				all = append(all, e)
				if j == 0 {
					main = e
				}
			}
			// What it may reach below a cut is shared with every access
			// below the same cut: the access joins the set's group
			// instead of being copied once per loc (cutgroup.go).
			for _, c := range cuts {
				cg.add(c, main)
			}
		}
		res.Handlers = append(res.Handlers, h)
		a.progress.tick("conflicts: the accesses of %d of %d handlers placed (%d, with what they may reach through pointers kept in memory; %d below cuts)", i+1, len(found), len(all), cg.members)
	}
	n := len(res.Handlers)
	res.Matrix = make([][]Kind, n)
	for i := range res.Matrix {
		res.Matrix[i] = make([]Kind, n)
	}

	// Conflicts are recorded once per (pair of handlers, kind, object);
	// the key packs the four into one integer, for the fast map path: this
	// set has one entry per conflict, hundreds of thousands on large
	// workspaces.
	byKey := map[uint64]struct{}{}
	byWideKey := map[[2]uint64]struct{}{} // more than 65536 handlers
	objIDs := map[string]int{}
	// report records that handlers hx and hy conflict on the object named
	// (short, obj), through signatures sx and sy.
	report := func(sx, sy *sig, hx, hy int, k Kind, short, obj string, id int) {
		res.Matrix[hx][hy] |= k
		res.Matrix[hy][hx] |= k
		lo, hi := min(hx, hy), max(hx, hy)
		var dup bool
		if n <= 1<<16 {
			key := uint64(id)<<34 | uint64(lo)<<18 | uint64(hi)<<2 | uint64(k)
			_, dup = byKey[key]
			byKey[key] = struct{}{}
		} else {
			key := [2]uint64{uint64(id), uint64(lo)<<34 | uint64(hi)<<2 | uint64(k)}
			_, dup = byWideKey[key]
			byWideKey[key] = struct{}{}
		}
		if dup {
			return
		}
		x, y := sx.firstOf(hx), sy.firstOf(hy)
		if x.h > y.h || x.h == y.h && x.pub.Pos.Offset > y.pub.Pos.Offset {
			x, y = y, x
		}
		res.Conflicts = append(res.Conflicts, &Conflict{A: x.h, B: y.h, Kind: k, Object: obj, Short: short, AAccess: x.pub, BAccess: y.pub})
	}
	// Accesses are compared by signature (location, op, atomicity, locks
	// held), not one by one: the same field reached at many positions and
	// from many handlers is compared once, which keeps the cost near the
	// size of the output (the matrix and the conflicts) instead of the
	// square of the number of accesses.
	var sigs []*sig
	bySig := map[string]*sig{}
	sigOf := func(r *rawAccess, k string) *sig {
		g := bySig[k]
		if g == nil {
			g = &sig{rep: r, first: map[int]entry{}, id: -1}
			bySig[k] = g
			sigs = append(sigs, g)
		}
		return g
	}
	for _, e := range all {
		g := sigOf(e.raw, sigKey(e.raw))
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
			g := sigOf(&rep, x.Key+"|"+grp.attrs)
			g.groups = append(g.groups, grp)
		}
	}
	for _, g := range sigs {
		g.seal(n)
	}
	kindOf := func(x, y *rawAccess) Kind {
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
		if (xi || yi) && mem.TypeAlias(x.loc, y.loc) && pol.mayAlias(x.loc, y.loc) {
			return Global
		}
		if x.loc.Base.Kind == mem.Context && y.loc.Base.Kind == mem.Context && x.loc.Base.Key == y.loc.Base.Key && mem.ContextAlias(x.loc, y.loc) {
			return Context
		}
		return 0
	}
	partnersOf := func(to, from *sig, k Kind) {
		for _, e := range to.entries {
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
	covered := map[coverKey][][2]handlerSet{}
	check := func(x, y *sig) {
		k := kindOf(x.rep, y.rep)
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
			id, ok := objIDs[named.obj]
			if !ok {
				id = len(objIDs)
				objIDs[named.obj] = id
			}
			named.id = id
		}
		// Many pairs of signatures name one object for the same
		// handlers (on miniflux, every handler's): a pair of handler
		// sets inside one already reported for it has nothing new.
		ck := coverKey{named.id, k}
		if !covers(covered[ck], x.handlers, y.handlers) {
			for hx := range x.handlers.all() {
				for hy := range y.handlers.all() {
					report(x, y, hx, hy, k, named.short, named.obj, named.id)
				}
			}
			if len(covered[ck]) < maxCovers {
				covered[ck] = append(covered[ck], [2]handlerSet{x.handlers, y.handlers})
			}
		}
		partnersOf(x, y, k)
		if x != y {
			partnersOf(y, x, k)
		}
	}
	// Precise accesses can only overlap within one root; loose ones
	// (imprecise, or through a context's pointer) are compared with
	// everything.
	byRoot := map[string][]int{}
	var loose []int
	for i, g := range sigs {
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
				check(sigs[g[i]], sigs[g[j]])
			}
		}
	}
	// An imprecise access may alias memory of its type anywhere: instead of
	// comparing it with every signature, look up those that mention its
	// field or type (a superset of what typeAlias can match), then check
	// those exactly.
	hay := map[any][]int{}     // field or type key -> signatures whose loc mentions it
	needles := map[any][]int{} // field or type key -> imprecise signatures that look for it
	for i, g := range sigs {
		for _, k := range mem.Haystack(g.rep.loc) {
			hay[k] = append(hay[k], i)
		}
	}
	for _, i := range loose {
		for _, k := range mem.NeedlesOf(sigs[i].rep.loc) {
			needles[k] = append(needles[k], i)
		}
	}
	seen := make([]int, len(sigs))
	for n := range seen {
		seen[n] = -1
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
			add(allSigs(len(sigs)))
		} else {
			for _, k := range mem.NeedlesOf(sigs[i].rep.loc) {
				add(hay[k])
			}
			for _, k := range mem.Haystack(sigs[i].rep.loc) {
				add(needles[k])
			}
		}
		sort.Ints(cand)
		for _, j := range cand {
			if sigs[j].rep.loc.Base.Key == sigs[i].rep.loc.Base.Key {
				continue // done above
			}
			if sigs[j].rep.loc.Loose() && j < i {
				continue // the pair was checked from j
			}
			check(sigs[i], sigs[j])
		}
	}
	for _, g := range sigs {
		for _, name := range g.guards {
			for _, e := range g.entries {
				e.pub.GuardedBy = appendOnce(e.pub.GuardedBy, name)
			}
		}
	}
	cg.finish()

	// Hues: the transitive closure of global conflicts (union-find).
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	hasGlobal := make([]bool, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if res.Matrix[i][j]&Global != 0 {
				hasGlobal[i], hasGlobal[j] = true, true
				parent[find(i)] = find(j)
			}
			if res.Matrix[i][j]&Context != 0 {
				res.Handlers[i].Colored = true
			}
		}
	}
	hue := map[int]int{}
	for i := 0; i < n; i++ {
		if !hasGlobal[i] {
			continue
		}
		r := find(i)
		if hue[r] == 0 {
			hue[r] = len(hue) + 1
		}
		res.Handlers[i].Hue = hue[r]
	}
	// A total order: a conflict is recorded once per (A, B, Kind, Object).
	slices.SortFunc(res.Conflicts, func(x, y *Conflict) int {
		return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B), cmp.Compare(x.Kind, y.Kind), strings.Compare(x.Object, y.Object))
	})
}

// sigKey identifies what decides whether an access conflicts: where, how,
// and under which locks; not where in the source or from which handler.
func sigKey(r *rawAccess) string {
	return r.loc.Key + "|" + sigAttrs(r)
}

// sigAttrs is sigKey without the loc.
func sigAttrs(r *rawAccess) string {
	var b strings.Builder
	b.WriteString(r.op.String())
	if r.atomic {
		b.WriteString("|atomic")
	}
	if len(r.locks) > 0 {
		locks := make([]string, len(r.locks))
		for i, l := range r.locks {
			locks[i] = l.loc.Key + "\x00r"
			if l.write {
				locks[i] = l.loc.Key + "\x00w"
			}
			if l.same {
				locks[i] += "="
			}
		}
		sort.Strings(locks)
		b.WriteString("|" + strings.Join(locks, "|"))
	}
	return b.String()
}

// commonLock returns the name of a lock that keeps two accesses apart: one
// both hold, at least one for writing, that is provably one mutex
// (mustAliasLock). A lock inside the context only separates invocations on
// the same context, or accesses of its own object reached through the
// same pointer as it (locks.go).
func commonLock(xa, ya *rawAccess, k Kind) string {
	for _, x := range xa.locks {
		for _, y := range ya.locks {
			if x.loc.Key != y.loc.Key || !x.write && !y.write || !mustAliasLock(x.loc) {
				continue
			}
			if x.loc.Base.Kind == mem.Context {
				// A lock inside the context keeps apart invocations on
				// the same context; one in an object the context points
				// to, only accesses of that object through the same
				// pointer, on any context (locks.go).
				object := x.same && y.same && inLockObject(xa.loc, x.loc) && inLockObject(ya.loc, y.loc)
				if firstDeref(x.loc) >= 0 && !object || k != Context && !object {
					continue
				}
			}
			short, _ := x.loc.Names()
			return short
		}
	}
	return ""
}

// mustAliasLock: every invocation that holds a lock at l holds the same
// mutex as any other that does: not an element of an array, slice or map
// (accounts[i].mu is not accounts[j].mu), nothing reached through a
// pointer of unknown target.
func mustAliasLock(l mem.Loc) bool {
	if l.Base.Kind == mem.Unknown || l.Trunc || l.Imprecise() {
		return false
	}
	for _, e := range l.Path {
		if e.Kind == mem.Index {
			return false
		}
	}
	return true
}

func appendOnce(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
