package analysis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
)

// A handler at the top of a chain of 200,000 calls: every phase walks the
// chain without recursing once per call (the flow of function values did,
// and overflowed the stack), and the write at its end is found.
func TestVeryDeepChain(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200,000-function program")
	}
	const n = 200000
	var b strings.Builder
	b.WriteString("package main\n\nvar hits int\n\n//safels:handler\nfunc handle(c *int) { step0() }\n\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "func step%d() { step%d() }\n", i, i+1)
	}
	fmt.Fprintf(&b, "func step%d() { hits++ }\n\nfunc main() { handle(nil) }\n", n-1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module deep\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Matrix) != 1 || r.Matrix[0][0]&analysis.Global == 0 {
		t.Fatalf("matrix %v: want handle to conflict with itself on hits", r.Matrix)
	}
}
