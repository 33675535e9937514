package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
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
