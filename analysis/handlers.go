package analysis

import (
	"go/ast"
	"go/types"
	"golang.org/x/tools/go/packages"
	"strings"

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
	// binds: closure bindings where the handler is a closure made at its
	// registration (nil: resolve from where the closure is made).
	site *ssa.MakeClosure
	// recv: for a method registered through a value (an http.Handler), the
	// value it was registered with; recvFn is where that happened. Every
	// invocation shares it.
	recv   ssa.Value
	recvFn *ssa.Function
}

// registration describes a call that registers handlers: a function or
// method (by package path, receiver type name, names) and which argument
// holds the handler. The table is data so that frameworks are easy to add.
type registration struct {
	pkg   string
	recv  string // receiver type name; "" for a package-level function
	names []string
	arg   int // index into the call's arguments, receiver first; -1: the last
	model Model
	// method is called on a registered value that is not a function.
	method string
}

var registrations = []registration{
	{pkg: "net/http", names: []string{"HandleFunc", "Handle"}, arg: 1, model: ModelConcurrent, method: "ServeHTTP"},
	{pkg: "net/http", recv: "ServeMux", names: []string{"HandleFunc", "Handle"}, arg: 2, model: ModelConcurrent, method: "ServeHTTP"},
	{pkg: "net/http", names: []string{"ListenAndServe", "Serve"}, arg: 1, model: ModelConcurrent, method: "ServeHTTP"},
	{pkg: "net/http", names: []string{"ListenAndServeTLS", "ServeTLS"}, arg: 3, model: ModelConcurrent, method: "ServeHTTP"},
}

// registrationOf matches a call against the table.
func registrationOf(c *ssa.CallCommon) (*registration, bool) {
	var obj *types.Func
	if c.IsInvoke() {
		obj = c.Method
	} else if fn := c.StaticCallee(); fn != nil {
		if o := fn.Origin(); o != nil {
			fn = o
		}
		obj, _ = fn.Object().(*types.Func)
	}
	if obj == nil || obj.Pkg() == nil {
		return nil, false
	}
	recv := ""
	if r := obj.Type().(*types.Signature).Recv(); r != nil {
		t := r.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := t.(*types.Named); ok {
			recv = n.Obj().Name()
		}
	}
	for i := range registrations {
		r := &registrations[i]
		if r.pkg != obj.Pkg().Path() || r.recv != recv {
			continue
		}
		for _, n := range r.names {
			if n == obj.Name() {
				return r, true
			}
		}
	}
	return nil, false
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

// findHandlers discovers handlers by registration, never by name: the
// functions passed to loop.Post, and functions whose doc comment says
// //safels:handler.
func (a *analyzer) findHandlers(l *loaded, fns []*ssa.Function) ([]found, []Problem) {
	var out []found
	var problems []Problem
	seen := map[*ssa.Function]bool{}
	add := func(f found) {
		if !seen[f.fn] {
			seen[f.fn] = true
			out = append(out, f)
		}
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
			add(found{fn: fn, model: ModelLoop})
		}
		return true
	})
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				if call, ok := instr.(ssa.CallInstruction); ok {
					if r, ok := registrationOf(call.Common()); ok {
						args := call.Common().Args
						if call.Common().IsInvoke() {
							args = append([]ssa.Value{call.Common().Value}, args...)
						}
						i := r.arg
						if i < 0 {
							i = len(args) - 1
						}
						if i < len(args) {
							if f, ok := a.registered(fn, args[i], r); ok {
								if f.fn != nil {
									add(f)
								}
							} else if _, isConst := args[i].(*ssa.Const); !isConst {
								problems = append(problems, Problem{
									Pos:     a.fset.Position(instrPos(instr)),
									Package: fn.Pkg.Pkg.Path(),
									Message: "cannot tell which handler is registered here; its conflicts are not reported",
									Warning: true,
								})
							}
						}
					}
				}
				call, ok := instr.(ssa.CallInstruction)
				if !ok || !isLoopPost(call.Common()) || len(call.Common().Args) < 2 {
					continue
				}
				h := call.Common().Args[1]
				for {
					if ct, ok := h.(*ssa.ChangeType); ok {
						h = ct.X
						continue
					}
					break
				}
				switch h := h.(type) {
				case *ssa.Function:
					add(found{fn: h, model: ModelLoop})
				case *ssa.MakeClosure:
					add(found{fn: h.Fn.(*ssa.Function), model: ModelLoop, site: h})
				default:
					problems = append(problems, Problem{
						Pos:     a.fset.Position(instrPos(instr)),
						Package: fn.Pkg.Pkg.Path(),
						Message: "the handler passed to loop.Post is not a function known here; it runs exclusively",
						Warning: true,
					})
				}
			}
		}
	}
	return out, problems
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

// registered resolves the handler a registration call was given.
func (a *analyzer) registered(fn *ssa.Function, v ssa.Value, r *registration) (found, bool) {
	switch h := unwrap(v).(type) {
	case *ssa.Function:
		return found{fn: h, model: r.model}, true
	case *ssa.MakeClosure:
		return found{fn: h.Fn.(*ssa.Function), model: r.model, site: h}, true
	case *ssa.MakeInterface:
		if r.method == "" {
			return found{}, false
		}
		t := h.X.Type()
		var pkg *types.Package
		if n, ok := types.Unalias(pointee(t)).(*types.Named); ok {
			pkg = n.Obj().Pkg()
		}
		m := a.prog.LookupMethod(t, pkg, r.method)
		if m == nil {
			return found{}, false
		}
		if m.Blocks == nil {
			// A handler type from outside the workspace (a ServeMux): the
			// handlers it routes to are registered, and found, elsewhere.
			return found{}, true
		}
		return found{fn: m, model: r.model, recv: h.X, recvFn: fn}, true
	}
	return found{}, false
}

// isBound: fn is the wrapper of a method value (h.set).
func isBound(fn *ssa.Function) bool {
	return fn.Synthetic != "" && strings.HasSuffix(fn.Name(), "$bound")
}
