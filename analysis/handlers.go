package analysis

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
)

// LoopPkg is the import path of the safels runtime.
const LoopPkg = "github.com/safels/safels/loop"

// handlerDirective marks a function as a handler in its doc comment.
const handlerDirective = "//safels:handler"

// found is a handler as discovery sees it, before summaries.
type found struct {
	fn    *ssa.Function
	model Model
	// site: where the closure fn is made at its registration; its
	// bindings are the free variables' values (nil: resolve from where
	// the closure is made).
	site *ssa.MakeClosure
	// recv: for a method registered through a value (an http.Handler), the
	// value it was registered with; recvFn is where that happened. Every
	// invocation shares it.
	recv   ssa.Value
	recvFn *ssa.Function

	// env: where fn is a closure that a wrapper returned (middleware:
	// `requiresLogin(count)` runs requiresLogin's closure), what each of
	// its free variables holds at registration, indexed like fn.FreeVars:
	// a function (count, or another wrapper's closure with an environment
	// of its own) or a plain value. A call of a variable bound to a
	// function runs that function, not every function of its type. nil
	// where fn was not reached through a wrapper: site says then.
	env []binding
	// fields: the same for a method whose receiver a wrapper made
	// (`&logger{next: h}`): what its function-valued fields hold, by
	// field index.
	fields map[int]binding
	// also: functions the framework runs in the same invocation, before
	// or around this one: gin middleware, middleware wrapping a library
	// router that routes here. Their accesses are this handler's.
	also []*found

	// routes: where it is registered ("GET /articles/{id}", "set"); label:
	// else what registers it ("Events.Data"); reg: the first registration.
	routes []string
	label  string
	reg    token.Pos
	regIn  *ssa.Function // the function holding the registration

	// memo keeps the accesses of a found that runs with many handlers
	// (middleware around a router is in the also of each): computed once.
	// Set only after discovery, when founds no longer change.
	memo *accessMemo
}

type accessMemo struct {
	accs   []*rawAccess
	stores []*rawStore
}

// wrapped: the handler runs more than fn alone would say.
func (f *found) wrapped() bool {
	return f.env != nil || f.fields != nil || len(f.also) > 0
}

// entries are the functions a handler may run that summaries must cover:
// fn, and what its environment binds.
func (f *found) entries() []*ssa.Function {
	var out []*ssa.Function
	seen := map[*found]bool{}
	var walk func(g *found, depth int)
	walk = func(g *found, depth int) {
		if g == nil || seen[g] || depth > maxWrap {
			return
		}
		seen[g] = true
		out = append(out, g.fn)
		for _, b := range g.env {
			walk(b.fn, depth+1)
		}
		for _, b := range g.fields {
			walk(b.fn, depth+1)
		}
		for _, x := range g.also {
			walk(x, depth+1)
		}
	}
	walk(f, 0)
	return out
}

// inner is the user's handler innermost in the wrapping: the function
// findings name.
func (f *found) inner() *found {
	for depth := 0; depth < maxWrap; depth++ {
		next := f.boundFn()
		if next == nil {
			break
		}
		f = next
	}
	return f
}

// innerUser is the innermost function of the wrapping that user says is
// the user's; f if none is.
func (f *found) innerUser(user func(*found) bool) *found {
	best := f
	for depth := 0; f != nil && depth < maxWrap; depth++ {
		if user(f) {
			best = f
		}
		f = f.boundFn()
	}
	return best
}

// boundFn is the first function f's environment or fields bind.
func (f *found) boundFn() *found {
	for _, b := range f.env {
		if b.fn != nil {
			return b.fn
		}
	}
	for _, i := range sortedKeys(f.fields) {
		if b := f.fields[i]; b.fn != nil {
			return b.fn
		}
	}
	return nil
}

func sortedKeys(m map[int]binding) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// key identifies a handler: the function, and what it runs with.
func (f *found) key() string {
	var sb strings.Builder
	var walk func(g *found, depth int)
	walk = func(g *found, depth int) {
		if depth > maxWrap {
			return
		}
		fmt.Fprintf(&sb, "%p", g.fn)
		if g.site != nil && g.env == nil {
			fmt.Fprintf(&sb, "@%p", g.site)
		}
		if g.recv != nil {
			fmt.Fprintf(&sb, "r%p", g.recv)
		}
		bind := func(b binding) {
			if b.fn != nil {
				walk(b.fn, depth+1)
			} else {
				fmt.Fprintf(&sb, "v%p", b.val)
			}
			sb.WriteByte(',')
		}
		if g.env != nil {
			sb.WriteString("(")
			for _, b := range g.env {
				bind(b)
			}
			sb.WriteString(")")
		}
		for _, i := range sortedKeys(g.fields) {
			fmt.Fprintf(&sb, "{%d:", i)
			bind(g.fields[i])
			sb.WriteString("}")
		}
		for _, x := range g.also {
			sb.WriteString("+")
			walk(x, depth+1)
		}
	}
	walk(f, 0)
	return sb.String()
}

// unwrap strips conversions around a registered value.
func unwrap(v ssa.Value) ssa.Value {
	for {
		switch x := v.(type) {
		case *ssa.ChangeType:
			v = x.X
		case *ssa.MakeInterface:
			if _, ok := x.X.Type().Underlying().(*types.Signature); ok {
				v = x.X
				continue
			}
			return v
		default:
			return v
		}
	}
}

func isLoopPost(c *ssa.CallCommon) bool {
	fn := c.StaticCallee()
	if fn == nil {
		return false
	}
	if o := fn.Origin(); o != nil {
		fn = o
	}
	obj, ok := fn.Object().(*types.Func)
	return ok && obj.Name() == "Post" && obj.Pkg() != nil && obj.Pkg().Path() == LoopPkg
}

// disc is the state of one handler discovery.
type disc struct {
	a        *analyzer
	l        *loaded
	spec     *Spec
	roots    map[*types.Package]bool
	out      []*found
	byKey    map[string]*found
	problems []Problem
	// applied: wrappers whose results were followed to a registration;
	// a handler value made inside one is not registered there.
	applied map[*ssa.Function]bool
	// consumed: conversions that make middleware, not handlers.
	consumed map[ssa.Instruction]bool
	// around: middleware wrapping a library router, which runs around
	// every handler.
	around []*found
	// via: the packages of the table through which handlers were found.
	via     map[string]bool
	nodes   map[token.Pos]ast.Node
	routers map[ssa.Value]*router
	uses    map[ssa.Value][]mwRef // by router; nil: a router not known
	allUses []mwRef
	fnArgs  map[*ssa.Function][]fnArgUse
	slots   *slotIndex
	// subst: while one entry of a table is registered, the value loaded
	// from the table stands for that entry.
	subst   map[ssa.Value]source
	reaches map[*types.Package]map[*types.Package]bool
	onPhi   map[*ssa.Phi]bool
}

// fnArgUse: a function given to chi's Route or Group.
type fnArgUse struct {
	call ssa.CallInstruction
	in   *ssa.Function
	op   routerOp
}

// candidate: a function value converted to a handler type, a handler
// unless that conversion makes middleware or is a wrapper's result.
type candidate struct {
	f     found
	in    *ssa.Function
	instr ssa.Instruction
	pkg   string
}

// findHandlers discovers handlers by registration, never by name: the
// functions passed to loop.Post and to the registrations of the table
// (followed through wrappers: middleware), values of its handler types
// and interfaces, and functions whose doc comment says //safels:handler.
func (a *analyzer) findHandlers(l *loaded, fns []*ssa.Function, spec *Spec) ([]found, []Problem) {
	d := &disc{a: a, l: l, spec: spec, roots: map[*types.Package]bool{}, byKey: map[string]*found{},
		applied: map[*ssa.Function]bool{}, consumed: map[ssa.Instruction]bool{}, via: map[string]bool{},
		routers: map[ssa.Value]*router{}, subst: map[ssa.Value]source{}, reaches: map[*types.Package]map[*types.Package]bool{}, onPhi: map[*ssa.Phi]bool{}, uses: map[ssa.Value][]mwRef{}, fnArgs: map[*ssa.Function][]fnArgUse{}}
	for _, p := range l.roots {
		d.roots[p.Types] = true
	}
	l.funcDecls(func(p *packages.Package, fd *ast.FuncDecl) bool {
		if fd.Doc == nil || !hasDirective(fd.Doc) {
			return true
		}
		obj, ok := p.TypesInfo.Defs[fd.Name].(*types.Func)
		if !ok {
			return true
		}
		if fn := a.prog.FuncValue(obj); fn != nil {
			d.add(&found{fn: fn, model: ModelLoop})
		}
		return true
	})
	d.slots = newSlotIndex(fns)
	// Routers first: which middleware each registration runs under.
	type reg struct {
		call ssa.CallInstruction
		in   *ssa.Function
		r    Registration
	}
	var regs []reg
	var cands []candidate
	var stores []*ssa.Store // http.Server{Handler: h}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				cands = d.conversions(fn, instr, cands)
				if st, ok := instr.(*ssa.Store); ok && handlerField(st.Addr) != "" {
					stores = append(stores, st)
				}
				call, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				c := call.Common()
				if op, ok := routerOpOf(c); ok {
					d.routerCall(fn, call, op)
				}
				if r, ok := spec.registration(c); ok {
					regs = append(regs, reg{call, fn, r})
				}
				if isLoopPost(c) && len(c.Args) >= 2 {
					if f, ok := fnValue(c.Args[1], ModelLoop); ok {
						d.add(&f)
					} else {
						d.warn(fn, instr, "the handler passed to loop.Post is not a function known here; it runs exclusively")
					}
				}
			}
		}
	}
	for _, g := range regs {
		d.register(g.in, g.call, g.r)
	}
	for _, st := range stores {
		r := Registration{Package: "net/http", Model: ModelConcurrent}
		d.registerValue(st.Parent(), st, st.Val, r, func(string) string { return "" }, handlerField(st.Addr), nil)
	}
	covered := d.covered()
	for _, c := range cands {
		if d.consumed[c.instr] || d.applied[c.in] || covered[c.f.key()] || !d.inWorkspace(c.f.fn) {
			continue // middleware, a wrapper's result, or a library's handler (pprof.Index)
		}
		f := c.f
		f.regIn = c.in
		d.via[c.pkg] = true
		d.add(&f)
	}
	d.attachAround()
	d.reportSilence()
	out := make([]found, len(d.out))
	for i, f := range d.out {
		out[i] = *f
	}
	return out, d.problems
}

// covered: the keys of the functions that registered handlers run inside
// their wrapping; one of them converted to a handler type elsewhere (put
// in a table, in a wrapper's field) is not a handler of its own.
func (d *disc) covered() map[string]bool {
	out := map[string]bool{}
	var walk func(f *found, depth int)
	walk = func(f *found, depth int) {
		if f == nil || depth > maxWrap {
			return
		}
		g := found{fn: f.fn, model: f.model, site: f.site, recv: f.recv}
		out[g.key()] = true
		for _, b := range f.env {
			walk(b.fn, depth+1)
		}
		for _, b := range f.fields {
			walk(b.fn, depth+1)
		}
		for _, x := range f.also {
			walk(x, depth+1)
		}
	}
	for _, f := range d.out {
		if f.wrapped() {
			walk(f, 0)
		}
	}
	return out
}

func (d *disc) warn(fn *ssa.Function, instr ssa.Instruction, msg string) {
	d.problems = append(d.problems, Problem{Pos: d.a.fset.Position(instrPos(instr)),
		Package: fn.Pkg.Pkg.Path(), Message: msg, Warning: true})
}

// add records a handler, merging the routes of one found twice.
func (d *disc) add(f *found) *found {
	if f == nil || f.fn == nil {
		return nil
	}
	k := f.key()
	if old, ok := d.byKey[k]; ok {
		for _, r := range f.routes {
			if !slices.Contains(old.routes, r) {
				old.routes = append(old.routes, r)
			}
		}
		if old.label == "" {
			old.label = f.label
		}
		if !old.reg.IsValid() {
			old.reg = f.reg
		}
		return old
	}
	d.byKey[k] = f
	d.out = append(d.out, f)
	return f
}

// fnValue: a handler given as a function value, if it is one.
func fnValue(v ssa.Value, m Model) (found, bool) {
	switch h := unwrap(v).(type) {
	case *ssa.Function:
		return found{fn: h, model: m}, true
	case *ssa.MakeClosure:
		return found{fn: h.Fn.(*ssa.Function), model: m, site: h}, true
	}
	return found{}, false
}

// conversions: values that become handlers by their type (a function
// converted to http.HandlerFunc, stored in evio's Events, passed where a
// handler type is expected, a value converted to http.Handler).
func (d *disc) conversions(fn *ssa.Function, instr ssa.Instruction, out []candidate) []candidate {
	spec := d.spec
	addFn := func(v ssa.Value, m Model, pkg, label string) {
		if f, ok := fnValue(v, m); ok {
			f.label = label
			out = append(out, candidate{f: f, in: fn, instr: instr, pkg: pkg})
		}
	}
	switch in := instr.(type) {
	case *ssa.ChangeType:
		if r, ok := spec.funcTypeRef(in.Type()); ok {
			addFn(in.X, r.Model, r.Package, "")
		}
	case *ssa.MakeInterface:
		if r, ok := spec.funcTypeRef(in.X.Type()); ok {
			addFn(in.X, r.Model, r.Package, "")
		}
		if it, ok := spec.iface(in.Type()); ok {
			for _, name := range it.Methods {
				if f := d.method(fn, in, name, it.Model); f.fn != nil {
					out = append(out, candidate{f: f, in: fn, instr: instr, pkg: it.Package})
				}
			}
		}
	case *ssa.Store:
		if r, ok := spec.funcTypeRef(pointee(in.Addr.Type())); ok {
			addFn(in.Val, r.Model, r.Package, "")
		}
		if fa, ok := in.Addr.(*ssa.FieldAddr); ok {
			if r, name, ok := spec.fieldRef(fa); ok {
				addFn(in.Val, r.Model, r.Package, r.Struct+"."+name)
			}
		}
	}
	call, ok := instr.(ssa.CallInstruction)
	if !ok {
		return out
	}
	c := call.Common()
	args := callArgs(c)
	if sig := c.Signature(); sig != nil {
		off := len(args) - len(c.Args)
		for i := 0; i < sig.Params().Len() && i < len(c.Args); i++ {
			if r, ok := spec.funcTypeRef(sig.Params().At(i).Type()); ok {
				addFn(args[i+off], r.Model, r.Package, "")
			}
		}
	}
	return out
}

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
	st := pointee(fa.X.Type())
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

// isInterfaceValue: a value of interface type, whose handler methods the
// interface rules find where the value is made.
func isInterfaceValue(v ssa.Value) bool {
	_, ok := v.Type().Underlying().(*types.Interface)
	return ok
}

// method finds the handler method name of the value converted by mi: its
// receiver is the converted value, shared by every invocation.
func (d *disc) method(fn *ssa.Function, mi *ssa.MakeInterface, name string, m Model) found {
	meth := d.methodOf(mi.X.Type(), name)
	if meth == nil || meth.Blocks == nil || !d.inWorkspace(meth) {
		// Not a method of the workspace (a ServeMux, or a no-op default
		// promoted from a library type such as gnet's EventServer): the
		// handlers it routes to are registered, and found, elsewhere.
		return found{}
	}
	return found{fn: meth, model: m, recv: mi.X, recvFn: fn}
}

func hasDirective(cg *ast.CommentGroup) bool {
	for _, c := range cg.List {
		if strings.HasPrefix(c.Text, handlerDirective) {
			rest := strings.TrimPrefix(c.Text, handlerDirective)
			if rest == "" || rest[0] == ' ' || rest[0] == '\t' {
				return true
			}
		}
	}
	return false
}

// contextParam returns the index of a handler's context parameter, or -1:
// the first parameter that is not the *loop.Loop.
func contextParam(fn *ssa.Function) int {
	for i, p := range fn.Params {
		if isLoopPtr(p.Type()) {
			continue
		}
		return i
	}
	return -1
}

func isLoopPtr(t types.Type) bool {
	p, ok := t.(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := p.Elem().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == LoopPkg && n.Obj().Name() == "Loop"
}

// funcName is the handler's stable name: types.Func.FullName() for declared
// functions and methods, the SSA name for closures and wrappers.
func funcName(fn *ssa.Function) string {
	if isBound(fn) {
		if obj, ok := fn.Object().(*types.Func); ok {
			return obj.FullName()
		}
	}
	if fn.Signature.Recv() == nil || fn.Synthetic != "" {
		if obj, ok := fn.Object().(*types.Func); ok && fn.Parent() == nil && fn.Synthetic == "" {
			return obj.FullName()
		}
		return fn.String()
	}
	if obj, ok := fn.Object().(*types.Func); ok {
		return obj.FullName()
	}
	return fn.String()
}

// shortFuncName is the name as the user wrote it: "handleSend",
// "(*Server).get", "main$1".
func shortFuncName(fn *ssa.Function) string {
	if isBound(fn) {
		if obj, ok := fn.Object().(*types.Func); ok {
			recv := obj.Type().(*types.Signature).Recv()
			return "(" + types.TypeString(recv.Type(), func(*types.Package) string { return "" }) + ")." + obj.Name()
		}
	}
	if recv := fn.Signature.Recv(); recv != nil {
		return "(" + types.TypeString(recv.Type(), func(*types.Package) string { return "" }) + ")." + fn.Name()
	}
	return fn.Name()
}

// isBound: fn is the wrapper of a method value (h.set).
func isBound(fn *ssa.Function) bool {
	return fn.Synthetic != "" && strings.HasSuffix(fn.Name(), "$bound")
}
