package analysis

import (
	"go/token"
	"go/types"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// translator rewrites summaries of the previous run in terms of this run's
// objects: functions, globals, allocations, types, fields and positions.
// Anything it cannot translate exactly fails the translation, and the
// function is summarized again: a translation never guesses.
type translator struct {
	a     *analyzer
	prev  *generation
	types map[types.Type]types.Type
	// synthetic: unnamed struct types built by the translator; their
	// fields are not the ones this run's code selects, so no field of
	// theirs may be translated.
	synthetic map[types.Type]bool
	fields    map[*types.Var]*types.Var
	funcs     map[*ssa.Function]*ssa.Function
	values    map[ssa.Value]ssa.Value
	bases     map[*mem.Base]*mem.Base
	locs      map[string]mem.Loc // by the old loc's key
	files     map[*token.File]*token.File
	pkgs      map[string]*types.Package
	ctxt      *types.Context // instances the translator makes
}

func (a *analyzer) translator(prev *generation) *translator {
	if a.tr != nil && a.tr.prev == prev {
		return a.tr
	}
	t := &translator{a: a, prev: prev,
		types:     map[types.Type]types.Type{},
		synthetic: map[types.Type]bool{},
		fields:    map[*types.Var]*types.Var{},
		funcs:     map[*ssa.Function]*ssa.Function{},
		values:    map[ssa.Value]ssa.Value{},
		bases:     map[*mem.Base]*mem.Base{},
		locs:      map[string]mem.Loc{},
		files:     map[*token.File]*token.File{},
		pkgs:      map[string]*types.Package{},
		ctxt:      types.NewContext(),
	}
	for _, p := range a.prog.AllPackages() {
		t.pkgs[p.Pkg.Path()] = p.Pkg
	}
	byName := map[string]*token.File{}
	a.fset.Iterate(func(f *token.File) bool {
		byName[f.Name()] = f
		return true
	})
	prev.fset.Iterate(func(f *token.File) bool {
		if n := byName[f.Name()]; n != nil {
			t.files[f] = n
		}
		return true
	})
	a.tr = t
	return t
}

func (t *translator) summary(s *summary) (*summary, bool) {
	out := &summary{accesses: make([]*rawAccess, 0, len(s.accesses)), widened: s.widened, publishes: s.publishes, publishesHeld: s.publishesHeld, setupOnly: s.setupOnly}
	for _, acc := range s.accesses {
		n, ok := t.access(acc)
		if !ok {
			return nil, false
		}
		out.accesses = append(out.accesses, n)
	}
	for _, st := range s.stores {
		d, ok1 := t.loc(st.dst)
		v, ok2 := t.loc(st.val)
		pos, ok3 := t.pos(st.pos)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		out.stores = append(out.stores, &rawStore{dst: d, val: v, pos: pos, anyBase: st.anyBase})
	}
	for _, e := range s.calls {
		pos, ok1 := t.pos(e.pos)
		caller, ok2 := t.fn(e.caller)
		callee, ok3 := t.fn(e.callee)
		locks, ok4 := t.locks(e.locks)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, false
		}
		out.calls = append(out.calls, &edge{pos: pos, caller: caller, callee: callee, locks: locks})
	}
	for _, l := range s.pubFresh {
		n, ok := t.loc(l)
		if !ok {
			return nil, false
		}
		out.addPubFresh(n)
	}
	for _, k := range s.keptIn {
		d, ok := t.loc(k.dst)
		if !ok {
			return nil, false
		}
		out.keptIn = append(out.keptIn, keptParam{idx: k.idx, dst: d})
	}
	if len(s.opaque) > 0 {
		ls, ok := t.locList(s.opaque)
		if !ok {
			return nil, false
		}
		out.opaque = ls
	}
	if s.returns != nil {
		out.returns = make([][]mem.Loc, len(s.returns))
		for i, r := range s.returns {
			ls, ok := t.locList(r)
			if !ok {
				return nil, false
			}
			out.returns[i] = ls
		}
	}
	return out, true
}

func (t *translator) access(acc *rawAccess) (*rawAccess, bool) {
	l, ok := t.loc(acc.loc)
	if !ok {
		return nil, false
	}
	pos, ok := t.pos(acc.pos)
	if !ok {
		return nil, false
	}
	fn, ok := t.fn(acc.fn)
	if !ok {
		return nil, false
	}
	n := &rawAccess{loc: l, op: acc.op, atomic: acc.atomic, pos: pos, fn: fn}
	if acc.via != nil {
		var via []rawCall
		for c := range acc.via.all() {
			p, ok1 := t.pos(c.pos)
			caller, ok2 := t.fn(c.caller)
			callee, ok3 := t.fn(c.callee)
			if !ok1 || !ok2 || !ok3 {
				return nil, false
			}
			via = append(via, rawCall{pos: p, caller: caller, callee: callee})
		}
		n.via = push(via, nil)
	}
	locks, ok := t.locks(acc.locks)
	if !ok {
		return nil, false
	}
	n.locks = locks
	return n, true
}

func (t *translator) locks(hs []held) ([]held, bool) {
	if len(hs) == 0 {
		return nil, true
	}
	out := make([]held, len(hs))
	for i, h := range hs {
		l, ok := t.loc(h.loc)
		if !ok {
			return nil, false
		}
		out[i] = held{loc: l, write: h.write, same: h.same, wif: h.wif}
	}
	return out, true
}

func (t *translator) locList(ls []mem.Loc) ([]mem.Loc, bool) {
	if ls == nil {
		return nil, true
	}
	out := make([]mem.Loc, len(ls))
	for i, l := range ls {
		n, ok := t.loc(l)
		if !ok {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// pos translates by file name, line and column: the file may have changed
// below or beside the position (the fingerprints of the summaries that
// hold positions in changed places have changed too, so those summaries
// are not translated).
func (t *translator) pos(p token.Pos) (token.Pos, bool) {
	if !p.IsValid() {
		return p, true
	}
	of := t.prev.fset.File(p)
	if of == nil {
		return token.NoPos, false
	}
	nf := t.files[of]
	if nf == nil {
		return token.NoPos, false
	}
	pos := of.Position(p)
	if pos.Line > nf.LineCount() {
		return token.NoPos, false
	}
	np := nf.LineStart(pos.Line) + token.Pos(pos.Column-1)
	if int(np)-nf.Base() > nf.Size() {
		return token.NoPos, false
	}
	return np, true
}

func (t *translator) fn(f *ssa.Function) (*ssa.Function, bool) {
	if n, ok := t.funcs[f]; ok {
		return n, n != nil
	}
	n := t.a.byName()[f.String()]
	if n != nil && !t.pairSignatures(f, n) {
		n = nil
	}
	t.funcs[f] = n
	return n, n != nil
}

// pairSignatures records that f's and n's parameter, result and free
// variable types are the same types of two runs, so that unnamed structs
// among them translate to this run's own (whose fields are the ones its
// code selects).
func (t *translator) pairSignatures(f, n *ssa.Function) bool {
	if len(f.Params) != len(n.Params) || len(f.FreeVars) != len(n.FreeVars) {
		return false
	}
	for i := range f.Params {
		if !t.pair(f.Params[i].Type(), n.Params[i].Type()) {
			return false
		}
	}
	for i := range f.FreeVars {
		if !t.pair(f.FreeVars[i].Type(), n.FreeVars[i].Type()) {
			return false
		}
	}
	return t.pair(f.Signature.Results(), n.Signature.Results())
}

// pair records old ↦ new for two types that are the same type of two runs,
// down through their unnamed components; it reports false if they do not
// have the same shape.
func (t *translator) pair(old, new types.Type) bool {
	if old == nil || new == nil {
		return old == new
	}
	if got, ok := t.types[old]; ok && !t.synthetic[got] {
		return true
	}
	switch o := old.(type) {
	case *types.Named, *types.Basic, *types.TypeParam, *types.Alias:
		// Named types translate by name; nothing to pair below them.
		return true
	case *types.Pointer:
		n, ok := new.(*types.Pointer)
		if !ok || !t.pair(o.Elem(), n.Elem()) {
			return false
		}
	case *types.Slice:
		n, ok := new.(*types.Slice)
		if !ok || !t.pair(o.Elem(), n.Elem()) {
			return false
		}
	case *types.Array:
		n, ok := new.(*types.Array)
		if !ok || o.Len() != n.Len() || !t.pair(o.Elem(), n.Elem()) {
			return false
		}
	case *types.Map:
		n, ok := new.(*types.Map)
		if !ok || !t.pair(o.Key(), n.Key()) || !t.pair(o.Elem(), n.Elem()) {
			return false
		}
	case *types.Chan:
		n, ok := new.(*types.Chan)
		if !ok || !t.pair(o.Elem(), n.Elem()) {
			return false
		}
	case *types.Struct:
		n, ok := new.(*types.Struct)
		if !ok || o.NumFields() != n.NumFields() {
			return false
		}
		for i := 0; i < o.NumFields(); i++ {
			of, nf := o.Field(i), n.Field(i)
			if of.Name() != nf.Name() || !t.pair(of.Type(), nf.Type()) {
				return false
			}
			t.fields[of] = nf
		}
	case *types.Tuple:
		n, ok := new.(*types.Tuple)
		if !ok || o.Len() != n.Len() {
			return false
		}
		for i := 0; i < o.Len(); i++ {
			if !t.pair(o.At(i).Type(), n.At(i).Type()) {
				return false
			}
		}
		return true // tuples are never the type of memory
	case *types.Signature:
		n, ok := new.(*types.Signature)
		if !ok || !t.pair(o.Params(), n.Params()) || !t.pair(o.Results(), n.Results()) {
			return false
		}
	case *types.Interface:
		if _, ok := new.(*types.Interface); !ok {
			return false
		}
	default:
		return false
	}
	t.types[old] = new
	return true
}

func (t *translator) global(g *ssa.Global) (*ssa.Global, bool) {
	p := t.a.prog.ImportedPackage(g.Pkg.Pkg.Path())
	if p == nil {
		return nil, false
	}
	n, ok := p.Members[g.Name()].(*ssa.Global)
	if !ok || !t.pair(g.Type(), n.Type()) {
		return nil, false
	}
	return n, true
}

// value translates an allocation: the instruction at the same place in the
// same function, which is unchanged (its package key is the same).
func (t *translator) value(v ssa.Value) (ssa.Value, bool) {
	if n, ok := t.values[v]; ok {
		return n, n != nil
	}
	var n ssa.Value
	if instr, ok := v.(ssa.Instruction); ok && instr.Block() != nil {
		if fn, ok := t.fn(v.Parent()); ok {
			if t.sameSource(v.Parent(), fn) {
				b, i := instrIndex(instr)
				if b < len(fn.Blocks) && i >= 0 && i < len(fn.Blocks[b].Instrs) {
					if nv, ok := fn.Blocks[b].Instrs[i].(ssa.Value); ok && sameShape(v, nv) && t.pair(v.Type(), nv.Type()) {
						n = nv
					}
				}
			} else if pos, ok := t.pos(v.Pos()); ok && pos.IsValid() {
				// The function changed, but the summary that names this
				// allocation did not (a caller's summary holds it through
				// a callee's whose fingerprint is the same): the one made
				// at the same place, under the same name, is it.
				for _, b := range fn.Blocks {
					for _, x := range b.Instrs {
						if nv, ok := x.(ssa.Value); ok && nv.Pos() == pos && sameShape(v, nv) && t.pair(v.Type(), nv.Type()) {
							n = nv
						}
					}
				}
			}
		}
	}
	t.values[v] = n
	return n, n != nil
}

// sameSource reports whether new was built from the same package content
// as old.
func (t *translator) sameSource(old, new *ssa.Function) bool {
	key, ok := t.a.pkgKeyOf(new)
	return ok && old.Pkg != nil && new.Pkg != nil && old.Pkg.Pkg.Path() == new.Pkg.Pkg.Path() && t.prev.pkgKeys[old.Pkg.Pkg.Path()] == key
}

func sameShape(a, b ssa.Value) bool {
	return a.Name() == b.Name() && types.TypeString(a.Type(), nil) == types.TypeString(b.Type(), nil)
}

func (t *translator) base(b *mem.Base) (*mem.Base, bool) {
	if n, ok := t.bases[b]; ok {
		return n, n != nil
	}
	var n *mem.Base
	switch b.Kind {
	case mem.Global:
		if g, ok := t.global(b.Global); ok {
			n = t.a.roots.Global(g).Base
		}
	case mem.Shared, mem.Fresh:
		site, ok := t.value(b.Site)
		typ, ok2 := t.typ(b.Type)
		if ok && ok2 {
			n = t.a.roots.Again(b, site, typ)
		}
	case mem.Param, mem.Free:
		if typ, ok := t.typ(b.Type); ok {
			n = t.a.roots.Param(b.Idx, typ, b.Kind == mem.Free).Base
		}
	case mem.Unknown:
		if typ, ok := t.typ(b.Type); ok {
			n = t.a.roots.Unknown(typ).Base
		}
	case mem.Context:
		if b.Posted() {
			n = t.a.roots.Posted().Base
		}
	}
	if n != nil && n.Key != b.Key {
		n = nil
	}
	t.bases[b] = n
	return n, n != nil
}

func (t *translator) loc(l mem.Loc) (mem.Loc, bool) {
	if n, ok := t.locs[l.Key]; ok {
		return n, n.Base != nil
	}
	n, ok := t.loc0(l)
	if !ok {
		n = mem.Loc{}
	}
	t.locs[l.Key] = n
	return n, ok
}

func (t *translator) loc0(l mem.Loc) (mem.Loc, bool) {
	b, ok := t.base(l.Base)
	if !ok {
		return mem.Loc{}, false
	}
	n := mem.Loc{Base: b, Path: make([]mem.Elem, 0, len(l.Path)), Trunc: l.Trunc}
	for _, e := range l.Path {
		ne := mem.Elem{Kind: e.Kind, Precise: e.Precise}
		switch e.Kind {
		case mem.Field:
			parent, ok := t.typ(e.Parent)
			if !ok {
				return mem.Loc{}, false
			}
			f, ok := t.field(e.Parent, parent, e.Field)
			if !ok {
				return mem.Loc{}, false
			}
			ne.Field, ne.Parent, ne.Type = f, parent, f.Type()
		default:
			typ, ok := t.typ(e.Type)
			if !ok {
				return mem.Loc{}, false
			}
			ne.Type = typ
		}
		n.Path = append(n.Path, ne)
	}
	n.Key = n.ComputeKey()
	return n, true
}

func (t *translator) field(oldParent, newParent types.Type, f *types.Var) (*types.Var, bool) {
	if nf, ok := t.fields[f]; ok {
		return nf, true
	}
	if t.synthetic[newParent] {
		return nil, false
	}
	i := fieldIndex(oldParent, f)
	st, ok := newParent.Underlying().(*types.Struct)
	if i < 0 || !ok || i >= st.NumFields() || st.Field(i).Name() != f.Name() {
		return nil, false
	}
	t.fields[f] = st.Field(i)
	return st.Field(i), true
}

// typ translates a type: named types by package and name (those declared
// in a function by place), instances of generic ones that hold no struct
// by their origin and arguments, the rest by structure. Other instances
// and type parameters do not translate.
func (t *translator) typ(old types.Type) (types.Type, bool) {
	if old == nil {
		return nil, true
	}
	if n, ok := t.types[old]; ok {
		return n, n != nil
	}
	n := t.typ0(old)
	t.types[old] = n
	return n, n != nil
}

// alias is this run's alias of the same name as o, when o is declared at
// a package's top level (or is the universe's any, which every run
// shares) and is not generic.
func (t *translator) alias(o *types.Alias) *types.Alias {
	obj := o.Obj()
	if obj.Pkg() == nil {
		return o
	}
	if o.TypeArgs().Len() > 0 || obj.Parent() != obj.Pkg().Scope() {
		return nil
	}
	p := t.pkgs[obj.Pkg().Path()]
	if p == nil {
		return nil
	}
	tn, _ := p.Scope().Lookup(obj.Name()).(*types.TypeName)
	if tn == nil {
		return nil
	}
	a, _ := tn.Type().(*types.Alias)
	return a
}

func (t *translator) typ0(old types.Type) types.Type {
	switch o := old.(type) {
	case *types.Basic:
		return o
	case *types.Alias:
		// Kept an alias where it can be, so that what a carried-over
		// summary prints (an object's name, `[]any`) is what this run's
		// code would print; resolved where its name does not translate.
		if a := t.alias(o); a != nil {
			return a
		}
		n, _ := t.typ(types.Unalias(o))
		return n
	case *types.Named:
		obj := o.Obj()
		if obj.Pkg() == nil {
			return o // error, comparable
		}
		if obj.Parent() != obj.Pkg().Scope() {
			if o.TypeArgs().Len() > 0 {
				return nil
			}
			return t.local(obj)
		}
		p := t.pkgs[obj.Pkg().Path()]
		if p == nil {
			return nil
		}
		tn, ok := p.Scope().Lookup(obj.Name()).(*types.TypeName)
		if !ok {
			return nil
		}
		if o.TypeArgs().Len() > 0 {
			return t.instance(o, tn.Type())
		}
		return tn.Type()
	case *types.Pointer:
		if e, ok := t.typ(o.Elem()); ok {
			return types.NewPointer(e)
		}
	case *types.Slice:
		if e, ok := t.typ(o.Elem()); ok {
			return types.NewSlice(e)
		}
	case *types.Array:
		if e, ok := t.typ(o.Elem()); ok {
			return types.NewArray(e, o.Len())
		}
	case *types.Map:
		k, ok1 := t.typ(o.Key())
		e, ok2 := t.typ(o.Elem())
		if ok1 && ok2 {
			return types.NewMap(k, e)
		}
	case *types.Chan:
		if e, ok := t.typ(o.Elem()); ok {
			return types.NewChan(o.Dir(), e)
		}
	case *types.Struct:
		fields := make([]*types.Var, o.NumFields())
		tags := make([]string, o.NumFields())
		for i := range fields {
			f := o.Field(i)
			ft, ok := t.typ(f.Type())
			if !ok {
				return nil
			}
			fields[i] = types.NewField(token.NoPos, t.pkgOf(f.Pkg()), f.Name(), ft, f.Embedded())
			tags[i] = o.Tag(i)
		}
		n := types.NewStruct(fields, tags)
		t.synthetic[n] = true
		return n
	case *types.Tuple:
		vars := make([]*types.Var, o.Len())
		for i := range vars {
			vt, ok := t.typ(o.At(i).Type())
			if !ok {
				return nil
			}
			vars[i] = types.NewParam(token.NoPos, t.pkgOf(o.At(i).Pkg()), o.At(i).Name(), vt)
		}
		return types.NewTuple(vars...)
	case *types.Signature:
		if o.TypeParams().Len() > 0 || o.Recv() != nil {
			return nil
		}
		params, ok1 := t.tuple(o.Params())
		results, ok2 := t.tuple(o.Results())
		if ok1 && ok2 {
			return types.NewSignatureType(nil, nil, nil, params, results, o.Variadic())
		}
	case *types.Interface:
		if o.NumEmbeddeds() > 0 {
			return nil // unions and embedded interfaces: rare in handler state
		}
		methods := make([]*types.Func, o.NumExplicitMethods())
		for i := range methods {
			m := o.ExplicitMethod(i)
			sig, ok := t.typ(m.Type())
			if !ok {
				return nil
			}
			methods[i] = types.NewFunc(token.NoPos, t.pkgOf(m.Pkg()), m.Name(), sig.(*types.Signature))
		}
		return types.NewInterfaceType(methods, nil).Complete()
	}
	return nil
}

// local translates a type declared in a function body: the type of the
// same name declared at the same place, in the same block, of this run's
// package, if the package's content is what it was.
func (t *translator) local(obj *types.TypeName) types.Type {
	p := t.pkgs[obj.Pkg().Path()]
	if key, ok := t.a.pkgKeys[p]; p == nil || !ok || t.prev.pkgKeys[p.Path()] != key {
		return nil
	}
	pos, ok := t.pos(obj.Pos())
	if !ok || !pos.IsValid() {
		return nil
	}
	scope := p.Scope().Innermost(pos)
	if scope == nil {
		return nil
	}
	tn, ok := scope.Lookup(obj.Name()).(*types.TypeName)
	if !ok || tn.Pos() != pos || tn.IsAlias() {
		return nil
	}
	return tn.Type()
}

// instance translates an instance of a generic type (iter.Seq[string])
// by instantiating this run's origin with the translated arguments. Only
// where the instance holds no struct: the fields of an instance made here
// are not the ones this run's code selects (locs key fields by identity).
func (t *translator) instance(o *types.Named, origin types.Type) types.Type {
	if hasStruct(o.Underlying(), map[types.Type]bool{}) {
		return nil
	}
	args := make([]types.Type, o.TypeArgs().Len())
	for i := range args {
		a, ok := t.typ(o.TypeArgs().At(i))
		if !ok {
			return nil
		}
		args[i] = a
	}
	n, err := types.Instantiate(t.ctxt, origin, args, false)
	if err != nil {
		return nil
	}
	return n
}

// hasStruct: a value of type t holds a struct, or may (an interface).
func hasStruct(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return false
	case *types.Pointer:
		return hasStruct(u.Elem(), seen)
	case *types.Slice:
		return hasStruct(u.Elem(), seen)
	case *types.Array:
		return hasStruct(u.Elem(), seen)
	case *types.Chan:
		return hasStruct(u.Elem(), seen)
	case *types.Map:
		return hasStruct(u.Key(), seen) || hasStruct(u.Elem(), seen)
	case *types.Signature:
		// A function value holds what it captured, not what its
		// parameters and results are: no loc goes through them.
		return false
	}
	return true
}

func (t *translator) tuple(o *types.Tuple) (*types.Tuple, bool) {
	if o == nil {
		return nil, true
	}
	n, ok := t.typ(o)
	if !ok {
		return nil, false
	}
	return n.(*types.Tuple), true
}

func (t *translator) pkgOf(p *types.Package) *types.Package {
	if p == nil {
		return nil
	}
	if n := t.pkgs[p.Path()]; n != nil {
		return n
	}
	return p
}
