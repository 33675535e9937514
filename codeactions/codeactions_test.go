package codeactions_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/codeactions"
	"github.com/safels/safels/diagnostics"
)

func analyse(t *testing.T, dir string) *analysis.Result {
	t.Helper()
	abs, _ := filepath.Abs(dir)
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: abs, Patterns: []string{"."}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// applyEdits applies a fix's edits (one file) to src.
func applyEdits(t *testing.T, src []byte, edits []codeactions.Edit) []byte {
	t.Helper()
	sort.Slice(edits, func(i, j int) bool { return edits[i].Offset > edits[j].Offset })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		out = append(out[:e.Offset:e.Offset], append([]byte(e.NewText), out[e.End:]...)...)
	}
	return out
}

// checker type-checks variants of one package in-process: the package and
// the imports a fix may add are loaded once.
type checker struct {
	files   []string
	imports map[string]*types.Package
	path    string
}

func newChecker(t *testing.T, dir string) *checker {
	t.Helper()
	abs, _ := filepath.Abs(dir)
	pkgs, err := packages.Load(&packages.Config{
		Mode: packages.NeedTypes | packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedCompiledGoFiles,
		Dir:  abs,
	}, ".", "sync")
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{imports: map[string]*types.Package{}, files: pkgs[0].CompiledGoFiles, path: pkgs[0].PkgPath}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.Types != nil {
			c.imports[p.PkgPath] = p.Types
		}
	})
	return c
}

func (c *checker) check(file string, src []byte) error {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range c.files {
		var f *ast.File
		var err error
		if name == file {
			f, err = parser.ParseFile(fset, name, src, 0)
		} else {
			f, err = parser.ParseFile(fset, name, nil, 0)
		}
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importerFunc(func(path string) (*types.Package, error) {
		if p, ok := c.imports[path]; ok {
			return p, nil
		}
		return nil, fmt.Errorf("no package %s", path)
	})}
	_, err := conf.Check(c.path, fset, files, nil)
	return err
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// TestEveryFixCompiles applies every fix offered anywhere in the example
// programs, one at a time, and type-checks the result.
func TestEveryFixCompiles(t *testing.T) {
	dirs := []string{"../analysis/testdata/fields", "../analysis/testdata/calls", "../analysis/testdata/locks",
		"../analysis/testdata/escape", "../analysis/testdata/nethttp"}
	for _, extra := range []string{"../testdata/thttpd", "../testdata/thttpd-deferred", "../testdata/pipeline", "../testdata/slides"} {
		if _, err := os.Stat(extra); err == nil {
			dirs = append(dirs, extra)
		}
	}
	total := 0
	for _, dir := range dirs {
		r := analyse(t, dir)
		chk := newChecker(t, dir)
		// The checker itself must reject broken code, or this test proves nothing.
		if err := chk.check(chk.files[0], []byte("package main\nfunc f() { undefinedThing() }\n")); err == nil {
			t.Fatalf("%s: the checker accepts code that does not compile", dir)
		}
		for _, f := range diagnostics.Findings(r) {
			src, err := os.ReadFile(f.Pos.Filename)
			if err != nil {
				t.Fatal(err)
			}
			for _, fix := range codeactions.For(r, f, src) {
				total++
				out := applyEdits(t, src, fix.Edits)
				if err := chk.check(f.Pos.Filename, out); err != nil {
					t.Errorf("%s: fix %q does not compile: %v\n%s", f.Pos, fix.Title, err, out)
				}
			}
		}
	}
	if total < 10 {
		t.Errorf("only %d fixes offered in all examples", total)
	}
	t.Logf("%d fixes applied and type-checked", total)
}

func TestDeferGolden(t *testing.T) {
	dir := "../analysis/testdata/fields"
	r := analyse(t, dir)
	file, _ := filepath.Abs(filepath.Join(dir, "fields.go"))
	src, _ := os.ReadFile(file)
	var titles []string
	for _, f := range diagnostics.Findings(r) {
		for _, fix := range codeactions.For(r, f, src) {
			titles = append(titles, fix.Title)
			out := applyEdits(t, src, fix.Edits)
			golden := filepath.Join("testdata", goldenName(fmt.Sprintf("%d %s", f.Pos.Line, fix.Title))+".golden")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				os.MkdirAll("testdata", 0o755)
				os.WriteFile(golden, out, 0o644)
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Errorf("missing golden %s (run with UPDATE_GOLDEN=1): %v", golden, err)
				continue
			}
			if string(want) != string(out) {
				t.Errorf("fix %q differs from %s:\n%s", fix.Title, golden, out)
			}
		}
	}
	t.Logf("fixes: %q", titles)
}

func goldenName(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteRune('_')
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// TestStale: a fix is never computed against content other than the one
// the result was computed from.
func TestStale(t *testing.T) {
	dir := "../analysis/testdata/fields"
	r := analyse(t, dir)
	file, _ := filepath.Abs(filepath.Join(dir, "fields.go"))
	src, _ := os.ReadFile(file)
	// Same length, different content: sizes alone would not tell.
	edited := append([]byte(nil), src...)
	edited[len(edited)-2] = ' '

	offered := 0
	for _, f := range diagnostics.Findings(r) {
		offered += len(codeactions.For(r, f, src))
		if fixes := codeactions.For(r, f, edited); len(fixes) != 0 {
			t.Errorf("%s: %d fixes offered against a stale version", f.Pos, len(fixes))
		}
	}
	if offered == 0 {
		t.Error("no fixes on the current version either: the test proves nothing")
	}
}
