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
	idx   int // ret: which result
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
	fnTypes []types.Type // named func types with methods: what interfaces may hold
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
	// Named function types with methods (http.HandlerFunc) move as
	// tokens among the functions, by id (fnOf[id] is nil): a value
	// converted to such a type carries its token, so an interface
	// method call runs that type's method only where the token reaches
	// the interface value (funcTypesAt). A nil type stands for every
	// such type (a conversion from a type parameter).
	tokOf  map[int32]types.Type
	tokIDs map[mem.TypeKey]int32
	// invokes: interface method calls on a node, waiting for tokens.
	invokes map[flowNode][]ssa.CallInstruction
}

const unknownKey = "handed to code without a body"

// flowFuncs computes, for every dynamic call of a function value in fns,
// the functions it may call; open reports that the value may also come
// from code without a body here.
//
// invoke resolves interface method calls (by the class hierarchy): their
// arguments and results flow to and from the methods they may call.
func flowFuncs(fns []*ssa.Function, closures map[*ssa.Function][]*ssa.MakeClosure, invoke func(ssa.CallInstruction) []*ssa.Function) (targets map[ssa.CallInstruction][]*ssa.Function, open map[ssa.CallInstruction]bool, typesAt func(ssa.CallInstruction) funcTypes, library map[*ssa.Function]bool) {
	f := &funcFlow{
		ids:      map[flowKey]flowNode{},
		fnIDs:    map[*ssa.Function]int32{},
		calls:    map[flowNode][]ssa.CallInstruction{},
		linked:   map[ssa.CallInstruction]map[*ssa.Function]bool{},
		visited:  map[*ssa.Function]bool{},
		scanned:  map[*ssa.Function]bool{},
		own:      map[*types.Package]bool{},
		escapes:  map[ssa.Value]bool{},
		carries:  map[types.Type]bool{},
		cellOf:   map[*ssa.FreeVar]*ssa.Alloc{},
		closures: closures,
		invoke:   invoke,
		openSeen: map[ssa.CallInstruction]bool{},
		tokOf:    map[int32]types.Type{},
		tokIDs:   map[mem.TypeKey]int32{},
		invokes:  map[flowNode][]ssa.CallInstruction{},
	}
	f.unknown = f.node(flowKey{mem: unknownKey})
	for _, fn := range fns {
		if fn.Pkg != nil {
			f.own[fn.Pkg.Pkg] = true
		}
	}
	f.collectFuncTypes(fns)
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
	return targets, open, f.funcTypesAt, library
}

// funcTypes are the named function types whose values an interface value
// may hold; all: any type at all (the flow cannot tell).
type funcTypes struct {
	all   bool
	types map[mem.TypeKey]bool
}

// funcTypesAt: the named function types the receiver of an interface
// method call may hold.
func (f *funcFlow) funcTypesAt(call ssa.CallInstruction) funcTypes {
	v := call.Common().Value
	if !f.carriesFuncs(v.Type()) {
		return funcTypes{all: true}
	}
	n, ok := f.ids[flowKey{v: v}]
	if !ok {
		return funcTypes{all: true}
	}
	ids := f.sets[n]
	if f.open[n] {
		ids = unionIDs(ids, f.sets[f.unknown])
	}
	return f.typesIn(ids, false)
}

// typesIn: the function types whose tokens are among ids (all of them
// where all is set, or a token stands for any type).
func (f *funcFlow) typesIn(ids []int32, all bool) funcTypes {
	out := funcTypes{all: all, types: map[mem.TypeKey]bool{}}
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

// holds: a method of fn's receiver type may run on such a value. A
// method of T or *T is held where the token of T or *T is (a *T's is
// made where it becomes an interface or is handed to code without a
// body); any other method always is.
func (ft funcTypes) holds(fn *ssa.Function) bool {
	if ft.all || !funcTypeMethod(fn) {
		return true
	}
	return ft.types[mem.KeyOf(fn.Signature.Recv().Type())]
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

// collectFuncTypes finds the named function types with methods: only
// interfaces such a type implements can hold a function.
func (f *funcFlow) collectFuncTypes(fns []*ssa.Function) {
	var roots []*types.Package
	for _, fn := range fns {
		if fn.Pkg != nil {
			roots = append(roots, fn.Pkg.Pkg)
		}
	}
	typeNames(roots, func(_ *types.Package, tn *types.TypeName) {
		if _, ok := tn.Type().Underlying().(*types.Signature); !ok {
			return
		}
		if n, ok := tn.Type().(*types.Named); ok && n.NumMethods() > 0 {
			f.fnTypes = append(f.fnTypes, n)
		}
	})
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
// hands its results to it. Only methods that take or return functions
// matter, and only those of a name and signature some such interface has.
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
			if f.carriesFuncs(sig.Params()) || f.carriesFuncs(sig.Results()) {
				lib[m.Name()] = append(lib[m.Name()], dropRecv(sig))
			}
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
		for _, p := range fn.Params[1:] {
			if f.carriesFuncs(p.Type()) {
				f.setOpen(f.val(p))
			}
		}
		f.handResults(fn)
	}
}

// carriesFuncs: a value of type t may be (or directly hold) a function.
// Pointers, structs and containers do not: what they point to or hold is
// reached through field, element and memory nodes.
func (f *funcFlow) carriesFuncs(t types.Type) bool {
	if c, ok := f.carries[t]; ok {
		return c
	}
	c := false
	switch u := t.Underlying().(type) {
	case *types.Signature:
		c = true
	case *types.Interface:
		if u.Empty() {
			c = true
		} else {
			for _, ft := range f.fnTypes {
				if types.Implements(ft, u) || types.Implements(types.NewPointer(ft), u) {
					c = true
					break
				}
			}
		}
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
		if !f.escapes[a] {
			return f.node(flowKey{cell: a})
		}
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
		// Interface methods: resolved by the class hierarchy; an
		// implementation without a body here makes the call unknown.
		// A method of a function type waits for its type's token to
		// reach the receiver (invokeTok).
		waits := false
		for _, m := range f.invoke(call) {
			if funcTypeMethod(m) {
				waits = true
			} else {
				f.link(call, m)
			}
		}
		if len(f.invoke(call)) == 0 {
			f.unknownCall(call)
		}
		if waits {
			n := f.val(c.Value)
			f.invokes[n] = append(f.invokes[n], call)
			f.enqueue(n)
		}
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
			// A tuple: its Extracts read the tuple's node, which holds
			// every result (as precise as result types keep apart).
			for i := 0; i < res.Len(); i++ {
				f.edge(f.node(flowKey{ret: callee, idx: i}), f.val(v))
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

// invokeTok links an interface method call to the methods of the function
// types whose tokens are among ids (all of them where the receiver is
// open, or a token stands for any type).
func (f *funcFlow) invokeTok(call ssa.CallInstruction, ids []int32, open bool) {
	held := f.typesIn(ids, open)
	if !held.all && len(held.types) == 0 {
		return
	}
	for _, m := range f.invoke(call) {
		if held.holds(m) {
			f.link(call, m)
		}
	}
}

// handResults: code without a body that calls fn gets fn's results.
func (f *funcFlow) handResults(fn *ssa.Function) {
	res := fn.Signature.Results()
	for i := 0; i < res.Len(); i++ {
		if f.carriesFuncs(res.At(i).Type()) {
			f.edge(f.node(flowKey{ret: fn, idx: i}), f.unknown)
		}
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
					continue // a token
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
