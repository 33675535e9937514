package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/safels/safels/internal/testmod"
	"github.com/safels/safels/loop"
)

const genProgram = `package main

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"runtime"

	"github.com/safels/safels/loop"
)

var counter, other int

type srv struct{ n int }

func (s *srv) handle(l *loop.Loop, c *int) { s.n++; *c++ }

func top(l *loop.Loop, c *int) { counter++ }

func name(h any) string { return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name() }

func main() {
	l := loop.New()
	s := &srv{}
	inner := func(l *loop.Loop, c *int) {
		other++
		nested := func(l *loop.Loop, c *int) { other-- }
		loop.Post(l, nested, c)
		fmt.Println(name(nested))
	}
	loop.Post(l, top, new(int))
	loop.Post(l, s.handle, new(int))
	loop.Post(l, inner, new(int))
	fmt.Println(name(top))
	fmt.Println(name(s.handle))
	fmt.Println(name(inner))
	done := make(chan error)
	go func() { done <- l.Run(context.Background()) }()
	// Once everything posted has run (nested included): a handler that
	// stops the loop would be independent, and could run first.
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := <-done; err != loop.ErrStopped {
		fmt.Fprintln(os.Stderr, err)
	}
}
`

// gen's table is keyed by the names the runtime gives handler functions
// (plain, method value, closure, nested closure), the generated file
// compiles, and the program runs with it; after a source change without
// `go generate`, the loop ignores the stale table and says so.
func TestGenTable(t *testing.T) {
	root, _ := filepath.Abs("../..")
	dir := writeModule(t, map[string]string{"main.go": genProgram})
	mod := "module example.com/m\n\ngo 1.26\n\nrequire github.com/safels/safels v0.0.0\n\nreplace github.com/safels/safels => " + root + "\n"
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644)
	sum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
	t.Setenv("GOFLAGS", "-mod=mod")

	_, stderr, code := runSafels(t, dir, "gen")
	if code != 0 {
		t.Fatalf("safels gen: exit %d\n%s", code, stderr)
	}
	table, err := os.ReadFile(filepath.Join(dir, genFile))
	if err != nil {
		t.Fatal(err)
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	run := func() (string, string) {
		cmd := exec.Command(goCmd, "run", ".")
		cmd.Dir = dir
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("go run: %v\n%s\n---\n%s", err, e.String(), table)
		}
		return o.String(), e.String()
	}
	out, errOut := run()
	if strings.Contains(errOut, "constraint table") {
		t.Errorf("a fresh table was ignored: %s", errOut)
	}
	names := strings.Fields(out)
	if len(names) != 4 {
		t.Fatalf("program printed %q", out)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`"([^"]+)":\s+\{Hue`).FindAllStringSubmatch(string(table), -1) {
		keys[m[1]] = true
	}
	for _, n := range names {
		if !keys[n] {
			t.Errorf("handler %s (runtime name) is not in the table %v", n, keys)
		}
	}

	// A change without regenerating: the table no longer vouches for the
	// program.
	f, _ := os.OpenFile(filepath.Join(dir, "main.go"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\nfunc later() { counter = 2 }\n")
	f.Close()
	_, errOut = run()
	if !strings.Contains(errOut, "constraint table") || !strings.Contains(errOut, "one at a time") {
		t.Errorf("a stale table was not reported: %q", errOut)
	}
}

// meetProgram adds to genProgram a handler that the analysis finds
// independent (no hue, not colored), and a test of the program.
const meetProgram = `package main

import "github.com/safels/safels/loop"

// rendezvous is where invocations of meet wait for each other: each says
// it arrived, then waits until all have.
type rendezvous struct {
	arrived chan struct{}
	all     chan struct{}
}

// meet touches no shared state and writes nothing through its context.
//
//safels:handler
func meet(l *loop.Loop, r *rendezvous) {
	r.arrived <- struct{}{}
	<-r.all
}
`

const meetTest = `package main

import (
	"context"
	"testing"
	"time"

	"github.com/safels/safels/loop"
)

// TestProgram runs the program in the test binary: it prints the names
// this binary gives its handlers.
func TestProgram(t *testing.T) { main() }

// TestMeet: two invocations of meet wait for each other, which they can
// do only if the loop runs them at once; a handler missing from the table
// would run alone.
func TestMeet(t *testing.T) {
	r := &rendezvous{arrived: make(chan struct{}), all: make(chan struct{})}
	defer close(r.all)
	l := loop.New(loop.WithWorkers(2))
	defer l.Stop()
	loop.Post(l, meet, r)
	loop.Post(l, meet, r)
	go l.Run(context.Background())
	for i := range 2 {
		select {
		case <-r.arrived:
		case <-time.After(20 * time.Second): // only keeps a failure from hanging
			t.Fatalf("%d of 2 invocations of %s started: the loop runs it alone", i, name(meet))
		}
	}
}
`

// A test binary names the functions of package main by the package's
// import path, not "main": the table names them both ways, so that the
// handlers of a program's own tests (go test) are found in it and run in
// parallel where the analysis allows, instead of one at a time in silence.
// The module path has a dot in its last element, which symbol names escape.
// With the import-path names taken out of the table (as gen wrote it
// before), the loop says that the table names none of the handlers.
func TestGenTableUnderGoTest(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"main.go": genProgram, "meet.go": meetProgram, "main_test.go": meetTest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testmod.Init(t, dir, "example.com/srv.v2")
	t.Setenv("GOFLAGS", "-mod=mod")
	if _, stderr, code := runSafels(t, dir, "gen"); code != 0 {
		t.Fatalf("safels gen: exit %d\n%s", code, stderr)
	}
	table, err := os.ReadFile(filepath.Join(dir, genFile))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`"([^"]+)":\s+\{Hue`).FindAllStringSubmatch(string(table), -1) {
		keys[m[1]] = true
	}

	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(dir, "m.test")
	build := func() {
		cmd := exec.Command(goCmd, "test", "-c", "-o", bin, ".")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go test -c: %v\n%s\n---\n%s", err, out, table)
		}
	}
	test := func(run string) (string, string) {
		cmd := exec.Command(bin, "-test.run=^"+run+"$")
		cmd.Dir = dir
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s%s\n---\n%s", run, err, o.String(), e.String(), table)
		}
		return o.String(), e.String()
	}
	build()
	out, errOut := test("TestProgram")
	names := strings.Fields(strings.TrimSuffix(strings.TrimSpace(out), "PASS"))
	if len(names) != 4 {
		t.Fatalf("the program printed %q", out)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "example.com/srv%2ev2.") {
			t.Errorf("handler %s: not named by the import path in the test binary", n)
		}
		if !keys[n] {
			t.Errorf("handler %s (the test binary's name) is not in the table %v", n, keys)
		}
	}
	if strings.Contains(errOut, "constraint table") {
		t.Errorf("the loop reported the table: %s", errOut)
	}
	if _, errOut := test("TestMeet"); strings.Contains(errOut, "constraint table") {
		t.Errorf("the loop reported the table: %s", errOut)
	}

	// The table as gen wrote it before: only "main." names.
	var old []string
	for _, line := range strings.SplitAfter(string(table), "\n") {
		if !strings.Contains(line, `"example.com/`) {
			old = append(old, line)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, genFile), []byte(strings.Join(old, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	build()
	if _, errOut := test("TestProgram"); !strings.Contains(errOut, "is not in the constraint table") {
		t.Errorf("a table that names none of the test binary's handlers was not reported: %q", errOut)
	}
}

// runtimeNames: each form of analysis name, in a main package (both
// names) and elsewhere, with a path that symbol names escape, generic
// instantiations (whose type arguments hold dots and brackets) included.
func TestRuntimeNames(t *testing.T) {
	for _, tc := range []struct {
		name, mainPath string
		want           []string
	}{
		{"example.com/m.f", "example.com/m", []string{"example.com/m.f", "main.f"}},
		{"example.com/m.main$1$2", "example.com/m", []string{"example.com/m.main.func1.2", "main.main.func1.2"}},
		{"(*example.com/m.T).h", "example.com/m", []string{"example.com/m.(*T).h", "example.com/m.(*T).h-fm", "main.(*T).h", "main.(*T).h-fm"}},
		{"(example.com/m.T).h$1", "example.com/m", []string{"example.com/m.T.h.func1", "main.T.h.func1"}},
		{"example.com/m/sub.F", "example.com/m", []string{"example.com/m/sub.F"}},
		{"example.com/lib.v2.F", "", []string{"example.com/lib%2ev2.F"}},
		{"(*gopkg.in/x.v1.T).M", "", []string{"gopkg.in/x%2ev1.(*T).M", "gopkg.in/x%2ev1.(*T).M-fm"}},
		{"example.com/m.handle[*example.com/m.conn]", "example.com/m", []string{"example.com/m.handle[...]", "main.handle[...]"}},
		{"example.com/lib.Handle[map[string][]int]", "", []string{"example.com/lib.Handle[...]"}},
		{"(*example.com/m.G[example.com/m.x, int]).m", "example.com/m", []string{"example.com/m.(*G[...]).m", "example.com/m.(*G[...]).m-fm", "main.(*G[...]).m", "main.(*G[...]).m-fm"}},
		{"example.com/m.MakeG[int]$1", "", []string{"example.com/m.MakeG[...].func1"}},
	} {
		if got := runtimeNames(tc.name, tc.mainPath); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("runtimeNames(%q, %q) = %q, want %q", tc.name, tc.mainPath, got, tc.want)
		}
	}
}

// parallelProgram has two handlers that the analysis proves independent
// (no hue, not colored) but whose runtime names the table cannot hold as
// they are: a generic function (the runtime names every instantiation
// "main.meetG[...]") and a closure made in a helper that the compiler
// inlines into its caller (which renames the closure after the caller).
// Each is posted twice; the two invocations wait for each other, which they
// can do only if the loop runs them at once: a handler not matched to its
// entry would run alone. It prints how the loop runs them and exits 1 if
// they did not meet.
const parallelProgram = `package main

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"time"

	"github.com/safels/safels/loop"
)

// rendezvous is where two invocations wait for each other.
type rendezvous struct {
	arrived chan struct{}
	all     chan struct{}
}

func newRendezvous() *rendezvous {
	return &rendezvous{arrived: make(chan struct{}), all: make(chan struct{})}
}

// meetG touches no shared state and writes nothing through its context.
func meetG[T any](l *loop.Loop, r *rendezvous) {
	r.arrived <- struct{}{}
	<-r.all
}

// schedule is small enough for the compiler to inline it into its
// callers, and the closure with it.
func schedule(l *loop.Loop, r *rendezvous) {
	loop.Post(l, func(l *loop.Loop, r *rendezvous) {
		r.arrived <- struct{}{}
		<-r.all
	}, r)
}

// both posts each handler twice and reports whether each pair met.
func both(l *loop.Loop) error {
	for _, post := range []func(*rendezvous){
		func(r *rendezvous) { loop.Post(l, meetG[int], r) },
		func(r *rendezvous) { schedule(l, r) },
	} {
		r := newRendezvous()
		post(r)
		post(r)
		for i := range 2 {
			select {
			case <-r.arrived:
			case <-time.After(20 * time.Second): // only keeps a failure from hanging
				close(r.all)
				return fmt.Errorf("%d of 2 invocations started: the loop runs the handler alone", i)
			}
		}
		close(r.all)
	}
	return nil
}

func name(h any) string { return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name() }

func main() {
	l := loop.New(loop.WithWorkers(2), loop.WithStrictTable())
	go l.Run(context.Background())
	err := both(l)
	for _, s := range l.Schedules() {
		fmt.Println(s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l.Shutdown(context.Background())
}
`

const parallelTest = `package main

import (
	"context"
	"testing"

	"github.com/safels/safels/loop"
)

func TestParallel(t *testing.T) {
	l := loop.New(loop.WithWorkers(2), loop.WithStrictTable())
	go l.Run(context.Background())
	defer l.Shutdown(context.Background())
	if err := both(l); err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Schedules() {
		t.Log(s)
		if s.Exclusive || s.Constraint.Hue != 0 || s.Constraint.Colored {
			t.Errorf("%v: want independent", s)
		}
	}
}
`

// Generic handlers and closures made in a helper the compiler inlines are
// matched to their table entries, so that the handlers the analysis
// proved independent run in parallel: in the program built with go build,
// and under go test (whose binary names package main by its import path).
func TestGenTableGenericAndInlined(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"main.go": parallelProgram, "main_test.go": parallelTest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testmod.Init(t, dir, "example.com/par")
	t.Setenv("GOFLAGS", "-mod=mod")
	if _, stderr, code := runSafels(t, dir, "gen"); code != 0 {
		t.Fatalf("safels gen: exit %d\n%s", code, stderr)
	}
	table, err := os.ReadFile(filepath.Join(dir, genFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"main.meetG\[\.\.\.\]":\s+\{Hue: 0, Colored: false\}`, `"main.schedule.func1":\s+\{Hue: 0, Colored: false, Pos: "main.go:33-36"\}`} {
		if !regexp.MustCompile(want).Match(table) {
			t.Errorf("the table has no %s:\n%s", want, table)
		}
	}

	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(dir, "par")
	build := exec.Command(goCmd, "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("the built program: %v\n%s\n---\n%s", err, out, table)
	}
	checkRenamed(t, "the built program", string(out))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.Contains(line, "hue 0, colored false") {
			t.Errorf("the program runs %s", line)
		}
	}

	test := exec.Command(goCmd, "test", "-count=1", "-v", "-run", "TestParallel", ".")
	test.Dir = dir
	out, err = test.CombinedOutput()
	if err != nil {
		t.Fatalf("go test: %v\n%s\n---\n%s", err, out, table)
	}
	checkRenamed(t, "go test", string(out))
}

// checkRenamed checks, in the schedules a program printed, that the
// closure ran under the name the compiler gave its inlined copy, not the
// table's (what the test is about: if schedule were not inlined, the names
// would match as they are).
func checkRenamed(t *testing.T, what, out string) {
	t.Helper()
	m := regexp.MustCompile(`(\S+\.schedule\.\S+): hue 0, colored false \(the table's (\S+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("%s: no schedule of the closure:\n%s", what, out)
	} else if m[1] == m[2] {
		t.Errorf("%s: the closure kept its name %s (schedule not inlined?)", what, m[1])
	}
}

// The instantiations of a generic handler share a runtime name: their
// constraints merge into one as strict as each.
func TestMergeConstraints(t *testing.T) {
	for _, tc := range []struct{ a, b, want loop.Constraint }{
		{loop.Constraint{}, loop.Constraint{Colored: true}, loop.Constraint{Colored: true}},
		{loop.Constraint{Hue: 3}, loop.Constraint{}, loop.Constraint{Hue: 3}},
		{loop.Constraint{}, loop.Constraint{Hue: 3}, loop.Constraint{Hue: 3}},
		{loop.Constraint{Hue: 3}, loop.Constraint{Hue: 4}, loop.Constraint{Hue: -1}},
		{loop.Constraint{Hue: -1, Colored: true}, loop.Constraint{Hue: 2}, loop.Constraint{Hue: -1, Colored: true}},
	} {
		if got := mergeConstraints(tc.a, tc.b); got != tc.want {
			t.Errorf("mergeConstraints(%+v, %+v) = %+v, want %+v", tc.a, tc.b, got, tc.want)
		}
	}
}
