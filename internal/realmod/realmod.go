// Package realmod fetches real modules at pinned versions through the go
// command (the module proxy), for the benchmarks that run safels on real
// servers: the command line's and the language server's.
package realmod

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Fetch downloads module@version through the go command and copies it to a
// writable directory of the test's, with its dependencies downloaded. It
// needs the network the first time; the module cache serves it after.
func Fetch(tb testing.TB, module string) string {
	tb.Helper()
	out, err := exec.Command(Go(), "mod", "download", "-json", module).Output()
	if err != nil {
		tb.Fatalf("go mod download %s: %v", module, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		tb.Fatalf("go mod download %s: %s %v", module, info.Error, err)
	}
	dir := filepath.Join(tb.TempDir(), "src")
	if err := os.CopyFS(dir, os.DirFS(info.Dir)); err != nil {
		tb.Fatal(err)
	}
	// The module cache is read-only; the copy is edited by benchmarks
	// that save a file.
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			mode := os.FileMode(0o644)
			if d.IsDir() {
				mode = 0o755
			}
			err = os.Chmod(p, mode)
		}
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	dl := exec.Command(Go(), "mod", "download")
	dl.Dir = dir
	dl.Env = Env()
	if out, err := dl.CombinedOutput(); err != nil {
		tb.Fatalf("go mod download in %s: %v\n%s", module, err, out)
	}
	return dir
}

// Env is the environment of the go command (and of safels) in a fetched
// module: this toolchain, and go.mod completed as needed rather than
// refused.
func Env() []string {
	return append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
}

// Go is the go command of the toolchain running the test.
func Go() string { return filepath.Join(runtime.GOROOT(), "bin", "go") }
