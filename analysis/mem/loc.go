package mem

import (
	"go/types"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/tools/go/ssa"
)

// A Loc designates a region of memory: a root (base) and a path of field
// selections, element selections and dereferences below it. Accesses record
// locs; two accesses may touch the same memory when their locs overlap.
type Loc struct {
	Base *Base
	Path []Elem
	// trunc: the path was cut (widened, see with); the loc stands for
	// everything below its prefix, which keeps recursion over linked data
	// finite.
	Trunc bool
	Key   string // identity, for deduplication and grouping
}

type BaseKind uint8

const (
	Global  BaseKind = iota // a package-level variable
	Shared                  // an allocation made outside any handler and captured by one (main's locals)
	Param                   // the i-th parameter of the function being summarized
	Free                    // the i-th free variable of the closure being summarized
	Context                 // the handler's context (after substitution)
	Unknown                 // a pointer of unknown origin, of type typ
	Fresh                   // an allocation made in the current invocation: not shared
)

type Base struct {
	Kind   BaseKind
	Global *ssa.Global
	Site   ssa.Value // bShared, bFresh: the allocation
	Idx    int       // bParam, bFree
	Type   types.Type
	Name   string // display name
	Full   string // full display name
	Key    string
}

type ElemKind uint8

const (
	Field ElemKind = iota
	Index          // any element of an array, slice or map (indices conflated)
	Deref          // follow a pointer stored at the path so far
)

type Elem struct {
	Kind   ElemKind
	Field  *types.Var // eField
	Parent types.Type // eField: the struct type holding it
	Type   types.Type // type of the memory designated once this elem is applied
	// precise is false for an eDeref through a plain pointer outside the
	// context: what it points to is not known, so the loc may alias any
	// memory of its type.
	Precise bool
	// crossed: an eDeref of a context's pointer that may lead out of the
	// context, to shared memory not known (pollution.go).
	Crossed bool
}

// indexName spells an element of an array, slice or map.
const indexName = "[i]"

// maxPath bounds paths, so summaries of recursive code over recursive types
// reach a fixpoint. The type-based widening in with usually cuts a path
// long before.
const maxPath = 8

func (b *Base) String() string { return b.Key }

func (l Loc) MemType() types.Type {
	if n := len(l.Path); n > 0 {
		return l.Path[n-1].Type
	}
	return l.Base.Type
}

// with is l followed by e, widened where a path would repeat itself: a
// dereference into a type the path already passed through (a list's next,
// a tree's children, an interface of the recursion) cuts the path there,
// and the loc stands for everything below (trunc). Without it, recursion
// over data with K child fields would make K^depth paths per access
// (every node kind's field at every level); with it, paths over recursive
// data are a few steps long and summaries of recursive code reach a
// fixpoint quickly. Conservative: a cut path overlaps everything under it.
func (l Loc) with(e Elem) Loc {
	if l.Trunc {
		return l
	}
	if l.cuts(e) {
		return l.Deep()
	}
	n := Loc{Base: l.Base, Path: make([]Elem, len(l.Path), len(l.Path)+1)}
	copy(n.Path, l.Path)
	n.Path = append(n.Path, e)
	n.Key = appendKey(l.Key, e)
	return n
}

// cuts: appending e to l's path would repeat it (with).
func (l Loc) cuts(e Elem) bool {
	return len(l.Path) >= maxPath || e.Kind == Deref && Indirect(l.MemType()) && l.passedThrough(e.Type)
}

// passedThrough: the path starts at memory of type t, or already followed
// a pointer or interface into memory of type t.
func (l Loc) passedThrough(t types.Type) bool {
	if t == nil {
		return false
	}
	if _, iface := t.Underlying().(*types.Interface); !iface && l.Base.Type != nil && Identical(l.Base.Type, t) {
		// (An interface's dereference is typed as the interface itself:
		// the root holding one has not passed through what it holds.)
		return true
	}
	prev := l.Base.Type
	for _, e := range l.Path {
		if e.Kind == Deref && Indirect(prev) && Identical(e.Type, t) {
			return true
		}
		prev = e.Type
	}
	return false
}

// Indirect: dereferencing a value of type t leads to other memory, which
// may be of any depth (a pointer or interface); a slice's, map's or
// channel's dereference is its own backing store, one step down.
func Indirect(t types.Type) bool {
	if t == nil {
		return false
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Interface:
		return true
	}
	return false
}

func Identical(a, b types.Type) bool { return a == b || types.Identical(a, b) }

// Extend appends path (and the "everything below" mark of trunc) to l.
// It is with applied element by element, building the path and key once:
// substituting a summary's locs at every call makes this the analysis's
// most frequent operation.
func (l Loc) Extend(path []Elem, trunc bool) Loc {
	if l.Trunc || len(path) == 0 {
		if trunc {
			return l.Deep()
		}
		return l
	}
	n := Loc{Base: l.Base, Path: make([]Elem, len(l.Path), len(l.Path)+len(path))}
	copy(n.Path, l.Path)
	var sb strings.Builder
	sb.Grow(len(l.Key) + 16*len(path))
	sb.WriteString(l.Key)
	for _, e := range path {
		if n.cuts(e) {
			n.Trunc = true
			break
		}
		n.Path = append(n.Path, e)
		writeElemKey(&sb, e)
	}
	if trunc {
		n.Trunc = true
	}
	if n.Trunc {
		sb.WriteString("...")
	}
	n.Key = sb.String()
	return n
}

func (l Loc) Field(f *types.Var, parent types.Type) Loc {
	return l.with(Elem{Kind: Field, Field: f, Parent: parent, Type: f.Type(), Precise: true})
}

func (l Loc) Index(elemT types.Type) Loc {
	return l.with(Elem{Kind: Index, Type: elemT, Precise: true})
}

// Deref is the memory that the value stored at l points to.
func (l Loc) Deref(t types.Type) Loc {
	precise := l.Base.Kind == Context || l.Base.Kind == Fresh
	var pointee types.Type = t
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		pointee = u.Elem()
	case *types.Slice, *types.Map, *types.Chan, *types.Basic:
		// The header or reference names its backing store exactly; a
		// slice copied elsewhere aliases, which is rare in handler state.
		precise = true
	}
	return l.with(Elem{Kind: Deref, Type: pointee, Precise: precise})
}

// ComputeKey is l's key spelled from its root: what Key holds, for a loc
// whose path was built by hand (a kept summary rewritten, translate.go).
func (l Loc) ComputeKey() string {
	return l.Spell(func(sb *strings.Builder, e Elem) { sb.WriteString(fieldKeyOf(e.Field)) })
}

// writeElemKey writes e as keys spell it.
func writeElemKey(sb *strings.Builder, e Elem) {
	switch e.Kind {
	case Field:
		sb.WriteString(fieldKeyOf(e.Field))
	case Index:
		sb.WriteString("[]")
	default:
		sb.WriteString("*")
	}
}

// appendKey is the key of a loc whose path is that of key followed by e:
// keys grow by one element, not rebuilt from the root.
func appendKey(key string, e Elem) string {
	switch e.Kind {
	case Field:
		return key + fieldKeyOf(e.Field)
	case Index:
		return key + "[]"
	}
	return key + "*"
}

// fieldKeyOf spells a field in keys: its name and its identity (two
// fields of one name in different structs are different memory).
func fieldKeyOf(f *types.Var) string {
	return "." + f.Name() + "@" + strconv.FormatUint(uint64(uintptr(unsafe.Pointer(f))), 36)
}

// Spell writes the loc as its base key and path, fields as field says.
func (l Loc) Spell(field func(*strings.Builder, Elem)) string {
	var sb strings.Builder
	sb.WriteString(l.Base.Key)
	for _, e := range l.Path {
		switch e.Kind {
		case Field:
			field(&sb, e)
		case Index:
			sb.WriteString("[]")
		case Deref:
			sb.WriteString("*")
		}
	}
	if l.Trunc {
		sb.WriteString("...")
	}
	return sb.String()
}

// Imprecise reports whether the loc may alias memory it does not name: its
// root is unknown, or it follows a pointer whose target is not tracked.
func (l Loc) Imprecise() bool {
	switch l.Base.Kind {
	case Unknown:
		return true
	case Fresh:
		return false
	case Context:
		// What a context reaches is the context's own (the paper's
		// self-contained contexts), unless a pointer to shared memory
		// was ever kept where it reaches through (pollution.go); where a
		// context escapes into shared state, the shared side's loc is
		// the imprecise one.
		for _, e := range l.Path {
			if e.Crossed {
				return true
			}
		}
		return false
	}
	for _, e := range l.Path {
		if e.Kind == Deref && !e.Precise {
			return true
		}
	}
	return false
}

// Names returns the short and full display names: "stats.requests",
// "conns[i].state", "github.com/x/srv.stats.requests" (names.go).
func (l Loc) Names() (short, full string) {
	var sb strings.Builder
	for _, e := range l.Path {
		switch e.Kind {
		case Field:
			sb.WriteString(".")
			sb.WriteString(e.Field.Name())
		case Index:
			sb.WriteString(indexName)
		}
	}
	if l.Trunc {
		sb.WriteString("...")
	}
	return l.Base.Name + sb.String(), l.Base.Full + sb.String()
}

// Overlaps reports whether one path is a prefix of the other: the memory of
// the shorter one contains that of the longer one.
func Overlaps(a, b Loc) bool {
	if a.Base.Key != b.Base.Key {
		return false
	}
	n := min(len(a.Path), len(b.Path))
	for i := 0; i < n; i++ {
		if !SameElem(a.Path[i], b.Path[i]) {
			return false
		}
	}
	// A pointer slot and what it points to are different memory, unless the
	// shorter loc stands for everything reachable below it.
	short, long := a, b
	if len(a.Path) > len(b.Path) {
		short, long = b, a
	}
	if len(long.Path) > n && long.Path[n].Kind == Deref && !short.Trunc {
		return false
	}
	return true
}

// Deep marks l as standing for everything reachable from it: what unknown
// code handed a pointer may touch.
func (l Loc) Deep() Loc {
	if l.Trunc {
		return l
	}
	n := l
	n.Trunc = true
	n.Key = l.Key + "..." // as spell writes it
	return n
}

func SameElem(a, b Elem) bool {
	if a.Kind != b.Kind {
		return false
	}
	return a.Kind != Field || a.Field == b.Field
}

// TypeAlias is the conservative test used when either loc is imprecise:
// could the two designate overlapping memory, judging by types alone?
func TypeAlias(a, b Loc) bool {
	return endsWithin(a, b) || endsWithin(b, a)
}

// endsWithin: the memory a designates may lie inside or over that of b,
// where a is known only by its type (loose).
func endsWithin(a, b Loc) bool {
	return a.Loose() && mayEndWithin(a, b)
}

// Loose: what l designates is known only by its type: l is imprecise, or
// it follows a pointer kept in the context, which may point anywhere in
// the context, also where an imprecise loc points (a context captured by
// a closure is reached imprecisely). Its own context is still told apart
// from shared memory (contextAlias).
func (l Loc) Loose() bool {
	return l.Imprecise() || l.Base.Kind == Context && followsPointer(l)
}

// ContextAlias is the test for two locs of one context, at least one
// through a pointer: that pointer may lead back into the context
// (c.p = &c.in makes c.p.x and c.in.x one memory), so judge by types.
// Slices, like everywhere else, are taken not to share backing arrays.
func ContextAlias(a, b Loc) bool {
	return followsPointer(a) && mayEndWithin(a, b) || followsPointer(b) && mayEndWithin(b, a)
}

// followsPointer: l dereferences a pointer (not a slice, map or interface).
func followsPointer(l Loc) bool {
	prev := l.Base.Type
	for _, e := range l.Path {
		if e.Kind == Deref && prev != nil {
			if _, ok := prev.Underlying().(*types.Pointer); ok {
				return true
			}
		}
		prev = e.Type
	}
	return false
}

// mayEndWithin: judging by types alone, the memory a designates may lie
// inside or over that of b.
func mayEndWithin(a, b Loc) bool {
	n := len(a.Path)
	bLast := b.MemType()
	if n > 0 && a.Path[n-1].Kind == Field {
		// A field of some object: b names that field, or a whole object
		// that holds it.
		f := a.Path[n-1].Field
		for _, e := range b.Path {
			if e.Kind == Field && e.Field == f {
				return true
			}
		}
		return TypeContains(bLast, a.Path[n-1].Parent)
	}
	t := a.MemType()
	if n > 0 && a.Path[n-1].Kind == Index {
		// An element of some array, slice or map.
		for _, e := range b.Path {
			if e.Kind == Index && types.Identical(e.Type, t) {
				return true
			}
		}
		// Without package unsafe, an element's memory can only be an
		// element of an array (a slice's backing array, or an array held in
		// b), never a plain variable or struct field of the same type.
		return arrayHolds(bLast, t) || (b.Base.Kind == Unknown || lastIsDeref(b)) && types.Identical(bLast, t)
	}
	// What an unknown pointer points to: any object of its type, wherever
	// it lives.
	return containsType(b, t) || TypeContains(bLast, t)
}

func lastIsDeref(l Loc) bool {
	n := len(l.Path)
	return n > 0 && l.Path[n-1].Kind == Deref
}

// containsType: some prefix of b (its root included) is memory of type t.
func containsType(b Loc, t types.Type) bool {
	if t == nil {
		return false
	}
	if b.Base.Type != nil && types.Identical(b.Base.Type, t) {
		return true
	}
	for _, e := range b.Path {
		if e.Type != nil && types.Identical(e.Type, t) {
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

// TypeContains: a value of type outer holds a value of type inner in place
// (itself, or in its fields and array elements, not behind pointers).
func TypeContains(outer, inner types.Type) bool {
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

// The aliasing index: NeedlesOf(a) and Haystack(b) share a key exactly when
// endsWithin(a, b) may hold (haystack may over-approximate; it must never
// miss). Keys are namespaced by the case of endsWithin they serve.
type (
	fieldKey struct{ f *types.Var } // b's path selects field f
	inPlace  struct{ t TypeKey }    // b's memory holds a t in place
	inArray  struct{ t TypeKey }    // b's memory holds, in an array, a t; or b is an element of type t
	onPath   struct{ t TypeKey }    // b's base or path has type t
)

// NeedlesOf returns, for a loose loc a, the keys endsWithin(a, b)
// looks for in b.
func NeedlesOf(a Loc) []any {
	n := len(a.Path)
	if n > 0 && a.Path[n-1].Kind == Field {
		keys := []any{fieldKey{a.Path[n-1].Field}}
		if p := a.Path[n-1].Parent; p != nil {
			keys = append(keys, inPlace{KeyOf(p)})
		}
		return keys
	}
	t := a.MemType()
	if t == nil {
		return nil
	}
	if n > 0 && a.Path[n-1].Kind == Index {
		return []any{inArray{KeyOf(t)}}
	}
	return []any{onPath{KeyOf(t)}, inPlace{KeyOf(t)}}
}

// Haystack returns the keys under which b can be found by needlesOf.
func Haystack(b Loc) []any {
	var keys []any
	if b.Base.Type != nil {
		keys = append(keys, onPath{KeyOf(b.Base.Type)})
	}
	for _, e := range b.Path {
		if e.Kind == Field && e.Field != nil {
			keys = append(keys, fieldKey{e.Field})
		}
		if e.Type != nil {
			keys = append(keys, onPath{KeyOf(e.Type)})
			if e.Kind == Index {
				keys = append(keys, inArray{KeyOf(e.Type)})
			}
		}
	}
	last := b.MemType()
	if last != nil && (b.Base.Kind == Unknown || lastIsDeref(b)) {
		keys = append(keys, inArray{KeyOf(last)})
	}
	var walk func(t types.Type, depth int, inArr bool)
	walk = func(t types.Type, depth int, inArr bool) {
		if t == nil || depth > 9 {
			return
		}
		keys = append(keys, inPlace{KeyOf(t)})
		if inArr {
			keys = append(keys, inArray{KeyOf(t)})
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

// Pointee is the memory a pointer or a slice of type t designates: its
// element type (t itself for other types).
func Pointee(t types.Type) types.Type {
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		return u.Elem()
	case *types.Slice:
		return u.Elem()
	}
	return t
}

// pointerLike: values of this type can refer to memory elsewhere.
func PointerLike(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Interface, *types.Signature:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	case *types.Struct, *types.Array:
		// A struct or array value carries pointers of its own, but the
		// value itself was copied: what it points to is reached through
		// Field/Index of the value, which loadedFrom follows.
		return false
	}
	return false
}
