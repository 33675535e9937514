package analysis

import (
	"cmp"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
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
// they alias memory of their type anywhere. A store through a cut path
// (head.next..., mem.Loc widens) counts for every slot below the cut
// (destSlots), and a cut access reads them all (belowCut): the cut loc
// overlaps all that lies under it.

// A rawStore is a pointer stored into dst, pointing to val, relative to
// the summarized function like an access.
type rawStore struct {
	dst, val mem.Loc
	pos      token.Pos
	// anyBase: dst stands for stores into its slot in several fresh
	// objects, not only its own (storebound.go).
	anyBase bool
}

// slot names where a pointer is kept, for every object alike.
type slot struct {
	field *types.Var  // a struct field
	elem  mem.TypeKey // else an element (or pointee) of this type
	root  string      // else this variable (the base's key)
}

// slotOf names the memory l designates as a place to keep a pointer.
func slotOf(l mem.Loc) slot {
	n := len(l.Path)
	if n == 0 {
		return slot{root: l.Base.Key}
	}
	if e := l.Path[n-1]; e.Kind == mem.Field {
		return slot{field: e.Field}
	}
	return slot{elem: mem.KeyOf(l.MemType())}
}

// storePointer records the store of v into dsts, if v is a pointer.
func (s *fnState) storePointer(dsts []mem.Loc, v ssa.Value, pos token.Pos) {
	if s.sum == nil || v == nil || !mem.PointerLike(v.Type()) {
		return
	}
	vals := s.origin(v)
	for _, d := range dsts {
		for _, val := range keptVals(s, d, vals, nil) {
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

func ownerOf(l mem.Loc) ownership {
	switch l.Base.Kind {
	case mem.Context:
		return ownContext
	case mem.Fresh:
		if firstDeref(l) >= 0 {
			return ownShared // reached through a pointer kept in fresh memory
		}
		return ownFresh
	}
	return ownShared
}

// pollution is what the whole program's stores say about slots.
// publishedKey is a slot and a type publish was told of.
type publishedKey struct {
	sl slot
	t  types.Type
}

// publishedList is a list of slots (listKey) publishAll was asked to
// publish a type in.
type publishedList struct {
	list listKey
	t    types.Type
}

// addedKey is a store pollution.add has counted.
type addedKey struct {
	dst, val string
	anyBase  bool
}

type pollution struct {
	// added: the stores of shared and context memory already counted;
	// publishedSeen: publish's calls already made.
	added         map[addedKey]bool
	publishedSeen map[publishedKey]bool
	// wildMemo: sharedWild's answers, by type held (add forgets them);
	// publishedLists: publishAll's lists already published.
	wildMemo       map[types.Type]wildShared
	publishedLists map[publishedList]bool
	// belowMemo: belowCut's answers, asked once every store is known;
	// wildCache: what every slot of the program holds (cutBelow).
	belowMemo   map[cutKey]*cutSet
	destMemo    map[[2]string]destList  // destSlots' answers below cuts
	belowLists  map[belowListKey][]slot // their lists of slots below, once each
	wildCache   map[ownership][]mem.Loc
	unknownMemo map[types.Type]mem.Loc // deepUnknown's answers
	// toShared: slots that held pointers to shared memory, and to which.
	toShared map[slot]*targets
	// toContext: slots that held pointers into a context, or pointers
	// that may be anything, and the types of what they pointed to.
	toContext map[slot][]types.Type
	// fresh: slots that held pointers to memory allocated fresh, outside
	// a context, and its types: once published, shared memory that other
	// roots reach, which lies below a cut through such a slot.
	fresh map[slot][]types.Type
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
	// below: the slots below memory of a type, by type (slotsBelow);
	// cutCache: what belowCut finds below a type, once every store is
	// known (cutBelow); implMemo: implementedBy's answers;
	// implementers: the types an interface's values may have (nil: any).
	below        map[mem.TypeKey]*belowSlots
	cutCache     map[belowKey][]mem.Loc
	implMemo     map[[2]types.Type]bool
	implementers func(*types.Interface) []types.Type
	// inWorkspace: the package is one of the workspace's.
	inWorkspace func(*types.Package) bool
	// order: the slots with entries, in the order they got their first
	// (noted marks them).
	order []slot
	noted map[slot]bool
}

// targets are what a slot's pointers may point to: these locs, or, where
// that is not known, anything of the pointer's type.
type targets struct {
	locs []mem.Loc
	keys map[string]bool
	any  bool
	// deep: deepUnknown of the types of locs, once each (deepTypes);
	// deepMade: it is made, and no loc was added since.
	deep     []mem.Loc
	deepMade bool
}

// deepTypes is deepUnknown of the types of t's locs, each once, in the
// order of the locs: what sharedBelow keeps of them, at every slot below
// every type cut, where a slot may hold thousands of targets of a few
// types (on nats-server, two thirds of the conflicts phase).
func (p *pollution) deepTypes(t *targets) []mem.Loc {
	if !t.deepMade {
		var set locSet
		for _, x := range t.locs {
			set.add(p.deepUnknown(x.MemType()))
		}
		t.deep, t.deepMade = set.locs, true
	}
	return t.deep
}

func newPollution() *pollution {
	return &pollution{toShared: map[slot]*targets{}, toContext: map[slot][]types.Type{}, fresh: map[slot][]types.Type{}, ctxHeld: map[slot]bool{},
		below: map[mem.TypeKey]*belowSlots{}, cutCache: map[belowKey][]mem.Loc{}, implMemo: map[[2]types.Type]bool{}, noted: map[slot]bool{}}
}

func (p *pollution) shared(sl slot) *targets {
	t := p.toShared[sl]
	if t == nil {
		t = &targets{keys: map[string]bool{}}
		p.toShared[sl] = t
		p.note(sl)
	}
	return t
}

// note keeps the slots with entries in the order they were first given
// one, for the lookups that take them all (a cut at an interface).
func (p *pollution) note(sl slot) {
	if !p.noted[sl] {
		p.noted[sl] = true
		p.order = append(p.order, sl)
	}
}

// A store through a cut destination (mem.Loc widens: head.next... for a node
// below a node) may have written any slot below the cut, not only the one
// it names: the cut loc overlaps all that lies under it. So such a store
// counts for every slot below the cut's type (slotsBelow) that can hold
// what it stored, and where an interface is met below, for every slot of
// the program that can: it goes into one of two wildcard slots, which
// lookups (sharedAt, contextAt, heldAt) read beside the slot they ask for.
var (
	// wildExact: stores of a pointer to memory of a known type, which
	// only a slot holding such a pointer (or an interface) receives.
	wildExact = slot{root: "\x00below:exact"}
	// wildAny: stores of what may be a pointer of any type.
	wildAny = slot{root: "\x00below:any"}
)

// destSlots: the slots st may have written: below the cut, only those
// that can hold a pointer to what was stored (mayHold). What was stored
// is of the value's type, or, where the value was cut too, of one of the
// types that lie at or below its cut (inside it, or reached through its
// pointers: valTypes).
func (p *pollution) destSlots(st *rawStore) destList {
	if !st.dst.Trunc {
		return destList{own: slotOf(st.dst)}
	}
	// What lies below a cut depends on types alone (slotsBelow), and
	// every handler reaches much the same stores: on caddy, finding
	// these again per handler was a third of the conflicts phase.
	k := [2]string{st.dst.Key, st.val.Key}
	if out, ok := p.destMemo[k]; ok {
		return out
	}
	out := p.destSlots0(st)
	if p.destMemo == nil {
		p.destMemo = map[[2]string]destList{}
	}
	p.destMemo[k] = out
	return out
}

// destList is the slots a store may have written (destSlots): its own,
// then, below a cut, those below it that can hold what was stored.
type destList struct {
	own   slot
	below []slot
}

// each calls f with the list's slots in order.
func (d destList) each(f func(slot)) {
	f(d.own)
	for _, sl := range d.below {
		f(sl)
	}
}

// listKey tells a list apart by its own slot and the identity of its
// slots below (belowLists keeps one copy of each).
type listKey struct {
	own   slot
	below *slot
}

// key is d's listKey; ok is false for a list of one slot.
func (d destList) key() (k listKey, ok bool) {
	if len(d.below) == 0 {
		return listKey{}, false
	}
	return listKey{d.own, &d.below[0]}, true
}

// belowListKey is what a list of slots below a cut holds: which of the
// slots below the type (b) it takes, and the wildcard slot it ends with
// (none, any, exact).
type belowListKey struct {
	b    *belowSlots
	take string // a bit per slot of b
	wild uint8
}

// destSlots0 finds a store's slots below its cut. The stores reaching
// one cut are many (a store per handler, path and value): their lists of
// slots below are kept once per content, not once per store, which on
// caddy held 0.6 GB of copies.
func (p *pollution) destSlots0(st *rawStore) destList {
	t := storedType(st.val)
	vals := p.valTypes(st.val)
	b := p.slotsBelow(st.dst.MemType())
	take := make([]byte, (len(b.slots)+7)/8)
	n := 0
	for i := range b.slots {
		if p.mayHoldSome(b.held[i], vals) {
			take[i/8] |= 1 << (i % 8)
			n++
		}
	}
	k := belowListKey{b: b, take: string(take)}
	if b.wild {
		k.wild = 1
		if t != nil {
			k.wild = 2
		}
		n++
	}
	if n == 0 {
		return destList{own: slotOf(st.dst)}
	}
	below, ok := p.belowLists[k]
	if !ok {
		below = make([]slot, 0, n)
		for i, sl := range b.slots {
			if take[i/8]&(1<<(i%8)) != 0 {
				below = append(below, sl)
			}
		}
		switch k.wild {
		case 1:
			below = append(below, wildAny)
		case 2:
			below = append(below, wildExact)
		}
		if p.belowLists == nil {
			p.belowLists = map[belowListKey][]slot{}
		}
		p.belowLists[k] = below
	}
	return destList{own: slotOf(st.dst), below: below}
}

// mayKeep: what st stored can be kept where it names: at its slot, or,
// below a cut, in some slot that can hold a pointer to it. A library
// call is assumed to keep each argument in every other it writes, and a
// byte slice keeps no connection.
func (p *pollution) mayKeep(st *rawStore) bool {
	if !st.dst.Trunc {
		return true
	}
	vals := p.valTypes(st.val)
	if mt := st.val.MemType(); mt == nil {
		return true
	} else if it, ok := mt.Underlying().(*types.Interface); ok && !st.val.Trunc && !it.Empty() && p.implementers != nil && vals == nil {
		// An interface's dynamic value: of a type that implements it.
		if vals = p.implementers(it); vals == nil {
			return false
		}
	}
	t := st.dst.MemType()
	if t == nil || types.IsInterface(t) || p.mayHoldSome(t, vals) {
		// (Behind an interface may be a library's type, whose slots
		// are not all known.)
		return true
	}
	b := p.slotsBelow(t)
	if b.wild {
		return true
	}
	for i := range b.slots {
		if p.mayHoldSome(b.held[i], vals) {
			return true
		}
	}
	return false
}

// valTypes are the types of memory a pointer to val may point to: val's
// own type where it is not cut; where it is, any type at or below the
// cut, in place or through pointers (slotsBelow); nil where that may be
// any type.
func (p *pollution) valTypes(val mem.Loc) []types.Type {
	t := storedType(val)
	if t == nil && !val.Trunc {
		return nil
	}
	if !val.Trunc {
		return []types.Type{t}
	}
	t = exactType(val.MemType())
	if t == nil {
		return nil
	}
	b := p.slotsBelow(t)
	if b.anyMet {
		return nil
	}
	return b.mem
}

// storedType is the type of memory a stored pointer to val points to, or
// nil where the pointer may be of any type (val was cut, or is known only
// as an interface).
func storedType(val mem.Loc) types.Type {
	if val.Trunc {
		return nil
	}
	return exactType(val.MemType())
}

// exactType is t, or nil where memory of type t may be of any type.
func exactType(t types.Type) types.Type {
	if t == nil || anyInside(t) {
		return nil
	}
	return t
}

// anyInside: a value of type t may be of any dynamic type.
func anyInside(t types.Type) bool {
	if _, ok := t.(*types.TypeParam); ok {
		return true
	}
	switch u := t.Underlying().(type) {
	case *types.Interface:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	}
	return false
}

// mayHold: a slot holding values of type held may have received a pointer
// to memory of type t (nil: of any type). A pointer field holds pointers
// to memory of its element type, or of a type it converts from (the same
// underlying type: (*B)(&a); an array for a pointer to one made from a
// slice); a slice its backing store (a slice or array of its elements); a
// map or channel its own kind; an interface with methods the memory of
// the types that implement it (or whose pointers do, or that convert to
// one that does). An empty interface, a type parameter, an unsafe.Pointer
// or a function may hold anything. (A pointer converted through
// unsafe.Pointer keeps the type it had: see the package doc's limits.)
func (p *pollution) mayHold(held, t types.Type) bool {
	if held == nil {
		return true
	}
	if !mem.PointerLike(held) {
		return false
	}
	if t == nil {
		return true
	}
	if _, param := held.(*types.TypeParam); param {
		return true
	}
	switch h := held.Underlying().(type) {
	case *types.Pointer:
		return sameMemory(h.Elem(), t)
	case *types.Slice, *types.Map:
		return sameMemory(held, t)
	case *types.Chan:
		c, ok := t.Underlying().(*types.Chan)
		return ok && mem.Identical(c.Elem(), h.Elem())
	case *types.Interface:
		if h.Empty() {
			return true
		}
		return p.implementedBy(h, t)
	}
	return true
}

// mayHoldSome: mayHold for any of ts (nil: of any type).
func (p *pollution) mayHoldSome(held types.Type, ts []types.Type) bool {
	if ts == nil {
		return p.mayHold(held, nil)
	}
	for _, t := range ts {
		if p.mayHold(held, t) {
			return true
		}
	}
	return false
}

// sameMemory: memory of type t may be designated by a pointer to m: their
// underlying types are identical (tags aside), or both are arrays or
// slices of identical elements.
func sameMemory(m, t types.Type) bool {
	mu, tu := m.Underlying(), t.Underlying()
	if mem.Identical(mu, tu) || types.IdenticalIgnoreTags(mu, tu) {
		return true
	}
	me, tl := elemsOf(mu), elemsOf(tu)
	return me != nil && tl != nil && mem.Identical(me, tl)
}

// elemsOf is the element type of an array or slice, else nil.
func elemsOf(t types.Type) types.Type {
	switch u := t.(type) {
	case *types.Array:
		return u.Elem()
	case *types.Slice:
		return u.Elem()
	}
	return nil
}

// implementedBy: an interface of type iface may hold a pointer to memory
// of type t: as t itself (a map, a slice) or as *t, or converted to
// another type of the same memory (sameMemory) that implements it.
func (p *pollution) implementedBy(iface *types.Interface, t types.Type) bool {
	k := [2]types.Type{iface, t}
	if r, ok := p.implMemo[k]; ok {
		return r
	}
	r := p.implementedBy0(iface, t)
	p.implMemo[k] = r
	return r
}

func (p *pollution) implementedBy0(iface *types.Interface, t types.Type) bool {
	if types.Implements(t, iface) || types.Implements(types.NewPointer(t), iface) {
		return true
	}
	if p.implementers == nil {
		return true
	}
	for _, x := range p.implementers(iface) {
		m := x
		if ptr, ok := x.Underlying().(*types.Pointer); ok {
			m = ptr.Elem()
		}
		if sameMemory(m, t) || sameMemory(x, t) {
			return true
		}
	}
	return false
}

// belowSlots are the slots that memory of one type holds or reaches
// through its pointers, with the type each holds; wild: an empty interface
// (or a type parameter, or an unsafe.Pointer) is met, which may hold
// memory of any type, and so any slot. An interface with methods holds
// only the types that implement it (implementers), and the walk goes on
// into each of them. An empty interface inside a library's own types (a
// container's entries) holds what the container was given, known by the
// stores into it: not a wildcard.
type belowSlots struct {
	slots []slot
	held  []types.Type
	wild  bool
	// mem: the types of memory met, in place or through pointers (t's
	// own first); anyMet: an empty interface (or a type parameter, or an
	// unsafe.Pointer) is met, in the workspace's types or a library's.
	mem    []types.Type
	anyMet bool
}

// slotsBelow walks the types below t, as slotOf names their slots: each
// struct field, and each element or pointee type (a slice's, map's or
// channel's backing store is named by its own type).
func (p *pollution) slotsBelow(t types.Type) *belowSlots {
	k := mem.KeyOf(t)
	if b := p.below[k]; b != nil {
		return b
	}
	b := &belowSlots{}
	type visit struct {
		t   mem.TypeKey
		lib bool
	}
	seen := map[visit]bool{}
	var walk func(t types.Type, lib bool)
	add := func(sl slot, held types.Type, lib bool) {
		b.slots = append(b.slots, sl)
		b.held = append(b.held, held)
		walk(held, lib)
	}
	walk = func(t types.Type, lib bool) {
		if t == nil {
			b.wild, b.anyMet = true, true
			return
		}
		k := mem.KeyOf(t)
		if seen[visit{k, lib}] {
			return
		}
		seen[visit{k, lib}] = true
		if !seen[visit{k, !lib}] {
			b.mem = append(b.mem, t)
		}
		if iface, ok := t.Underlying().(*types.Interface); ok && !iface.Empty() && p.implementers != nil {
			if _, param := t.(*types.TypeParam); !param {
				for _, x := range p.implementers(iface) {
					walk(x, lib) // the dynamic value, and what it reaches
				}
				return
			}
		}
		if anyInside(t) {
			// Inside a library's own types (a sync.Map's entries), what
			// an empty interface holds is what the container was given:
			// its known targets, as the package doc's limits say.
			b.wild = b.wild || !lib
			b.anyMet = true
			return
		}
		switch u := t.Underlying().(type) {
		case *types.Struct:
			for i := 0; i < u.NumFields(); i++ {
				f := u.Field(i)
				add(slot{field: f}, f.Type(), lib || p.inWorkspace != nil && f.Pkg() != nil && !p.inWorkspace(f.Pkg()))
			}
		case *types.Array:
			add(slot{elem: mem.KeyOf(u.Elem())}, u.Elem(), lib)
		case *types.Pointer:
			add(slot{elem: mem.KeyOf(u.Elem())}, u.Elem(), lib)
		case *types.Slice:
			b.slots, b.held = append(b.slots, slot{elem: k}), append(b.held, t)
			add(slot{elem: mem.KeyOf(u.Elem())}, u.Elem(), lib)
		case *types.Map:
			b.slots, b.held = append(b.slots, slot{elem: k}), append(b.held, t)
			add(slot{elem: mem.KeyOf(u.Key())}, u.Key(), lib)
			add(slot{elem: mem.KeyOf(u.Elem())}, u.Elem(), lib)
		case *types.Chan:
			b.slots, b.held = append(b.slots, slot{elem: k}), append(b.held, t)
			add(slot{elem: mem.KeyOf(u.Elem())}, u.Elem(), lib)
		}
	}
	walk(t, false)
	p.below[k] = b
	return b
}

// sharedAt: the shared memory the pointers kept in sl (holding values of
// type held; nil: not known) may point to, and whether they may point
// anywhere. The locs are sl's own and the wildcards', apart: joined, they
// were a copy per ask (23 GB on nats-server).
func (p *pollution) sharedAt(sl slot, held types.Type) (locs [2][]mem.Loc, anyT, ok bool) {
	if t := p.toShared[sl]; t != nil {
		locs[0], anyT, ok = t.locs, t.any, true
	}
	if w := p.sharedWild(held); w.ok {
		locs[1], anyT, ok = w.locs, anyT || w.anyT, true
	}
	return
}

// wildShared is what the wildcard slots hold for slots of one type.
type wildShared struct {
	locs     []mem.Loc
	anyT, ok bool
	deep     *targets // locs, for deepTypes' memo
}

// sharedWild is what sharedAt reads in the wildcard slots, the same for
// every slot holding values of type held: made once per type (add forgets
// them), for it is asked at every dereference of every access placed. On
// nats-server, making it at each ask allocated 60 GB in one run.
func (p *pollution) sharedWild(held types.Type) wildShared {
	if w, ok := p.wildMemo[held]; ok {
		return w
	}
	var w wildShared
	if held == nil || mem.PointerLike(held) {
		for _, sl := range [...]slot{wildExact, wildAny} {
			t := p.toShared[sl]
			if t == nil {
				continue
			}
			for _, x := range t.locs {
				if sl == wildAny || p.mayHold(held, storedType(x)) {
					w.locs = append(w.locs, x)
					w.ok = true
				}
			}
			if t.any {
				w.anyT, w.ok = true, true
			}
		}
	}
	w.deep = &targets{locs: w.locs}
	if p.wildMemo == nil {
		p.wildMemo = map[types.Type]wildShared{}
	}
	p.wildMemo[held] = w
	return w
}

// contextAt: the types of the contexts' memory pointers kept in sl may
// point to.
func (p *pollution) contextAt(sl slot, held types.Type) []types.Type {
	out := p.toContext[sl]
	if w := p.contextWild(held); len(w) > 0 {
		out = append(out[:len(out):len(out)], w...)
	}
	return out
}

// contextWild is what contextAt reads in the wildcard slots.
func (p *pollution) contextWild(held types.Type) []types.Type {
	if held != nil && !mem.PointerLike(held) {
		return nil
	}
	var out []types.Type
	out = append(out, p.toContext[wildAny]...)
	for _, t := range p.toContext[wildExact] {
		if p.mayHold(held, exactType(t)) {
			out = append(out, t)
		}
	}
	return out
}

// heldAt: sl may have held a pointer into a context.
func (p *pollution) heldAt(sl slot, held types.Type) bool {
	if p.ctxHeld[sl] {
		return true
	}
	if held != nil && !mem.PointerLike(held) {
		return false
	}
	if p.ctxHeld[wildAny] {
		return true
	}
	if p.ctxHeld[wildExact] {
		for _, t := range p.toContext[wildExact] {
			if p.mayHold(held, exactType(t)) {
				return true
			}
		}
	}
	return false
}

// add takes the stores of one invocation (a handler's, rebased, or
// main's): fresh memory stored both into a context and into shared memory
// joins the two, as a pointer from one to the other would.
func (p *pollution) add(stores []*rawStore) {
	p.wildMemo = nil // the wildcards may get more
	// The slots are kept in the order stores name them, and the fresh
	// objects in the order first stored: joining them notes slots
	// (p.order) and types, whose order decides which of two tied
	// accesses a conflict names; a map's order would change it from one
	// run to the next.
	type dests struct {
		ctx, shr slotLists // a store below a cut names many slots, and many stores the same
		typ      types.Type
	}
	fresh := map[string]*dests{}
	var freshOrder []*dests
	var freshVals []*rawStore
	for _, st := range stores {
		if ownerOf(st.val) == ownFresh {
			freshVals = append(freshVals, st)
		}
	}
	pub := published(freshVals)
	if p.added == nil {
		p.added = map[addedKey]bool{}
	}
	for _, st := range stores {
		// Every handler reaches much the same stores (those of what
		// they all call), and a store of shared or context memory adds
		// the same whoever reaches it: once is enough. A fresh value's
		// stores are joined per handler (below) and always counted.
		if ownerOf(st.val) != ownFresh {
			k := addedKey{dst: st.dst.Key, val: st.val.Key, anyBase: st.anyBase}
			if p.added[k] {
				continue
			}
			p.added[k] = true
		}
		posted := st.dst.Base.Posted()
		if posted && ownerOf(st.val) == ownShared {
			p.posted = append(p.posted, st.val.MemType())
			continue
		}
		slots := p.destSlots(st)
		if ownerOf(st.val) == ownFresh {
			d := fresh[st.val.Base.Key]
			if d == nil {
				d = &dests{typ: st.val.MemType()}
				fresh[st.val.Base.Key] = d
				freshOrder = append(freshOrder, d)
			}
			switch ownerOf(st.dst) {
			case ownContext:
				d.ctx.add(slots)
			case ownShared:
				d.shr.add(slots)
			case ownFresh:
				// Kept in a fresh container that is itself kept in
				// shared memory (reg = append(reg, c) stores c into
				// the new array, and the array into reg): as shared
				// a slot as if stored there directly.
				if pub[st.dst.Base.Key] || copiedOut(st.dst.Base) {
					d.shr.add(slots)
				}
			}
			if pub[st.val.Base.Key] {
				p.publishAll(slots, st.val.MemType())
			}
			continue
		}
		slots.each(func(sl slot) {
			switch ownerOf(st.val) {
			case ownShared:
				if t := p.shared(sl); !t.keys[st.val.Key] {
					t.keys[st.val.Key] = true
					t.locs = append(t.locs, st.val)
					t.deepMade = false
				}
				if st.val.Imprecise() || st.val.Trunc {
					p.context(sl, st.val.MemType()) // it may be a context's, too
				}
			case ownContext:
				p.context(sl, st.val.MemType())
				p.ctxHeld[sl] = true
			}
		})
	}
	for _, d := range freshOrder {
		if d.ctx.empty() || d.shr.empty() {
			continue
		}
		d.ctx.each(func(sl slot) { p.shared(sl).any = true })
		d.shr.each(func(sl slot) {
			p.context(sl, d.typ)
			p.ctxHeld[sl] = true
		})
	}
}

// slotLists collects the slot lists of stores (destSlots) and gives their
// slots once each, in the order first added. A list of more than one slot
// is destSlots' memo for a store below a cut, which every handler reaching
// the store meets again: a list already added is known by its key,
// and slots are hashed one by one only when the set is read, for the
// fresh objects stored both into a context and into shared memory.
// Hashing every slot as it came was a quarter of pollution.add's time.
type slotLists struct {
	lists []destList
	seen  map[listKey]bool
}

func (s *slotLists) add(l destList) {
	if k, ok := l.key(); ok {
		if s.seen[k] {
			return
		}
		if s.seen == nil {
			s.seen = map[listKey]bool{}
		}
		s.seen[k] = true
	}
	s.lists = append(s.lists, l)
}

func (s *slotLists) empty() bool { return len(s.lists) == 0 }

func (s *slotLists) each(f func(slot)) {
	seen := map[slot]bool{}
	for _, l := range s.lists {
		l.each(func(sl slot) {
			if !seen[sl] {
				seen[sl] = true
				f(sl)
			}
		})
	}
}

// published: the fresh objects (by base key) of one invocation's stores
// that other roots may reach: stored into shared memory, or into a fresh
// object that is. What stays in the invocation's own memory (a variadic
// call's array, a buffer that is never kept) is not.
func published(stores []*rawStore) map[string]bool {
	pub := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, st := range stores {
			if ownerOf(st.val) != ownFresh || pub[st.val.Base.Key] {
				continue
			}
			switch ownerOf(st.dst) {
			case ownShared:
				pub[st.val.Base.Key], changed = true, true
			case ownFresh:
				if pub[st.dst.Base.Key] || copiedOut(st.dst.Base) {
					pub[st.val.Base.Key], changed = true, true
				}
			}
		}
	}
	return pub
}

// copiedOut: the fresh array b (a variadic call's, or any) is handed to
// append or copy, which copy its elements into another array, maybe a
// shared one, with no store of their own to show it.
func copiedOut(b *mem.Base) bool {
	al, ok := b.Site.(*ssa.Alloc)
	if !ok || al.Referrers() == nil {
		return false
	}
	for _, r := range *al.Referrers() {
		sl, ok := r.(*ssa.Slice)
		if !ok || sl.Referrers() == nil {
			continue
		}
		for _, u := range *sl.Referrers() {
			c, ok := u.(*ssa.Call)
			if !ok {
				continue
			}
			if bi, ok := c.Call.Value.(*ssa.Builtin); ok && (bi.Name() == "append" || bi.Name() == "copy") && len(c.Call.Args) > 1 && c.Call.Args[1] == sl {
				return true
			}
		}
	}
	return false
}

// publishAll publishes t in each of slots. A list of more than one is
// destSlots' memo, which every handler reaching its store asks again:
// once per list is enough.
func (p *pollution) publishAll(slots destList, t types.Type) {
	if lk, ok := slots.key(); ok {
		k := publishedList{lk, t}
		if p.publishedLists[k] {
			return
		}
		if p.publishedLists == nil {
			p.publishedLists = map[publishedList]bool{}
		}
		p.publishedLists[k] = true
	}
	slots.each(func(sl slot) { p.publish(sl, t) })
}

// publish: sl held a pointer to memory allocated fresh (in main, or in
// an invocation) and published, of type t, which other roots reach.
func (p *pollution) publish(sl slot, t types.Type) {
	k := publishedKey{sl, t}
	if p.publishedSeen[k] {
		return // asked again for the same type, as every handler does
	}
	if p.publishedSeen == nil {
		p.publishedSeen = map[publishedKey]bool{}
	}
	p.publishedSeen[k] = true
	for _, x := range p.fresh[sl] {
		if types.Identical(x, t) {
			return
		}
	}
	p.note(sl)
	p.fresh[sl] = append(p.fresh[sl], t)
}

// freshAt: the types of fresh memory pointers kept in sl may point to
// (publish), as contextAt reads its wildcards.
func (p *pollution) freshAt(sl slot, held types.Type) []types.Type {
	out := p.fresh[sl]
	if w := p.freshWild(held); len(w) > 0 {
		out = append(out[:len(out):len(out)], w...)
	}
	return out
}

// freshWild is what freshAt reads in the wildcard slots.
func (p *pollution) freshWild(held types.Type) []types.Type {
	if held != nil && !mem.PointerLike(held) {
		return nil
	}
	var out []types.Type
	out = append(out, p.fresh[wildAny]...)
	for _, t := range p.fresh[wildExact] {
		if p.mayHold(held, exactType(t)) {
			out = append(out, t)
		}
	}
	return out
}

func (p *pollution) context(sl slot, t types.Type) {
	for _, x := range p.toContext[sl] {
		if types.Identical(x, t) {
			return
		}
	}
	p.note(sl)
	p.toContext[sl] = append(p.toContext[sl], t)
}

// apply rewrites an access's loc for what its dereferences may reach
// across: a context's pointer to shared memory also reaches that memory
// (extra locs, named after it: *c.p is also total), or, where that is not
// known, anything of its type (the dereference becomes imprecise); shared
// memory holding a context's pointer reaches any context's memory of its
// type. What a cut loc may reach below it is returned apart, as sets
// shared by every access below the same cut (cuts), not copied into each.
func (p *pollution) apply(l mem.Loc) (mem.Loc, []mem.Loc, []*cutSet) {
	own := ownerOf(l)
	if own == ownFresh {
		return l, nil, nil
	}
	if own == ownContext && p.owners != nil && p.owners.interior[mem.KeyOf(l.Base.Type)] {
		// The context may be memory inside another (&c.timer posted):
		// it is memory of its type wherever it is.
		return mem.UnknownOf(l.Base.Type).Extend(l.Path, l.Trunc), nil, nil
	}
	var path []mem.Elem
	var extra []mem.Loc
	var cuts []*cutSet
	for d, e := range l.Path {
		if e.Kind != mem.Deref || own == ownShared && !e.Precise || own == ownContext && e.Crossed {
			continue
		}
		prefix := mem.Loc{Base: l.Base, Path: l.Path[:d]}
		sl, held := slotOf(prefix), prefix.MemType()
		imprecise := own == ownShared && len(p.contextAt(sl, held)) > 0
		crossed := false
		if locs, anyT, ok := p.sharedAt(sl, held); own == ownContext && ok {
			crossed = anyT
			for _, targets := range locs {
				for _, target := range targets {
					x := target.Extend(l.Path[d+1:], l.Trunc)
					if len(x.Path) > len(target.Path) {
						// What the target reaches may cross over again.
						x2, more, moreCuts := p.apply(x)
						extra = append(extra, more...)
						for _, c := range moreCuts {
							cuts = appendCut(cuts, c)
						}
						x = x2
					}
					extra = append(extra, x)
				}
			}
		}
		if own == ownContext && !crossed && !p.owners.ownedSlot(sl, held) {
			// A pointer not proven the context's own was kept here: what
			// it leads to may be another's (owner.go).
			crossed = true
		}
		if imprecise || crossed {
			if path == nil {
				path = append([]mem.Elem(nil), l.Path...)
			}
			path[d].Precise = path[d].Precise && !imprecise
			path[d].Crossed = crossed
		}
	}
	if path != nil {
		l.Path = path
	}
	if l.Trunc {
		cuts = appendCut(cuts, p.belowCut(l, own))
	}
	return l, extra, cuts
}

// cutSet is what memory below one cut may reach (belowCut): often
// thousands of locs, the same for every access below that cut, so it is
// made once and shared; id tells sets apart.
type cutSet struct {
	id   int
	locs []mem.Loc
}

func appendCut(cs []*cutSet, c *cutSet) []*cutSet {
	if len(c.locs) == 0 || slices.Contains(cs, c) {
		return cs
	}
	return append(cs, c)
}

// belowCut: what a cut loc (everything below l) may reach besides its own
// memory, judged by every slot below it (slotsBelow): pointers kept there
// into shared memory or pointers not proven owned, for a context's loc;
// pointers into a context, for shared memory's. Where an interface is met
// below, every slot of the program counts. What lies below the cut slot
// depends on its type only, and is computed once per type (cutBelow).
func (p *pollution) belowCut(l mem.Loc, own ownership) *cutSet {
	// It depends on l's slot, type and ownership only, and is asked once
	// per access: on a server with hundreds of thousands of accesses
	// below cuts, answering each afresh took most of the pairing's time.
	k := cutKey{slotOf(l), l.MemType(), own}
	if c, ok := p.belowMemo[k]; ok {
		return c
	}
	if p.belowMemo == nil {
		p.belowMemo = map[cutKey]*cutSet{}
	}
	c := &cutSet{id: len(p.belowMemo), locs: p.belowCut0(l, own)}
	p.belowMemo[k] = c
	return c
}

// memoLocs returns (*m)[k], computed by f the first time it is asked.
func memoLocs[K comparable](m *map[K][]mem.Loc, k K, f func() []mem.Loc) []mem.Loc {
	if out, ok := (*m)[k]; ok {
		return out
	}
	if *m == nil {
		*m = map[K][]mem.Loc{}
	}
	out := f()
	(*m)[k] = out
	return out
}

// locSet collects locs once each, in the order first added.
type locSet struct {
	seen map[string]bool
	locs []mem.Loc
}

func (s *locSet) add(x mem.Loc) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[x.Key] {
		s.seen[x.Key] = true
		s.locs = append(s.locs, x)
	}
}

// cutKey is what belowCut's answer depends on.
type cutKey struct {
	sl  slot
	t   types.Type
	own ownership
}

func (p *pollution) belowCut0(l mem.Loc, own ownership) []mem.Loc {
	var extra locSet
	keep := extra.add
	sl, t := slotOf(l), l.MemType()
	switch own {
	case ownContext:
		if mem.Indirect(t) && !p.owners.ownsBelow(sl, t) {
			// Cut at a pointer (c.peer..., a list): what lies below may
			// be any memory of its type. (A slice or map cut by a call
			// outside the workspace keeps its known targets only: see
			// the package doc's limits.)
			keep(mem.UnknownOf(mem.Pointee(t)).Deep())
		}
		locs, _, _ := p.sharedAt(sl, t)
		for _, targets := range locs {
			for _, target := range targets {
				keep(target.Deep())
			}
		}
	case ownShared:
		p.sharedBelow(sl, t, true, keep)
	}
	for _, x := range p.cutBelow(t, own) {
		keep(x)
	}
	return extra.locs
}

// cutBelow is what belowCut finds in the slots below memory of type t
// (not in the cut slot itself), once per type and ownership: it is asked
// only once every store is known.
func (p *pollution) cutBelow(t types.Type, own ownership) []mem.Loc {
	return memoLocs(&p.cutCache, belowKey{mem.KeyOf(t), own}, func() []mem.Loc { return p.cutBelow0(t, own) })
}

func (p *pollution) cutBelow0(t types.Type, own ownership) []mem.Loc {
	var out locSet
	b := p.slotsBelow(t)
	p.slotsAt(b.slots, b.held, own, out.add)
	if b.wild {
		// Every slot of the program: the same for every type that meets
		// an interface below it, so found once.
		w := memoLocs(&p.wildCache, own, func() []mem.Loc {
			var all locSet
			p.slotsAt(p.order, make([]types.Type, len(p.order)), own, all.add)
			return all.locs
		})
		for _, x := range w {
			out.add(x)
		}
	}
	return out.locs
}

// slotsAt is cutBelow's finding in the slots given, holding values of the
// types given (nil: any).
func (p *pollution) slotsAt(slots []slot, helds []types.Type, own ownership, keep func(mem.Loc)) {
	// What the wildcard slots hold counts at every slot, the same at each
	// that holds values of one type: it is kept at the first such slot
	// only, where it would first have been kept anyway (keep takes each
	// loc once), so the answer is the same, in the same order. Copied at
	// every slot, on caddy (every slot of the program, an interface being
	// below most types) each slot's answer kept its own copy of the
	// wildcards' locs: the heap held 1.8 GB of them, and the run grew
	// past 7.8 GB without ending.
	wildDone := map[types.Type]bool{}
	wildAnyT := map[types.Type]bool{} // the wildcards may point anywhere, for values of the type held
	for i, x := range slots {
		held := helds[i]
		wild := !wildDone[held]
		wildDone[held] = true
		switch own {
		case ownContext:
			var locs []mem.Loc
			anyT := false
			if t := p.toShared[x]; t != nil {
				locs, anyT = t.locs, t.any
			}
			for _, target := range locs {
				keep(target.Deep())
			}
			if wild {
				w := p.sharedWild(held)
				for _, target := range w.locs {
					keep(target.Deep())
				}
				wildAnyT[held] = w.anyT
			}
			if held != nil && mem.PointerLike(held) && (anyT || wildAnyT[held] || !p.owners.ownedSlot(x, held)) {
				keep(mem.UnknownOf(mem.Pointee(held)).Deep())
			}
		case ownShared:
			p.sharedBelow(x, held, wild, keep)
		}
	}
}

// sharedBelow keeps what shared memory cut above slot x (holding values
// of type held) reaches through it besides what the cut names, as memory
// of its type wherever it lies (other roots reach it by type): memory of a
// context whose pointer was kept there (or that may be one), the shared
// memory it held pointers to, and memory allocated fresh that it held
// (once published, shared memory too); with wild, what the wildcard slots
// hold besides x's own, in the order contextAt, sharedAt and freshAt
// read them.
func (p *pollution) sharedBelow(x slot, held types.Type, wild bool, keep func(mem.Loc)) {
	// Nothing is kept per slot: each answer is the memory of a type,
	// made once per type (deepUnknown), and keep takes each once.
	// Answers kept per slot held the same locs many times over: on
	// caddy, 1.2 GB of them.
	for _, c := range p.toContext[x] {
		keep(p.deepUnknown(c))
	}
	if wild {
		for _, c := range p.contextWild(held) {
			keep(p.deepUnknown(c))
		}
	}
	if t := p.toShared[x]; t != nil {
		for _, l := range p.deepTypes(t) {
			keep(l)
		}
	}
	if wild {
		w := p.sharedWild(held)
		for _, l := range p.deepTypes(w.deep) {
			keep(l)
		}
	}
	for _, t := range p.fresh[x] {
		keep(p.deepUnknown(t))
	}
	if wild {
		for _, t := range p.freshWild(held) {
			keep(p.deepUnknown(t))
		}
	}
}

// deepUnknown is mem.UnknownOf(t).deep(): any memory of type t and all below
// it, made once per type.
func (p *pollution) deepUnknown(t types.Type) mem.Loc {
	if l, ok := p.unknownMemo[t]; ok {
		return l
	}
	if p.unknownMemo == nil {
		p.unknownMemo = map[types.Type]mem.Loc{}
	}
	l := mem.UnknownOf(t).Deep()
	p.unknownMemo[t] = l
	return l
}

type belowKey struct {
	t   mem.TypeKey
	own ownership
}

// mayReachContext reports whether an imprecise access of shared memory may
// be an access of some context's memory: only where it dereferences a
// pointer from a slot that ever held a pointer into a context (or
// anything), or where what it reaches is not known.
func (p *pollution) mayReachContext(l mem.Loc) bool {
	if l.Base.Kind == mem.Unknown || l.Trunc && holdsPointers(l.MemType(), 0) {
		return true
	}
	for d, e := range l.Path {
		if e.Kind != mem.Deref || e.Precise && !e.Crossed {
			continue
		}
		prefix := mem.Loc{Base: l.Base, Path: l.Path[:d]}
		sl, held := slotOf(prefix), prefix.MemType()
		if e.Crossed {
			// Reached from a context through a slot it does not own: a
			// context's memory only if a pointer into one was kept there,
			// or the slot may hold another context (a peer, the
			// connection a stream points back to).
			if p.heldAt(sl, held) {
				return true
			}
			for _, t := range p.ctxTypes {
				if p.mayBe(e.Type, t) {
					return true
				}
			}
			continue
		}
		if len(p.contextAt(sl, held)) > 0 {
			return true
		}
		for _, t := range p.posted {
			if p.mayBe(e.Type, t) {
				return true
			}
		}
	}
	return false
}

// mayBe: memory reached as type held (a dereference's) may be, or hold in
// place, memory of type t. Reached through an interface (x.(*Conn).n: the
// dereference is of the interface's value), it may be of any type that
// implements the interface.
func (p *pollution) mayBe(held, t types.Type) bool {
	if mem.TypeContains(held, t) {
		return true
	}
	if !anyInside(held) {
		return false
	}
	if it, ok := held.Underlying().(*types.Interface); ok && !it.Empty() {
		return p.implementedBy(it, t)
	}
	return true
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
func (p *pollution) mayAlias(x, y mem.Loc) bool {
	own := func(l mem.Loc) bool { return ownerOf(l) == ownContext && !l.Loose() }
	// Far: shared memory known only by its type, or reached from a
	// context through a slot it does not own (owner.go).
	far := func(l mem.Loc) bool {
		return ownerOf(l) == ownShared && l.Base.Kind != mem.Unknown && l.Imprecise() ||
			ownerOf(l) == ownContext && l.Imprecise()
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
// main and the package initializers; and where handlers live in a package
// that is not a main one, its exported functions and methods, which a
// main outside the analysis may call before the loop runs (a NewConn that
// keeps every connection in a global): their stores are as much setup.
func (a *analyzer) entryPoints(l *loaded, found []found, fns []*ssa.Function) []*ssa.Function {
	withHandlers := map[*types.Package]bool{}
	for _, f := range found {
		if pkg := f.fn.Package(); pkg != nil {
			withHandlers[pkg.Pkg] = true
		}
	}
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
		if sp.Pkg.Name() != "main" && withHandlers[sp.Pkg] {
			out = append(out, exported(sp, fns)...)
		}
	}
	return out
}

// exported are the functions and methods of sp that code outside it may
// call, among the workspace's functions fns (in fns' order: by position).
// Declared ones only: a closure or a compiler-written wrapper is not
// called by name, and a generic one has no body of its own.
func exported(sp *ssa.Package, fns []*ssa.Function) []*ssa.Function {
	var out []*ssa.Function
	for _, f := range fns {
		if f.Pkg == sp && f.Synthetic == "" && f.Parent() == nil && f.Object() != nil &&
			f.Object().Exported() && f.TypeParams().Len() == 0 && len(f.TypeArgs()) == 0 {
			out = append(out, f)
		}
	}
	return out
}

// implementers returns the types whose values an interface of type iface
// may hold: among the program's named types, and the types it converts to
// interfaces, those that implement it (or whose pointers do).
func (a *analyzer) implementers(iface *types.Interface) []types.Type {
	if a.concrete == nil {
		seen := map[mem.TypeKey]bool{}
		keep := func(t types.Type) {
			if _, isIface := t.Underlying().(*types.Interface); isIface {
				return
			}
			if n, ok := t.(*types.Named); ok && n.TypeParams().Len() > n.TypeArgs().Len() {
				return // generic, not instantiated
			}
			if k := mem.KeyOf(t); !seen[k] {
				seen[k] = true
				a.concrete = append(a.concrete, t)
			}
		}
		for _, p := range a.prog.AllPackages() {
			for _, m := range p.Members {
				if t, ok := m.(*ssa.Type); ok {
					keep(t.Type())
				}
			}
		}
		for _, t := range a.prog.RuntimeTypes() {
			keep(t)
		}
		// Packages, their members and the runtime types come out of
		// maps: in their order, the slots below an interface (and so
		// which of two tied accesses a conflict names) would change from
		// one run to the next.
		slices.SortStableFunc(a.concrete, a.compareTypes)
		a.impls = map[*types.Interface][]types.Type{}
	}
	if out, ok := a.impls[iface]; ok {
		return out
	}
	var out []types.Type
	for _, t := range a.concrete {
		if types.Implements(t, iface) {
			out = append(out, t)
		} else if _, isPtr := t.Underlying().(*types.Pointer); !isPtr && types.Implements(types.NewPointer(t), iface) {
			out = append(out, types.NewPointer(t))
		}
	}
	a.impls[iface] = out
	return out
}

// compareTypes orders types by their spelling, then, for two that spell
// the same (types local to two functions), by where they are declared
// (a file and offset: token.Pos depends on the order files were loaded).
func (a *analyzer) compareTypes(x, y types.Type) int {
	if c := strings.Compare(types.TypeString(x, nil), types.TypeString(y, nil)); c != 0 {
		return c
	}
	px, py := a.position(declPos(x)), a.position(declPos(y))
	return cmp.Or(strings.Compare(px.Filename, py.Filename), cmp.Compare(px.Offset, py.Offset))
}

// declPos is where the named type t is, or points to, is declared.
func declPos(t types.Type) token.Pos {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Pos()
	}
	return token.NoPos
}
