package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/safels/safels/analysis"
)

// TestPrograms: a module of two programs. The server's handler that
// formats a value of unknown type may call its own program's String
// methods (tag's, which writes what tags reads), not the client's (flag's,
// which writes what hits reads): the client's types never exist in the
// server.
func TestPrograms(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: "testdata/programs", Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cell(t, r, "show", "tags"); got&analysis.Global == 0 {
		t.Errorf("/show and /tags: %02b, want the global bit (tag.String writes state.Tags)", got)
	}
	if got := cell(t, r, "show", "hits"); got != 0 {
		t.Errorf("/show and /hits: %02b, want 00 (flag.String is the client's)", got)
	}

	// A server that opens plugins may hold values of any main package's
	// types (a plugin is one).
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/programs")); err != nil {
		t.Fatal(err)
	}
	src := "package main\n\nimport \"plugin\"\n\nvar open = plugin.Open\n"
	if err := os.WriteFile(filepath.Join(dir, "server", "plugins.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	if got := cell(t, r, "show", "hits"); got&analysis.Global == 0 {
		t.Errorf("with plugins, /show and /hits: %02b, want the global bit", got)
	}
}
