// Package codeactions turns a finding into edits that remove it: "Defer to
// new handler" (the paper's thttpd refactor: move a statement out of a
// handler into a new handler posted to the loop) and "Guard with a mutex".
//
// Start at For, which lists the fixes valid at a finding. Every fix is
// computed from the analysis result of one version of the file (never by
// re-analysing), is gofmt-ed, adds the imports it needs, and is offered only
// where the result compiles.
package codeactions

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"strings"
	"unicode"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

// Edit replaces bytes [Offset, End) of a file with NewText.
type Edit struct {
	Filename    string
	Offset, End int
	NewText     string
}

// Fix is one quick fix.
type Fix struct {
	Title string
	Edits []Edit
}

const loopPkg = "github.com/safels/safels/loop"

// For returns the fixes offered for finding f of result r, computed against
// src, the content r was computed from.
func For(r *analysis.Result, f diagnostics.Finding, src []byte) []Fix {
	fset, file, pkg, info, ok := r.Syntax(f.Pos.Filename)
	if !ok {
		return nil
	}
	tf := fset.File(file.Pos())
	if tf == nil || !r.Analysed(f.Pos.Filename, src) {
		return nil // the result is not of this content: never a stale edit
	}
	c := &ctx{r: r, f: f, fset: fset, file: file, pkg: pkg, info: info, src: src, tf: tf}
	var out []Fix
	if fix, ok := c.deferFix(); ok {
		out = append(out, fix)
	}
	if fix, ok := c.guardFix(); ok {
		out = append(out, fix)
	}
	return out
}

type ctx struct {
	r    *analysis.Result
	f    diagnostics.Finding
	fset *token.FileSet
	file *ast.File
	pkg  *types.Package
	info *types.Info
	src  []byte
	tf   *token.File
}

func (c *ctx) pos() token.Pos {
	if c.f.Pos.Line < 1 || c.f.Pos.Line > c.tf.LineCount() {
		return token.NoPos
	}
	return c.tf.LineStart(c.f.Pos.Line) + token.Pos(max(c.f.Pos.Column-1, 0))
}

// enclosing finds the function declaration holding pos and the path of
// nodes from it down to pos.
func (c *ctx) enclosing(pos token.Pos) (*ast.FuncDecl, []ast.Node) {
	for _, d := range c.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || pos < fd.Body.Lbrace || pos > fd.Body.Rbrace {
			continue
		}
		var path []ast.Node
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if n == nil {
				return false
			}
			if n.Pos() <= pos && pos < n.End() {
				path = append(path, n)
				return true
			}
			return false
		})
		return fd, path
	}
	return nil, nil
}

// statementAt returns the innermost simple statement holding pos that
// stands in a statement list (a block or a case clause), and its index in
// path.
func statementAt(path []ast.Node) (ast.Stmt, int) {
	for i := len(path) - 1; i > 0; i-- {
		st, ok := path[i].(ast.Stmt)
		if !ok {
			continue
		}
		switch path[i-1].(type) {
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
		default:
			continue
		}
		switch st.(type) {
		case *ast.ExprStmt, *ast.AssignStmt, *ast.IncDecStmt:
			return st, i
		}
		return nil, 0
	}
	return nil, 0
}

// inLoop: a for or range statement lies between the function and the
// statement, so moving it would change what iterations see.
func inLoop(path []ast.Node, upTo int) bool {
	for _, n := range path[:upTo] {
		switch n.(type) {
		case *ast.ForStmt, *ast.RangeStmt, *ast.FuncLit:
			return true
		}
	}
	return false
}

// hasBranch: the statement returns, breaks or jumps, or defines a closure
// (whose meaning would change if moved); such statements are not moved.
func hasBranch(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.ReturnStmt, *ast.BranchStmt, *ast.DeferStmt, *ast.GoStmt:
			found = true
		}
		return !found
	})
	return found
}

// apply turns the changed source into one edit (common prefix and suffix
// kept), gofmt-ed.
func (c *ctx) apply(newSrc []byte) ([]Edit, bool) {
	out, err := format.Source(newSrc)
	if err != nil {
		return nil, false
	}
	old := c.src
	p := 0
	for p < len(old) && p < len(out) && old[p] == out[p] {
		p++
	}
	s := 0
	for s < len(old)-p && s < len(out)-p && old[len(old)-1-s] == out[len(out)-1-s] {
		s++
	}
	return []Edit{{Filename: c.f.Pos.Filename, Offset: p, End: len(old) - s, NewText: string(out[p : len(out)-s])}}, true
}

func (c *ctx) off(p token.Pos) int { return c.tf.Offset(p) }

// splice returns src with [from, to) replaced.
func splice(src []byte, from, to int, text string) []byte {
	var b bytes.Buffer
	b.Write(src[:from])
	b.WriteString(text)
	b.Write(src[to:])
	return b.Bytes()
}

// uniqueName returns base, or base2, base3... if the package has it.
func (c *ctx) uniqueName(base string) string {
	name := base
	for i := 2; c.pkg.Scope().Lookup(name) != nil; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	return name
}

// camel joins words into a Go identifier: "stats", "bytesSent" → StatsBytesSent.
func camel(words ...string) string {
	var b strings.Builder
	for _, w := range words {
		for i, r := range w {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
			if i == 0 || b.Len() == 0 {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// importName is the name under which the file imports path, if it does.
func importName(f *ast.File, path string) (string, bool) {
	for _, im := range f.Imports {
		if strings.Trim(im.Path.Value, `"`) == path {
			if im.Name != nil {
				return im.Name.Name, true
			}
			return path[strings.LastIndex(path, "/")+1:], true
		}
	}
	return "", false
}

func printFile(w *strings.Builder, fset *token.FileSet, f *ast.File) error {
	return format.Node(w, fset, f)
}
