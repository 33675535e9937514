package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// binary builds safels once per test run: the tests drive the real binary.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "safels-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "safels")
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runSafels(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const annotated = `package good

var hits int

type req struct{ n int }

//safels:handler
func Serve(r *req) { hits++; r.n++ }
`

func TestCheckText(t *testing.T) {
	dir := writeModule(t, map[string]string{"good/good.go": annotated})
	out, errOut, code := runSafels(t, dir, "check", "./...")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (conflicts); stderr: %s", code, errOut)
	}
	// go vet style: file:line:col: message, relative to the working directory.
	if !strings.Contains(out, "good/good.go:8:22: Serve writes hits;") {
		t.Errorf("text output lacks the finding on hits:\n%s", out)
	}
	if !strings.Contains(out, "Serve writes r.n; Serve (another invocation)") || !strings.Contains(out, "on the same context") {
		t.Errorf("text output lacks the context finding:\n%s", out)
	}
}

func TestCheckJSON(t *testing.T) {
	dir := writeModule(t, map[string]string{"good/good.go": annotated})
	out, errOut, code := runSafels(t, dir, "check", "-json")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, errOut)
	}
	var rep struct {
		Handlers []struct {
			Name, Pos, Model string
			Hue              int
			Colored          bool
		}
		Conflicts []struct {
			A, B, Kind, Object string
			AAccess            struct {
				Pos, Op string
				Via     []string
			} `json:"a_access"`
			BAccess struct {
				Pos, Op string
				Via     []string
			} `json:"b_access"`
		}
		Matrix [][]string
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if len(rep.Handlers) != 1 || rep.Handlers[0].Name != "example.com/m/good.Serve" ||
		rep.Handlers[0].Pos != "good/good.go:8:6" || rep.Handlers[0].Model != "loop" ||
		rep.Handlers[0].Hue != 1 || !rep.Handlers[0].Colored {
		t.Errorf("handlers = %+v", rep.Handlers)
	}
	kinds := map[string]string{}
	for _, c := range rep.Conflicts {
		if c.A != c.B || c.A != "example.com/m/good.Serve" {
			t.Errorf("conflict between %s and %s, want Serve with itself", c.A, c.B)
		}
		kinds[c.Object] = c.Kind
		if c.AAccess.Op != "write" && c.BAccess.Op != "write" {
			t.Errorf("conflict on %s with no write", c.Object)
		}
		if c.AAccess.Via == nil {
			t.Errorf("via must be [] not null")
		}
	}
	if kinds["example.com/m/good.hits"] != "global" {
		t.Errorf("hits conflict kind %q, want global (conflicts %v)", kinds["example.com/m/good.hits"], kinds)
	}
	if len(rep.Matrix) != 1 || rep.Matrix[0][0] != "11" {
		t.Errorf("matrix = %v, want [[11]]", rep.Matrix)
	}
}

func TestCheckBrokenPackage(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"good/good.go":     annotated,
		"broken/broken.go": "package broken\n\nfunc f( {\n",
		"typo/typo.go":     "package typo\n\nvar x int = \"s\"\n",
	})
	out, errOut, code := runSafels(t, dir, "check", "./...")
	if code != 1 {
		t.Fatalf("exit %d, want 1: the good package still has conflicts; stderr: %s", code, errOut)
	}
	if !strings.Contains(errOut, "broken/broken.go:3") || !strings.Contains(errOut, "typo/typo.go:3") {
		t.Errorf("stderr should name both broken files:\n%s", errOut)
	}
	if !strings.Contains(out, "Serve writes hits") {
		t.Errorf("the good package must still be analysed:\n%s", out)
	}
	// Nothing analysable: exit 2.
	_, errOut, code = runSafels(t, dir, "check", "./broken")
	if code != 2 || !strings.Contains(errOut, "no package could be analysed") {
		t.Errorf("exit %d, stderr %q; want 2 and a clear message", code, errOut)
	}
}

// Handlers that share a counter only through calls into a package that
// does not type-check: that package is not analysed, so no conflict is
// found, and the exit status must not say "clean" (it once did: 0).
func TestCheckCallsIntoBrokenPackage(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"b/b.go": "package b\n\nvar Count int\n\nfunc Bump() { Count++ }\n\nfunc Broken() { undefinedName() }\n",
		"a/a.go": `package a

import "example.com/m/b"

type req struct{ n int }

//safels:handler
func Serve(r *req) { b.Bump() }

//safels:handler
func Read(r *req) int { return b.Count }
`,
	})
	_, errOut, code := runSafels(t, dir, "check", "./...")
	if code != 2 || !strings.Contains(errOut, "b/b.go:7:17: undefined: undefinedName") || !strings.Contains(errOut, "not all of it could be") {
		t.Errorf("exit %d, stderr %q; want 2, the error, and that the rest is clean only as far as it was analysed", code, errOut)
	}
	// Fixed, the conflict is found.
	if err := os.WriteFile(filepath.Join(dir, "b", "b.go"), []byte("package b\n\nvar Count int\n\nfunc Bump() { Count++ }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runSafels(t, dir, "check", "./...")
	if code != 1 || !strings.Contains(out, "Read reads Count; Serve writes it") {
		t.Errorf("fixed: exit %d, out %q, err %q; want 1 and the conflict on b.Count", code, out, errOut)
	}
}

// An unused variable, import or label (what an editor's buffer holds at
// most keystrokes) is a type error that changes nothing the analysis
// reads: the package is analysed whole, its findings are those of the same
// code without the error, and the error is said on stderr. Once one exited
// 2 with "no package could be analysed" and nothing else.
func TestCheckSoftTypeError(t *testing.T) {
	clean := writeModule(t, map[string]string{"good/good.go": annotated})
	want, _, code := runSafels(t, clean, "check", "-json")
	if code != 1 {
		t.Fatalf("clean program: exit %d, want 1", code)
	}
	// The same program with the errors; good.go keeps its positions.
	soft := writeModule(t, map[string]string{
		"good/good.go":  strings.Replace(annotated, "r.n++ }", "r.n++; unused := 0 }", 1),
		"good/extra.go": "package good\n\nimport \"os\"\n\nfunc helper() {\nl:\n}\n",
	})
	got, errOut, code := runSafels(t, soft, "check", "-json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (conflicts); stderr: %s", code, errOut)
	}
	for _, w := range []string{
		"good/good.go:8:37: warning: declared and not used: unused",
		`good/extra.go:3:8: warning: "os" imported and not used`,
		"good/extra.go:6:1: warning: label l declared and not used",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr does not say %q:\n%s", w, errOut)
		}
	}
	var a, b struct {
		Handlers, Conflicts, Matrix any
		Errors                      []string
	}
	if err := json.Unmarshal([]byte(want), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal([]any{a.Handlers, a.Conflicts, a.Matrix})
	jb, _ := json.Marshal([]any{b.Handlers, b.Conflicts, b.Matrix})
	if string(ja) != string(jb) {
		t.Errorf("findings differ from those of the program without the errors:\n%s\nwant\n%s", jb, ja)
	}
	if len(b.Errors) != 3 {
		t.Errorf("the JSON lists errors %q, want the three", b.Errors)
	}

	// Other soft errors leave code go/types could not complete (a range
	// over a number): the package is set aside and said to be.
	odd := writeModule(t, map[string]string{
		"good/good.go": strings.Replace(annotated, "r.n++ }", "r.n++; for range 1.5 {} }", 1),
	})
	_, errOut, code = runSafels(t, odd, "check")
	if code != 2 || !strings.Contains(errOut, "cannot range over 1.5") || !strings.Contains(errOut, "no package could be analysed") {
		t.Errorf("range over a float: exit %d, stderr %q; want 2, the error and that nothing was analysed", code, errOut)
	}
}

func TestCheckClean(t *testing.T) {
	dir := writeModule(t, map[string]string{"ok/ok.go": `package ok

var limit = 10

type req struct{ n int }

//safels:handler
func Serve(r *req) { r.n = limit }
`})
	out, errOut, code := runSafels(t, dir, "check", "-matrix")
	// r.n is written on the context: a context conflict with itself. limit is
	// only read: no global conflict.
	if code != 1 || !strings.Contains(out, "10") {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	dir = writeModule(t, map[string]string{"ok/ok.go": `package ok

var limit = 10

//safels:handler
func Serve(n int) int { return n + limit }
`})
	out, errOut, code = runSafels(t, dir, "check")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, out %q, err %q; want 0 and no findings", code, out, errOut)
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, _, code := runSafels(t, ".", "version")
	if code != 0 || !strings.HasPrefix(out, "safels ") {
		t.Errorf("version: exit %d out %q", code, out)
	}
	_, errOut, code := runSafels(t, ".", "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d err %q", code, errOut)
	}
}

// TestCheckVerbose: -v reports, on stderr only, what was analysed and where
// the time went; stdout stays the findings.
func TestCheckVerbose(t *testing.T) {
	plain, _, _ := runSafels(t, "../../testdata/thttpd", "check", ".")
	stdout, stderr, code := runSafels(t, "../../testdata/thttpd", "check", "-v", ".")
	if code != 1 || stdout != plain {
		t.Errorf("check -v: exit %d, stdout differs from check's: %t", code, stdout != plain)
	}
	for _, want := range []string{"safels: 1 packages, 8 handlers, ", " conflicts in ", "list ", "typecheck ", "summaries ", "conflicts ",
		"loading packages", "loaded 1 packages", "summaries done in "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
	// A directory outside any module is said to be one.
	_, stderr, code = runSafels(t, t.TempDir(), "check", "./...")
	if code != 2 || !strings.Contains(stderr, "not in a Go module") {
		t.Errorf("outside a module: exit %d, stderr %q", code, stderr)
	}
}

func TestByteSizeFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"4GiB", 4 << 30, true}, {"512MiB", 512 << 20, true}, {"64KiB", 64 << 10, true},
		{"1000", 1000, true}, {"0", 0, true},
		{"4GB", 0, false}, {"-1MiB", 0, false}, {"MiB", 0, false}, {"20000000000GiB", 0, false},
	} {
		var b byteSize
		err := b.Set(c.in)
		if (err == nil) != c.ok || c.ok && uint64(b) != c.want {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", c.in, b, err, c.want, c.ok)
		}
		if c.ok && c.want != 0 {
			var again byteSize
			if err := again.Set(b.String()); err != nil || again != b {
				t.Errorf("%q prints as %q, which reads back as %d, %v", c.in, b.String(), again, err)
			}
		}
	}
}

// TestCheckThisRepository: safels check ./... on this repository, whose
// analysis is recursive all through (SSA walks, the loop's scheduler), runs
// to its end: every package analysed, no handler found (exit 2, said so),
// and the summaries it had to widen named in -v's notes. Before widening
// and shared summaries it ran past 15 minutes and 6 GB.
func TestCheckThisRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses the whole repository")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runSafels(t, root, "check", "-v", "./...")
	if code != 2 || !strings.Contains(errOut, "no handler found in") {
		t.Fatalf("exit %d, want 2 with no handler found; stderr:\n%s", code, errOut)
	}
	if strings.Contains(errOut, "internal error") {
		t.Errorf("internal error:\n%s", errOut)
	}
	if !strings.Contains(errOut, ": note: ") || !strings.Contains(errOut, "less precise, not less safe") {
		t.Errorf("no note on the summaries widened; stderr:\n%s", errOut)
	}
}

// TestCPUProfileInterrupted: a run interrupted (it was slow: that is why
// a profile was asked for) still writes the profile recorded so far.
func TestCPUProfileInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses the whole repository")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	cmd := exec.Command(binary, "check", "-v", "-cpuprofile", prof, "./...")
	cmd.Dir = root
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the analysis proper has begun.
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() && !strings.Contains(sc.Text(), "callgraph done") {
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, errPipe)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("interrupted check: exit %d (%v), want 2", code, err)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("profile of %d bytes is not a gzipped profile", len(data))
	}
}
