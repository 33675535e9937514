package lsp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/safels/safels/internal/lsptest"
	"github.com/safels/safels/internal/testmod"
)

// workspace writes a module whose main package is src, and returns its
// directory.
func workspace(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	testmod.Init(t, dir, "example.com/w")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const prelude = "package main\n\nimport \"github.com/safels/safels/loop\"\n\ntype Conn struct{ N int }\n\nvar hits, misses int\n\n"

const postMain = "\nfunc main() {\n\tl := loop.New()\n\tloop.Post(l, handle, &Conn{})\n}\n"

// deepChain is a handler that writes a global at the end of a chain of n
// calls: each of its findings carries the whole chain.
func deepChain(n int) string {
	var b strings.Builder
	b.WriteString(prelude + "//safels:handler\nfunc handle(l *loop.Loop, c *Conn) {\n\tstep0()\n}\n\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "func step%d() { step%d() }\n", i, i+1)
	}
	fmt.Fprintf(&b, "func step%d() { hits++ }\n", n-1)
	return b.String() + postMain
}

// longHandler is a handler of n lines, each an access of a global that
// another invocation writes: a finding per line.
func longHandler(n int) string {
	var b strings.Builder
	b.WriteString(prelude + "//safels:handler\nfunc handle(l *loop.Loop, c *Conn) {\n")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			b.WriteString("\thits++\n")
		} else {
			b.WriteString("\tmisses = hits\n")
		}
	}
	return b.String() + "}\n" + postMain
}

// start runs a server with debugging commands on dir and initializes it
// with the given client capabilities.
func start(t *testing.T, dir string, caps map[string]any, args ...string) *lsptest.Client {
	t.Helper()
	c := lsptest.Start(t, safels(t), testmod.Env("SAFELS_DEBUG=1"), append([]string{"serve", "-debounce", "1ms"}, args...)...)
	if caps == nil {
		caps = map[string]any{}
	}
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(dir), "capabilities": caps}, nil)
	c.Notify("initialized", map[string]any{})
	return c
}

// stops are the ways a session ends that the client does not announce
// with shutdown.
var stops = []struct {
	name string
	stop func(c *lsptest.Client)
}{
	{"end of input", func(c *lsptest.Client) { c.CloseInput() }},
	{"exit", func(c *lsptest.Client) { c.Notify("exit", nil) }},
	{"SIGTERM", func(c *lsptest.Client) { c.Signal(syscall.SIGTERM) }},
	{"SIGINT", func(c *lsptest.Client) { c.Signal(syscall.SIGINT) }},
}

// The server stops with the editor, whichever way the editor goes, and
// cancels the analysis in flight: the analysis of a 5,000-deep call chain
// takes seconds, and the server stops in the middle of it. Without
// shutdown first, the exit code is 1, as the LSP says.
func TestStopDuringAnalysis(t *testing.T) {
	dir := workspace(t, deepChain(5000))
	for _, st := range stops {
		t.Run(st.name, func(t *testing.T) {
			c := start(t, dir, nil)
			awaitLog(t, c, `msg="analysis started"`, 1)
			st.stop(c)
			if code := c.Wait(); code != 1 {
				t.Errorf("exit code %d without shutdown, want 1", code)
			}
			log := c.StderrText()
			if !strings.Contains(log, `msg="analysis cancelled" reason="the server is stopping"`) {
				t.Errorf("the analysis in flight was not cancelled:\n%s", log)
			}
			if strings.Contains(log, "msg=analysis ") {
				t.Errorf("the analysis ran to its end after the server was told to stop:\n%s", log)
			}
		})
	}
}

// The same, deep into an analysis (of a chain of 20,000 calls): once its
// debug log says the call graph is built, the analysis goes on to the
// summaries and the conflicts, and notices its cancellation there.
// Nothing is timed.
func TestStopDeepIntoAnalysis(t *testing.T) {
	c := start(t, workspace(t, deepChain(20000)), nil, "-v")
	awaitLog(t, c, `callgraph done`, 1)
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(); code != 1 {
		t.Errorf("exit code %d without shutdown, want 1", code)
	}
	log := c.StderrText()
	if !strings.Contains(log, `msg="analysis cancelled" reason="the server is stopping"`) {
		t.Errorf("the analysis in flight did not stop:\n%s", log)
	}
}

// After an analysis, on the paper's example: SIGTERM and SIGINT used to
// close the output and leave the process running.
func TestStopAfterAnalysis(t *testing.T) {
	root := abs(t, "../testdata/thttpd")
	for _, st := range stops {
		t.Run(st.name, func(t *testing.T) {
			c := start(t, root, nil)
			c.AwaitDiagnostics(0, lsptest.FileURI(filepath.Join(root, "handlers.go")), func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })
			st.stop(c)
			if code := c.Wait(); code != 1 {
				t.Errorf("exit code %d without shutdown, want 1", code)
			}
		})
		t.Run(st.name+" after shutdown", func(t *testing.T) {
			c := start(t, root, nil)
			c.Result("shutdown", nil, nil)
			st.stop(c)
			if code := c.Wait(); code != 0 {
				t.Errorf("exit code %d after shutdown, want 0", code)
			}
		})
	}
}
