package calls

import (
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

type flowNode int32

type flowKey struct {
	v     ssa.Value   // an SSA value
	field *types.Var  // a struct field
	cell  ssa.Value   // a global or an Alloc whose address stays local
	elem  mem.TypeKey // elements of containers of this element type
	mem   mem.TypeKey // memory of this type reached through a pointer
	ret   *ssa.Function
	idx   int // ret: which result; v: which result of a call, plus one (part)
}

type funcFlow struct {
	// pending: functions to visit; draining: a visit is emptying it.
	pending  []*ssa.Function
	draining bool
	ids      map[flowKey]flowNode
	sets     [][]int32 // per node: the functions it may hold, by id, sorted
	delta    [][]int32 // per node: those not yet passed on
	open     []bool    // per node: may hold functions from unknown code
	fnIDs    map[*ssa.Function]int32
	fnOf     []*ssa.Function
	succ     [][]flowNode
	work     []flowNode
	queued   []bool
	// dynamic calls whose callee value is a node: resolved as the node's
	// set grows, which adds argument and result edges.
	calls   map[flowNode][]ssa.CallInstruction
	linked  map[ssa.CallInstruction]map[*ssa.Function]bool
	visited map[*ssa.Function]bool // functions whose edges were added
	scanned map[*ssa.Function]bool // functions whose escapes were found
	own     map[*types.Package]bool
	escapes map[ssa.Value]bool // addresses used other than to load or store
	carries map[types.Type]bool
	// cellOf: a closure's free variable that is a captured variable,
	// bound to one cell everywhere the closure is made.
	cellOf   map[*ssa.FreeVar]*ssa.Alloc
	closures map[*ssa.Function][]*ssa.MakeClosure
	invoke   func(ssa.CallInstruction) []*ssa.Function
	// unknown holds the functions handed to code without a body here;
	// openCalls are the dynamic calls of open nodes, linked to each
	// function of unknown that fits as it arrives.
	unknown   flowNode
	openCalls []ssa.CallInstruction
	openSeen  map[ssa.CallInstruction]bool
	// Types with methods move as tokens among the functions, by id
	// (fnOf[id] is nil): a value made into an interface carries the
	// token of its type, and a value converted to a named function type
	// with methods (http.HandlerFunc) that of the type, so an interface
	// method call runs a type's method only where its token reaches the
	// interface value (typesAt). A nil type stands for every type (a
	// conversion from a type parameter, memory written through unsafe).
	tokOf  map[int32]types.Type
	tokIDs map[mem.TypeKey]int32
	// invokes: interface method calls on a node, waiting for tokens;
	// openInvokes, those on open nodes, linked to the methods of each
	// type whose token reaches unknown.
	invokes     map[flowNode][]ssa.CallInstruction
	openInvokes []ssa.CallInstruction
	invokeSeen  map[ssa.CallInstruction]bool
	methods     map[mem.TypeKey]bool // a type has methods
	matters     map[mem.TypeKey]bool // boxMatters
	handed      map[mem.TypeKey]bool // handType saw the type
}

const unknownKey = "handed to code without a body"

// flowFuncs computes, for every dynamic call of a function value in fns,
// the functions it may call; open reports that the value may also come
// from code without a body here.
//
// invoke resolves interface method calls by the class hierarchy; a call
// is linked to those of its methods whose receiver types reach it (its
// arguments and results flow to and from them), and typesAt gives those
// types.
func flowFuncs(fns []*ssa.Function, closures map[*ssa.Function][]*ssa.MakeClosure, invoke func(ssa.CallInstruction) []*ssa.Function) (targets map[ssa.CallInstruction][]*ssa.Function, open map[ssa.CallInstruction]bool, typesAt func(ssa.CallInstruction) heldTypes, library map[*ssa.Function]bool) {
	f := &funcFlow{
		ids:        map[flowKey]flowNode{},
		fnIDs:      map[*ssa.Function]int32{},
		calls:      map[flowNode][]ssa.CallInstruction{},
		linked:     map[ssa.CallInstruction]map[*ssa.Function]bool{},
		visited:    map[*ssa.Function]bool{},
		scanned:    map[*ssa.Function]bool{},
		own:        map[*types.Package]bool{},
		escapes:    map[ssa.Value]bool{},
		carries:    map[types.Type]bool{},
		cellOf:     map[*ssa.FreeVar]*ssa.Alloc{},
		closures:   closures,
		invoke:     invoke,
		openSeen:   map[ssa.CallInstruction]bool{},
		tokOf:      map[int32]types.Type{},
		tokIDs:     map[mem.TypeKey]int32{},
		invokes:    map[flowNode][]ssa.CallInstruction{},
		methods:    map[mem.TypeKey]bool{},
		matters:    map[mem.TypeKey]bool{},
		handed:     map[mem.TypeKey]bool{},
		invokeSeen: map[ssa.CallInstruction]bool{},
	}
	f.unknown = f.node(flowKey{mem: unknownKey})
	for _, fn := range fns {
		if fn.Pkg != nil {
			f.own[fn.Pkg.Pkg] = true
		}
	}
	f.handCallable(fns)
	f.findCells()
	for _, fn := range fns {
		f.findEscapes(fn)
	}
	for fv, al := range f.cellOf {
		if f.escapes[fv] {
			f.escapes[al] = true // the cell is reached through a copy of its address
		}
	}
	for _, fn := range fns {
		if ptrWrapper(fn) {
			continue // visited if called (link), not before
		}
		f.visit(fn)
	}
	f.propagate()
	targets = map[ssa.CallInstruction][]*ssa.Function{}
	open = map[ssa.CallInstruction]bool{}
	for n, calls := range f.calls {
		for _, c := range calls {
			ids := f.sets[n]
			if f.open[n] {
				open[c] = true
				ids = unionIDs(ids, f.sets[f.unknown])
			}
			targets[c] = f.matching(ids, c.Common().Signature())
		}
	}
	library = map[*ssa.Function]bool{}
	for _, id := range f.sets[f.unknown] {
		if fn := f.fnOf[id]; fn != nil {
			library[fn] = true
		}
	}
	return targets, open, f.typesAt, library
}

// heldTypes are the dynamic types an interface value may hold; all: any
// type at all (the flow cannot tell); lib: also any type declared
// without a body here (the value may come from code without a body).
type heldTypes struct {
	all, lib bool
	types    map[mem.TypeKey]bool
	own      map[*types.Package]bool
}

// typesAt: the dynamic types the receiver of an interface method call
// may hold. A receiver that is not an interface (a type parameter's, in
// a generic body) or whose node the flow never made is anything.
func (f *funcFlow) typesAt(call ssa.CallInstruction) heldTypes {
	v := call.Common().Value
	if !types.IsInterface(v.Type()) || isTypeParam(v.Type()) {
		return heldTypes{all: true}
	}
	n, ok := f.ids[flowKey{v: v}]
	if !ok {
		return heldTypes{all: true}
	}
	ids := f.sets[n]
	if f.open[n] {
		ids = unionIDs(ids, f.sets[f.unknown])
	}
	return f.typesIn(ids, false, f.open[n])
}

// typesIn: the types whose tokens are among ids (all of them where all
// is set, or a token stands for any type; library types where lib is).
func (f *funcFlow) typesIn(ids []int32, all, lib bool) heldTypes {
	out := heldTypes{all: all, lib: lib, types: map[mem.TypeKey]bool{}, own: f.own}
	for _, id := range ids {
		if t, ok := f.tokOf[id]; ok {
			if t == nil {
				out.all = true
			} else {
				out.types[mem.KeyOf(t)] = true
			}
		}
	}
	return out
}

// holds: fn, a method, may run on such a value: where the token of its
// receiver type T is, or of *T (whose method set holds T's methods), or
// T is a library type and the value may come from library code.
func (ht heldTypes) holds(fn *ssa.Function) bool {
	recv := fn.Signature.Recv()
	if ht.all || recv == nil {
		return true
	}
	t := recv.Type()
	if ht.types[mem.KeyOf(t)] {
		return true
	}
	if _, ok := t.Underlying().(*types.Pointer); !ok && ht.types[mem.KeyOf(types.NewPointer(t))] {
		return true
	}
	return ht.lib && !ownType(t, ht.own)
}

// ownType: t (or what it points to) is a named type declared in a
// package with bodies here. An unnamed type (a struct embedding one) may
// be made anywhere.
func ownType(t types.Type, own map[*types.Package]bool) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && own[n.Obj().Pkg()]
}

// hasMethods: a value of type t may be the receiver of an interface
// method call. Only such types' tokens matter.
func (f *funcFlow) hasMethods(t types.Type) bool {
	k := mem.KeyOf(t)
	has, ok := f.methods[k]
	if !ok {
		has = !types.IsInterface(t) && types.NewMethodSet(t).Len() > 0
		f.methods[k] = has
	}
	return has
}

// ptrToNamedFunc: t is *T of a named function type T with methods.
func ptrToNamedFunc(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && namedFuncType(p.Elem())
}

// addTok puts the token of named function type t (nil: any) in n.
func (f *funcFlow) addTok(n flowNode, t types.Type) {
	k := mem.TypeKey("")
	if t != nil {
		k = mem.KeyOf(t)
	}
	id, ok := f.tokIDs[k]
	if !ok {
		id = int32(len(f.fnOf))
		f.tokIDs[k] = id
		f.tokOf[id] = t
		f.fnOf = append(f.fnOf, nil)
	}
	f.add(n, id)
}

// namedFuncType: t is a named function type with methods.
func namedFuncType(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.NumMethods() == 0 {
		return false
	}
	_, ok = n.Underlying().(*types.Signature)
	return ok
}

// matching keeps the functions a call of signature sig may run.
func (f *funcFlow) matching(ids []int32, sig *types.Signature) []*ssa.Function {
	var out []*ssa.Function
	for _, id := range ids {
		if fn := f.fitting(id, dropRecv(sig)); fn != nil {
			out = append(out, fn)
		}
	}
	slices.SortFunc(out, func(x, y *ssa.Function) int { return strings.Compare(x.String(), y.String()) })
	return out
}

// fitting is the function of id if it may be called with signature sig
// (receiver dropped), else nil (another signature, or a token).
func (f *funcFlow) fitting(id int32, sig *types.Signature) *ssa.Function {
	if fn := f.fnOf[id]; fn != nil && types.Identical(dropRecv(fn.Signature), sig) {
		return fn
	}
	return nil
}

func unionIDs(a, b []int32) []int32 {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func dropRecv(s *types.Signature) *types.Signature {
	if s.Recv() == nil {
		return s
	}
	return types.NewSignatureType(nil, nil, nil, s.Params(), s.Results(), s.Variadic())
}

// typeNames calls visit with each type declared at package level in roots
// and the packages they import, directly or not, once each.
func typeNames(roots []*types.Package, visit func(*types.Package, *types.TypeName)) {
	seen := map[*types.Package]bool{}
	var walk func(p *types.Package)
	walk = func(p *types.Package) {
		if p == nil || seen[p] {
			return
		}
		seen[p] = true
		scope := p.Scope()
		for _, name := range scope.Names() {
			if tn, ok := scope.Lookup(name).(*types.TypeName); ok {
				visit(p, tn)
			}
		}
		for _, imp := range p.Imports() {
			walk(imp)
		}
	}
	for _, p := range roots {
		walk(p)
	}
}

// handCallable: a method of ours that code without a body may call,
// through an interface it declares, is given what that code chooses and
// hands its results to it. Only methods of a name and signature some
// such interface has matter.
func (f *funcFlow) handCallable(fns []*ssa.Function) {
	lib := map[string][]*types.Signature{}
	var roots []*types.Package
	for p := range f.own {
		roots = append(roots, p)
	}
	typeNames(roots, func(p *types.Package, tn *types.TypeName) {
		it, ok := tn.Type().Underlying().(*types.Interface)
		if !ok || f.own[p] {
			return
		}
		for i := 0; i < it.NumMethods(); i++ {
			m := it.Method(i)
			sig := m.Type().(*types.Signature)
			lib[m.Name()] = append(lib[m.Name()], dropRecv(sig))
		}
	})
	for _, fn := range fns {
		if fn.Signature.Recv() == nil || len(lib[fn.Name()]) == 0 {
			continue
		}
		sig := dropRecv(fn.Signature)
		if !slices.ContainsFunc(lib[fn.Name()], func(s *types.Signature) bool { return types.Identical(s, sig) }) {
			continue
		}
		if len(fn.Params) == 0 {
			continue
		}
		if funcTypeMethod(fn) && f.carriesFuncs(fn.Params[0].Type()) {
			// A method of a function type (a web.Handler's
			// ServeHTTP): its receiver is any such function that
			// code was handed.
			f.setOpen(f.val(fn.Params[0]))
		}
		for _, p := range fn.Params[1:] {
			if f.carriesFuncs(p.Type()) {
				f.setOpen(f.val(p))
			}
		}
		f.handResults(fn)
	}
}

// carriesFuncs: a value of type t may be (or directly hold) a function
// or a token: a function, or an interface. Pointers, structs and
// containers do not: what they point to or hold is reached through
// field, element and memory nodes.
func (f *funcFlow) carriesFuncs(t types.Type) bool {
	if c, ok := f.carries[t]; ok {
		return c
	}
	c := false
	switch u := t.Underlying().(type) {
	case *types.Signature, *types.Interface:
		c = true
	case *types.Tuple:
		for i := 0; i < u.Len(); i++ {
			if f.carriesFuncs(u.At(i).Type()) {
				c = true
			}
		}
	case *types.TypeParam:
		c = true
	}
	f.carries[t] = c
	return c
}

func (f *funcFlow) node(k flowKey) flowNode {
	if n, ok := f.ids[k]; ok {
		return n
	}
	n := flowNode(len(f.sets))
	f.ids[k] = n
	f.sets = append(f.sets, nil)
	f.delta = append(f.delta, nil)
	f.open = append(f.open, false)
	f.succ = append(f.succ, nil)
	f.queued = append(f.queued, false)
	return n
}

func (f *funcFlow) val(v ssa.Value) flowNode { return f.node(flowKey{v: v}) }

// part is result i of a call's tuple v (the whole tuple's node holds what
// is not told apart: an open call's, a comma-ok form's).
func (f *funcFlow) part(v ssa.Value, i int) flowNode { return f.node(flowKey{v: v, idx: i + 1}) }

// edge: whatever from holds, to holds too.
func (f *funcFlow) edge(from, to flowNode) {
	if from == to || slices.Contains(f.succ[from], to) {
		return
	}
	f.succ[from] = append(f.succ[from], to)
	for _, id := range f.sets[from] {
		f.add(to, id)
	}
	if f.open[from] {
		f.setOpen(to)
	}
}

func (f *funcFlow) enqueue(n flowNode) {
	if !f.queued[n] {
		f.queued[n] = true
		f.work = append(f.work, n)
	}
}

func (f *funcFlow) addFunc(n flowNode, fn *ssa.Function) {
	id, ok := f.fnIDs[fn]
	if !ok {
		id = int32(len(f.fnOf))
		f.fnIDs[fn] = id
		f.fnOf = append(f.fnOf, fn)
	}
	f.add(n, id)
}

// add puts function id in n's set; what is new is passed on later
// (difference propagation: each function crosses each edge once).
func (f *funcFlow) add(n flowNode, id int32) {
	i, found := slices.BinarySearch(f.sets[n], id)
	if found {
		return
	}
	f.sets[n] = slices.Insert(f.sets[n], i, id)
	f.delta[n] = append(f.delta[n], id)
	f.enqueue(n)
}

func (f *funcFlow) setOpen(n flowNode) {
	if !f.open[n] {
		f.open[n] = true
		f.enqueue(n)
	}
}

// addr is the node of the memory an address designates.
func (f *funcFlow) addr(v ssa.Value) flowNode {
	t := mem.Pointee(v.Type())
	switch a := v.(type) {
	case *ssa.FieldAddr:
		st, ok := mem.Pointee(a.X.Type()).Underlying().(*types.Struct)
		if ok && !f.escapes[a] {
			return f.fieldNode(st.Field(a.Field))
		}
	case *ssa.IndexAddr:
		if !f.escapes[a] {
			return f.elemNode(t)
		}
	case *ssa.Global:
		var n flowNode
		if f.escapes[a] {
			n = f.memNode(t)
		} else {
			n = f.node(flowKey{cell: a})
		}
		if a.Pkg != nil && !f.ownPkg(a.Pkg.Pkg) {
			// A library's variable (crypto/rand's Reader): set and
			// read by its code.
			f.setOpen(n)
			f.edge(n, f.unknown)
		}
		return n
	case *ssa.Alloc:
		if !f.escapes[a] {
			return f.node(flowKey{cell: a})
		}
	case *ssa.FreeVar:
		if al := f.cellOf[a]; al != nil && !f.escapes[al] && !f.escapes[a] {
			return f.node(flowKey{cell: al})
		}
	}
	return f.memNode(t)
}

// fieldNode: a field of a type declared without a body here may be set by
// code we do not see.
func (f *funcFlow) fieldNode(fld *types.Var) flowNode {
	n := f.node(flowKey{field: fld})
	if fld.Pkg() != nil && !f.ownPkg(fld.Pkg()) {
		f.setOpen(n)
		f.edge(n, f.unknown) // and read there
	}
	return n
}

// elemNode: elements go by type, so a container handed to code without a
// body hands it all elements of their type.
func (f *funcFlow) elemNode(t types.Type) flowNode {
	k := flowKey{elem: mem.KeyOf(t)}
	if n, ok := f.ids[k]; ok {
		return n
	}
	n := f.node(k)
	f.edge(n, f.unknown)
	return n
}

// memNode is memory of type t reached through a pointer not tracked. It
// is open where code we do not see may have written there: memory of a
// type declared there, or of one whose pointer was handed to it
// (handArgs, a store into its struct's field).
func (f *funcFlow) memNode(t types.Type) flowNode {
	k := flowKey{mem: mem.KeyOf(t)}
	if n, ok := f.ids[k]; ok {
		return n
	}
	n := f.node(k)
	if nt, ok := types.Unalias(t).(*types.Named); ok && nt.Obj().Pkg() != nil && !f.ownPkg(nt.Obj().Pkg()) {
		f.setOpen(n)
	}
	f.edge(n, f.unknown)
	return n
}

// handPointer: a pointer handed to code we do not see may be written
// through, with what that code holds.
func (f *funcFlow) handPointer(t types.Type) {
	f.handType(t)
	if p, ok := t.Underlying().(*types.Pointer); ok && f.carriesFuncs(p.Elem()) {
		f.setOpen(f.memNode(p.Elem()))
	}
}

func (f *funcFlow) ownPkg(p *types.Package) bool { return f.own[p] }

// findCells finds the captured variables each closure's free variables
// stand for: where a closure is made in one place only, its free variable
// is that cell, and loads and stores through it are the cell's.
func (f *funcFlow) findCells() {
	for changed := true; changed; {
		changed = false
		for cl, mcs := range f.closures {
			if len(mcs) != 1 {
				continue
			}
			for i, b := range mcs[0].Bindings {
				if i >= len(cl.FreeVars) || f.cellOf[cl.FreeVars[i]] != nil {
					continue
				}
				al, _ := b.(*ssa.Alloc)
				if fv, ok := b.(*ssa.FreeVar); ok {
					al = f.cellOf[fv] // a closure in a closure
				}
				if al != nil {
					f.cellOf[cl.FreeVars[i]] = al
					changed = true
				}
			}
		}
	}
}

// visit adds fn's edges, once.
func (f *funcFlow) visit(fn *ssa.Function) {
	if fn.Blocks == nil || f.visited[fn] {
		return
	}
	f.findEscapes(fn) // a wrapper, found by a call, was not scanned yet
	f.visited[fn] = true
	// A call met while visiting visits its callee: done at once, that
	// recursed once per call down a chain, and a chain of 200,000 calls
	// overflowed the stack. Callees wait in pending instead; the flow
	// graph does not depend on the order its edges come in.
	f.pending = append(f.pending, fn)
	if f.draining {
		return
	}
	f.draining = true
	for len(f.pending) > 0 {
		g := f.pending[len(f.pending)-1]
		f.pending = f.pending[:len(f.pending)-1]
		for _, b := range g.Blocks {
			for _, instr := range b.Instrs {
				f.instr(g, instr)
			}
		}
	}
	f.draining = false
}

// findEscapes marks the addresses of fields, elements, globals and cells
// that are used other than to load from or store to them: what is stored
// there may then be reached through any pointer of its type.
func (f *funcFlow) findEscapes(fn *ssa.Function) {
	if f.scanned[fn] {
		return
	}
	f.scanned[fn] = true
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			var ops []*ssa.Value
			ops = instr.Operands(ops)
			for i, op := range ops {
				switch (*op).(type) {
				case *ssa.FieldAddr, *ssa.IndexAddr, *ssa.Global, *ssa.Alloc, *ssa.FreeVar:
				default:
					continue
				}
				switch in := instr.(type) {
				case *ssa.MakeClosure:
					// Capturing a variable: the closure's free variable
					// is the same cell (findCells), as long as the
					// closure only loads and stores through it.
					if i > 0 && i-1 < len(in.Fn.(*ssa.Function).FreeVars) {
						if fv := in.Fn.(*ssa.Function).FreeVars[i-1]; f.cellOf[fv] == *op || f.cellOf[fv] != nil && f.cellOf[fv] == f.cellOf[asFreeVar(*op)] {
							continue
						}
					}
				case *ssa.Store:
					if i == 0 { // the address stored to
						continue
					}
				case *ssa.UnOp:
					if in.Op == token.MUL {
						continue
					}
				case *ssa.FieldAddr, *ssa.IndexAddr, *ssa.DebugRef:
					continue
				}
				if carriesFuncsDeep(mem.Pointee((*op).Type())) {
					f.escapes[*op] = true
				}
			}
		}
	}
}

func asFreeVar(v ssa.Value) *ssa.FreeVar {
	fv, _ := v.(*ssa.FreeVar)
	return fv
}

// carriesFuncsDeep: memory of type t holds, in place, a function or an
// interface (which may hold one).
func carriesFuncsDeep(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Signature, *types.Interface, *types.TypeParam:
		return true
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if carriesFuncsDeep(u.Field(i).Type()) {
				return true
			}
		}
	case *types.Array:
		return carriesFuncsDeep(u.Elem())
	}
	return false
}

func (f *funcFlow) instr(fn *ssa.Function, instr ssa.Instruction) {
	// Function values enter where they are named.
	var ops []*ssa.Value
	for _, op := range instr.Operands(ops) {
		if v, ok := (*op).(*ssa.Function); ok {
			f.addFunc(f.val(v), v)
		}
	}
	switch in := instr.(type) {
	case *ssa.MakeClosure:
		cl := in.Fn.(*ssa.Function)
		f.addFunc(f.val(in), cl)
		for i, b := range in.Bindings {
			if i < len(cl.FreeVars) && f.carriesFuncs(b.Type()) {
				f.edge(f.val(b), f.val(cl.FreeVars[i]))
			}
			if i < len(cl.FreeVars) && f.cellOf[cl.FreeVars[i]] == nil && mem.PointerLike(b.Type()) && carriesFuncsDeep(mem.Pointee(b.Type())) {
				// A cell the closure shares with others: what it holds
				// is memory of its type.
				f.edge(f.addr(b), f.memNode(mem.Pointee(b.Type())))
				f.edge(f.memNode(mem.Pointee(b.Type())), f.addr(b))
			}
		}
	case *ssa.Phi:
		if f.carriesFuncs(in.Type()) {
			for _, e := range in.Edges {
				f.edge(f.val(e), f.val(in))
			}
		}
	case *ssa.ChangeType, *ssa.Convert, *ssa.MakeInterface, *ssa.ChangeInterface, *ssa.TypeAssert, *ssa.MultiConvert:
		v := in.(ssa.Value)
		x := in.Operands(nil)[0]
		if f.carriesFuncs(v.Type()) || f.carriesFuncs((*x).Type()) {
			f.edge(f.val(*x), f.val(v))
		}
		if mi, ok := in.(*ssa.MakeInterface); ok && f.boxMatters(mi.X.Type()) {
			f.addTok(f.val(v), mi.X.Type())
		}
		if cv, ok := in.(*ssa.Convert); ok && isUnsafePointer(cv.X.Type()) {
			if p, ok := cv.Type().Underlying().(*types.Pointer); ok {
				f.forge(p.Elem(), map[types.Type]bool{})
			}
		}
		switch {
		case namedFuncType(v.Type()) && !types.Identical(v.Type(), (*x).Type()):
			f.addTok(f.val(v), v.Type())
		case isTypeParam((*x).Type()) && f.carriesFuncs(v.Type()):
			f.addTok(f.val(v), nil)
		case ptrToNamedFunc((*x).Type()) && f.carriesFuncs(v.Type()):
			f.addTok(f.val(v), (*x).Type())
		}
	case *ssa.Extract:
		if f.carriesFuncs(in.Type()) {
			f.edge(f.val(in.Tuple), f.val(in))
			f.edge(f.part(in.Tuple, in.Index), f.val(in))
		}
	case *ssa.UnOp:
		switch in.Op {
		case token.MUL:
			if f.carriesFuncs(in.Type()) {
				f.edge(f.addr(in.X), f.val(in))
			}
		case token.ARROW:
			if ch, ok := in.X.Type().Underlying().(*types.Chan); ok && f.carriesFuncs(ch.Elem()) {
				f.edge(f.elemNode(ch.Elem()), f.val(in))
			}
		}
	case *ssa.Store:
		if f.carriesFuncs(in.Val.Type()) {
			f.edge(f.val(in.Val), f.addr(in.Addr))
		}
		if fa, ok := in.Addr.(*ssa.FieldAddr); ok {
			if st, ok := mem.Pointee(fa.X.Type()).Underlying().(*types.Struct); ok {
				if fld := st.Field(fa.Field); fld.Pkg() != nil && !f.ownPkg(fld.Pkg()) {
					f.handPointer(in.Val.Type()) // kept in a struct of theirs
				}
			}
		}
	case *ssa.Field:
		st := in.X.Type().Underlying().(*types.Struct)
		if fld := st.Field(in.Field); f.carriesFuncs(fld.Type()) {
			f.edge(f.fieldNode(fld), f.val(in))
		}
	case *ssa.Index:
		if f.carriesFuncs(in.Type()) {
			f.edge(f.elemNode(in.Type()), f.val(in))
		}
	case *ssa.Lookup:
		if m, ok := in.X.Type().Underlying().(*types.Map); ok && f.carriesFuncs(m.Elem()) {
			f.edge(f.elemNode(m.Elem()), f.val(in))
		}
	case *ssa.MapUpdate:
		m := in.Map.Type().Underlying().(*types.Map)
		if f.carriesFuncs(m.Elem()) {
			f.edge(f.val(in.Value), f.elemNode(m.Elem()))
		}
	case *ssa.Next:
		if f.carriesFuncs(in.Type()) {
			if r, ok := in.Iter.(*ssa.Range); ok {
				if m, ok := r.X.Type().Underlying().(*types.Map); ok {
					f.edge(f.elemNode(m.Elem()), f.val(in))
				}
			}
		}
	case *ssa.Send:
		if f.carriesFuncs(in.X.Type()) {
			f.edge(f.val(in.X), f.elemNode(in.X.Type()))
		}
	case *ssa.Select:
		for _, st := range in.States {
			if st.Dir == types.SendOnly && st.Send != nil && f.carriesFuncs(st.Send.Type()) {
				f.edge(f.val(st.Send), f.elemNode(st.Send.Type()))
			}
		}
		if f.carriesFuncs(in.Type()) {
			for _, st := range in.States {
				if st.Dir == types.RecvOnly {
					if ch, ok := st.Chan.Type().Underlying().(*types.Chan); ok {
						f.edge(f.elemNode(ch.Elem()), f.val(in))
					}
				}
			}
		}
	case *ssa.Return:
		for i, r := range in.Results {
			if f.carriesFuncs(r.Type()) {
				f.edge(f.val(r), f.node(flowKey{ret: fn, idx: i}))
			}
		}
	case *ssa.Slice:
		// A slice of an array shares its elements: elements go by type.
	}
	if call, ok := instr.(ssa.CallInstruction); ok {
		f.call(call)
	}
}

// call links a call's arguments and results with its callees; a dynamic
// call of a function value waits for the value's set to grow.
func (f *funcFlow) call(call ssa.CallInstruction) {
	c := call.Common()
	if b, ok := c.Value.(*ssa.Builtin); ok {
		if b.Name() == "append" && len(c.Args) == 2 {
			if sl, ok := c.Args[1].Type().Underlying().(*types.Slice); ok && f.carriesFuncs(sl.Elem()) {
				// append(s, x...) of a slice of functions: elements go by type.
				f.edge(f.val(c.Args[1]), f.elemNode(sl.Elem()))
			}
		}
		return
	}
	if callee := c.StaticCallee(); callee != nil {
		f.link(call, callee)
		return
	}
	if c.IsInvoke() {
		// Interface methods: those of the class hierarchy whose
		// receiver type's token reaches the receiver (invokeTok); an
		// implementation without a body here makes the call unknown.
		// A type parameter's receiver (a generic body) is anything.
		ms := f.invoke(call)
		if len(ms) == 0 {
			f.unknownCall(call)
		}
		if !types.IsInterface(c.Value.Type()) || isTypeParam(c.Value.Type()) {
			for _, m := range ms {
				f.link(call, m)
			}
			return
		}
		n := f.val(c.Value)
		f.invokes[n] = append(f.invokes[n], call)
		// What n holds already (a free variable of a wrapper visited
		// late) has been passed on: link it now.
		f.invokeTok(call, f.sets[n], f.open[n])
		return
	}
	n := f.val(c.Value)
	f.calls[n] = append(f.calls[n], call)
	f.enqueue(n)
}

// link connects arguments to callee's parameters and its results to the
// call's value.
func (f *funcFlow) link(call ssa.CallInstruction, callee *ssa.Function) {
	if f.linked[call] == nil {
		f.linked[call] = map[*ssa.Function]bool{}
	}
	if f.linked[call][callee] {
		return
	}
	f.linked[call][callee] = true
	c := call.Common()
	if callee.Blocks == nil {
		f.unknownCall(call)
		return
	}
	f.visit(callee)
	args := c.Args
	if len(callee.Params) == len(args)+1 && c.IsInvoke() {
		args = append([]ssa.Value{c.Value}, args...)
	}
	for i, a := range args {
		if i < len(callee.Params) && f.carriesFuncs(a.Type()) {
			f.edge(f.val(a), f.val(callee.Params[i]))
		}
	}
	if v := call.Value(); v != nil && f.carriesFuncs(v.Type()) {
		res := callee.Signature.Results()
		if res.Len() == 1 {
			f.edge(f.node(flowKey{ret: callee, idx: 0}), f.val(v))
		} else {
			// A tuple: each result to its own part, which its
			// Extract reads (a (func(), error) result from code
			// without a body must not open the func()).
			for i := 0; i < res.Len(); i++ {
				if f.carriesFuncs(res.At(i).Type()) {
					f.edge(f.node(flowKey{ret: callee, idx: i}), f.part(v, i))
				}
			}
		}
	}
}

// unknownCall: a call into code without a body here returns what it
// likes; the functions it is given may be called there (the summaries see
// to that) with arguments we do not know.
func (f *funcFlow) unknownCall(call ssa.CallInstruction) {
	if v := call.Value(); v != nil && f.carriesFuncs(v.Type()) {
		f.setOpen(f.val(v))
	}
	f.handArgs(call)
}

// handArgs: what a call into code without a body is given is unknown's.
func (f *funcFlow) handArgs(call ssa.CallInstruction) {
	c := call.Common()
	if c.IsInvoke() && f.carriesFuncs(c.Value.Type()) {
		f.edge(f.val(c.Value), f.unknown)
	}
	for _, a := range c.Args {
		if f.carriesFuncs(a.Type()) {
			f.edge(f.val(a), f.unknown)
		}
		if ptrToNamedFunc(a.Type()) {
			f.addTok(f.unknown, a.Type()) // it may make it an interface
		}
		f.handPointer(a.Type())
	}
}

// openCall: a dynamic call of an open node may run code without a body,
// which is then given its arguments, or any function of unknown.
func (f *funcFlow) openCall(call ssa.CallInstruction) {
	if f.openSeen[call] {
		return
	}
	f.openSeen[call] = true
	f.openCalls = append(f.openCalls, call)
	f.handArgs(call)
	f.linkFitting(call, f.sets[f.unknown])
}

// linkFitting links an open call to the functions among ids that fit its
// signature (others cannot be what it calls).
func (f *funcFlow) linkFitting(call ssa.CallInstruction, ids []int32) {
	sig := dropRecv(call.Common().Signature())
	for _, id := range ids {
		if fn := f.fitting(id, sig); fn != nil {
			f.link(call, fn)
		}
	}
}

// invokeTok links an interface method call to the methods of the types
// whose tokens are among ids (all of them where a token stands for any
// type). Once its receiver is open, it is linked to the methods of
// library types, and of each type whose token reaches unknown
// (openInvokes).
func (f *funcFlow) invokeTok(call ssa.CallInstruction, ids []int32, open bool) {
	lib := false
	if open && !f.invokeSeen[call] {
		f.invokeSeen[call] = true
		f.openInvokes = append(f.openInvokes, call)
		ids = unionIDs(ids, f.sets[f.unknown])
		lib = true
		// A library's type may run it, though the class hierarchy
		// knows none (it knows the methods of the types our code
		// makes interfaces of): what comes back is unknown.
		f.unknownCall(call)
	}
	held := f.typesIn(ids, false, lib)
	if !held.all && !held.lib && len(held.types) == 0 {
		return
	}
	for _, m := range f.invoke(call) {
		if held.holds(m) {
			f.link(call, m)
		}
	}
}

// boxMatters: a value of type t made an interface needs a token: it has
// methods, or code without a body handed it may reach by reflection what
// has (reflect.TypeOf(holder{}).Field(0).Type) or an interface.
func (f *funcFlow) boxMatters(t types.Type) bool {
	k := mem.KeyOf(t)
	m, ok := f.matters[k]
	if !ok {
		m = f.reaches(t, map[mem.TypeKey]bool{})
		f.matters[k] = m
	}
	return m
}

// reaches: t has methods, or reaches by its fields, elements and
// pointees (a library type, by its type arguments) a type that has, or
// an interface.
func (f *funcFlow) reaches(t types.Type, seen map[mem.TypeKey]bool) bool {
	k := mem.KeyOf(t)
	if seen[k] {
		return false
	}
	seen[k] = true
	if isTypeParam(t) || types.IsInterface(t) || f.hasMethods(t) {
		return true
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && !ownType(n, f.own) {
		for i := 0; i < n.TypeArgs().Len(); i++ {
			if f.reaches(n.TypeArgs().At(i), seen) {
				return true
			}
		}
		return false
	}
	var parts []types.Type
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		parts = append(parts, u.Elem())
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			parts = append(parts, u.Field(i).Type())
		}
	case *types.Array:
		parts = append(parts, u.Elem())
	case *types.Slice:
		parts = append(parts, u.Elem())
	case *types.Chan:
		parts = append(parts, u.Elem())
	case *types.Map:
		parts = append(parts, u.Key(), u.Elem())
	case *types.Signature:
		for _, tup := range []*types.Tuple{u.Params(), u.Results()} {
			for i := 0; i < tup.Len(); i++ {
				parts = append(parts, tup.At(i).Type())
			}
		}
	}
	if n, ok := types.Unalias(t).(*types.Named); ok && !types.IsInterface(n) {
		parts = append(parts, types.NewPointer(n)) // reflect.PointerTo
	}
	for _, p := range parts {
		if f.reaches(p, seen) {
			return true
		}
	}
	return false
}

// handType: code without a body handed a value of type t may make what
// the value reaches into an interface and hand it back: by reflection it
// reaches every field (an unexported one's type, and the dynamic type of
// what an interface there holds), element and pointee, makes values of
// those types and pointers to them, and sets exported fields. A library
// type reaches none of ours but those it is instantiated with.
func (f *funcFlow) handType(t types.Type) {
	k := mem.KeyOf(t)
	if f.handed[k] {
		return
	}
	f.handed[k] = true
	if isTypeParam(t) {
		f.addTok(f.unknown, nil)
		return
	}
	if f.hasMethods(t) {
		f.addTok(f.unknown, t)
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		if !ownType(n, f.own) {
			for i := 0; i < n.TypeArgs().Len(); i++ {
				f.handType(n.TypeArgs().At(i))
			}
			return
		}
		if !types.IsInterface(n) {
			f.handType(types.NewPointer(n))
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		f.handType(u.Elem())
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			fld := u.Field(i)
			if types.IsInterface(fld.Type()) {
				n := f.fieldNode(fld)
				f.edge(n, f.unknown)
				if fld.Exported() {
					f.setOpen(n)
				}
			}
			f.handType(fld.Type())
		}
	case *types.Array:
		f.handType(u.Elem())
	case *types.Slice:
		f.handType(u.Elem())
	case *types.Chan:
		f.handType(u.Elem())
	case *types.Map:
		f.handType(u.Key())
		f.handType(u.Elem())
	case *types.Signature:
		f.handType(u.Params())
		f.handType(u.Results())
	case *types.Tuple:
		for i := 0; i < u.Len(); i++ {
			f.handType(u.At(i).Type())
		}
	}
}

// forge: memory of type t is written through unsafe.Pointer: what an
// interface or function there holds is anything.
func (f *funcFlow) forge(t types.Type, seen map[types.Type]bool) {
	if seen[t] || !carriesFuncsDeep(t) {
		return
	}
	seen[t] = true
	f.addTok(f.memNode(t), nil)
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if fld := u.Field(i); f.carriesFuncs(fld.Type()) {
				f.addTok(f.fieldNode(fld), nil)
			}
			f.forge(u.Field(i).Type(), seen)
		}
	case *types.Array:
		if f.carriesFuncs(u.Elem()) {
			f.addTok(f.elemNode(u.Elem()), nil)
		}
		f.forge(u.Elem(), seen)
	}
}

func isUnsafePointer(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.UnsafePointer
}

// handResults: code without a body that calls fn gets fn's results.
func (f *funcFlow) handResults(fn *ssa.Function) {
	res := fn.Signature.Results()
	for i := 0; i < res.Len(); i++ {
		if f.carriesFuncs(res.At(i).Type()) {
			f.edge(f.node(flowKey{ret: fn, idx: i}), f.unknown)
		}
		f.handType(res.At(i).Type())
	}
}

// propagate moves functions along edges until nothing changes; dynamic
// calls link their new callees as they appear. Sets only grow and are
// bounded by the functions of the program, so this ends.
func (f *funcFlow) propagate() {
	for len(f.work) > 0 {
		n := f.work[len(f.work)-1]
		f.work = f.work[:len(f.work)-1]
		f.queued[n] = false
		d := f.delta[n]
		f.delta[n] = nil
		for _, call := range f.calls[n] {
			for _, id := range d {
				if fn := f.fnOf[id]; fn != nil {
					f.link(call, fn)
				}
			}
			if f.open[n] {
				f.openCall(call)
			}
		}
		for _, call := range f.invokes[n] {
			f.invokeTok(call, d, f.open[n])
		}
		if n == f.unknown {
			// Functions handed to unknown code are called there with
			// arguments it chooses: their parameters are open, and
			// what they return is handed back to it.
			for _, id := range d {
				fn := f.fnOf[id]
				if fn == nil {
					if t := f.tokOf[id]; t != nil {
						f.handType(t) // a token: what its type reaches
					}
					continue
				}
				f.visit(fn) // a wrapper not called yet
				for _, p := range fn.Params {
					if f.carriesFuncs(p.Type()) {
						f.setOpen(f.val(p))
					}
				}
				f.handResults(fn)
			}
			for _, call := range f.openCalls {
				f.linkFitting(call, d)
			}
			for _, call := range f.openInvokes {
				f.invokeTok(call, d, false)
			}
		}
		for _, m := range f.succ[n] {
			for _, id := range d {
				f.add(m, id)
			}
			if f.open[n] {
				f.setOpen(m)
			}
		}
	}
}

func isTypeParam(t types.Type) bool {
	_, ok := types.Unalias(t).(*types.TypeParam)
	return ok
}

// ptrWrapper: fn is the method of *T the compiler makes for a method of a
// named function type T. Visited up front, its load of *T (memory no one
// tracks, so open) would hand every T's method every function code
// without a body was given, though no *T is ever made.
func ptrWrapper(fn *ssa.Function) bool {
	recv := fn.Signature.Recv()
	return fn.Synthetic != "" && recv != nil && ptrToNamedFunc(recv.Type())
}

// funcTypeMethod: fn is a method of a function type T, or of *T.
func funcTypeMethod(fn *ssa.Function) bool {
	recv := fn.Signature.Recv()
	if recv == nil {
		return false
	}
	t := recv.Type()
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	_, ok := t.Underlying().(*types.Signature)
	return ok
}
