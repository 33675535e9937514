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
func (a *analyzer) findHandlers(l *loaded, fns []*ssa.Function, spec *Spec) ([]found, []Problem) {
	var out []found
	var problems []Problem
	seen := map[*ssa.Function]bool{}
	add := func(f found) {
		if f.fn != nil && !seen[f.fn] {
			seen[f.fn] = true
			out = append(out, f)
		}
	}
	warn := func(fn *ssa.Function, instr ssa.Instruction, msg string) {
		problems = append(problems, Problem{Pos: a.fset.Position(instrPos(instr)),
			Package: fn.Pkg.Pkg.Path(), Message: msg, Warning: true})
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
	// fnValue: a handler given as a function value, if it is one.
	fnValue := func(v ssa.Value, m Model) (found, bool) {
		switch h := unwrap(v).(type) {
		case *ssa.Function:
			return found{fn: h, model: m}, true
		case *ssa.MakeClosure:
			return found{fn: h.Fn.(*ssa.Function), model: m, site: h}, true
		}
		return found{}, false
	}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				switch in := instr.(type) {
				case *ssa.ChangeType:
					if m, ok := spec.funcType(in.Type()); ok {
						if f, ok := fnValue(in.X, m); ok {
							add(f)
						}
					}
				case *ssa.MakeInterface:
					if m, ok := spec.funcType(in.X.Type()); ok {
						if f, ok := fnValue(in.X, m); ok {
							add(f)
						}
					}
					if it, ok := spec.iface(in.Type()); ok {
						for _, name := range it.Methods {
							add(a.method(fn, in, name, it.Model))
						}
					}
				case *ssa.Store:
					if m, ok := spec.funcType(pointee(in.Addr.Type())); ok {
						if f, ok := fnValue(in.Val, m); ok {
							add(f)
						}
					}
					if fa, ok := in.Addr.(*ssa.FieldAddr); ok {
						if m, ok := spec.field(fa); ok {
							if f, ok := fnValue(in.Val, m); ok {
								add(f)
							}
						}
					}
				}
				call, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				c := call.Common()
				args := c.Args
				if c.IsInvoke() {
					args = append([]ssa.Value{c.Value}, args...)
				}
				if sig := c.Signature(); sig != nil {
					off := len(args) - len(c.Args)
					for i := 0; i < sig.Params().Len() && i < len(c.Args); i++ {
						if m, ok := spec.funcType(sig.Params().At(i).Type()); ok {
							if f, ok := fnValue(args[i+off], m); ok {
								add(f)
							}
						}
					}
				}
				if r, ok := spec.registration(c); ok {
					for _, i := range r.Args {
						if i < 0 {
							i += len(args)
						}
						if i < 0 || i >= len(args) {
							continue
						}
						if f, ok := fnValue(args[i], r.Model); ok {
							add(f)
						} else if _, isConst := args[i].(*ssa.Const); !isConst && !isInterfaceValue(args[i]) {
							warn(fn, instr, "cannot tell which handler is registered here; its conflicts are not reported")
						}
					}
				}
				if isLoopPost(c) && len(c.Args) >= 2 {
					if f, ok := fnValue(c.Args[1], ModelLoop); ok {
						add(f)
					} else {
						warn(fn, instr, "the handler passed to loop.Post is not a function known here; it runs exclusively")
					}
				}
			}
		}
	}
	return out, problems
}

// isInterfaceValue: a value of interface type, whose handler methods the
// interface rules find where the value is made.
func isInterfaceValue(v ssa.Value) bool {
	_, ok := v.Type().Underlying().(*types.Interface)
	return ok
}

// method finds the handler method name of the value converted by mi: its
// receiver is the converted value, shared by every invocation.
func (a *analyzer) method(fn *ssa.Function, mi *ssa.MakeInterface, name string, m Model) found {
	t := mi.X.Type()
	var pkg *types.Package
	if n, ok := types.Unalias(pointee(t)).(*types.Named); ok {
		pkg = n.Obj().Pkg()
	}
	sel := a.prog.MethodSets.MethodSet(t).Lookup(pkg, name)
	if sel == nil {
		return found{} // the interface's method set is wider than the table
	}
	meth := a.prog.MethodValue(sel)
	if meth == nil || meth.Blocks == nil {
		// Not a method of the workspace (a ServeMux): the handlers it routes
		// to are registered, and found, elsewhere.
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
