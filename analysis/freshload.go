package analysis

import (
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Pointers kept in this invocation's own memory.
//
// An object a handler makes and keeps to itself (a response builder, a
// request's parsed form) holds pointers: to the handler's response
// writer, to a body it was given, to a global. What such a pointer
// points to was taken to be anything of its type, since the analysis did
// not follow it; a builder that wrote its response writer through it
// then wrote every response writer, and every handler that used one
// conflicted with every other.
//
// Yet when the object is this invocation's own and every pointer ever
// stored into it is known, what a pointer loaded from it points to is one
// of those: the stores of the function (and of what it calls, rewritten
// into its terms) into the object, and those its callees made into
// objects they allocated and returned (a constructor's). So an access
// through such a pointer waits until the function's walk is over, when
// every store is known, and is then named as each stored value
// (placeFreshLoads).
//
// Every store is known only if nothing wrote the object where the
// analysis does not see which pointers: code without a body handed the
// object to write (a decoder, a library's Reset), a copy of a struct or
// array value holding pointers, the built-in copy and append of such
// elements, or memory a library made (a sync.Pool's object, whose fields
// another invocation set). Such an object is opaque (markOpaque) and so
// is everything kept in it; accesses through pointers kept in it, or in
// memory allocated anywhere but here, or published, are named as before:
// anything of their type. So are those of a recursive component, whose
// callees' stores are still growing while it is walked.

type pendingAccess struct {
	loc    mem.Loc
	op     Op
	atomic bool
	pos    token.Pos
	at     *ssa.Function
	via    *chain
	locks  []held
}

// pendFreshLoad keeps p for placeFreshLoads if it goes through a pointer
// kept in this invocation's own memory that the walk may resolve.
func (w *sumWalk) pendFreshLoad(p pendingAccess) bool {
	s := w.s
	b := p.loc.Base
	if firstDeref(p.loc) < 0 || s.escaped[b] || s.goShared[b] || w.sum.applied != nil || w.sum.detached || !allocatedHere(b) {
		return false
	}
	w.pending = append(w.pending, p)
	return true
}

// allocatedHere: the object is made by workspace code, whose stores the
// analysis sees from the start (not a library's result).
func allocatedHere(b *mem.Base) bool {
	switch site := b.Site.(type) {
	case *ssa.Alloc, *ssa.MakeSlice, *ssa.MakeMap, *ssa.MakeChan:
		return true
	case *ssa.Call:
		// The array append made: what it holds is what appendCopy
		// copied, or it is opaque.
		bi, ok := site.Call.Value.(*ssa.Builtin)
		return ok && bi.Name() == "append"
	}
	return false
}

// placeFreshLoads names each pending access as the values stored where
// its pointer was loaded from, or, where the object is opaque, as before.
func (w *sumWalk) placeFreshLoads() {
	w.resolveCopies()
	if len(w.pending) == 0 {
		return
	}
	a := w.a
	q := w.freshQuery()
	opaque := w.opaqueClosure(q)
	q.opaque = opaque
	for _, p := range w.pending {
		b := p.loc.Base
		if opaque[b] || q.heldOpaque(b) {
			w.place(p.loc, p.op, p.atomic, p.pos, p.at, p.via, p.locks)
			continue
		}
		d := firstDeref(p.loc)
		rest := p.loc.Path[d+1:]
		place := func(r mem.Loc) { w.place(r, p.op, p.atomic, p.pos, p.at, p.via, p.locks) }
		slot := a.slotOfLoad(p.loc)
		for _, v := range q.at(slot) {
			if a.heldBefore(v, slot) {
				continue
			}
			w.resolveHeld(v.Extend(rest, p.loc.Trunc), q, maxHeldSteps-1, place)
		}
	}
	w.pending = nil
	if q.cut {
		w.sum.holdersCut = true
	}
}

// resolveHeld visits what r names: r itself, or, where r goes through a
// pointer kept in an object of this invocation's (an entry's feed, kept
// in the entry kept in a slice), what was stored where that pointer was
// loaded from, for steps more steps; past them, or where the object is
// published, shared with goroutines, made elsewhere or written unseen,
// memory of its type.
func (w *sumWalk) resolveHeld(r mem.Loc, q *freshQuery, steps int, visit func(mem.Loc)) {
	d := firstDeref(r)
	if r.Base.Kind != mem.Fresh || d < 0 {
		visit(r)
		return
	}
	s, b := w.s, r.Base
	if steps == 0 && allocatedHere(b) {
		w.sum.heldCut = true
	}
	if steps == 0 || s.escaped[b] || s.goShared[b] || !allocatedHere(b) || q.opaque[b] || q.heldOpaque(b) {
		visit(w.a.roots.UnknownPath(r.Path[d].Type, r.Path[d+1:], r.Trunc))
		return
	}
	rest := r.Path[d+1:]
	slot := w.a.slotOfLoad(r)
	for _, v := range q.at(slot) {
		if !w.a.heldBefore(v, slot) {
			w.resolveHeld(v.Extend(rest, r.Trunc), q, steps-1, visit)
		}
	}
}

// maxHeldSteps bounds resolveHeld: a pointer kept in what was kept in what
// was kept... past this many, anything of its type (less precise, not
// less safe).
const maxHeldSteps = 4

// slotOfLoad is where the first pointer l goes through was loaded from:
// l's path up to its first dereference.
func (a *analyzer) slotOfLoad(l mem.Loc) mem.Loc {
	return a.roots.Root(l.Base).Extend(l.Path[:firstDeref(l)], false)
}

// heldBefore: v, a value stored in slot, is what slot held before
// (x.s = append(x.s, e)): one of the values stored there, all of which
// are asked anyway. (A value loaded from another slot of the object,
// x.s = x.t, is what that slot holds: resolveHeld asks it.)
func (a *analyzer) heldBefore(v, slot mem.Loc) bool {
	return v.Base == slot.Base && firstDeref(v) >= 0 && a.slotOfLoad(v).Key == slot.Key
}

// heldIn: v is a value loaded from b itself, among those stored in it
// (opaqueClosure asks them all).
func heldIn(v mem.Loc, b *mem.Base) bool { return v.Base == b && firstDeref(v) >= 0 }

// opaqueClosure: the objects written where the analysis does not see
// which pointers, those reached through pointers kept in this
// invocation's objects that were (a slice's array appended to), and
// every object of this invocation kept in one of them (a library that
// writes an object may write what it holds).
func (w *sumWalk) opaqueClosure(q *freshQuery) map[*mem.Base]bool {
	s, a := w.s, w.a
	out := map[*mem.Base]bool{}
	var add func(b *mem.Base)
	// objects: the objects of this invocation a value may point to: the
	// value's own, or, for one reached through a pointer kept in an
	// object (x.p...), what was stored there. A value that points into memory holding no pointer (&e.ID, a
	// feed's title kept in a Scan's destinations) leads to no object a
	// write through it could change the pointers of.
	var objects func(v mem.Loc, visit func(*mem.Base))
	expanded := map[string]bool{} // slots followed already
	objects = func(v mem.Loc, visit func(*mem.Base)) {
		if v.Base.Kind != mem.Fresh || !hasPointers(v.MemType(), 0) {
			return
		}
		if firstDeref(v) < 0 {
			visit(v.Base)
			return
		}
		// Every object stored in the slot v was loaded from: once per
		// slot (what lies below them on v's path is among what they
		// hold, which add visits).
		slot := a.slotOfLoad(v)
		if expanded[slot.Key] {
			return
		}
		expanded[slot.Key] = true
		for _, u := range q.at(slot) {
			if !a.heldBefore(u, slot) {
				objects(u, visit)
			}
		}
	}
	add = func(b *mem.Base) {
		if out[b] {
			return
		}
		out[b] = true
		for _, vs := range q.into(b) {
			for _, v := range vs {
				if !heldIn(v, b) {
					objects(v, add)
				}
			}
		}
	}
	// In the order of keys: a run's result must not depend on a map's.
	bases := make([]*mem.Base, 0, len(s.opaque))
	for b := range s.opaque {
		bases = append(bases, b)
	}
	slices.SortFunc(bases, func(x, y *mem.Base) int { return strings.Compare(x.Key, y.Key) })
	for _, b := range bases {
		add(b)
	}
	for _, l := range w.sum.opaque {
		objects(l, add)
	}
	return out
}

// markOpaque: l's object was written where the analysis does not see
// which pointers. An object of this invocation is marked here (one
// reached through a pointer kept in it, once that pointer is resolved:
// opaqueClosure); every such loc is kept in the summary too, for each
// caller to mark what it passed or was returned.
func (s *fnState) markOpaque(l mem.Loc) {
	if !hasPointers(l.MemType(), 0) {
		// Written, but with no pointer, nor anything below it that
		// holds one (a Scan into &e.Feed.Title).
		return
	}
	switch l.Base.Kind {
	case mem.Fresh:
		if firstDeref(l) < 0 {
			if s.opaque == nil {
				s.opaque = map[*mem.Base]bool{}
			}
			s.opaque[l.Base] = true
		}
	case mem.Param, mem.Free:
	default:
		return
	}
	if s.sum != nil {
		s.sum.addOpaque(l)
	}
}

func (sum *summary) addOpaque(l mem.Loc) {
	if sum.opaqueSeen == nil {
		sum.opaqueSeen = map[string]bool{}
	}
	if !sum.opaqueSeen[l.Key] {
		sum.opaqueSeen[l.Key] = true
		sum.opaque = append(sum.opaque, l)
	}
}

// applyOpaque marks what a callee wrote opaquely through its parameters,
// in the caller's terms. What it wrote of objects it names itself is not
// copied up (that would copy, into every function, all that is below
// it): once its summary is final, those objects are opaque for everyone
// (indexFreshStores, heldOpaque).
func (s *fnState) applyOpaque(sum *summary, callee *ssa.Function, args, binds []ssa.Value) {
	for _, o := range sum.opaque {
		if o.Base.Kind != mem.Param && o.Base.Kind != mem.Free {
			continue
		}
		for _, l := range s.subst(o, callee, args, binds) {
			s.markOpaque(l)
		}
	}
}

// markOpaqueStore: a store of a value that holds pointers without being
// one (a struct or array copied in) writes pointers unseen.
func (s *fnState) markOpaqueStore(dsts []mem.Loc, v ssa.Value) {
	if v == nil || mem.PointerLike(v.Type()) || !hasPointers(v.Type(), 0) {
		return
	}
	for _, d := range dsts {
		s.markOpaque(d)
	}
}

// hasPointers: a value of type t holds pointers. (Not pollution's
// holdsPointers, which looks at what a slot may point to by type: here a
// slice of bytes copied in is a pointer to an array the analysis did not
// see stored.)
func hasPointers(t types.Type, depth int) bool {
	if depth > 8 {
		return true
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		// A string's bytes never change: what one points to is no
		// memory anyone writes.
		return u.Kind() == types.UnsafePointer
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if hasPointers(u.Field(i).Type(), depth+1) {
				return true
			}
		}
		return false
	case *types.Array:
		return hasPointers(u.Elem(), depth+1)
	}
	return true
}

// freshIndex holds stores into fresh objects, for the questions of this
// file: what was stored in one slot of one object, or anywhere in it.
// A store through a cut path may land in any slot below (pollution.go),
// and a store merged over several objects (anyBase, storebound.go) in
// the slot of any of them: both are kept apart and asked always.
type freshIndex struct {
	bySlot    map[baseSlot][]mem.Loc
	byBase    map[*mem.Base][]mem.Loc
	cut       map[*mem.Base][]mem.Loc // through a cut path
	anyBySlot map[slot][]mem.Loc      // merged over objects
	anyAll    []mem.Loc
	holders   map[*mem.Base][]*mem.Base // objects a pointer to each was stored in
}

type baseSlot struct {
	base *mem.Base
	slot slot
}

func (x *freshIndex) add(st *rawStore, m *memo) {
	d := st.dst
	if d.Base.Kind != mem.Fresh {
		return
	}
	if x.bySlot == nil {
		*x = freshIndex{bySlot: map[baseSlot][]mem.Loc{}, byBase: map[*mem.Base][]mem.Loc{}, cut: map[*mem.Base][]mem.Loc{}, anyBySlot: map[slot][]mem.Loc{}, holders: map[*mem.Base][]*mem.Base{}}
	}
	if st.val.Base.Kind == mem.Fresh && firstDeref(st.val) < 0 && hasPointers(st.val.MemType(), 0) {
		// (A value reached through a pointer kept in an object is what
		// was stored there, not that object; one into memory holding no
		// pointer, &e.ID, holds nothing of the object a write through
		// it could change.)
		x.holders[st.val.Base] = append(x.holders[st.val.Base], d.Base)
	}
	switch {
	case st.anyBase && d.Trunc:
		x.anyAll = append(x.anyAll, st.val)
	case st.anyBase:
		sl := m.slotOf(d)
		x.anyBySlot[sl] = append(x.anyBySlot[sl], st.val)
		x.anyAll = append(x.anyAll, st.val)
	case d.Trunc:
		x.cut[d.Base] = append(x.cut[d.Base], st.val)
		x.byBase[d.Base] = append(x.byBase[d.Base], st.val)
	default:
		k := baseSlot{d.Base, m.slotOf(d)}
		x.bySlot[k] = append(x.bySlot[k], st.val)
		x.byBase[d.Base] = append(x.byBase[d.Base], st.val)
	}
}

// at visits the values stored in slot at of its object.
func (x *freshIndex) at(at mem.Loc, sl slot, visit func(mem.Loc)) {
	if x.bySlot == nil {
		return
	}
	for _, l := range [3][]mem.Loc{x.bySlot[baseSlot{at.Base, sl}], x.cut[at.Base], x.anyBySlot[sl]} {
		for _, v := range l {
			visit(v)
		}
	}
}

// into: the values stored anywhere in object b: those stored in it, and
// those of stores merged over objects. The index's own lists, not a copy:
// walks ask it of every object they meet, and on nats-server copying the
// merged stores each time made half of all the summaries allocated.
func (x *freshIndex) into(b *mem.Base) [2][]mem.Loc {
	if x.bySlot == nil {
		return [2][]mem.Loc{}
	}
	return [2][]mem.Loc{x.byBase[b], x.anyAll}
}

// indexFreshStores keeps, once a summary is final, the stores it made
// into memory it names absolutely: a caller resolving a pointer kept in
// an object a callee made finds them there (those relative to the
// callee's parameters are rewritten into the caller's own summary).
func (a *analyzer) indexFreshStores(sum *summary) {
	if sum == nil {
		return
	}
	for _, st := range sum.stores {
		if !st.relative() {
			a.freshStores.add(st, &a.memo)
		}
	}
	for _, o := range sum.opaque {
		if o.Base.Kind == mem.Fresh {
			// The object, or one a pointer kept in it leads to: the
			// holder stands for both.
			if a.opaqueFresh == nil {
				a.opaqueFresh = map[*mem.Base]bool{}
			}
			a.opaqueFresh[o.Base] = true
		}
	}
}

// freshQuery answers for one walk: its own summary's stores and those the
// callees kept.
type freshQuery struct {
	own    freshIndex
	global *freshIndex
	// opaqueFresh: objects callees' final summaries found opaque;
	// opaque: those of this walk (opaqueClosure); memo: heldOpaque's.
	opaqueFresh, opaque map[*mem.Base]bool
	memo                map[*mem.Base]bool
	slots               map[string][]mem.Loc // at's answers
	cut                 bool                 // heldOpaque's bound was hit
	types               *memo                // slots' keys (memo.go)
}

func (w *sumWalk) freshQuery() *freshQuery {
	q := &freshQuery{global: &w.a.freshStores, opaqueFresh: w.a.opaqueFresh, memo: map[*mem.Base]bool{}, slots: map[string][]mem.Loc{}, types: &w.a.memo}
	for _, st := range w.sum.stores {
		q.own.add(st, &w.a.memo)
	}
	return q
}

// at: the values stored in slot at, once per slot a walk asks.
func (q *freshQuery) at(at mem.Loc) []mem.Loc {
	if v, ok := q.slots[at.Key]; ok {
		return v
	}
	var out []mem.Loc
	sl := q.types.slotOf(at)
	add := func(v mem.Loc) { out = append(out, v) }
	q.own.at(at, sl, add)
	q.global.at(at, sl, add)
	out = dedupe(out)
	q.slots[at.Key] = out
	return out
}

// into: the values stored anywhere in object b, by this walk's summary
// and by callees (freshIndex.into), in that order.
func (q *freshQuery) into(b *mem.Base) [4][]mem.Loc {
	own, global := q.own.into(b), q.global.into(b)
	return [4][]mem.Loc{own[0], own[1], global[0], global[1]}
}

// heldOpaque: b is opaque by what its callees' final summaries say, or
// is kept in an object that is, directly or through other holders
// (searched breadth first; past maxHolders objects it is taken to be).
func (q *freshQuery) heldOpaque(b *mem.Base) bool {
	if v, ok := q.memo[b]; ok {
		return v
	}
	held := false
	seen := map[*mem.Base]bool{b: true}
	queue := []*mem.Base{b}
	for len(queue) > 0 && !held {
		x := queue[0]
		queue = queue[1:]
		if len(seen) > maxHolders {
			held, q.cut = true, true
			break
		}
		if q.opaqueFresh[x] || x != b && q.opaque[x] {
			held = true
			break
		}
		for _, hs := range [2][]*mem.Base{q.own.holders[x], q.global.holders[x]} {
			for _, h := range hs {
				if !seen[h] {
					seen[h] = true
					queue = append(queue, h)
				}
			}
		}
	}
	q.memo[b] = held
	return held
}

// maxHolders bounds heldOpaque's search; past it the object is opaque
// (named as before: less precise, not less safe).
const maxHolders = 64

// elemCopy: append copied the pointers held in the elements of the
// arrays srcs into those of dsts (resolveCopies).
type elemCopy struct {
	dsts, srcs []*mem.Base
	elem       types.Type
	pos        token.Pos
}

// appendCopy records append(s, x...) of pointers as copies between
// arrays, instead of writes unseen (opaqueBuiltin), where every array is
// this invocation's own, made by code with a body: the appended pointers
// go into the result's arrays (s's, when it has room, or a new one), and
// s's go into the new one. The walk must see all of them first, as a
// loop's append copies what the next turn appends.
func (s *fnState) appendCopy(call ssa.CallInstruction, b *ssa.Builtin, args []ssa.Value) bool {
	v, ok := call.(*ssa.Call)
	if !ok || b.Name() != "append" || len(args) != 2 || s.sum == nil {
		return false
	}
	sl, ok := args[0].Type().Underlying().(*types.Slice)
	if !ok || !mem.PointerLike(sl.Elem()) {
		return false
	}
	arrays := func(ls []mem.Loc) ([]*mem.Base, bool) {
		var out []*mem.Base
		for _, l := range ls {
			if l.Base.Kind != mem.Fresh || len(l.Path) > 0 || !allocatedHere(l.Base) {
				return nil, false
			}
			if !slices.Contains(out, l.Base) {
				out = append(out, l.Base)
			}
		}
		return out, true
	}
	olds, ok1 := arrays(s.origin(args[0]))
	news, ok2 := arrays(s.origin(v))
	adds, ok3 := arrays(s.origin(args[1]))
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	// The appended go into s's arrays too (those with room), whatever
	// the result's origin says (in a loop it may not list them yet).
	all := slices.Clone(olds)
	for _, b := range news {
		if !slices.Contains(all, b) {
			all = append(all, b)
		}
	}
	pos := instrPos(call)
	s.copies = append(s.copies, elemCopy{dsts: all, srcs: adds, elem: sl.Elem(), pos: pos}, elemCopy{dsts: news, srcs: olds, elem: sl.Elem(), pos: pos})
	return true
}

// resolveCopies adds, once the walk has seen every store, the stores the
// copies make: each pointer stored in a source's elements is stored in
// the destination's, until nothing new comes (copies chain, and a loop's
// append copies into itself). A source written unseen makes its
// destinations so too.
func (w *sumWalk) resolveCopies() {
	s, a := w.s, w.a
	if len(s.copies) == 0 {
		return
	}
	for changed := true; changed; {
		changed = false
		q := w.freshQuery()
		for _, c := range s.copies {
			for _, src := range c.srcs {
				vals := q.at(a.roots.Root(src).Index(c.elem))
				for _, d := range c.dsts {
					n := len(w.sum.stores)
					for _, v := range vals {
						w.sum.addStore(a.roots.Root(d).Index(c.elem), v, c.pos)
					}
					changed = changed || len(w.sum.stores) != n
				}
			}
		}
	}
	// A destination of a copy from an array written unseen is written
	// unseen too (opaqueClosure once, again only where that marked more).
	marked := map[*mem.Base]bool{}
	for more := true; more; {
		more = false
		q := w.freshQuery()
		q.opaque = w.opaqueClosure(q)
		for _, c := range s.copies {
			for _, src := range c.srcs {
				if !q.opaque[src] && !q.heldOpaque(src) {
					continue
				}
				for _, d := range c.dsts {
					if !q.opaque[d] && !marked[d] {
						marked[d] = true
						s.markOpaque(a.roots.Root(d))
						more = true
					}
				}
			}
		}
	}
	s.copies = nil
}

// opaqueBuiltin: copy and append move elements that hold pointers into
// an array without a store the analysis sees.
func (s *fnState) opaqueBuiltin(call ssa.CallInstruction, b *ssa.Builtin, args []ssa.Value) {
	if (b.Name() != "append" && b.Name() != "copy") || len(args) == 0 {
		return
	}
	sl, ok := args[0].Type().Underlying().(*types.Slice)
	if !ok || !hasPointers(sl.Elem(), 0) {
		return
	}
	for _, l := range s.origin(args[0]) {
		s.markOpaque(l)
	}
	if v, ok := call.(*ssa.Call); ok {
		for _, l := range s.origin(v) {
			s.markOpaque(l)
		}
	}
}
