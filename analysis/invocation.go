package analysis

import (
	"go/types"
	"slices"

	"github.com/safels/safels/analysis/mem"
)

// What a concurrent handler reaches from its parameters.
//
// A net/http handler's request and response writer, an evio event's
// connection, are made by the library for this invocation, or for this
// connection, whose events the library serializes: what a handler
// reaches from its parameters is its own, and accesses there conflict
// with no other invocation. That holds only while nothing else is kept
// there. A handler may store memory that is not its own into what its
// parameters reach (evio's c.SetContext(tally), a middleware hanging a
// global on the request), and another invocation then reaches that
// memory through its own parameter of the same type; or it may store
// its parameter where others find it (a global), and then what it does
// through the parameter is done to memory others reach.
//
// So handlerAccesses keeps the locs of a concurrent handler's parameters
// (mem.Param, in its own terms), and once every handler's stores are
// known, placeParams names each such access as what it may reach besides
// the invocation's own memory: the values stored into a parameter of its
// type where the access goes through (stored), and, where a parameter of
// its type was published, memory of its type anywhere.

// invStore is a pointer to memory that is not an invocation's own,
// stored into what a concurrent handler's parameter reaches.
type invStore struct {
	dst, val mem.Loc
	h        int // the handler that stored it
	// perInv: the parameter's type is made for one invocation alone
	// (perInvocation), so the store counts for h only.
	perInv bool
}

func (a *analyzer) newInvStore(dst, val mem.Loc, h int) invStore {
	st := invStore{dst: dst, val: val, h: h}
	st.perInv = a.perInvocation(st.param().Base.Type)
	return st
}

// param: the side of the store rooted at a parameter.
func (st invStore) param() mem.Loc {
	if st.dst.Base.Kind == mem.Param {
		return st.dst
	}
	return st.val
}

// paramMemory is what every handler's stores say about parameters.
type paramMemory struct {
	stored    []invStore
	published []invStore // parameters' memory (val) stored where others find it, and all it reaches
	// byType and bySlot index stored (candidates).
	byType map[mem.TypeKey][]int
	bySlot map[slot][]int
}

// splitParamStores takes out of the handlers' stores those involving a
// concurrent handler's parameters: into one (kept in pm where what was
// stored is not the invocation's own), or of one into memory others may
// reach (the parameter's type is published; the store goes on, as of
// memory of that type anywhere). A parameter kept in an object of the
// invocation's own (a response builder holding the writer) is published
// only if that object is, directly or through other such objects.
func (a *analyzer) splitParamStores(pm *paramMemory, pol *pollution, stores [][]*rawStore) []*rawStore {
	shared := publishedFresh(stores)
	var out []*rawStore
	for h, sts := range stores {
		for _, st := range sts {
			switch {
			case st.dst.Base.Kind == mem.Param:
				if st.val.Base.Kind != mem.Param && ownerOf(st.val) != ownFresh && pol.mayKeep(st) {
					pm.stored = append(pm.stored, a.newInvStore(st.dst, st.val, h))
				}
			case st.val.Base.Kind == mem.Param:
				if ownerOf(st.dst) == ownFresh && !shared[st.dst.Base] || !pol.mayKeep(st) {
					continue // kept in the invocation's own object, or cannot be
				}
				pm.published = append(pm.published, a.newInvStore(st.dst, st.val, h))
				c := *st
				c.val = a.roots.UnknownPath(st.val.Base.Type, st.val.Path, st.val.Trunc)
				out = append(out, &c)
			default:
				out = append(out, st)
			}
		}
	}
	return out
}

// publishedFresh: the invocations' own objects stored where others may
// find them, directly or kept in another such object.
func publishedFresh(stores [][]*rawStore) map[*mem.Base]bool {
	out := map[*mem.Base]bool{}
	holders := map[*mem.Base][]*mem.Base{}
	var queue []*mem.Base
	for _, sts := range stores {
		for _, st := range sts {
			if st.val.Base.Kind != mem.Fresh || ownerOf(st.val) != ownFresh {
				continue
			}
			switch {
			case st.dst.Base.Kind == mem.Param:
			case ownerOf(st.dst) == ownFresh:
				holders[st.dst.Base] = append(holders[st.dst.Base], st.val.Base)
			case !out[st.val.Base]:
				out[st.val.Base] = true
				queue = append(queue, st.val.Base)
			}
		}
	}
	for len(queue) > 0 {
		b := queue[0]
		queue = queue[1:]
		for _, x := range holders[b] {
			if !out[x] {
				out[x] = true
				queue = append(queue, x)
			}
		}
	}
	return out
}

// placeParams replaces the parameter-rooted accesses of a handler by
// what they may reach beyond the invocation's own memory (none: dropped).
func (a *analyzer) placeParams(pm *paramMemory, h int, accs []*rawAccess) []*rawAccess {
	out := accs[:0]
	var more []*rawAccess
	for _, acc := range accs {
		if acc.loc.Base.Kind != mem.Param {
			out = append(out, acc)
			continue
		}
		for _, l := range pm.reach(a, h, acc.loc) {
			c := *acc
			c.loc = l
			more = append(more, &c)
		}
	}
	return append(out, more...)
}

// reach: the memory not the invocation's own a parameter-rooted loc may
// be: what was stored where it goes through, and, where its parameter's
// type was published or is the workspace's own, memory of that type
// anywhere. Where it goes
// through is judged by slot, as pollution does, not by path: two fields
// of one request may hold the same pointer.
func (pm *paramMemory) reach(a *analyzer, h int, l mem.Loc) []mem.Loc {
	var out []mem.Loc
	t := l.Base.Type
	// What another handler stored or published counts unless its
	// parameter was made for that invocation alone.
	mine := func(st invStore) bool { return st.h == h || !st.perInv }
	if a.workspaceType(t) || slices.ContainsFunc(pm.published, func(p invStore) bool { return mine(p) && reachedFrom(p.val, l) }) {
		out = append(out, a.roots.UnknownPath(t, l.Path, l.Trunc))
	}
	for _, i := range pm.candidates(l) {
		if st := pm.stored[i]; mine(st) {
			out = storedReach(out, st, l)
		}
	}
	return out
}

// storedReach adds to out what l may reach through store st.
func storedReach(out []mem.Loc, st invStore, l mem.Loc) []mem.Loc {
	d, p := st.dst.Path, l.Path
	same := types.Identical(st.dst.Base.Type, l.Base.Type)
	switch {
	case st.dst.Trunc:
		// Stored somewhere below d: an access below d through a
		// pointer, or of all below a point above d, may reach
		// anything the stored pointer leads to.
		if same && (pathPrefix(d, p) && (l.Trunc || hasDeref(p[len(d):])) || l.Trunc && pathPrefix(p, d)) {
			out = append(out, st.val.Deep())
		}
	case l.Trunc && same && pathPrefix(p, d):
		// An access of all below a point above the slot.
		out = append(out, st.val.Deep())
	default:
		for k, e := range p {
			if e.Kind == mem.Deref && sameKeptSlot(st.dst, mem.Loc{Base: l.Base, Path: p[:k]}) {
				out = append(out, st.val.Extend(p[k+1:], l.Trunc))
			}
		}
	}
	return out
}

// candidates are the indexes, in order, of the stores storedReach may
// find something in for l: those into a parameter of l's type, and those
// into the slot of a pointer l goes through. (An index of pm.stored, made
// once: every access of every handler's parameters asks.)
func (pm *paramMemory) candidates(l mem.Loc) []int {
	if pm.byType == nil {
		pm.byType, pm.bySlot = map[mem.TypeKey][]int{}, map[slot][]int{}
		for i, st := range pm.stored {
			k := mem.KeyOf(st.dst.Base.Type)
			pm.byType[k] = append(pm.byType[k], i)
			if len(st.dst.Path) > 0 && !st.dst.Trunc {
				sl := slotOf(st.dst)
				pm.bySlot[sl] = append(pm.bySlot[sl], i)
			}
		}
	}
	out := pm.byType[mem.KeyOf(l.Base.Type)]
	more := false
	for k, e := range l.Path {
		if e.Kind == mem.Deref && k > 0 {
			if ids := pm.bySlot[slotOf(mem.Loc{Base: l.Base, Path: l.Path[:k]})]; len(ids) > 0 {
				out = append(slices.Clip(out), ids...)
				more = true
			}
		}
	}
	if more {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// sameKeptSlot: a pointer kept at x may be the one kept at y: the same field,
// or element type, or the parameter itself (by type).
func sameKeptSlot(x, y mem.Loc) bool {
	if len(x.Path) == 0 || len(y.Path) == 0 {
		return len(x.Path) == len(y.Path) && types.Identical(x.Base.Type, y.Base.Type)
	}
	return slotOf(x) == slotOf(y)
}

func hasDeref(p []mem.Elem) bool {
	for _, e := range p {
		if e.Kind == mem.Deref {
			return true
		}
	}
	return false
}

// reachedFrom: l, rooted at a parameter, lies in what p (rooted at one
// of the same type) reaches: at or below it, or l is cut above it.
func reachedFrom(p, l mem.Loc) bool {
	if !types.Identical(p.Base.Type, l.Base.Type) {
		return false
	}
	return pathPrefix(p.Path, l.Path) || l.Trunc && pathPrefix(l.Path, p.Path)
}

// pathPrefix: p starts with q.
func pathPrefix(q, p []mem.Elem) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if !mem.SameElem(q[i], p[i]) {
			return false
		}
	}
	return true
}

// workspaceType: t, or what it points to, is a type of the workspace's.
// A library hands a handler its own objects (a request, a connection);
// a parameter of the workspace's type was made by the workspace's code,
// a wrapper's (inbucket's web.Context holding the server's manager), and
// what it holds is not known to be the invocation's.
func (a *analyzer) workspaceType(t types.Type) bool {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && a.workspace[n.Obj().Pkg()]
}

// perInvocation: a parameter of type t is made for one invocation alone
// (the spec's invocation types: net/http's request and response writer),
// not kept by the library across events (evio's and redcon's connections,
// reused framework contexts): what one handler stored there, or
// published of it, is no other handler's.
func (a *analyzer) perInvocation(t types.Type) bool {
	return slices.ContainsFunc(a.invocationTypes, func(r TypeRef) bool { return namedIs(t, r.Package, r.Name) })
}
