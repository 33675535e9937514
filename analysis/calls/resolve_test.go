package calls

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

const flowSrc = `package p

import "context"

type job struct{ fn func() }

var hooks []func()

func a() {}
func b() {}
func c() {}

func init() { hooks = append(hooks, a) }

func run(j *job) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_ = ctx
	for _, h := range hooks {
		h()
	}
	j.fn()
}

func start() { run(&job{fn: b}) }

func handler(w interface{ Write([]byte) (int, error) }) { w.Write(nil) }
`

// TestResolveByFlow checks that a call of a function value reaches the
// functions that flow to it, not every function of its signature: c, a
// func() like the others, is never called.
func TestResolveByFlow(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", flowSrc, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, _, err := ssautil.BuildPackage(&types.Config{Importer: importer.Default()}, fset,
		types.NewPackage("p", "p"), []*ast.File{f}, ssa.InstantiateGenerics)
	if err != nil {
		t.Fatal(err)
	}
	var fns []*ssa.Function
	for fn := range ssautil.AllFunctions(pkg.Prog) {
		if fn.Pkg == pkg {
			fns = append(fns, fn)
		}
	}
	sites, _, _ := Resolve(pkg.Prog, fns)
	// Each dynamic call of run, by the text of its line.
	lines := strings.Split(flowSrc, "\n")
	got := map[string][]string{}
	for call, targets := range sites {
		if call.Parent().Name() != "run" {
			continue
		}
		var names []string
		for _, fn := range targets {
			names = append(names, fn.Name())
		}
		slices.Sort(names)
		got[strings.TrimSpace(lines[fset.Position(call.Pos()).Line-1])] = names
	}
	want := map[string][]string{
		"h()":    {"a"},
		"j.fn()": {"b"},
		// cancel comes from code without a body: it may be any function
		// that code was handed, and a function kept in a []func() may be
		// (containers' elements count as handed); b, kept in a field of
		// our own struct, and c, never a value, may not.
		"defer cancel()": {"a"},
	}
	for line, w := range want {
		if !slices.Equal(got[line], w) {
			t.Errorf("%s calls %v, want %v", line, got[line], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("dynamic calls in run: %v, want those of %v", got, want)
	}
}
