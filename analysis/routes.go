package analysis

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Routers: the middleware a framework runs around a handler, and the
// route it is registered at. `r.Use(mw)` wraps every handler registered
// on r and on the routers made from it (`r.With(a).Get`, `r.Route("/x",
// func(r chi.Router) {...})`, gin's and echo's groups, gorilla's
// subrouters). Routers are told apart by the SSA value that holds them;
// where that is not known (a router passed as a parameter), every
// middleware used anywhere may apply: a mistake costs precision only.

// routerOp is a framework call that makes a router or adds middleware.
type routerOp struct {
	pkg   string
	recv  []string
	names []string
	use   bool // adds middleware to its receiver
	child bool // returns a router made from its receiver
	fnArg int  // the argument (receiver first) of a func(r Router) whose r is a child; 0: none
	// prefix is the argument holding a path prefix, mws the variadic
	// argument of middleware; 0: none.
	prefix, mws int
	chain       bool // middleware run before the handler (gin), not around it
}

var routerOps = []routerOp{
	{pkg: chi, recv: []string{"Mux", "Router"}, names: []string{"Use"}, use: true, mws: 1},
	{pkg: chi, recv: []string{"Mux", "Router"}, names: []string{"With"}, child: true, mws: 1},
	{pkg: chi, recv: []string{"Mux", "Router"}, names: []string{"Group"}, child: true, fnArg: 1},
	{pkg: chi, recv: []string{"Mux", "Router"}, names: []string{"Route"}, child: true, fnArg: 2, prefix: 1},
	{pkg: gin, recv: []string{"RouterGroup", "IRoutes", "IRouter", "Engine"}, names: []string{"Use"}, use: true, mws: 1, chain: true},
	{pkg: gin, recv: []string{"RouterGroup", "IRouter"}, names: []string{"Group"}, child: true, prefix: 1, mws: 2, chain: true},
	{pkg: echo4, recv: []string{"Echo", "Group"}, names: []string{"Use", "Pre"}, use: true, mws: 1},
	{pkg: echo4, recv: []string{"Echo", "Group"}, names: []string{"Group"}, child: true, prefix: 1, mws: 2},
	{pkg: echo5, recv: []string{"Echo", "Group"}, names: []string{"Use", "Pre"}, use: true, mws: 1},
	{pkg: echo5, recv: []string{"Echo", "Group"}, names: []string{"Group"}, child: true, prefix: 1, mws: 2},
	{pkg: gorm, recv: []string{"Router"}, names: []string{"Use"}, use: true, mws: 1},
	{pkg: gorm, recv: []string{"Router", "Route"}, names: []string{"PathPrefix", "Path"}, child: true, prefix: 1},
	{pkg: gorm, recv: []string{"Router", "Route"}, names: []string{"Subrouter", "NewRoute", "Methods", "Host", "Schemes", "Headers", "Queries", "Name", "MatcherFunc", "HeadersRegexp", "BuildVarsFunc"}, child: true},
}

// calleeObj is the function or method a call names, if static or invoke.
func calleeObj(c *ssa.CallCommon) *types.Func {
	if c.IsInvoke() {
		return c.Method
	}
	if fn := c.StaticCallee(); fn != nil {
		if o := fn.Origin(); o != nil {
			fn = o
		}
		obj, _ := fn.Object().(*types.Func)
		return obj
	}
	return nil
}

// recvName is the name of a method's receiver type, "" for a function.
func recvName(obj *types.Func) string {
	r := obj.Type().(*types.Signature).Recv()
	if r == nil {
		return ""
	}
	if n, ok := types.Unalias(mem.Pointee(r.Type())).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

func routerOpOf(c *ssa.CallCommon) (routerOp, bool) {
	obj := calleeObj(c)
	if obj == nil || obj.Pkg() == nil {
		return routerOp{}, false
	}
	recv := recvName(obj)
	for _, op := range routerOps {
		if op.pkg == obj.Pkg().Path() && slices.Contains(op.recv, recv) && slices.Contains(op.names, obj.Name()) {
			return op, true
		}
	}
	return routerOp{}, false
}

// callArgs are a call's arguments, the receiver first for an invoke.
func callArgs(c *ssa.CallCommon) []ssa.Value {
	if c.IsInvoke() {
		return append([]ssa.Value{c.Value}, c.Args...)
	}
	return c.Args
}

// mwRef is a middleware value given to a framework.
type mwRef struct {
	v     ssa.Value
	in    *ssa.Function
	chain bool
}

// router is a router as discovery tells them apart.
type router struct {
	parent *router
	id     ssa.Value // the value Use is called on; nil: not known
	prefix string
	verbs  string  // gorilla's Methods("GET")
	mws    []mwRef // given where it is made (With, groups)
}

// routerOf is the router that v, in fn, holds.
func (d *disc) routerOf(v ssa.Value, fn *ssa.Function, depth int) *router {
	if r, ok := d.routers[v]; ok {
		return r
	}
	r := d.routerOf0(v, fn, depth)
	d.routers[v] = r
	return r
}

func (d *disc) routerOf0(v ssa.Value, fn *ssa.Function, depth int) *router {
	if depth > 16 {
		return &router{}
	}
	switch x := v.(type) {
	case *ssa.ChangeType:
		return d.routerOf(x.X, fn, depth+1)
	case *ssa.MakeInterface:
		return d.routerOf(x.X, fn, depth+1)
	case *ssa.TypeAssert:
		return d.routerOf(x.X, fn, depth+1)
	case *ssa.FieldAddr:
		// gin's Engine embeds its RouterGroup: &e.RouterGroup is e.
		if st, ok := mem.Pointee(x.X.Type()).Underlying().(*types.Struct); ok && st.Field(x.Field).Embedded() {
			return d.routerOf(x.X, fn, depth+1)
		}
	case *ssa.UnOp:
		// A router kept in a variable that closures capture: what was
		// stored there, if only one value was.
		if al, ok := x.X.(*ssa.Alloc); ok && x.Op == token.MUL {
			if vals, ok := d.a.cellValues(al); ok && len(vals) == 1 {
				return d.routerOf(vals[0], al.Parent(), depth+1)
			}
		}
		if fv, ok := x.X.(*ssa.FreeVar); ok && x.Op == token.MUL {
			if al, ok := d.boundFree(fv).(*ssa.Alloc); ok {
				if vals, ok := d.a.cellValues(al); ok && len(vals) == 1 {
					return d.routerOf(vals[0], al.Parent(), depth+1)
				}
			}
		}
	case *ssa.FreeVar:
		if b := d.boundFree(x); b != nil {
			return d.routerOf(b, nil, depth+1)
		}
		return &router{}
	case *ssa.Parameter:
		if use, ok := d.fnArgs[x.Parent()]; ok && len(use) == 1 {
			// func(r chi.Router) given to Route or Group.
			c := use[0].call.Common()
			args := callArgs(c)
			r := &router{parent: d.routerOf(args[0], use[0].in, depth+1), id: x}
			if use[0].op.prefix > 0 && use[0].op.prefix < len(args) {
				r.prefix = d.constText(args[use[0].op.prefix])
			}
			return r
		}
		return &router{}
	case *ssa.Call:
		c := x.Common()
		op, ok := routerOpOf(c)
		if !ok || !op.child {
			break
		}
		args := callArgs(c)
		r := &router{parent: d.routerOf(args[0], fn, depth+1), id: x}
		if op.prefix > 0 && op.prefix < len(args) {
			r.prefix = d.constText(args[op.prefix])
			if texts := d.argTexts(c); r.prefix == "" && op.prefix < len(texts) {
				r.prefix = texts[op.prefix] // as written: prefix("/static")
			}
		}
		if obj := calleeObj(c); obj != nil && obj.Name() == "Methods" {
			var vs []string
			for _, a := range variadic(args[len(args)-1]) {
				vs = append(vs, d.constText(a))
			}
			r.verbs = strings.Join(vs, ",")
		}
		if op.mws > 0 && op.mws < len(args) {
			for _, m := range variadic(args[op.mws]) {
				r.mws = append(r.mws, mwRef{v: m, in: fn, chain: op.chain})
			}
			d.consume(args[op.mws])
		}
		return r
	}
	return &router{id: v}
}

// boundFree is the value a closure's free variable is bound to where the
// closure is made, if it is made in one place.
func (d *disc) boundFree(fv *ssa.FreeVar) ssa.Value {
	fn := fv.Parent()
	mcs := d.a.closures[fn]
	if len(mcs) != 1 {
		return nil
	}
	for i, p := range fn.FreeVars {
		if p == fv && i < len(mcs[0].Bindings) {
			return mcs[0].Bindings[i]
		}
	}
	return nil
}

// middleware lists what runs around a handler registered on r, outermost
// first.
func (d *disc) middleware(r *router) []mwRef {
	var levels []*router
	for x := r; x != nil; x = x.parent {
		levels = append(levels, x)
	}
	var out []mwRef
	seen := map[ssa.Value]bool{}
	add := func(ms []mwRef) {
		for _, m := range ms {
			if !seen[m.v] {
				seen[m.v] = true
				out = append(out, m)
			}
		}
	}
	for i := len(levels) - 1; i >= 0; i-- {
		x := levels[i]
		add(x.mws)
		if x.id == nil {
			add(d.allUses) // any router's Use may be this one's
		} else {
			add(d.uses[x.id])
			add(d.uses[nil])
		}
	}
	return out
}

// prefix is the path of r's ancestors and r.
func (r *router) path() (prefix, verbs string) {
	for x := r; x != nil; x = x.parent {
		prefix = x.prefix + prefix
		if verbs == "" {
			verbs = x.verbs
		}
	}
	return prefix, verbs
}

// variadic returns the elements of a variadic argument built at the call
// (nil when it was passed whole, as xs...).
func variadic(v ssa.Value) []ssa.Value {
	sl, ok := v.(*ssa.Slice)
	if !ok {
		return nil
	}
	al, ok := sl.X.(*ssa.Alloc)
	if !ok {
		return nil
	}
	var out []ssa.Value
	for _, ref := range *al.Referrers() {
		ia, ok := ref.(*ssa.IndexAddr)
		if !ok {
			continue
		}
		for _, r := range *ia.Referrers() {
			if st, ok := r.(*ssa.Store); ok && st.Addr == ia {
				out = append(out, st.Val)
			}
		}
	}
	return out
}

// variadicStores are the stores that fill a variadic argument: converting
// a value there is not a registration of its own.
func variadicStores(v ssa.Value) []ssa.Instruction {
	sl, ok := v.(*ssa.Slice)
	if !ok {
		return nil
	}
	al, ok := sl.X.(*ssa.Alloc)
	if !ok {
		return nil
	}
	var out []ssa.Instruction
	for _, ref := range *al.Referrers() {
		if ia, ok := ref.(*ssa.IndexAddr); ok {
			for _, r := range *ia.Referrers() {
				out = append(out, r)
			}
		}
	}
	return out
}

// constText is a route argument as the user wrote it: a string constant's
// value, else its source text (gocui.KeyCtrlC), else "".
func (d *disc) constText(v ssa.Value) string {
	if c, ok := v.(*ssa.Const); ok && c.Value != nil && c.Value.Kind() == constant.String {
		return constant.StringVal(c.Value)
	}
	return ""
}

// route spells the route of a registration: the verb its method names,
// then its route arguments (source text where not a string constant).
//
// override, if not "", replaces a last route argument that is not a
// constant: the path kept beside a handler registered in a loop.
func (d *disc) route(call *ssa.Call, c *ssa.CallCommon, r Registration, rt *router, override string) string {
	args := callArgs(c)
	obj := calleeObj(c)
	var parts []string
	prefix, verbs := "", ""
	if rt != nil {
		prefix, verbs = rt.path()
	}
	if obj != nil {
		for _, v := range httpVerbs {
			if strings.EqualFold(obj.Name(), v) {
				verbs = strings.ToUpper(v)
			}
		}
	}
	if verbs == "" && call != nil {
		verbs = d.laterVerbs(call)
	}
	if verbs != "" {
		parts = append(parts, verbs)
	}
	texts := d.argTexts(c)
	for k, i := range r.Route {
		if i < 0 {
			i += len(args)
		}
		if i < 0 || i >= len(args) {
			continue
		}
		s := d.constText(args[i])
		if s == "" && k == len(r.Route)-1 && override != "" {
			s = override
		}
		if s == "" && i < len(texts) {
			s = texts[i]
		}
		if k == len(r.Route)-1 && prefix != "" {
			s = prefix + s
		}
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(r.Route) == 0 && prefix != "" {
		parts = append(parts, prefix)
	}
	if len(parts) == 0 && obj != nil && slices.Contains([]string{"NotFound", "MethodNotAllowed", "NoRoute", "NoMethod"}, obj.Name()) {
		parts = append(parts, obj.Name())
	}
	return strings.Join(parts, " ")
}

// laterVerbs: gorilla's `r.HandleFunc("/x", h).Name("x").Methods("GET")`.
func (d *disc) laterVerbs(call *ssa.Call) string {
	for depth := 0; call != nil && depth < 8; depth++ {
		var next *ssa.Call
		for _, ref := range *call.Referrers() {
			c, ok := ref.(*ssa.Call)
			if !ok {
				continue
			}
			obj := calleeObj(c.Common())
			if obj == nil || obj.Pkg() == nil || obj.Pkg().Path() != gorm {
				continue
			}
			if obj.Name() == "Methods" {
				args := callArgs(c.Common())
				var vs []string
				for _, a := range variadic(args[len(args)-1]) {
					vs = append(vs, d.constText(a))
				}
				return strings.Join(vs, ",")
			}
			next = c
		}
		call = next
	}
	return ""
}

// argTexts returns the source text of a call's arguments, receiver first,
// as route argument indexes count them.
func (d *disc) argTexts(c *ssa.CallCommon) []string {
	call := d.callExpr(c.Pos())
	if call == nil {
		return nil
	}
	var out []string
	if c.IsInvoke() || c.Signature().Recv() != nil {
		out = append(out, "") // the receiver, not among the call's arguments
	}
	for _, a := range call.Args {
		out = append(out, types.ExprString(a))
	}
	return out
}

// callExpr finds the call expression whose parenthesis is at pos.
func (d *disc) callExpr(pos token.Pos) *ast.CallExpr {
	c, _ := d.node(pos).(*ast.CallExpr)
	return c
}

// node finds the syntax the SSA builder positions at pos: a call (its
// parenthesis), a composite literal (its brace) and its unkeyed elements,
// a key: value (its colon).
func (d *disc) node(pos token.Pos) ast.Node {
	if d.nodes == nil {
		d.nodes = map[token.Pos]ast.Node{}
		for _, p := range d.l.roots {
			for _, f := range p.Syntax {
				ast.Inspect(f, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.CallExpr:
						d.nodes[n.Lparen] = n
					case *ast.CompositeLit:
						d.nodes[n.Lbrace] = n
						for _, e := range n.Elts {
							if _, ok := d.nodes[e.Pos()]; !ok {
								d.nodes[e.Pos()] = e // an unkeyed element
							}
						}
					case *ast.KeyValueExpr:
						d.nodes[n.Colon] = n
					}
					return true
				})
			}
		}
	}
	return d.nodes[pos]
}
