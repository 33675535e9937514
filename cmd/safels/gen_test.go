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
	loop.Post(l, func(l *loop.Loop, c *int) { l.Stop() }, new(int))
	fmt.Println(name(top))
	fmt.Println(name(s.handle))
	fmt.Println(name(inner))
	if err := l.Run(context.Background()); err != loop.ErrStopped {
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
// names) and elsewhere, with a path that symbol names escape.
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
	} {
		if got := runtimeNames(tc.name, tc.mainPath); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("runtimeNames(%q, %q) = %q, want %q", tc.name, tc.mainPath, got, tc.want)
		}
	}
}
