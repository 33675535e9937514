package analysis

import (
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// What a context reaches is taken to be the context's own, and a slice or
// map held in shared memory to name its own backing store: that is what
// keeps the accesses of different contexts apart. Both fail where a
// pointer crosses over: a context keeping a pointer to shared state
// (c.p = &total: *c.p is total), or shared state keeping a slice of a
// context's memory (recent = c.buf: recent[0] is c.buf[0]).
//
// So every pointer stored anywhere is recorded, with where it went and
// what it points to, and carried up through calls like accesses are. A
// store is named by its slot: the field, or the element type, or the
// variable it went into. Slots go by type, not by object, because a
// context is often filled before it becomes one (in main, before
// loop.Post). Once the whole program's stores are known, a slot that ever
// held a pointer to shared memory makes what contexts reach through it
// shared; one that ever held a pointer into a context makes what shared
// memory reaches through it the context's. Such accesses are imprecise:
// they alias memory of their type anywhere.

// A rawStore is a pointer stored into dst, pointing to val, relative to
// the summarized function like an access.
type rawStore struct {
	dst, val loc
	pos      token.Pos
	// anyBase: dst stands for stores into its slot in several fresh
	// objects, not only its own (storebound.go).
	anyBase bool
}

// slot names where a pointer is kept, for every object alike.
type slot struct {
	field *types.Var // a struct field
	elem  typeKeyT   // else an element (or pointee) of this type
	root  string     // else this variable (the base's key)
}

// slotOf names the memory l designates as a place to keep a pointer.
func slotOf(l loc) slot {
	n := len(l.path)
	if n == 0 {
		return slot{root: l.base.key}
	}
	if e := l.path[n-1]; e.kind == eField {
		return slot{field: e.field}
	}
	return slot{elem: typeKey(l.memType())}
}

// storePointer records the store of v into dsts, if v is a pointer.
func (s *fnState) storePointer(dsts []loc, v ssa.Value, pos token.Pos) {
	if s.sum == nil || v == nil || !pointerLike(v.Type()) {
		return
	}
	vals := s.origin(v)
	for _, d := range dsts {
		for _, val := range vals {
			s.sum.addStore(d, val, pos)
		}
	}
}

type ownership uint8

const (
	ownFresh   ownership = iota // the invocation's own, until published
	ownContext                  // the handler's context
	ownShared                   // everything else, also what is not known
)

func ownerOf(l loc) ownership {
	switch l.base.kind {
	case bContext:
		return ownContext
	case bFresh:
		if firstDeref(l) >= 0 {
			return ownShared // reached through a pointer kept in fresh memory
		}
		return ownFresh
	}
	return ownShared
}

// postedKey names, as the destination of a store, the context a value
// becomes when it is posted (loop.Post(l, h, v)).
const postedKey = "ctx:posted"

func (a *analyzer) postedLoc() loc {
	return a.rootLoc(&base{kind: bContext, key: postedKey, name: "(posted)", full: "(posted)"})
}

// pollution is what the whole program's stores say about slots.
type pollution struct {
	// toShared: slots that held pointers to shared memory, and to which.
	toShared map[slot]*targets
	// toContext: slots that held pointers into a context, or pointers
	// that may be anything, and the types of what they pointed to.
	toContext map[slot][]types.Type
	// posted: the types of contexts that are memory shared otherwise
	// (posted after being read from shared state, as a timer visiting a
	// connection table does): shared memory of such a type may be a
	// context.
	posted []types.Type
	// owners: which slots hold only owned pointers, and which struct
	// types may be contexts inside other memory (owner.go).
	owners *owners
	// ctxTypes: the types of the handlers' contexts; ctxHeld: slots that
	// held a pointer into a context.
	ctxTypes []types.Type
	ctxHeld  map[slot]bool
}

// targets are what a slot's pointers may point to: these locs, or, where
// that is not known, anything of the pointer's type.
type targets struct {
	locs []loc
	keys map[string]bool
	any  bool
}

func newPollution() *pollution {
	return &pollution{toShared: map[slot]*targets{}, toContext: map[slot][]types.Type{}, ctxHeld: map[slot]bool{}}
}

func (p *pollution) shared(sl slot) *targets {
	t := p.toShared[sl]
	if t == nil {
		t = &targets{keys: map[string]bool{}}
		p.toShared[sl] = t
	}
	return t
}

// add takes the stores of one invocation (a handler's, rebased, or
// main's): fresh memory stored both into a context and into shared memory
// joins the two, as a pointer from one to the other would.
func (p *pollution) add(stores []*rawStore) {
	type dests struct {
		ctx, shr []slot
		typ      types.Type
	}
	fresh := map[string]*dests{}
	for _, st := range stores {
		sl := slotOf(st.dst)
		posted := st.dst.base.key == postedKey
		switch ownerOf(st.val) {
		case ownShared:
			if posted {
				p.posted = append(p.posted, st.val.memType())
				continue
			}
			if t := p.shared(sl); !t.keys[st.val.key] {
				t.keys[st.val.key] = true
				t.locs = append(t.locs, st.val)
			}
			if st.val.imprecise() || st.val.trunc {
				p.context(sl, st.val.memType()) // it may be a context's, too
			}
		case ownContext:
			p.context(sl, st.val.memType())
			p.ctxHeld[sl] = true
		case ownFresh:
			d := fresh[st.val.base.key]
			if d == nil {
				d = &dests{typ: st.val.memType()}
				fresh[st.val.base.key] = d
			}
			switch ownerOf(st.dst) {
			case ownContext:
				d.ctx = append(d.ctx, sl)
			case ownShared:
				d.shr = append(d.shr, sl)
			}
		}
	}
	for _, d := range fresh {
		if len(d.ctx) == 0 || len(d.shr) == 0 {
			continue
		}
		for _, sl := range d.ctx {
			p.shared(sl).any = true
		}
		for _, sl := range d.shr {
			p.context(sl, d.typ)
			p.ctxHeld[sl] = true
		}
	}
}

func (p *pollution) context(sl slot, t types.Type) {
	for _, x := range p.toContext[sl] {
		if types.Identical(x, t) {
			return
		}
	}
	p.toContext[sl] = append(p.toContext[sl], t)
}

// apply rewrites an access's loc for what its dereferences may reach
// across: a context's pointer to shared memory also reaches that memory
// (extra locs, named after it: *c.p is also total), or, where that is not
// known, anything of its type (the dereference becomes imprecise); shared
// memory holding a context's pointer reaches any context's memory of its
// type.
func (p *pollution) apply(l loc) (loc, []loc) {
	own := ownerOf(l)
	if own == ownFresh {
		return l, nil
	}
	if own == ownContext && p.owners != nil && p.owners.interior[typeKey(l.base.typ)] {
		// The context may be memory inside another (&c.timer posted):
		// it is memory of its type wherever it is.
		return unknownOf(l.base.typ).extend(l.path, l.trunc), nil
	}
	var path []elem
	var extra []loc
	for d, e := range l.path {
		if e.kind != eDeref || own == ownShared && !e.precise || own == ownContext && e.crossed {
			continue
		}
		sl := slotOf(loc{base: l.base, path: l.path[:d]})
		imprecise := own == ownShared && len(p.toContext[sl]) > 0
		crossed := false
		if t := p.toShared[sl]; own == ownContext && t != nil {
			crossed = t.any
			for _, target := range t.locs {
				x := target.extend(l.path[d+1:], l.trunc)
				if len(x.path) > len(target.path) {
					// What the target reaches may cross over again.
					x2, more := p.apply(x)
					extra = append(extra, more...)
					x = x2
				}
				extra = append(extra, x)
			}
		}
		if own == ownContext && !crossed && !p.owners.ownedSlot(sl, loc{base: l.base, path: l.path[:d]}.memType()) {
			// A pointer not proven the context's own was kept here: what
			// it leads to may be another's (owner.go).
			crossed = true
		}
		if imprecise || crossed {
			if path == nil {
				path = append([]elem(nil), l.path...)
			}
			path[d].precise = path[d].precise && !imprecise
			path[d].crossed = crossed
		}
	}
	if path != nil {
		l.path = path
	}
	if l.trunc {
		// Everything below l: also what its pointers lead to (a
		// container outside the workspace, kept whole).
		sl := slotOf(loc{base: l.base, path: l.path})
		if own == ownContext && indirect(l.memType()) && !p.owners.ownsBelow(sl, l.memType()) {
			// Cut at a pointer (c.peer..., a list): what lies below may
			// be any memory of its type. (A slice or map cut by a call
			// outside the workspace keeps its known targets only: see
			// the package doc's limits.)
			extra = append(extra, unknownOf(pointee(l.memType())).deep())
		}
		if t := p.toShared[sl]; own == ownContext && t != nil {
			for _, target := range t.locs {
				extra = append(extra, target.deep())
			}
		}
		if own == ownShared {
			for _, t := range p.toContext[sl] {
				extra = append(extra, unknownOf(t).deep())
			}
		}
	}
	return l, extra
}

// mayReachContext reports whether an imprecise access of shared memory may
// be an access of some context's memory: only where it dereferences a
// pointer from a slot that ever held a pointer into a context (or
// anything), or where what it reaches is not known.
func (p *pollution) mayReachContext(l loc) bool {
	if l.base.kind == bUnknown || l.trunc && holdsPointers(l.memType(), 0) {
		return true
	}
	for d, e := range l.path {
		if e.kind != eDeref || e.precise && !e.crossed {
			continue
		}
		prefix := loc{base: l.base, path: l.path[:d]}
		if e.crossed {
			// Reached from a context through a slot it does not own: a
			// context's memory only if a pointer into one was kept there,
			// or the slot may hold another context (a peer, the
			// connection a stream points back to).
			if p.ctxHeld[slotOf(prefix)] {
				return true
			}
			// A slot a context does not own may hold another context
			// (a peer, the connection a stream points back to).
			for _, t := range p.ctxTypes {
				if typeContains(e.typ, t) {
					return true
				}
			}
			continue
		}
		if len(p.toContext[slotOf(prefix)]) > 0 {
			return true
		}
		for _, t := range p.posted {
			if typeContains(e.typ, t) {
				return true
			}
		}
	}
	return false
}

// holdsPointers: memory of type t (for a slice, its backing array) holds
// pointers to other memory.
func holdsPointers(t types.Type, depth int) bool {
	if t == nil || depth > 8 {
		return true
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	case *types.Slice:
		return holdsPointers(u.Elem(), depth+1)
	case *types.Array:
		return holdsPointers(u.Elem(), depth+1)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if holdsPointers(u.Field(i).Type(), depth+1) {
				return true
			}
		}
		return false
	}
	return true
}

// mayAlias refines typeAlias between a context's own memory and an
// imprecise access of shared memory.
func (p *pollution) mayAlias(x, y loc) bool {
	own := func(l loc) bool { return ownerOf(l) == ownContext && !l.loose() }
	// Far: shared memory known only by its type, or reached from a
	// context through a slot it does not own (owner.go).
	far := func(l loc) bool {
		return ownerOf(l) == ownShared && l.base.kind != bUnknown && l.imprecise() ||
			ownerOf(l) == ownContext && l.imprecise()
	}
	switch {
	case own(x) && far(y):
		return p.mayReachContext(y)
	case own(y) && far(x):
		return p.mayReachContext(x)
	}
	return true
}

// entryPoints are the functions whose stores set up what handlers find:
// main and the package initializers.
func (a *analyzer) entryPoints(l *loaded) []*ssa.Function {
	var out []*ssa.Function
	for _, p := range l.roots {
		sp := a.prog.Package(p.Types)
		if sp == nil {
			continue
		}
		if f := sp.Func("init"); f != nil {
			out = append(out, f)
		}
		if f := sp.Func("main"); f != nil && sp.Pkg.Name() == "main" {
			out = append(out, f)
		}
	}
	return out
}
