package analysis

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strings"

	"github.com/safels/safels/analysis/mem"
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
	// fns: the workspace's functions; posts: their calls, for handlers
	// posted through wrappers of loop.Post (posts.go).
	fns   []*ssa.Function
	posts *posters
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
		routers: map[ssa.Value]*router{}, subst: map[ssa.Value]source{}, reaches: map[*types.Package]map[*types.Package]bool{}, onPhi: map[*ssa.Phi]bool{}, uses: map[ssa.Value][]mwRef{}, fnArgs: map[*ssa.Function][]fnArgUse{}, fns: fns}
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
					d.posted(fn, instr, c.Args[1])
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
		if r, ok := spec.funcTypeRef(mem.Pointee(in.Addr.Type())); ok {
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
