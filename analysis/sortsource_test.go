package analysis

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"

	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// Functions are ordered by where they are in the source, not by
// token.Pos: the loader adds files to the FileSet in whatever order its
// parallel parsing finishes, and the order of handlers and summaries,
// and what the bounds keep, followed Pos, so that miniflux's conflicts
// changed from run to run. Here b.go is added before a.go, as a parallel
// load may do.
func TestSortBySourceNotByPos(t *testing.T) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, f := range []struct{ name, src string }{
		{"b.go", "package p\nfunc B1() {}\nfunc B2() {}\n"},
		{"a.go", "package p\nfunc A2() {}\nfunc A1() {}\n"},
	} {
		af, err := parser.ParseFile(fset, f.name, f.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, af)
	}
	pkg, _, err := ssautil.BuildPackage(&types.Config{}, fset, types.NewPackage("p", "p"), files, 0)
	if err != nil {
		t.Fatal(err)
	}
	var fns []*ssa.Function
	for _, name := range []string{"B2", "A1", "B1", "A2"} {
		fns = append(fns, pkg.Func(name))
	}
	sortBySource(fset, fns)
	var got []string
	for _, fn := range fns {
		got = append(got, fn.Name())
	}
	want := []string{"A2", "A1", "B1", "B2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v (file, then offset)", got, want)
		}
	}
}
