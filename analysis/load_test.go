package analysis

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/internal/testmod"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadBetweenRoots names two packages of which one imports the other
// through a third that is not named: the third is type-checked from source
// too, against the same copy of the first, so the types agree.
func TestLoadBetweenRoots(t *testing.T) {
	dir := t.TempDir()
	testmod.Init(t, dir, "example.com/b")
	writeFiles(t, dir, map[string]string{
		"model/model.go": "package model\n\ntype Stats struct{ Hits int }\n\nvar Global Stats\n",
		"store/store.go": "package store\n\nimport \"example.com/b/model\"\n\nfunc Bump(s *model.Stats) { s.Hits++ }\n",
		"server/server.go": `package server

import (
	"example.com/b/model"
	"example.com/b/store"
	"github.com/safels/safels/loop"
)

type Conn struct{}

func Handle(l *loop.Loop, c *Conn) { store.Bump(&model.Global) }

func Start(l *loop.Loop) { loop.Post(l, Handle, &Conn{}) }
`,
	})
	res, err := Run(context.Background(), Config{Dir: dir, Patterns: []string{"./model", "./server"}, Env: testmod.Env()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %v: %s", p.Pos, p.Message)
	}
	if res.Packages != 2 {
		t.Errorf("analysed %d packages, want the 2 named", res.Packages)
	}
	found := false
	for _, c := range res.Conflicts {
		if strings.HasPrefix(c.Object, "example.com/b/model.Global") && res.Handlers[c.A].Short == "Handle" {
			found = true
		}
	}
	if !found {
		t.Errorf("no conflict of Handle on model.Global; conflicts: %v", res.Conflicts)
	}
}

// TestLoadErrors: what the go command or the type checker reject is said
// plainly, and names the package.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   bool
		files map[string]string
		want  string
	}{
		{"no module", false, map[string]string{"main.go": "package main\n\nfunc main() {}\n"}, "not in a Go module"},
		{"missing import", true, map[string]string{"main.go": "package main\n\nimport \"example.com/nowhere/pkg\"\n\nfunc main() { pkg.F() }\n"}, "example.com/nowhere/pkg"},
		{"type error", true, map[string]string{"main.go": "package main\n\nfunc main() { var x int = \"s\"; _ = x }\n"}, "cannot use \"s\""},
		{"syntax error", true, map[string]string{"main.go": "package main\n\nfunc main() {\n"}, "expected '}'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.mod {
				testmod.Init(t, dir, "example.com/e")
			}
			writeFiles(t, dir, tc.files)
			res, err := Run(context.Background(), Config{Dir: dir, Env: testmod.Env()})
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, p := range res.Problems {
				msgs = append(msgs, p.Message)
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("problems %q do not say %q", msgs, tc.want)
			}
			if res.Packages != 0 {
				t.Errorf("%d packages analysed", res.Packages)
			}
		})
	}
}

// TestCgo analyses a package that calls C: the files cgo generates are
// type-checked with the rest, and cgo's own variables are not user state.
func TestCgo(t *testing.T) {
	if out, err := exec.Command("go", "env", "CGO_ENABLED").Output(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skip("cgo is not enabled here")
	}
	dir := t.TempDir()
	testmod.Init(t, dir, "example.com/c")
	writeFiles(t, dir, map[string]string{"main.go": `package main

// int add(int a, int b) { return a + b; }
import "C"

import "github.com/safels/safels/loop"

var total int

type Conn struct{ n int }

func handle(l *loop.Loop, c *Conn) { total += int(C.add(C.int(c.n), 1)) }

func main() { loop.Post(loop.New(), handle, &Conn{}) }
`})
	res, err := Run(context.Background(), Config{Dir: dir, Env: testmod.Env()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %v: %s", p.Pos, p.Message)
	}
	var objs []string
	for _, c := range res.Conflicts {
		objs = append(objs, c.Short)
	}
	if strings.Join(objs, " ") != "total" {
		t.Errorf("conflicts on %v, want only total", objs)
	}
}
