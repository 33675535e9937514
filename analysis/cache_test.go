package analysis

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/safels/safels/internal/synth"
	"github.com/safels/safels/internal/testmod"
)

// render prints everything a user of a Result sees, positions included, so
// that two results can be compared line by line.
func render(r *Result) string {
	var sb strings.Builder
	for _, h := range r.Handlers {
		fmt.Fprintf(&sb, "handler %s %s hue=%d colored=%t\n", h.Name, h.Pos, h.Hue, h.Colored)
		for _, acc := range h.Accesses {
			fmt.Fprintf(&sb, "  %s\n", renderAccess(acc))
			for _, p := range acc.Partners {
				fmt.Fprintf(&sb, "    partner %d %s\n", p.Kind, renderAccess(p.Access))
			}
		}
	}
	for _, c := range r.Conflicts {
		fmt.Fprintf(&sb, "conflict %d %d %d %s %s | %s\n", c.A, c.B, c.Kind, c.Object, renderAccess(c.AAccess), renderAccess(c.BAccess))
	}
	for _, row := range r.Matrix {
		fmt.Fprintln(&sb, row)
	}
	return sb.String()
}

func renderAccess(a *Access) string {
	var via []string
	for _, c := range a.Via {
		via = append(via, c.Callee+"@"+c.Pos.String())
	}
	return fmt.Sprintf("%s %s atomic=%t %s in %s via [%s] guarded=%v n=%d h=%d",
		a.Object, a.Op, a.Atomic, a.Pos, a.Func, strings.Join(via, " "), a.GuardedBy, a.NPartners, a.Handler)
}

func run(t *testing.T, dir string, cache *Cache) *Result {
	t.Helper()
	res, err := Run(context.Background(), Config{Dir: dir, Env: testmod.Env(), Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		if !p.Warning {
			t.Fatalf("problem: %v: %s", p.Pos, p.Message)
		}
	}
	return res
}

// same fails unless the result computed with the cache is the one computed
// without it.
func same(t *testing.T, step string, cached, full *Result) {
	t.Helper()
	got, want := render(cached), render(full)
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s: with the cache the result differs at line %d:\ncached: %s\nfull:   %s", step, i+1, g, w)
		}
	}
}

func edit(t *testing.T, file string, f func(string) string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(f(string(src))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pkgsOf returns the packages (by the p<N> in their path) of the functions
// a run summarized.
func pkgsOf(names []string) []string {
	set := map[string]bool{}
	for _, n := range names {
		i := strings.Index(n, "example.com/synth/")
		if i < 0 {
			set["main"] = true
			continue
		}
		rest := n[i+len("example.com/synth/"):]
		if j := strings.IndexAny(rest, ".)"); j >= 0 {
			rest = rest[:j]
		}
		set[rest] = true
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// TestCacheReuse edits one package of a layered workspace at a time and
// checks that a run with the cache summarizes only what the edit can have
// changed, and computes exactly what a run without it computes.
func TestCacheReuse(t *testing.T) {
	verifyTranslation = true
	defer func() { verifyTranslation = false }()
	dir := t.TempDir()
	synth.Write(t, dir, 20, 3)
	cache := NewCache()

	first := run(t, dir, cache)
	if first.Reused != 0 || len(first.Summarized) == 0 {
		t.Fatalf("first run: reused %d, summarized %d; want 0 and all", first.Reused, len(first.Summarized))
	}
	total := len(first.Summarized)

	again := run(t, dir, cache)
	if len(again.Summarized) != 0 || again.Reused != total {
		t.Fatalf("nothing changed: summarized %v, reused %d of %d", again.Summarized, again.Reused, total)
	}
	same(t, "no change", again, first)
	if !cache.deps.reused {
		t.Errorf("nothing changed, yet the dependencies were read again")
	}

	if !cache.listing.reused {
		t.Errorf("nothing changed, yet the go command was asked again")
	}

	for _, step := range []struct {
		name string
		file string
		edit func(string) string
		// only: the packages whose functions may be summarized again.
		only []string
		// relist: the edit changes what the go command would answer.
		relist bool
	}{
		{"comment at the end of p14", "p14/p14.go", func(s string) string { return s + "\n// a comment\n" }, []string{"p14"}, false},
		{"line inserted at the top of p10", "p10/p10.go", func(s string) string { return "// a comment\n" + s },
			// Step of p11 inlines Step of p10, whose positions moved; p12
			// starts a new chain.
			[]string{"p10", "p11"}, false},
		{"body of p3.Step0 writes a global", "p3/p3.go", func(s string) string {
			return strings.Replace(s, "func Step0(c *Conn, n int) int {\n", "func Step0(c *Conn, n int) int {\n\tstats.Users++\n", 1)
		}, nil, false},
		{"a field added to p7.Conn", "p7/p7.go", func(s string) string {
			return strings.Replace(s, "type Conn struct {\n", "type Conn struct {\n\tExtra int\n", 1)
		}, nil, false},
		{"a new import (strconv) in p9", "p9/p9.go", func(s string) string {
			return strings.Replace(s, "import (\n", "import (\n\t\"strconv\"\n", 1) + "\nvar _ = strconv.Itoa\n"
		}, nil, true},
		{"a new file in p4 that Helper0 calls", "p4/more.go", func(string) string {
			return "package p4\n\nvar hits int\n\nfunc count() { hits++ }\n"
		}, nil, true},
		{"p4.Helper0 calls it", "p4/p4.go", func(s string) string {
			return strings.Replace(s, "func Helper0(c *Conn, n int) int {\n", "func Helper0(c *Conn, n int) int {\n\tcount()\n", 1)
		}, nil, false},
		{"p4.Helper0 no longer calls it", "p4/p4.go", func(s string) string {
			return strings.Replace(s, "\tcount()\n", "", 1)
		}, nil, false},
		{"the new file left out by a build constraint", "p4/more.go", func(s string) string {
			return "//go:build never\n\n" + s
		}, nil, true},
		{"a new package", "extra/extra.go", func(string) string {
			return "package extra\n\nvar X int\n"
		}, nil, true},
		{"a new implementation of p15.Store", "p15/p15.go", func(s string) string {
			return s + "\ntype logStore struct{ n int }\n\nfunc (l *logStore) Put(k, v int) { l.n += k }\nfunc (*logStore) p15()          {}\n\nvar _ Store = &logStore{}\n"
		}, nil, false},
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, step.file)), 0o755)
		if _, err := os.Stat(filepath.Join(dir, step.file)); err != nil {
			os.WriteFile(filepath.Join(dir, step.file), nil, 0o644)
		}
		edit(t, filepath.Join(dir, step.file), step.edit)
		got := run(t, dir, cache)
		full := run(t, dir, nil)
		same(t, step.name, got, full)
		if want := !strings.Contains(step.name, "new import"); cache.deps.reused != want {
			t.Errorf("%s: dependencies reused: %t, want %t", step.name, cache.deps.reused, want)
		}
		if cache.listing.reused == step.relist {
			t.Errorf("%s: the go command's last answer reused: %t, want %t", step.name, cache.listing.reused, !step.relist)
		}
		if got.Reused == 0 {
			t.Errorf("%s: nothing reused", step.name)
		}
		if step.only != nil {
			if pk := pkgsOf(got.Summarized); strings.Join(pk, ",") != strings.Join(step.only, ",") {
				t.Errorf("%s: summarized functions of %v, want only %v", step.name, pk, step.only)
			}
		}
		t.Logf("%s: summarized %d, reused %d (packages %v)", step.name, len(got.Summarized), got.Reused, pkgsOf(got.Summarized))
	}
}

// copyTree copies the files under from into a new temporary directory.
func copyTree(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755)
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCacheMatchesFullRun edits every file of the examples (the paper's
// programs, closures, method values, locks, escaping contexts, net/http and
// framework handlers) in ways that move positions above, below and around
// references, and checks after each edit that a run with the cache
// computes what a run without it computes. (aliases: a summary carried
// over spells its types without aliases, this run's code with them.)
func TestCacheMatchesFullRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the analysis twice per edit of every example file")
	}
	verifyTranslation = true
	defer func() { verifyTranslation = false }()
	root := testmod.Root()
	type example struct{ name, dir, pattern string }
	var examples []example
	for _, name := range []string{"thttpd", "thttpd-deferred", "pipeline", "slides"} {
		examples = append(examples, example{name, testmod.Copy(t, filepath.Join(root, "testdata", name)), "./..."})
	}
	for _, name := range []string{"aliases", "calls", "escape", "fields", "locks", "nethttp", "callbacks"} {
		// Inside this module: analysed in place from a copy beside it.
		examples = append(examples, example{name, filepath.Join(root, "analysis", "testdata", name), "."})
	}
	for _, name := range []string{"frameworks", "freshresult"} {
		examples = append(examples, example{name, copyTree(t, filepath.Join(root, "analysis", "testdata", name)), "./..."})
	}

	edits := []struct {
		name string
		f    func(string) string
	}{
		{"line at the top", func(s string) string { return "// top\n" + s }},
		{"line at the end", func(s string) string { return s + "\n// end\n" }},
		{"blank line in the middle", func(s string) string {
			mid := strings.Index(s[len(s)/2:], "\nfunc ")
			if mid < 0 {
				return s + "\n"
			}
			i := len(s)/2 + mid
			return s[:i] + "\n" + s[i:]
		}},
		{"longer first line", func(s string) string {
			i := strings.IndexByte(s, '\n')
			return s[:i] + " // wider" + s[i:]
		}},
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			dir := ex.dir
			if ex.pattern == "." {
				// Edit a copy inside this module so that it still builds.
				dir = filepath.Join(root, "analysis", "testdata", "zz-cache-"+ex.name)
				os.RemoveAll(dir)
				if err := os.CopyFS(dir, os.DirFS(ex.dir)); err != nil {
					t.Fatal(err)
				}
				defer os.RemoveAll(dir)
			}
			runAt := func(cache *Cache) *Result {
				t.Helper()
				res, err := Run(context.Background(), Config{Dir: dir, Patterns: []string{ex.pattern}, Env: testmod.Env(), Cache: cache})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			var files []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.HasSuffix(p, ".go") && !strings.Contains(p, string(filepath.Separator)+"fake"+string(filepath.Separator)) {
					files = append(files, p)
				}
				return nil
			})
			cache := NewCache()
			first := runAt(cache)
			// Unchanged, every summary is translated from the last run.
			again := runAt(cache)
			if len(again.Summarized) != 0 || again.Reused != len(first.Summarized) {
				t.Fatalf("nothing changed: summarized %v, reused %d of %d", again.Summarized, again.Reused, len(first.Summarized))
			}
			same(t, "no change", again, first)
			reused, edited := 0, 0
			for i, file := range files {
				for _, e := range edits {
					if i > 0 && e.name != "line at the top" {
						continue // the first file takes every kind of edit
					}
					edit(t, file, e.f)
					edited++
					got := runAt(cache)
					same(t, filepath.Base(file)+": "+e.name, got, runAt(nil))
					reused += got.Reused
				}
			}
			t.Logf("%d files, %d edits, %d summaries reused after them", len(files), edited, reused)
		})
	}
}

// TestCacheLibraryCallbacks: a kept summary of a function calling library
// code is reused only while the methods the library may call back are the
// same. show.Show hands fmt a value from elsewhere (any type's String may
// be called); a String method added to a type of a package show does not
// import changes what Show does, though neither show nor anything it
// depends on changed: the run with the cache computes what a run without
// it computes.
func TestCacheLibraryCallbacks(t *testing.T) {
	dir := t.TempDir()
	testmod.Init(t, dir, "example.com/cb")
	write := func(rel, src string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("errs/errs.go", "package errs\n\ntype Fail struct{ N int }\n")
	write("show/show.go", "package show\n\nimport \"fmt\"\n\nfunc Show(v any) string { return fmt.Sprint(v) }\n\nfunc Twice(n int) int { return 2 * n }\n")
	write("main.go", `package main

import (
	"context"

	"example.com/cb/errs"
	"example.com/cb/show"
	"github.com/safels/safels/loop"
)

func print(l *loop.Loop, n *int) { _ = show.Show(&errs.Fail{N: show.Twice(*n)}) }

func main() {
	l := loop.New()
	loop.Post(l, print, new(int))
	l.Run(context.Background())
}
`)
	cache := NewCache()
	run(t, dir, cache)
	write("errs/more.go", "package errs\n\nvar Stringed int\n\nfunc (*Fail) String() string { Stringed++; return \"fail\" }\n")
	got, full := run(t, dir, cache), run(t, dir, nil)
	if got.Reused == 0 {
		t.Errorf("nothing reused")
	}
	if !strings.Contains(render(full), "Stringed") {
		t.Fatalf("the new String is not followed from fmt.Sprint:\n%s", render(full))
	}
	same(t, "String added", got, full)
}

// TestCacheTranslatesInstances: summaries naming an instance of a generic
// type (iter.Seq[string]), a type declared in a function, or memory an
// invocation shares with a goroutine it starts are reused, not made again
// on every save.
func TestCacheTranslatesInstances(t *testing.T) {
	verifyTranslation = true
	defer func() { verifyTranslation = false }()
	dir := t.TempDir()
	testmod.Init(t, dir, "example.com/inst")
	src := `package main

import (
	"context"
	"iter"
	"slices"

	"github.com/safels/safels/loop"
)

var names = []string{"a", "b"}

func all() iter.Seq[string] { return slices.Values(names) }

type tally struct{ n int }

func count(l *loop.Loop, total *int) {
	for range all() {
		*total++
	}
}

func bump(t *tally, done chan bool) { t.n++; done <- true }

func spawn() int {
	t := &tally{}
	done := make(chan bool)
	go bump(t, done)
	t.n++
	<-done
	return t.n
}

func share(l *loop.Loop, total *int) { *total += spawn() }

var sink any

func keep(n int) {
	type box struct{ n int }
	b := &box{n: n}
	sink = b
	b.n++
}

func named(l *loop.Loop, total *int) { keep(*total) }

func main() {
	l := loop.New()
	n := new(int)
	loop.Post(l, count, n)
	loop.Post(l, share, n)
	loop.Post(l, named, n)
	l.Run(context.Background())
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := NewCache()
	first := run(t, dir, cache)
	again := run(t, dir, cache)
	if len(again.Summarized) != 0 || again.Reused != len(first.Summarized) {
		t.Errorf("nothing changed, yet summarized again: %v (reused %d of %d)", again.Summarized, again.Reused, len(first.Summarized))
	}
	same(t, "no change", again, first)
}
