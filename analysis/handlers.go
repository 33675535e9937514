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
	if recv := fn.Signature.Recv(); recv != nil {
		return "(" + types.TypeString(recv.Type(), func(*types.Package) string { return "" }) + ")." + fn.Name()
	}
	return fn.Name()
}
