// Package testmod makes throwaway Go modules that use this checkout of
// safels, for tests that edit an example program (quick fixes) or generate
// one (benchmarks).
package testmod

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Root is the directory of this checkout.
func Root() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(self), "..", ".."))
}

// Env is the environment for the go command in such a module: it completes
// the module's go.mod from the module cache, as `go mod tidy` would.
func Env(extra ...string) []string {
	return append(append(os.Environ(), "GOFLAGS=-mod=mod"), extra...)
}

// Init writes go.mod (module path, requiring safels replaced by this
// checkout) and this checkout's go.sum into dir.
func Init(t testing.TB, dir, module string) {
	t.Helper()
	root := Root()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := "module " + module + "\n\ngo 1.26\n\nrequire github.com/safels/safels v0.0.0\n\nreplace github.com/safels/safels => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Copy copies the non-test Go files of the example program in from into a
// new module in a temporary directory, and returns the directory.
func Copy(t testing.TB, from string) string {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(from, "*.go"))
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", from)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Init(t, dir, "example.com/"+filepath.Base(from))
	return dir
}

// RunWithCache runs a test binary's tests with the models the analysis
// derives from library source (and the safels binaries the tests build)
// kept in a directory of the run's own (SAFELS_CACHE), not in the user's
// cache, and returns the exit code for os.Exit.
func RunWithCache(m *testing.M, prefix string) int {
	dir, err := os.MkdirTemp("", prefix)
	if err == nil {
		os.Setenv("SAFELS_CACHE", dir)
		defer os.RemoveAll(dir)
	}
	return m.Run()
}
