package analysis

import (
	"go/token"
	"go/types"
	"slices"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Following handler values through wrappers: `requiresLogin(count)` is the
// closure that requiresLogin returns, with its captured h bound to count.
// Discovery resolves a registered value to the function that actually runs
// and, for each of its free variables, what it holds at registration: an
// environment. Calls of a bound variable then run what it is bound to,
// not every function of its type.

// maxWrap bounds how deep wrappers are followed (a wrapper calling itself).
const maxWrap = 12

// binding is what a free variable (or a field of a wrapper's struct)
// holds when a handler is registered.
type binding struct {
	// fn: a function value, what runs when the variable is called: a
	// declared function, or a closure with its own environment.
	fn *found
	// val, in: otherwise the value itself and the function defining it,
	// where its memory is resolved.
	val ssa.Value
	in  *ssa.Function
	// lib: the value is a handler of library code (a router): what it
	// runs when called is registered, and found, elsewhere.
	lib bool
	// cell: the variable is a cell holding the value (a captured variable
	// the closure only reads): the value is what a load of it gives.
	cell bool
}

// frame is where values are resolved: a function and what its parameters
// and free variables hold; nil slices where the function was not reached
// through a call discovery followed (the registering function).
type frame struct {
	fn   *ssa.Function
	args []binding
	env  []binding
}

// resolve follows v, in fr, to what it holds when called.
func (d *disc) resolve(v ssa.Value, fr *frame, m Model, depth int) binding {
	plain := binding{val: v, in: fr.fn}
	if depth > maxWrap {
		return plain
	}
	if s, ok := d.subst[v]; ok {
		return d.resolve(s.v, &frame{fn: s.in}, m, depth+1)
	}
	if mi, ok := v.(*ssa.MakeInterface); ok && d.userMethod(mi) {
		// A function of a named type whose handler method is the user's
		// (web.Handler(list)): that method runs, calling the function.
		return d.resolveValue(mi, fr, m)
	}
	switch x := unwrap(v).(type) {
	case *ssa.Function:
		return binding{fn: &found{fn: x, model: m}}
	case *ssa.MakeClosure:
		f := &found{fn: x.Fn.(*ssa.Function), model: m, site: x}
		env := make([]binding, len(x.Bindings))
		keep := fr.args != nil || fr.env != nil
		for i, b := range x.Bindings {
			env[i] = d.resolveCell(b, fr, m, depth+1)
			keep = keep || env[i].fn != nil
		}
		// A closure made where it is registered, capturing no function,
		// is resolved from its site as before.
		if keep {
			f.env = env
		}
		return binding{fn: f}
	case *ssa.Parameter:
		if fr.args != nil {
			for i, p := range fr.fn.Params {
				if p == x && i < len(fr.args) {
					return fr.args[i]
				}
			}
		}
	case *ssa.FreeVar:
		if fr.env != nil {
			for i, p := range fr.fn.FreeVars {
				if p == x && i < len(fr.env) {
					return fr.env[i]
				}
			}
		}
	case *ssa.MakeInterface:
		return d.resolveValue(x, fr, m)
	case *ssa.Phi:
		return d.resolvePhi(x, fr, m, depth)
	case *ssa.UnOp:
		// A load of a captured variable: what it holds.
		if x.Op != token.MUL {
			return plain
		}
		if fv, ok := x.X.(*ssa.FreeVar); ok && fr.env != nil {
			for i, p := range fr.fn.FreeVars {
				if p == fv && i < len(fr.env) && fr.env[i].cell {
					b := fr.env[i]
					b.cell = false
					return b
				}
			}
		}
		if al, ok := x.X.(*ssa.Alloc); ok {
			if b := d.resolveCell(al, fr, m, depth+1); b.cell {
				b.cell = false
				return b
			}
		}
	case *ssa.Call:
		c := x.Common()
		if c.IsInvoke() {
			return plain
		}
		callee := d.resolve(c.Value, fr, m, depth+1)
		if callee.fn == nil {
			return plain
		}
		if callee.fn.fn.Blocks == nil {
			// A wrapper of library code (a logging handler): the
			// handlers it is given run inside it.
			plain.lib = callable(v.Type())
			return plain
		}
		args := make([]binding, len(c.Args))
		for i, arg := range c.Args {
			args[i] = d.resolve(arg, fr, m, depth+1)
		}
		return d.apply(callee.fn, args, m, depth+1)
	}
	return plain
}

// resolvePhi resolves a variable assigned on several paths (`h = mux; if
// off { h = closed }`): the first function is what runs, the others run
// with it (also); a library router among them makes the binding lib too.
func (d *disc) resolvePhi(x *ssa.Phi, fr *frame, m Model, depth int) binding {
	if d.onPhi[x] {
		return binding{val: x, in: fr.fn} // a loop: what it carries is seen on its other edges
	}
	d.onPhi[x] = true
	defer delete(d.onPhi, x)
	var first *found
	var rest []*found
	lib := false
	for _, e := range x.Edges {
		if e == x {
			continue
		}
		b := d.resolve(e, fr, m, depth+1)
		switch {
		case b.fn != nil && first == nil:
			first = b.fn
		case b.fn != nil:
			rest = append(rest, b.fn)
		case b.lib:
			lib = true
		default:
			if _, isConst := e.(*ssa.Const); !isConst {
				return binding{val: x, in: fr.fn}
			}
		}
	}
	if first == nil {
		return binding{val: x, in: fr.fn, lib: lib}
	}
	if len(rest) > 0 {
		c := *first
		c.also = append(slices.Clone(c.also), rest...)
		first = &c
	}
	return binding{fn: first, lib: lib}
}

// resolveCell resolves a closure's binding: a captured variable that
// lives in a cell is resolved to what it holds, when that is known.
func (d *disc) resolveCell(v ssa.Value, fr *frame, m Model, depth int) binding {
	al, ok := v.(*ssa.Alloc)
	if !ok {
		return d.resolve(v, fr, m, depth)
	}
	vals, ok := d.a.cellValues(al)
	if !ok || len(vals) == 0 {
		return d.resolve(v, fr, m, depth)
	}
	first := d.resolve(vals[0], fr, m, depth)
	if first.fn != nil && len(vals) > 1 {
		// Assigned several functions: any of them may run.
		c := *first.fn
		for _, v := range vals[1:] {
			if b := d.resolve(v, fr, m, depth); b.fn != nil {
				c.also = append(c.also, b.fn)
			} else {
				return d.resolve(al, fr, m, depth)
			}
		}
		first.fn = &c
	} else if len(vals) > 1 {
		return d.resolve(v, fr, m, depth)
	}
	first.cell = true
	return first
}

// resolveValue resolves a value converted to a handler interface: the
// handler method of what it holds, if it has one in the workspace.
func (d *disc) resolveValue(mi *ssa.MakeInterface, fr *frame, m Model) binding {
	plain := binding{val: mi, in: fr.fn}
	it, ok := d.spec.iface(mi.Type())
	if !ok || len(it.Methods) != 1 {
		return plain
	}
	meth := d.methodOf(mi.X.Type(), it.Methods[0])
	if meth == nil {
		return plain
	}
	if meth.Blocks == nil || !d.inWorkspace(meth) {
		// A router of a library: the handlers it routes to are
		// registered on it, and found there.
		plain.lib = true
		return plain
	}
	f := &found{fn: meth, model: m, recv: mi.X, recvFn: fr.fn}
	if _, isFunc := mi.X.Type().Underlying().(*types.Signature); isFunc {
		// A function converted to a named function type whose ServeHTTP
		// calls it (web.Handler(list)): the receiver is bound to it.
		if b := d.resolve(mi.X, fr, m, 1); b.fn != nil {
			f.fields = map[int]binding{recvField: b}
		}
		return binding{fn: f}
	}
	// Made with handlers in its fields (&logger{next: h}): what they hold.
	f.fields = d.fieldBindings(mi.X, fr, m)
	return binding{fn: f}
}

// userMethod: mi converts a value whose handler method (for the interface
// it makes) is the workspace's.
func (d *disc) userMethod(mi *ssa.MakeInterface) bool {
	it, ok := d.spec.iface(mi.Type())
	if !ok || len(it.Methods) != 1 {
		return false
	}
	meth := d.methodOf(mi.X.Type(), it.Methods[0])
	return meth != nil && meth.Blocks != nil && d.inWorkspace(meth)
}

// recvField is the key of found.fields for a receiver that is itself a
// function (a method of a named function type).
const recvField = -1

// fieldBindings: the function-valued fields stored into the struct that
// x points to, where fr makes it.
func (d *disc) fieldBindings(x ssa.Value, fr *frame, m Model) map[int]binding {
	out := map[int]binding{}
	for _, b := range fr.fn.Blocks {
		for _, instr := range b.Instrs {
			st, ok := instr.(*ssa.Store)
			if !ok {
				continue
			}
			fa, ok := st.Addr.(*ssa.FieldAddr)
			if !ok || fa.X != x || !callable(st.Val.Type()) {
				continue
			}
			out[fa.Field] = d.resolve(st.Val, fr, m, 1)
		}
	}
	for _, b := range out {
		if b.fn != nil || b.lib {
			return out
		}
	}
	return nil
}

// callable: values of t can be called, directly or through a method.
func callable(t types.Type) bool {
	switch t.Underlying().(type) {
	case *types.Signature, *types.Interface:
		return true
	}
	return false
}

// apply follows a call of f with args to what it returns: the handler
// that wrapping produced. A wrapper with several returns of functions
// (`if off { return next }`) may produce any of them: the first is the
// handler, the others run with it (also), which over-approximates.
func (d *disc) apply(f *found, args []binding, m Model, depth int) binding {
	fn := f.fn
	if fn.Blocks == nil || depth > maxWrap || fn.Signature.Results().Len() == 0 {
		return binding{lib: true}
	}
	d.applied[fn] = true
	fr := &frame{fn: fn, args: args, env: f.env}
	if fr.env == nil && f.site != nil {
		top := &frame{fn: f.site.Parent()}
		fr.env = make([]binding, len(f.site.Bindings))
		for i, b := range f.site.Bindings {
			fr.env[i] = d.resolve(b, top, m, depth+1)
		}
	}
	var first *found
	var rest []*found
	var other binding
	for _, b := range fn.Blocks {
		ret, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Return)
		if !ok || len(ret.Results) == 0 {
			continue
		}
		r := d.resolve(ret.Results[0], fr, m, depth+1)
		switch {
		case r.fn == nil:
			other = r
		case first == nil:
			first = r.fn
		default:
			rest = append(rest, r.fn)
		}
	}
	if first == nil {
		if other.val == nil {
			other = binding{lib: true}
		}
		return other
	}
	if len(rest) > 0 {
		c := *first
		c.also = append(append([]*found(nil), c.also...), rest...)
		first = &c
	}
	return binding{fn: first}
}

// methodOf is the method name of values of type t, nil if none.
func (d *disc) methodOf(t types.Type, name string) *ssa.Function {
	var pkg *types.Package
	if n, ok := types.Unalias(mem.Pointee(t)).(*types.Named); ok {
		pkg = n.Obj().Pkg()
	}
	sel := d.a.prog.MethodSets.MethodSet(t).Lookup(pkg, name)
	if sel == nil {
		return nil
	}
	return d.a.prog.MethodValue(sel)
}

// inWorkspace: fn is the user's code, or a wrapper of it (a promoted
// method is the workspace's only if the method it calls is).
func (d *disc) inWorkspace(fn *ssa.Function) bool {
	if o := fn.Origin(); o != nil {
		fn = o
	}
	if obj, ok := fn.Object().(*types.Func); ok && obj.Pkg() != nil {
		return d.roots[obj.Pkg()]
	}
	return fn.Pkg != nil && d.roots[fn.Pkg.Pkg]
}
