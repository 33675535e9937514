package analysis

import (
	"go/types"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Registrations: a call of the table (mux.HandleFunc, r.Get, e.GET), or
// a store into a handler field (http.Server's Handler), is followed to
// the handlers it registers: through the wrappers that make the value,
// the router's middleware, and tables of handlers registered in a loop.

// routerCall records a call that adds middleware or makes a router.
func (d *disc) routerCall(fn *ssa.Function, call ssa.CallInstruction, op routerOp) {
	args := callArgs(call.Common())
	if op.fnArg > 0 && op.fnArg < len(args) {
		switch f := unwrap(args[op.fnArg]).(type) {
		case *ssa.Function:
			d.fnArgs[f] = append(d.fnArgs[f], fnArgUse{call, fn, op})
		case *ssa.MakeClosure:
			cl := f.Fn.(*ssa.Function)
			d.fnArgs[cl] = append(d.fnArgs[cl], fnArgUse{call, fn, op})
		}
	}
	if !op.use || op.mws >= len(args) {
		return
	}
	rt := d.routerOf(args[0], fn, 0)
	ms := variadic(args[op.mws])
	if ms == nil {
		if _, isConst := args[op.mws].(*ssa.Const); !isConst {
			d.warn(fn, call, "cannot tell which middleware is used here; its accesses are not reported")
		}
	}
	d.consume(args[op.mws])
	for _, m := range ms {
		ref := mwRef{v: m, in: fn, chain: op.chain}
		d.uses[rt.id] = append(d.uses[rt.id], ref)
		d.allUses = append(d.allUses, ref)
	}
}

// consume marks the conversions filling a variadic argument of middleware.
func (d *disc) consume(v ssa.Value) {
	for _, instr := range variadicStores(v) {
		d.consumed[instr] = true
		if st, ok := instr.(*ssa.Store); ok {
			if i, ok := st.Val.(ssa.Instruction); ok {
				d.consumed[i] = true
			}
		}
	}
}

// register follows the handler arguments of a registration, through the
// wrappers that make them and the middleware of the router they are
// registered on.
func (d *disc) register(fn *ssa.Function, call ssa.CallInstruction, r Registration) {
	c := call.Common()
	args := callArgs(c)
	var rt *router
	if c.IsInvoke() || c.Signature().Recv() != nil {
		rt = d.routerOf(args[0], fn, 0)
	}
	sc, _ := call.(*ssa.Call)
	var mws []mwRef
	if rt != nil {
		mws = d.middleware(rt)
	}
	if r.wrappers > 0 && r.wrappers < len(args) {
		for _, m := range variadic(args[r.wrappers]) {
			mws = append(mws, mwRef{v: m, in: fn})
		}
		d.consume(args[r.wrappers])
	}
	for _, i := range r.Args {
		if i < 0 {
			i += len(args)
		}
		if i < 0 || i >= len(args) {
			continue
		}
		vals := []ssa.Value{args[i]}
		handlerMws := mws
		if r.chain {
			vals = variadic(args[i])
			d.consume(args[i])
			if len(vals) == 0 {
				if _, isConst := args[i].(*ssa.Const); !isConst {
					d.warn(fn, call, "cannot tell which handler is registered here; its conflicts are not reported")
				}
				continue
			}
			// gin: the last of the chain is the handler, the others its
			// middleware.
			handlerMws = slices.Clone(mws)
			for _, m := range vals[:len(vals)-1] {
				handlerMws = append(handlerMws, mwRef{v: m, in: fn, chain: true})
			}
			vals = vals[len(vals)-1:]
		}
		label := argLabel(c, i)
		for _, v := range vals {
			d.registerValue(fn, call, v, r, func(override string) string { return d.route(sc, c, r, rt, override) }, label, handlerMws)
		}
	}
}

// registerValue registers the handler that v, given to call in fn, holds;
// a value loaded from a table of handlers registers each entry.
func (d *disc) registerValue(fn *ssa.Function, call ssa.Instruction, v ssa.Value, r Registration, route func(string) string, label string, mws []mwRef) {
	if _, isConst := v.(*ssa.Const); isConst {
		return
	}
	n := 0
	load := d.tableLoad(v, fn, 0)
	if load == nil {
		load = v
	}
	for _, s := range d.sources(load, fn) {
		if s.v != load {
			d.subst[load] = s
		}
		b := d.resolve(v, &frame{fn: fn}, r.Model, 0)
		delete(d.subst, load)
		n += d.registerBinding(b, call, r, route(s.route), label, mws)
	}
	if n == 0 && !isInterfaceValue(v) {
		d.warn(fn, call, "cannot tell which handler is registered here; its conflicts are not reported")
	}
}

// tableLoad finds, in what v is made of (the arguments of the wrappers it
// is the result of), a value loaded from a table of handlers; nil if none.
func (d *disc) tableLoad(v ssa.Value, fn *ssa.Function, depth int) ssa.Value {
	if depth > 4 {
		return nil
	}
	if ss := d.sources(v, fn); len(ss) != 1 || ss[0].v != v {
		return v
	}
	var next []ssa.Value
	switch x := v.(type) {
	case *ssa.ChangeType:
		next = []ssa.Value{x.X}
	case *ssa.MakeInterface:
		next = []ssa.Value{x.X}
	case *ssa.Call:
		next = x.Call.Args
	}
	for _, w := range next {
		if l := d.tableLoad(w, fn, depth+1); l != nil {
			return l
		}
	}
	return nil
}

// registerBinding adds the handler b holds, wrapped in mws; it returns how
// many handlers it added.
func (d *disc) registerBinding(b binding, call ssa.Instruction, r Registration, route, label string, mws []mwRef) int {
	if b.fn == nil {
		if b.lib {
			// A library's wrapper of handlers (a logging handler): those
			// it was given are the handlers.
			n := 0
			if c, ok := unwrap(b.val).(*ssa.Call); ok {
				for _, arg := range c.Call.Args {
					if callable(arg.Type()) {
						n += d.registerBinding(d.resolve(arg, &frame{fn: b.in}, r.Model, 0), call, r, route, label, mws)
					}
				}
			}
			return max(n, 1) // a library router: its handlers are registered on it
		}
		return 0
	}
	f := b.fn
	var before []*found
	for i := len(mws) - 1; i >= 0; i-- {
		m := mws[i]
		mb := d.resolve(m.v, &frame{fn: m.in}, r.Model, 0)
		if mb.fn == nil {
			continue // library middleware: not the user's accesses
		}
		if m.chain {
			before = append(before, mb.fn)
			continue
		}
		w := d.apply(mb.fn, []binding{{fn: f}}, r.Model, 1)
		if w.fn != nil {
			f = w.fn
		}
	}
	if len(before) > 0 {
		c := *f
		c.also = append(slices.Clone(c.also), before...)
		f = &c
	}
	if f.fn.Blocks == nil || !d.inWorkspace(f.fn) && f.env == nil && f.fields == nil {
		return 1 // a library's handler (http.NotFound): not the user's
	}
	if d.isAround(f) {
		c := *f
		c.model, c.reg, c.regIn, c.label = r.Model, call.Pos(), call.Parent(), label
		d.around = append(d.around, &c)
		return 1
	}
	c := *f
	c.model = r.Model
	if route != "" {
		c.routes = []string{route}
	}
	if c.label == "" {
		c.label = label
	}
	c.reg, c.regIn = call.Pos(), call.Parent()
	d.via[r.Package] = true
	d.add(&c)
	return 1
}

// handlerFields are the fields of library types that hold an http.Handler
// the library runs: http.Server's Handler, gorilla's fallbacks.
var handlerFields = []struct{ pkg, typ, field string }{
	{"net/http", "Server", "Handler"},
	{gorm, "Router", "NotFoundHandler"},
	{gorm, "Router", "MethodNotAllowedHandler"},
}

// handlerField names the handler field addr selects ("Server.Handler"),
// "" if it selects none.
func handlerField(addr ssa.Value) string {
	fa, ok := addr.(*ssa.FieldAddr)
	if !ok {
		return ""
	}
	st := mem.Pointee(fa.X.Type())
	for _, f := range handlerFields {
		if namedIs(st, f.pkg, f.typ) && st.Underlying().(*types.Struct).Field(fa.Field).Name() == f.field {
			return f.typ + "." + f.field
		}
	}
	return ""
}

// argLabel names a handler by what registers it, where it has no route:
// the function and the parameter it is given as ("ListenAndServe accept").
func argLabel(c *ssa.CallCommon, i int) string {
	obj := calleeObj(c)
	if obj == nil {
		return ""
	}
	sig := obj.Type().(*types.Signature)
	if sig.Recv() != nil || c.IsInvoke() {
		i-- // the receiver counts as an argument
	}
	if i < 0 || i >= sig.Params().Len() {
		return obj.Name()
	}
	return obj.Name() + " " + sig.Params().At(i).Name()
}

// isAround: f is middleware whose next is a library router (`logging(mux)`
// given to ListenAndServe): it runs around every handler of the router.
func (d *disc) isAround(f *found) bool {
	for depth := 0; f != nil && depth < maxWrap; depth++ {
		var next *found
		for _, b := range f.env {
			if b.lib {
				return true
			}
			if b.fn != nil {
				next = b.fn
			}
		}
		for _, i := range sortedKeys(f.fields) {
			if b := f.fields[i]; b.lib {
				return true
			} else if b.fn != nil {
				next = b.fn
			}
		}
		f = next
	}
	return false
}

// attachAround makes middleware around a library router part of every
// handler of its model that the router may route to: those registered in
// its package or in a package importing it or imported by it (a router
// built in package server routes to the handlers package ui registers);
// with no such handler, it is a handler itself.
func (d *disc) attachAround() {
	for _, m := range d.around {
		n := 0
		for _, f := range d.out {
			if f.model == m.model && (f.regIn == nil || d.related(f.regIn.Pkg.Pkg, m.regIn.Pkg.Pkg)) {
				f.also = append(f.also, m)
				n++
			}
		}
		if n == 0 {
			d.add(m)
		}
	}
}

// related: one package imports the other, directly or not.
func (d *disc) related(a, b *types.Package) bool {
	return a == b || d.reach(a)[b] || d.reach(b)[a]
}

// reach is the set of packages p imports, directly or not (memoized).
func (d *disc) reach(p *types.Package) map[*types.Package]bool {
	if r, ok := d.reaches[p]; ok {
		return r
	}
	r := map[*types.Package]bool{}
	var walk func(q *types.Package)
	walk = func(q *types.Package) {
		for _, x := range q.Imports() {
			if !r[x] {
				r[x] = true
				walk(x)
			}
		}
	}
	walk(p)
	d.reaches[p] = r
	return r
}

// reportSilence: a framework imported where no handler was found through
// it says so, at the import: silence would read as "no races".
func (d *disc) reportSilence() {
	for _, p := range d.l.roots {
		for _, f := range p.Syntax {
			for _, im := range f.Imports {
				path := strings.Trim(im.Path.Value, "`\"")
				if !slices.Contains(frameworks, path) || d.via[path] {
					continue
				}
				d.problems = append(d.problems, Problem{Pos: d.a.fset.Position(im.Pos()), Package: p.PkgPath, Warning: true,
					Message: "imports " + path + " but no handler registered through it was found; its handlers' conflicts are not reported"})
			}
		}
	}
}
