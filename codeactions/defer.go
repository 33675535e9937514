package codeactions

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/safels/safels/analysis"
)

// deferFix moves the statement at the finding out of its loop-model handler
// into a new handler, posted in its place: the paper's refactor of thttpd's
// handle_send ("defer the invocation of really_clear_connection").
func (c *ctx) deferFix() (Fix, bool) {
	pos := c.pos()
	fd, path := c.enclosing(pos)
	if fd == nil {
		return Fix{}, false
	}
	h := c.handler(fd)
	if h == nil || h.Model != analysis.ModelLoop {
		return Fix{}, false
	}
	loopName, ctxName, ctxType, ok := c.handlerParams(fd)
	if !ok {
		return Fix{}, false
	}
	st, idx := statementAt(path)
	if st == nil || inLoop(path, idx) || hasBranch(st) {
		return Fix{}, false
	}
	if as, ok := st.(*ast.AssignStmt); ok && (as.Tok == token.DEFINE || c.writesLocal(fd, as)) {
		return Fix{}, false // the handler would lose what it assigns
	}
	locals := c.locals(fd, st)
	imp, ok := importName(c.file, loopPkg)
	if !ok {
		return Fix{}, false
	}
	name := c.uniqueName("defer" + camel(c.stmtWords(st)...))
	stmtText := string(c.src[c.off(st.Pos()):c.off(st.End())])

	var decl, post string
	onlyCtx := true
	for _, v := range locals {
		if v.Name() != ctxName && v.Name() != loopName {
			onlyCtx = false
		}
	}
	doc := fmt.Sprintf("// %s runs, after %s returns, what %s did in place:\n// deferred by safels so that %s need not conflict over it.\n", name, h.Short, h.Short, h.Short)
	if onlyCtx {
		decl = fmt.Sprintf("\n\n%sfunc %s(%s *%s.Loop, %s %s) {\n%s\n}", doc, name, loopName, imp, ctxName, ctxType, stmtText)
		post = fmt.Sprintf("%s.Post(%s, %s, %s)", imp, loopName, name, ctxName)
	} else {
		// Other locals travel in a struct: values are copied, pointers and
		// maps shared, as with any Go assignment.
		argsType := c.uniqueName(name + "Args")
		param := "args"
		var fields, unpack, lits, names []string
		for _, v := range locals {
			if v.Name() == loopName {
				continue
			}
			t, ok := c.typeString(v.Type())
			if !ok {
				return Fix{}, false
			}
			if v.Name() == param {
				param = "deferred"
			}
			fields = append(fields, fmt.Sprintf("\t%s %s", v.Name(), t))
			names = append(names, v.Name())
			unpack = append(unpack, param+"."+v.Name())
			lits = append(lits, fmt.Sprintf("%s: %s", v.Name(), v.Name()))
		}
		decl = fmt.Sprintf("\n\n// %s carries what %s needs from %s (values are copied, pointers shared).\ntype %s struct {\n%s\n}\n\n%sfunc %s(%s *%s.Loop, %s %s) {\n%s := %s\n%s\n}",
			argsType, name, h.Short, argsType, strings.Join(fields, "\n"),
			doc, name, loopName, imp, param, argsType,
			strings.Join(names, ", "), strings.Join(unpack, ", "), stmtText)
		post = fmt.Sprintf("%s.Post(%s, %s, %s{%s})", imp, loopName, name, argsType, strings.Join(lits, ", "))
	}
	src := splice(c.src, c.off(fd.End()), c.off(fd.End()), decl)
	src = splice(src, c.off(st.Pos()), c.off(st.End()), post)
	edits, ok := c.apply(src)
	if !ok {
		return Fix{}, false
	}
	return Fix{Title: fmt.Sprintf("Defer %s to new handler %s", shorten(stmtText), name), Edits: edits}, true
}

// handler returns the analysed handler declared by fd.
func (c *ctx) handler(fd *ast.FuncDecl) *analysis.Handler {
	p := c.fset.Position(fd.Name.Pos())
	for _, h := range c.r.Handlers {
		if h.Pos.Filename == p.Filename && h.Pos.Line == p.Line && h.Pos.Column == p.Column {
			return h
		}
	}
	return nil
}

// handlerParams checks fd is func(l *loop.Loop, c C) with both named.
func (c *ctx) handlerParams(fd *ast.FuncDecl) (loopName, ctxName, ctxType string, ok bool) {
	obj, _ := c.info.Defs[fd.Name].(*types.Func)
	if obj == nil {
		return
	}
	sig := obj.Type().(*types.Signature)
	if sig.Recv() != nil || sig.Params().Len() != 2 || sig.Results().Len() != 0 {
		return
	}
	l, x := sig.Params().At(0), sig.Params().At(1)
	p, isPtr := l.Type().(*types.Pointer)
	if !isPtr {
		return
	}
	n, isNamed := p.Elem().(*types.Named)
	if !isNamed || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != loopPkg || n.Obj().Name() != "Loop" {
		return
	}
	if l.Name() == "" || l.Name() == "_" || x.Name() == "" || x.Name() == "_" {
		return
	}
	t, tok := c.typeString(x.Type())
	if !tok {
		return
	}
	return l.Name(), x.Name(), t, true
}

// typeString spells t as this file can write it, if it can.
func (c *ctx) typeString(t types.Type) (string, bool) {
	ok := true
	s := types.TypeString(t, func(p *types.Package) string {
		if p == c.pkg {
			return ""
		}
		name, imported := importName(c.file, p.Path())
		if !imported {
			ok = false
		}
		return name
	})
	return s, ok
}

// locals lists the function's own variables (parameters included) that st
// uses, in order of first use.
func (c *ctx) locals(fd *ast.FuncDecl, st ast.Stmt) []*types.Var {
	var out []*types.Var
	seen := map[*types.Var]bool{}
	ast.Inspect(st, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		v, ok := c.info.Uses[id].(*types.Var)
		if !ok || v.IsField() || seen[v] || v.Pos() < fd.Pos() || v.Pos() >= fd.End() {
			return true
		}
		seen[v] = true
		out = append(out, v)
		return true
	})
	return out
}

// writesLocal: an assignment to a variable of the function itself.
func (c *ctx) writesLocal(fd *ast.FuncDecl, as *ast.AssignStmt) bool {
	for _, lhs := range as.Lhs {
		if id, ok := ast.Unparen(lhs).(*ast.Ident); ok {
			if v, ok := c.info.Uses[id].(*types.Var); ok && v.Pos() >= fd.Pos() && v.Pos() < fd.End() {
				return true
			}
		}
	}
	return false
}

// stmtWords names a statement: the function it calls, or what it updates.
func (c *ctx) stmtWords(st ast.Stmt) []string {
	var e ast.Expr
	switch s := st.(type) {
	case *ast.ExprStmt:
		if call, ok := s.X.(*ast.CallExpr); ok {
			switch f := ast.Unparen(call.Fun).(type) {
			case *ast.Ident:
				return []string{f.Name}
			case *ast.SelectorExpr:
				return []string{f.Sel.Name}
			}
		}
		e = s.X
	case *ast.IncDecStmt:
		e = s.X
	case *ast.AssignStmt:
		e = s.Lhs[0]
	}
	var words []string
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			words = append(words, id.Name)
		}
		return true
	})
	if len(words) == 0 {
		words = []string{"work"}
	}
	return words
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 48 {
		s = s[:45] + "..."
	}
	return s
}
