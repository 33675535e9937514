package analysis

import (
	"go/types"

	"github.com/safels/safels/analysis/calls"
	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Ownership: which memory reached from a context is the context's own.
//
// Every abstract object is a root (a global, a context, a registered or
// captured value, memory of unknown origin) or has an allocation site.
// What a handler reaches through a pointer kept in its context is the
// context's own only when proven so: every pointer ever stored into that
// slot (the field, or the element type, pollution.go) anywhere in the
// workspace is an owned store. A store is owned when the value stored is
//
//   - a fresh allocation made for that store: new, &T{}, make, in the same
//     function, used for nothing else (initialized through its own fields
//     and elements, not stored twice, passed, returned, captured, bound or
//     posted), by a store that runs once per allocation (in its block, or
//     in a block on no cycle), or the result of a constructor that returns
//     such an allocation;
//   - the slot's own value again (c.buf = append(c.buf, x), c.buf[1:]);
//   - a pointer into the same object (c.p = &c.in), which keeps
//     dereferences inside the object (contextAlias judges those).
//
// Anything else (a parameter, a value loaded from elsewhere, main's single
// *Server stored into every connection, a peer, a connection a stream
// points back to, a global's address) makes the slot shared: what a
// context reaches through it may be reached by other contexts or shared
// code, its accesses are imprecise, and their conflicts are global (a
// hue), never only the context's (a color). A store through an address
// that names no slot (*p = v, p a parameter) makes every slot of v's type
// shared.
//
// A context is whole memory of its own only when it is posted as an
// object. A struct whose address is taken inside another (&c.timer, handed
// to loop.Post or anywhere else) may be a context overlapping another
// context's memory: contexts of that type are then memory of unknown
// origin (owners.interior), and all their conflicts are global.
//
// Locks follow the same rule (mustAliasLock): a lock keeps two accesses apart
// only when it is one concrete mutex, never "some element of this array"
// (accounts[i].mu does not guard accounts[j].bal).
//
// Only the workspace's own code is scanned: a library that keeps a
// workspace pointer it is given is the library models' concern.
type owners struct {
	shared   map[slot]bool        // slots filled, somewhere, with a pointer not proven owned
	byType   map[mem.TypeKey]bool // every slot holding values of this type is shared
	interior map[mem.TypeKey]bool // struct types whose address is taken inside another object
}

// ownedSlot reports whether every pointer stored in sl is owned.
func (o *owners) ownedSlot(sl slot, held types.Type) bool {
	if o == nil {
		return true
	}
	if sl.root != "" {
		return true // a variable or a context itself: whole objects
	}
	if o.shared[sl] {
		return false
	}
	if held != nil && o.byType[mem.KeyOf(held)] {
		return false
	}
	return true
}

// ownsBelow: a loc cut at slot sl (mem.Loc widens) holds only owned pointers
// there and, one level down, in the pointer fields of what they point to.
// Deeper, recursion goes on through the same slots.
func (o *owners) ownsBelow(sl slot, held types.Type) bool {
	if !o.ownedSlot(sl, held) {
		return false
	}
	st, ok := mem.Pointee(held).Underlying().(*types.Struct)
	if !ok {
		return !mem.PointerLike(mem.Pointee(held)) || o.ownedSlot(slot{elem: mem.KeyOf(mem.Pointee(held))}, mem.Pointee(held))
	}
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if holdsPointers(f.Type(), 0) && !o.ownedSlot(slot{field: f}, f.Type()) {
			return false
		}
		if a, isArr := f.Type().Underlying().(*types.Array); isArr && mem.PointerLike(a.Elem()) && !o.ownedSlot(slot{elem: mem.KeyOf(a.Elem())}, a.Elem()) {
			return false
		}
	}
	return true
}

// scanOwnership classifies every store of a pointer in fns.
func (a *analyzer) scanOwnership(fns []*ssa.Function) *owners {
	o := &owners{shared: map[slot]bool{}, byType: map[mem.TypeKey]bool{}, interior: map[mem.TypeKey]bool{}}
	sc := &ownScan{fresh: map[*ssa.Function]bool{}, cyc: map[*ssa.Function]map[*ssa.BasicBlock]bool{},
		callers: map[*ssa.Function][]ssa.CallInstruction{}}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, in := range b.Instrs {
				if c, ok := in.(ssa.CallInstruction); ok && c.Common().StaticCallee() != nil {
					callee := c.Common().StaticCallee()
					sc.callers[callee] = append(sc.callers[callee], c)
				}
				o.visit(in, sc)
			}
		}
	}
	// A parameter stored by a helper (setBuf(c, make([]byte, n))): owned
	// when every call passes a fresh allocation for it, and no call is
	// hidden (the helper is not a value, a method or exported).
	taken := calls.AddressTaken(fns)
	for _, pd := range sc.params {
		fn := pd.param.Parent()
		ok := !taken[fn] && fn.Parent() == nil && fn.Signature.Recv() == nil && !fn.Object().Exported() && len(sc.callers[fn]) > 0
		for _, c := range sc.callers[fn] {
			if !ok {
				break
			}
			args := c.Common().Args
			ok = pd.idx < len(args) && freshFor(args[pd.idx], c, sc)
		}
		if !ok {
			o.unowned(pd.addr, pd.param.Type())
		}
	}
	return o
}

// paramStore is a store of a parameter, owned if its callers' are.
type paramStore struct {
	param *ssa.Parameter
	idx   int
	addr  ssa.Value
}

// ownScan memoizes what the scan asks of functions.
type ownScan struct {
	fresh map[*ssa.Function]bool                     // constructors returning fresh memory
	cyc   map[*ssa.Function]map[*ssa.BasicBlock]bool // blocks on a cycle, on demand
	// callers: static call sites of each function; params: stores of
	// parameters decided by them.
	callers map[*ssa.Function][]ssa.CallInstruction
	params  []paramStore
}

func (sc *ownScan) cyclic(b *ssa.BasicBlock) bool {
	m, ok := sc.cyc[b.Parent()]
	if !ok {
		m = cyclicBlocks(b.Parent())
		sc.cyc[b.Parent()] = m
	}
	return m[b]
}

func (o *owners) visit(in ssa.Instruction, sc *ownScan) {
	switch in := in.(type) {
	case *ssa.Store:
		if !mem.PointerLike(in.Val.Type()) {
			return
		}
		if ownedStore(in.Addr, in.Val, in, sc) {
			return
		}
		if p, ok := in.Val.(*ssa.Parameter); ok && localUsesOnly(p, in) && !sc.cyclic(in.Block()) {
			fn := p.Parent()
			for i, q := range fn.Params {
				if q == p {
					sc.params = append(sc.params, paramStore{param: p, idx: i, addr: in.Addr})
					return
				}
			}
		}
		o.unowned(in.Addr, in.Val.Type())
	case *ssa.MapUpdate:
		if mem.PointerLike(in.Value.Type()) && !freshFor(in.Value, in, sc) {
			o.byType[mem.KeyOf(in.Value.Type())] = true
		}
	case *ssa.Send:
		if mem.PointerLike(in.X.Type()) {
			o.byType[mem.KeyOf(in.X.Type())] = true
		}
	case *ssa.FieldAddr:
		// The address of a struct inside another: if it goes anywhere
		// but a load or store, it may become a context of its own.
		if t := mem.Pointee(in.Type()); isStruct(t) && !onlyAddressUses(in) {
			o.interior[mem.KeyOf(t)] = true
		}
	case *ssa.Call:
		c := in.Common()
		if b, ok := c.Value.(*ssa.Builtin); ok && (b.Name() == "copy" || b.Name() == "append") && len(c.Args) == 2 {
			// Elements copied from another slice are held twice, unless
			// append's are the values it was given (its own array).
			if et := sliceElem(c.Args[1].Type()); et != nil && mem.PointerLike(et) && !(b.Name() == "append" && isVarargs(c.Args[1])) {
				o.byType[mem.KeyOf(et)] = true
			}
		}
	}
}

// unowned records a store of a value of type t, not owned, at addr.
func (o *owners) unowned(addr ssa.Value, t types.Type) {
	switch ad := addr.(type) {
	case *ssa.FieldAddr:
		o.shared[slot{field: fieldOf(ad)}] = true
	case *ssa.IndexAddr:
		o.shared[slot{elem: mem.KeyOf(t)}] = true
	case *ssa.Global, *ssa.Alloc:
		// A variable: a root slot, whole.
	default:
		// An address from elsewhere: any slot of this type.
		o.byType[mem.KeyOf(t)] = true
	}
}

func fieldOf(fa *ssa.FieldAddr) *types.Var {
	return mem.Pointee(fa.X.Type()).Underlying().(*types.Struct).Field(fa.Field)
}

// ownedStore: the store of val at addr is owned (see owners).
func ownedStore(addr, val ssa.Value, st ssa.Instruction, sc *ownScan) bool {
	if _, isNil := val.(*ssa.Const); isNil {
		return true // nil points nowhere
	}
	return freshFor(val, st, sc) || sameSlot(addr, val) || sameObject(addr, val)
}

// freshFor: val is an allocation made for the store st alone.
func freshFor(val ssa.Value, st ssa.Instruction, sc *ownScan) bool {
	v := val
	for {
		switch x := v.(type) {
		case *ssa.MakeInterface:
			if !singleUse(x, st) {
				return false
			}
			st, v = x, x.X
			continue
		case *ssa.ChangeType:
			if !singleUse(x, st) {
				return false
			}
			st, v = x, x.X
			continue
		case *ssa.Slice:
			if _, ok := x.X.(*ssa.Alloc); ok && singleUse(x, st) {
				st, v = x, x.X
				continue
			}
			return false
		}
		break
	}
	switch x := v.(type) {
	case *ssa.Alloc:
		if !x.Heap {
			return false
		}
	case *ssa.MakeSlice, *ssa.MakeMap, *ssa.MakeChan:
	case *ssa.Call:
		callee := x.Common().StaticCallee()
		if callee == nil || !sc.returnsFresh(callee) {
			return false
		}
	default:
		return false
	}
	if !localUsesOnly(v, st) {
		return false
	}
	// Once per allocation: the store runs right after it, or at most
	// once per call.
	in, ok := v.(ssa.Instruction)
	return ok && (in.Block() == st.Block() || !sc.cyclic(st.Block()))
}

// singleUse: v's only non-debug referrer is use.
func singleUse(v ssa.Value, use ssa.Instruction) bool {
	for _, r := range *v.Referrers() {
		if _, dbg := r.(*ssa.DebugRef); !dbg && r != use {
			return false
		}
	}
	return true
}

// localUsesOnly: v, a new object, is used by the store st and otherwise
// only to initialize or read it in place (its fields and elements).
func localUsesOnly(v ssa.Value, st ssa.Instruction) bool {
	uses := 0
	var ok func(v ssa.Value, top bool) bool
	ok = func(v ssa.Value, top bool) bool {
		refs := v.Referrers()
		if refs == nil {
			return true
		}
		for _, r := range *refs {
			if top && r == st {
				uses++
				continue
			}
			switch r := r.(type) {
			case *ssa.DebugRef:
			case *ssa.FieldAddr:
				if !ok(r, false) {
					return false
				}
			case *ssa.IndexAddr:
				if r.X != v || !ok(r, false) {
					return false
				}
			case *ssa.Store:
				if r.Addr != v || r.Val == v {
					return false
				}
			case *ssa.UnOp:
				if r.Op.String() != "*" {
					return false
				}
			case *ssa.MapUpdate:
				if r.Map != v || r.Value == v || r.Key == v {
					return false
				}
			case *ssa.Lookup:
				if r.X != v {
					return false
				}
			case *ssa.Call:
				b, isB := r.Common().Value.(*ssa.Builtin)
				if !isB || b.Name() != "len" && b.Name() != "cap" {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	return ok(v, true) && uses == 1
}

// returnsFresh: every result fn returns is an allocation made for it,
// used for nothing else.
func (sc *ownScan) returnsFresh(fn *ssa.Function) bool {
	if r, ok := sc.fresh[fn]; ok {
		return r
	}
	sc.fresh[fn] = false // recursion: not proven
	if fn.Blocks == nil || fn.Signature.Results().Len() != 1 {
		return false
	}
	for _, b := range fn.Blocks {
		if len(b.Instrs) == 0 {
			continue
		}
		if ret, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Return); ok {
			if !freshFor(ret.Results[0], ret, sc) {
				return false
			}
		}
	}
	sc.fresh[fn] = true
	return true
}

// sameSlot: val is the slot's own value again, resliced or appended to
// (c.buf = c.buf[1:], c.buf = append(c.buf, x)).
func sameSlot(addr, val ssa.Value) bool {
	v := val
	for {
		switch x := v.(type) {
		case *ssa.Slice:
			v = x.X
			continue
		case *ssa.Call:
			if b, ok := x.Common().Value.(*ssa.Builtin); ok && b.Name() == "append" {
				v = x.Common().Args[0]
				continue
			}
		case *ssa.UnOp:
			if x.Op.String() == "*" {
				return sameAddr(x.X, addr)
			}
		}
		return false
	}
}

func sameAddr(x, y ssa.Value) bool {
	if x == y {
		return true
	}
	fx, ok1 := x.(*ssa.FieldAddr)
	fy, ok2 := y.(*ssa.FieldAddr)
	return ok1 && ok2 && fx.Field == fy.Field && sameAddr(fx.X, fy.X)
}

// sameObject: val points into the object addr is a field of
// (c.p = &c.in): both are field addresses of one pointer value.
func sameObject(addr, val ssa.Value) bool {
	root := func(v ssa.Value) ssa.Value {
		for {
			fa, ok := v.(*ssa.FieldAddr)
			if !ok {
				return v
			}
			v = fa.X
		}
	}
	_, isField := val.(*ssa.FieldAddr)
	_, isField2 := addr.(*ssa.FieldAddr)
	return isField && isField2 && root(addr) == root(val)
}

// onlyAddressUses: the address is only loaded from, stored to, or
// selected further.
func onlyAddressUses(v ssa.Value) bool {
	for _, r := range *v.Referrers() {
		switch r := r.(type) {
		case *ssa.DebugRef, *ssa.FieldAddr, *ssa.IndexAddr:
		case *ssa.UnOp:
			if r.Op.String() != "*" {
				return false
			}
		case *ssa.Store:
			if r.Val == v {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isStruct(t types.Type) bool {
	_, ok := t.Underlying().(*types.Struct)
	return ok
}

func sliceElem(t types.Type) types.Type {
	if s, ok := t.Underlying().(*types.Slice); ok {
		return s.Elem()
	}
	return nil
}

// isVarargs: v is the array the compiler made for append's values.
func isVarargs(v ssa.Value) bool {
	s, ok := v.(*ssa.Slice)
	if !ok {
		return false
	}
	al, ok := s.X.(*ssa.Alloc)
	return ok && al.Comment == "varargs"
}

// cyclicBlocks: the blocks of fn on a cycle of its control flow.
func cyclicBlocks(fn *ssa.Function) map[*ssa.BasicBlock]bool {
	out := map[*ssa.BasicBlock]bool{}
	for _, b := range fn.Blocks {
		seen := map[*ssa.BasicBlock]bool{}
		stack := append([]*ssa.BasicBlock(nil), b.Succs...)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if x == b {
				out[b] = true
				break
			}
			if seen[x] {
				continue
			}
			seen[x] = true
			stack = append(stack, x.Succs...)
		}
	}
	return out
}
