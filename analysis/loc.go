package analysis

import (
	"go/types"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/tools/go/ssa"
)

// A loc designates a region of memory: a root (base) and a path of field
// selections, element selections and dereferences below it. Accesses record
// locs; two accesses may touch the same memory when their locs overlap.
type loc struct {
	base *base
	path []elem
	// trunc: the path was cut (widened, see with); the loc stands for
	// everything below its prefix, which keeps recursion over linked data
	// finite.
	trunc bool
	key   string // identity, for deduplication and grouping
}

type baseKind uint8

const (
	bGlobal  baseKind = iota // a package-level variable
	bShared                  // an allocation made outside any handler and captured by one (main's locals)
	bParam                   // the i-th parameter of the function being summarized
	bFree                    // the i-th free variable of the closure being summarized
	bContext                 // the handler's context (after substitution)
	bUnknown                 // a pointer of unknown origin, of type typ
	bFresh                   // an allocation made in the current invocation: not shared
)

type base struct {
	kind   baseKind
	global *ssa.Global
	site   ssa.Value // bShared, bFresh: the allocation
	idx    int       // bParam, bFree
	typ    types.Type
	name   string // display name
	full   string // full display name
	key    string
}

type elemKind uint8

const (
	eField elemKind = iota
	eIndex          // any element of an array, slice or map (indices conflated)
	eDeref          // follow a pointer stored at the path so far
)

type elem struct {
	kind   elemKind
	field  *types.Var // eField
	parent types.Type // eField: the struct type holding it
	typ    types.Type // type of the memory designated once this elem is applied
	// precise is false for an eDeref through a plain pointer outside the
	// context: what it points to is not known, so the loc may alias any
	// memory of its type.
	precise bool
	// crossed: an eDeref of a context's pointer that may lead out of the
	// context, to shared memory not known (pollution.go).
	crossed bool
}

// maxPath bounds paths, so summaries of recursive code over recursive types
// reach a fixpoint. The type-based widening in with usually cuts a path
// long before.
const maxPath = 8

func (b *base) String() string { return b.key }

func newBase(k baseKind, typ types.Type, key, name, full string) *base {
	return &base{kind: k, typ: typ, key: key, name: name, full: full}
}

func (l loc) memType() types.Type {
	if n := len(l.path); n > 0 {
		return l.path[n-1].typ
	}
	return l.base.typ
}

// with is l followed by e, widened where a path would repeat itself: a
// dereference into a type the path already passed through (a list's next,
// a tree's children, an interface of the recursion) cuts the path there,
// and the loc stands for everything below (trunc). Without it, recursion
// over data with K child fields would make K^depth paths per access
// (every node kind's field at every level); with it, paths over recursive
// data are a few steps long and summaries of recursive code reach a
// fixpoint quickly. Conservative: a cut path overlaps everything under it.
func (l loc) with(e elem) loc {
	if l.trunc {
		return l
	}
	if l.cuts(e) {
		return l.deep()
	}
	n := loc{base: l.base, path: make([]elem, len(l.path), len(l.path)+1)}
	copy(n.path, l.path)
	n.path = append(n.path, e)
	n.key = appendKey(l.key, e)
	return n
}

// cuts: appending e to l's path would repeat it (with).
func (l loc) cuts(e elem) bool {
	return len(l.path) >= maxPath || e.kind == eDeref && indirect(l.memType()) && l.passedThrough(e.typ)
}

// passedThrough: the path starts at memory of type t, or already followed
// a pointer or interface into memory of type t.
func (l loc) passedThrough(t types.Type) bool {
	if t == nil {
		return false
	}
	if _, iface := t.Underlying().(*types.Interface); !iface && l.base.typ != nil && identical(l.base.typ, t) {
		// (An interface's dereference is typed as the interface itself:
		// the root holding one has not passed through what it holds.)
		return true
	}
	prev := l.base.typ
	for _, e := range l.path {
		if e.kind == eDeref && indirect(prev) && identical(e.typ, t) {
			return true
		}
		prev = e.typ
	}
	return false
}

// indirect: dereferencing a value of type t leads to other memory, which
// may be of any depth (a pointer or interface); a slice's, map's or
// channel's dereference is its own backing store, one step down.
func indirect(t types.Type) bool {
	if t == nil {
		return false
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Interface:
		return true
	}
	return false
}

func identical(a, b types.Type) bool { return a == b || types.Identical(a, b) }

// extend appends path (and the "everything below" mark of trunc) to l.
// It is with applied element by element, building the path and key once:
// substituting a summary's locs at every call makes this the analysis's
// most frequent operation.
func (l loc) extend(path []elem, trunc bool) loc {
	if l.trunc || len(path) == 0 {
		if trunc {
			return l.deep()
		}
		return l
	}
	n := loc{base: l.base, path: make([]elem, len(l.path), len(l.path)+len(path))}
	copy(n.path, l.path)
	var sb strings.Builder
	sb.Grow(len(l.key) + 16*len(path))
	sb.WriteString(l.key)
	for _, e := range path {
		if n.cuts(e) {
			n.trunc = true
			break
		}
		n.path = append(n.path, e)
		writeElemKey(&sb, e)
	}
	if trunc {
		n.trunc = true
	}
	if n.trunc {
		sb.WriteString("...")
	}
	n.key = sb.String()
	return n
}

func (l loc) field(f *types.Var, parent types.Type) loc {
	return l.with(elem{kind: eField, field: f, parent: parent, typ: f.Type(), precise: true})
}

func (l loc) index(elemT types.Type) loc {
	return l.with(elem{kind: eIndex, typ: elemT, precise: true})
}

// deref is the memory that the value stored at l points to.
func (l loc) deref(t types.Type) loc {
	precise := l.base.kind == bContext || l.base.kind == bFresh
	var pointee types.Type = t
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		pointee = u.Elem()
	case *types.Slice, *types.Map, *types.Chan, *types.Basic:
		// The header or reference names its backing store exactly; a
		// slice copied elsewhere aliases, which is rare in handler state.
		precise = true
	}
	return l.with(elem{kind: eDeref, typ: pointee, precise: precise})
}

func (l loc) computeKey() string {
	return l.spell(func(sb *strings.Builder, e elem) { sb.WriteString(fieldKeyOf(e.field)) })
}

// appendKey is the key of a loc whose path is that of key followed by e:
// keys grow by one element, not rebuilt from the root.
func writeElemKey(sb *strings.Builder, e elem) {
	switch e.kind {
	case eField:
		sb.WriteString(fieldKeyOf(e.field))
	case eIndex:
		sb.WriteString("[]")
	default:
		sb.WriteString("*")
	}
}

func appendKey(key string, e elem) string {
	switch e.kind {
	case eField:
		return key + fieldKeyOf(e.field)
	case eIndex:
		return key + "[]"
	}
	return key + "*"
}

// fieldKeyOf spells a field in keys: its name and its identity (two
// fields of one name in different structs are different memory).
func fieldKeyOf(f *types.Var) string {
	return "." + f.Name() + "@" + strconv.FormatUint(uint64(uintptr(unsafe.Pointer(f))), 36)
}

// spell writes the loc as its base key and path, fields as field says.
func (l loc) spell(field func(*strings.Builder, elem)) string {
	var sb strings.Builder
	sb.WriteString(l.base.key)
	for _, e := range l.path {
		switch e.kind {
		case eField:
			field(&sb, e)
		case eIndex:
			sb.WriteString("[]")
		case eDeref:
			sb.WriteString("*")
		}
	}
	if l.trunc {
		sb.WriteString("...")
	}
	return sb.String()
}

// imprecise reports whether the loc may alias memory it does not name: its
// root is unknown, or it follows a pointer whose target is not tracked.
func (l loc) imprecise() bool {
	switch l.base.kind {
	case bUnknown:
		return true
	case bFresh:
		return false
	case bContext:
		// What a context reaches is the context's own (the paper's
		// self-contained contexts), unless a pointer to shared memory
		// was ever kept where it reaches through (pollution.go); where a
		// context escapes into shared state, the shared side's loc is
		// the imprecise one.
		for _, e := range l.path {
			if e.crossed {
				return true
			}
		}
		return false
	}
	for _, e := range l.path {
		if e.kind == eDeref && !e.precise {
			return true
		}
	}
	return false
}

// names returns the short and full display names: "stats.requests",
// "conns[i].state", "github.com/x/srv.stats.requests" (names.go).
func (l loc) names() (short, full string) {
	var sb strings.Builder
	for _, e := range l.path {
		switch e.kind {
		case eField:
			sb.WriteString(".")
			sb.WriteString(e.field.Name())
		case eIndex:
			sb.WriteString(indexName)
		}
	}
	if l.trunc {
		sb.WriteString("...")
	}
	return l.base.name + sb.String(), l.base.full + sb.String()
}

// overlaps reports whether one path is a prefix of the other: the memory of
// the shorter one contains that of the longer one.
func overlaps(a, b loc) bool {
	if a.base.key != b.base.key {
		return false
	}
	n := min(len(a.path), len(b.path))
	for i := 0; i < n; i++ {
		if !sameElem(a.path[i], b.path[i]) {
			return false
		}
	}
	// A pointer slot and what it points to are different memory, unless the
	// shorter loc stands for everything reachable below it.
	short, long := a, b
	if len(a.path) > len(b.path) {
		short, long = b, a
	}
	if len(long.path) > n && long.path[n].kind == eDeref && !short.trunc {
		return false
	}
	return true
}

// deep marks l as standing for everything reachable from it: what unknown
// code handed a pointer may touch.
func (l loc) deep() loc {
	if l.trunc {
		return l
	}
	n := l
	n.trunc = true
	n.key = l.key + "..." // as spell writes it
	return n
}

func sameElem(a, b elem) bool {
	if a.kind != b.kind {
		return false
	}
	return a.kind != eField || a.field == b.field
}

// typeAlias is the conservative test used when either loc is imprecise:
// could the two designate overlapping memory, judging by types alone?
func typeAlias(a, b loc) bool {
	return endsWithin(a, b) || endsWithin(b, a)
}

// endsWithin: the memory a designates may lie inside or over that of b,
// where a is known only by its type (loose).
func endsWithin(a, b loc) bool {
	return a.loose() && mayEndWithin(a, b)
}

// loose: what l designates is known only by its type: l is imprecise, or
// it follows a pointer kept in the context, which may point anywhere in
// the context, also where an imprecise loc points (a context captured by
// a closure is reached imprecisely). Its own context is still told apart
// from shared memory (contextAlias).
func (l loc) loose() bool {
	return l.imprecise() || l.base.kind == bContext && followsPointer(l)
}

// contextAlias is the test for two locs of one context, at least one
// through a pointer: that pointer may lead back into the context
// (c.p = &c.in makes c.p.x and c.in.x one memory), so judge by types.
// Slices, like everywhere else, are taken not to share backing arrays.
func contextAlias(a, b loc) bool {
	return followsPointer(a) && mayEndWithin(a, b) || followsPointer(b) && mayEndWithin(b, a)
}

// followsPointer: l dereferences a pointer (not a slice, map or interface).
func followsPointer(l loc) bool {
	prev := l.base.typ
	for _, e := range l.path {
		if e.kind == eDeref && prev != nil {
			if _, ok := prev.Underlying().(*types.Pointer); ok {
				return true
			}
		}
		prev = e.typ
	}
	return false
}

// mayEndWithin: judging by types alone, the memory a designates may lie
// inside or over that of b.
func mayEndWithin(a, b loc) bool {
	n := len(a.path)
	bLast := b.memType()
	if n > 0 && a.path[n-1].kind == eField {
		// A field of some object: b names that field, or a whole object
		// that holds it.
		f := a.path[n-1].field
		for _, e := range b.path {
			if e.kind == eField && e.field == f {
				return true
			}
		}
		return typeContains(bLast, a.path[n-1].parent)
	}
	t := a.memType()
	if n > 0 && a.path[n-1].kind == eIndex {
		// An element of some array, slice or map.
		for _, e := range b.path {
			if e.kind == eIndex && types.Identical(e.typ, t) {
				return true
			}
		}
		// Without package unsafe, an element's memory can only be an
		// element of an array (a slice's backing array, or an array held in
		// b), never a plain variable or struct field of the same type.
		return arrayHolds(bLast, t) || (b.base.kind == bUnknown || lastIsDeref(b)) && types.Identical(bLast, t)
	}
	// What an unknown pointer points to: any object of its type, wherever
	// it lives.
	return containsType(b, t) || typeContains(bLast, t)
}

func lastIsDeref(l loc) bool {
	n := len(l.path)
	return n > 0 && l.path[n-1].kind == eDeref
}

// containsType: some prefix of b (its root included) is memory of type t.
func containsType(b loc, t types.Type) bool {
	if t == nil {
		return false
	}
	if b.base.typ != nil && types.Identical(b.base.typ, t) {
		return true
	}
	for _, e := range b.path {
		if e.typ != nil && types.Identical(e.typ, t) {
			return true
		}
	}
	return false
}

// arrayHolds: a value of type outer holds, in place, an array whose
// elements are or hold a value of type inner.
func arrayHolds(outer, inner types.Type) bool {
	return arrayHoldsDepth(outer, inner, 0)
}

func arrayHoldsDepth(outer types.Type, inner types.Type, depth int) bool {
	if outer == nil || inner == nil || depth > 8 {
		return false
	}
	switch u := outer.Underlying().(type) {
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if arrayHoldsDepth(u.Field(i).Type(), inner, depth+1) {
				return true
			}
		}
	case *types.Array:
		return typeContainsDepth(u.Elem(), inner, depth+1)
	}
	return false
}

// typeContains: a value of type outer holds a value of type inner in place
// (itself, or in its fields and array elements, not behind pointers).
func typeContains(outer, inner types.Type) bool {
	return typeContainsDepth(outer, inner, 0)
}

func typeContainsDepth(outer, inner types.Type, depth int) bool {
	if outer == nil || inner == nil || depth > 8 {
		return false
	}
	if types.Identical(outer, inner) {
		return true
	}
	switch u := outer.Underlying().(type) {
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if typeContainsDepth(u.Field(i).Type(), inner, depth+1) {
				return true
			}
		}
	case *types.Array:
		return typeContainsDepth(u.Elem(), inner, depth+1)
	}
	return false
}

// The aliasing index: needlesOf(a) and haystack(b) share a key exactly when
// endsWithin(a, b) may hold (haystack may over-approximate; it must never
// miss). Keys are namespaced by the case of endsWithin they serve.
type (
	fieldKey struct{ f *types.Var } // b's path selects field f
	inPlace  struct{ t typeKeyT }   // b's memory holds a t in place
	inArray  struct{ t typeKeyT }   // b's memory holds, in an array, a t; or b is an element of type t
	onPath   struct{ t typeKeyT }   // b's base or path has type t
)

// needlesOf returns, for a loose loc a, the keys endsWithin(a, b)
// looks for in b.
func needlesOf(a loc) []any {
	n := len(a.path)
	if n > 0 && a.path[n-1].kind == eField {
		keys := []any{fieldKey{a.path[n-1].field}}
		if p := a.path[n-1].parent; p != nil {
			keys = append(keys, inPlace{typeKey(p)})
		}
		return keys
	}
	t := a.memType()
	if t == nil {
		return nil
	}
	if n > 0 && a.path[n-1].kind == eIndex {
		return []any{inArray{typeKey(t)}}
	}
	return []any{onPath{typeKey(t)}, inPlace{typeKey(t)}}
}

// haystack returns the keys under which b can be found by needlesOf.
func haystack(b loc) []any {
	var keys []any
	if b.base.typ != nil {
		keys = append(keys, onPath{typeKey(b.base.typ)})
	}
	for _, e := range b.path {
		if e.kind == eField && e.field != nil {
			keys = append(keys, fieldKey{e.field})
		}
		if e.typ != nil {
			keys = append(keys, onPath{typeKey(e.typ)})
			if e.kind == eIndex {
				keys = append(keys, inArray{typeKey(e.typ)})
			}
		}
	}
	last := b.memType()
	if last != nil && (b.base.kind == bUnknown || lastIsDeref(b)) {
		keys = append(keys, inArray{typeKey(last)})
	}
	var walk func(t types.Type, depth int, inArr bool)
	walk = func(t types.Type, depth int, inArr bool) {
		if t == nil || depth > 9 {
			return
		}
		keys = append(keys, inPlace{typeKey(t)})
		if inArr {
			keys = append(keys, inArray{typeKey(t)})
		}
		switch u := t.Underlying().(type) {
		case *types.Struct:
			for i := 0; i < u.NumFields(); i++ {
				walk(u.Field(i).Type(), depth+1, inArr)
			}
		case *types.Array:
			walk(u.Elem(), depth+1, true)
		}
	}
	walk(last, 0, false)
	return keys
}
