package codeactions

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/ast/astutil"

	"github.com/safels/safels/diagnostics"
)

// guardFix wraps the statement at the finding in Lock/Unlock of the mutex
// that already guards other accesses of the same object, or of a new
// package-level sync.Mutex named after it.
func (c *ctx) guardFix() (Fix, bool) {
	pos := c.pos()
	fd, path := c.enclosing(pos)
	if fd == nil {
		return Fix{}, false
	}
	st, _ := statementAt(path)
	if st == nil || hasBranch(st) {
		return Fix{}, false
	}
	if c.f.Code == diagnostics.CodeContext {
		// A package-level mutex would serialize every context to fix a
		// conflict on one: defer is the fix there.
		return Fix{}, false
	}
	name, isNew := c.mutexFor()
	if name == "" {
		return Fix{}, false
	}
	// Locking a mutex the function already takes could deadlock.
	if !isNew && mentionsLock(fd, name) {
		return Fix{}, false
	}
	src := c.src
	if isNew {
		root := rootName(c.f.Object)
		src = append(append([]byte(nil), src...), fmt.Sprintf("\n// %s guards %s: added by safels.\nvar %s sync.Mutex\n", name, root, name)...)
	}
	stmt := string(c.src[c.off(st.Pos()):c.off(st.End())])
	src = splice(src, c.off(st.Pos()), c.off(st.End()), fmt.Sprintf("%s.Lock()\n%s\n%s.Unlock()", name, stmt, name))
	src, ok := ensureImport(src, "sync")
	if !ok {
		return Fix{}, false
	}
	edits, ok := c.apply(src)
	if !ok {
		return Fix{}, false
	}
	return Fix{Title: fmt.Sprintf("Guard %s with a mutex (%s)", c.f.Object, name), Edits: edits}, true
}

// mutexFor picks the mutex: one that guards the object elsewhere, or one
// named after the object's root (statsMu), new unless the package has it.
func (c *ctx) mutexFor() (string, bool) {
	for _, h := range c.r.Handlers {
		for _, a := range h.Accesses {
			if a.Short != c.f.Object {
				continue
			}
			for _, g := range a.GuardedBy {
				if c.isPkgMutex(g) {
					return g, false
				}
			}
		}
	}
	root := rootName(c.f.Object)
	if root == "" {
		return "", false
	}
	name := root + "Mu"
	if c.isPkgMutex(name) {
		return name, false
	}
	if _, ok := importName(c.file, "sync"); !ok && c.pkg.Scope().Lookup("sync") != nil {
		return "", false // "sync" names something else here
	}
	return c.uniqueName(name), true
}

func (c *ctx) isPkgMutex(name string) bool {
	v, ok := c.pkg.Scope().Lookup(name).(*types.Var)
	if !ok {
		return false
	}
	n, ok := v.Type().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync" &&
		(n.Obj().Name() == "Mutex" || n.Obj().Name() == "RWMutex")
}

// rootName: "stats.requests" → "stats", "(*Handler).items[]" → "handler",
// "main.keys[]" → "keys".
func rootName(obj string) string {
	s := strings.TrimPrefix(obj, "(*")
	s = strings.TrimPrefix(s, "(")
	if i := strings.IndexAny(s, ".[)"); i >= 0 {
		if s[i] == '.' && strings.HasPrefix(obj, "main.") {
			s = s[i+1:]
			if j := strings.IndexAny(s, ".[)"); j >= 0 {
				s = s[:j]
			}
		} else {
			s = s[:i]
		}
	}
	if s == "" {
		return ""
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func mentionsLock(fd *ast.FuncDecl, name string) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && strings.Contains(sel.Sel.Name, "Lock") {
				found = true
			}
		}
		return !found
	})
	return found
}

// ensureImport adds an import of path to src if it lacks one.
func ensureImport(src []byte, path string) ([]byte, bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, false
	}
	if _, ok := importName(f, path); ok {
		return src, true
	}
	astutil.AddImport(fset, f, path)
	var b strings.Builder
	if err := printFile(&b, fset, f); err != nil {
		return nil, false
	}
	return []byte(b.String()), true
}
