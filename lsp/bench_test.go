package lsp_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/safels/safels/internal/lsptest"
	"github.com/safels/safels/internal/synth"
	"github.com/safels/safels/internal/testmod"
)

// BenchmarkOnSave measures, through the binary, the time from didSave to
// the publishDiagnostics of the saved file (warm server, debounce set to
// 1ms, and on thttpd also the default debounce, which is what a user
// waits), against a cold `safels check` of the same workspace in the same
// run:
//
//	go test -run '^$' -bench OnSave -benchtime 5x ./lsp
func BenchmarkOnSave(b *testing.B) {
	thttpd := func(b *testing.B) (string, string) {
		dir := testmod.Copy(b, "../testdata/thttpd")
		return dir, filepath.Join(dir, "handlers.go")
	}
	for _, ws := range []struct {
		name  string
		flags []string
		make  func(b *testing.B) (dir, file string)
	}{
		{"thttpd", []string{"-debounce", "1ms"}, thttpd},
		{"thttpd-default-debounce", nil, thttpd},
		{"synth-200pkgs", []string{"-debounce", "1ms"}, func(b *testing.B) (string, string) {
			dir := b.TempDir()
			synth.Write(b, dir, 200, 6)
			return dir, filepath.Join(dir, "p100", "p100.go")
		}},
	} {
		b.Run(ws.name, func(b *testing.B) {
			dir, file := ws.make(b)
			bin := lsptest.Build(b)
			env := testmod.Env()

			check := func() time.Duration {
				start := time.Now()
				cmd := exec.Command(bin, "check", "./...")
				cmd.Dir, cmd.Env = dir, env
				cmd.Run() // exit 1: conflicts found
				return time.Since(start)
			}
			check() // the build cache warm for both, as on a developer's machine

			c := lsptest.Start(b, bin, env, append([]string{"serve"}, ws.flags...)...)
			c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(dir), "capabilities": map[string]any{}}, nil)
			c.Notify("initialized", map[string]any{})
			src, _ := os.ReadFile(file)
			uri := lsptest.FileURI(file)
			c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": string(src)}})
			_, cur := c.AwaitDiagnostics(0, uri, func(lsptest.Published) bool { return true })

			b.ResetTimer()
			var saves time.Duration
			for i := 0; i < b.N; i++ {
				version := i + 2
				text := string(src) + fmt.Sprintf("\n// edit %d\n", i)
				os.WriteFile(file, []byte(text), 0o644) // the editor saves, then says so
				c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": version}, "contentChanges": []any{map[string]any{"text": text}}})
				start := time.Now()
				c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
				_, cur = c.AwaitDiagnostics(cur, uri, func(p lsptest.Published) bool { return p.Version != nil && *p.Version == version })
				saves += time.Since(start)
			}
			b.StopTimer()
			var cold time.Duration
			for i := 0; i < b.N; i++ {
				cold += check()
			}
			b.ReportMetric(float64(saves.Milliseconds())/float64(b.N), "ms/save")
			b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "ms/cold-check")
			b.ReportMetric(float64(saves)/float64(cold), "save/cold-check")
		})
	}
}
