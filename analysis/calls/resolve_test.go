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
	got := resolveSrc(t, flowSrc, "run", (*ssa.Function).Name)
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

// resolveSrc resolves the dynamic calls of src's package (the functions
// it declares, with bodies: its imports are known by export data only)
// and gives the targets of those in function in, by the text of their
// line, each target named by name.
func resolveSrc(t *testing.T, src, in string, name func(*ssa.Function) string) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
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
		if fn.Pkg == pkg || fn.Blocks != nil && fn.Synthetic != "" {
			fns = append(fns, fn) // and wrappers, as the analysis does
		}
	}
	slices.SortFunc(fns, func(x, y *ssa.Function) int { return strings.Compare(x.String(), y.String()) })
	sites, _, _ := Resolve(pkg.Prog, fns)
	lines := strings.Split(src, "\n")
	got := map[string][]string{}
	for call, targets := range sites {
		if call.Parent().Name() != in {
			continue
		}
		// Calls on one line: their targets together.
		line := strings.TrimSpace(lines[fset.Position(call.Pos()).Line-1])
		for _, fn := range targets {
			got[line] = append(got[line], name(fn))
		}
		slices.Sort(got[line])
		got[line] = slices.Compact(got[line])
	}
	return got
}

const invokeSrc = `package p

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"reflect"
)

type mine struct{}

func (mine) Read(p []byte) (int, error) { return 0, nil }

type other struct{}

func (*other) Read(p []byte) (int, error) { return 0, nil }

type handed struct{}

func (*handed) Read(p []byte) (int, error) { return 0, nil }

type deep struct{}

func (*deep) Read(p []byte) (int, error) { return 0, nil }

type holder struct{ d *deep }

type config struct{ Src io.Reader }

type wrap struct{ r io.Reader }


func newWrap() *wrap { return &wrap{r: mine{}} }

var sink io.Reader = &other{}

var lib io.Reader = new(bytes.Reader)

func use(w *wrap, p []byte, x any) {
	w.r.Read(p)
	io.MultiReader(&handed{}).Read(p)
	rand.Reader.Read(p)
	made := reflect.New(reflect.TypeOf(holder{}).Field(0).Type.Elem()).Interface().(io.Reader)
	made.Read(p)
	either := rand.Reader
	if len(p) == 0 {
		either = mine{}
	}
	either.Read(p)
	c := &config{Src: mine{}}
	json.Unmarshal(p, c)
	c.Src.Read(p)
}
`

// unsafeSrc forges memory that holds an interface: what is read there
// (and wherever such memory may go) is anything.
const unsafeSrc = `package p

import (
	"io"
	"unsafe"
)

type mine struct{}

func (*mine) Read(p []byte) (int, error) { return 0, nil }

type other struct{}

func (*other) Read(p []byte) (int, error) { return 0, nil }

type forged struct{ r io.Reader }

type wrap struct{ r io.Reader }

func newWrap() *wrap { return &wrap{r: &mine{}} }

var sink io.Reader = &other{}

var keep = &forged{r: &mine{}}

func use(w *wrap, p []byte) {
	w.r.Read(p)
	(*forged)(unsafe.Pointer(&p)).r.Read(p)
}
`

// TestResolveInvokeByFlow checks that an interface method call runs the
// methods of the types that flow to its receiver: a field only ever set
// to a mine calls mine's Read alone (the class hierarchy: every Read).
// What comes from code without a body may be of a type declared there,
// or of one of ours that it was handed (handed, boxed into its argument),
// or that it reaches from one (deep, a field's type, which reflection
// makes); what comes through unsafe is anything.
func TestResolveInvokeByFlow(t *testing.T) {
	got := resolveSrc(t, invokeSrc, "use", (*ssa.Function).String)
	if w := []string{"(p.mine).Read"}; !slices.Equal(got["w.r.Read(p)"], w) {
		t.Errorf("w.r.Read(p) calls %v, want %v", got["w.r.Read(p)"], w)
	}
	has := func(line, fn string, want bool) {
		t.Helper()
		if slices.Contains(got[line], fn) != want {
			t.Errorf("%s calls %v: %s among them is %v, want %v", line, got[line], fn, !want, want)
		}
	}
	lib := "io.MultiReader(&handed{}).Read(p)"
	has(lib, "(*p.handed).Read", true)
	has(lib, "(*p.other).Read", false)
	has(lib, "(*bytes.Reader).Read", true)
	global := "rand.Reader.Read(p)"
	has(global, "(*bytes.Reader).Read", true)
	has(global, "(*p.handed).Read", true)
	has(global, "(*p.other).Read", false)
	refl := "made.Read(p)"
	has(refl, "(*p.deep).Read", true)
	has(refl, "(*p.other).Read", false)
	// Mixed: a library's variable (set by its code) or one of ours.
	has("either.Read(p)", "(*bytes.Reader).Read", true)
	has("either.Read(p)", "(p.mine).Read", true)
	// An exported field of a struct handed to code without a body may
	// be set there (by reflection), with anything that code has.
	has("c.Src.Read(p)", "(*bytes.Reader).Read", true)
	has("c.Src.Read(p)", "(p.mine).Read", true)
	has("c.Src.Read(p)", "(*p.other).Read", false)
}

// TestResolveInvokeUnsafe checks that an interface read from memory
// written through unsafe.Pointer may be of any type; one in a field of
// another struct is still of the types that flow there.
func TestResolveInvokeUnsafe(t *testing.T) {
	got := resolveSrc(t, unsafeSrc, "use", (*ssa.Function).String)
	want := map[string][]string{
		"w.r.Read(p)": {"(*p.mine).Read"},
		"(*forged)(unsafe.Pointer(&p)).r.Read(p)": {"(*p.mine).Read", "(*p.other).Read"},
	}
	for line, w := range want {
		if !slices.Equal(got[line], w) {
			t.Errorf("%s calls %v, want %v", line, got[line], w)
		}
	}
}

const handedSrc = `package p

import (
	"context"
	"errors"
	"net/http"
	"time"
)

type handler func(w http.ResponseWriter, r *http.Request) error

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h(w, r)
}

func page(w http.ResponseWriter, r *http.Request) error { return nil }

func tick() {}

func tock() {}

type myctx struct{ context.Context }

func (myctx) Value(k any) any { return nil }

var mine context.Context = myctx{}

func opener(fail bool) (func(), error) {
	if fail {
		return nil, errors.New("no")
	}
	return func() {}, nil
}

func init() {
	http.Handle("/", handler(page))
	time.AfterFunc(time.Second, tick)
}

func use() {
	closer, _ := opener(false)
	closer()
	ctx := context.WithValue(context.Background(), 1, tock)
	ctx.Value(1).(func())()
}
`

// TestResolveHanded checks the calls of function values that code without
// a body takes part in: a method of a function type that net/http calls
// runs the functions of that type handed to it; a result that comes with
// an error from code without a body is still only what was returned (not
// tick, any func() that code was handed); what a library's context holds
// is what that code was handed.
func TestResolveHanded(t *testing.T) {
	got := resolveSrc(t, handedSrc, "ServeHTTP", (*ssa.Function).Name)
	if w := []string{"page"}; !slices.Equal(got["h(w, r)"], w) {
		t.Errorf("h(w, r) calls %v, want %v", got["h(w, r)"], w)
	}
	got = resolveSrc(t, handedSrc, "use", (*ssa.Function).Name)
	if w := []string{"opener$1"}; !slices.Equal(got["closer()"], w) {
		t.Errorf("closer() calls %v, want %v", got["closer()"], w)
	}
	// The class hierarchy knows only myctx's Value; context's own
	// types run it too.
	if line := "ctx.Value(1).(func())()"; !slices.Contains(got[line], "tock") {
		t.Errorf("%s calls %v, want tock among them", line, got[line])
	}
}
