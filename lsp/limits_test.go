package lsp_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/safels/safels/internal/lsptest"
)

// publishedRaw waits for the first non-empty diagnostics of uri and
// returns them with the size of the message that carried them.
func publishedRaw(t *testing.T, c *lsptest.Client, uri string) (lsptest.Published, int) {
	t.Helper()
	var p lsptest.Published
	m, _ := c.Await(0, "diagnostics for "+uri, func(m lsptest.Message) bool {
		return m.Method == "textDocument/publishDiagnostics" && json.Unmarshal(m.Params, &p) == nil && p.URI == uri && len(p.Diagnostics) > 0
	})
	return p, len(m.Params)
}

var andMore = regexp.MustCompile(`and (\d+) more .*safels check -json`)

// more returns N of an "and N more ... safels check -json" message.
func more(t *testing.T, msg string) int {
	m := andMore.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("%q does not say how many more and where they are", msg)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// A handler of 100,000 lines has a finding on each: one message of 207 MB
// before the caps; now the first 200 findings and one that counts the
// rest.
func TestLongHandlerIsCapped(t *testing.T) {
	dir := workspace(t, longHandler(100000))
	c := start(t, dir, nil)
	p, size := publishedRaw(t, c, lsptest.FileURI(filepath.Join(dir, "main.go")))
	if size > 2<<20 {
		t.Errorf("one publishDiagnostics of %d bytes", size)
	}
	n := len(p.Diagnostics)
	if n != 201 {
		t.Fatalf("%d diagnostics, want 200 and one that counts the rest", n)
	}
	last := p.Diagnostics[n-1]
	if rest := more(t, last.Message); rest+200 < 100000 {
		t.Errorf("the last diagnostic counts %d more findings; the handler has one on each of its 100,000 lines: %s", rest, last.Message)
	}
	if last.Code != "truncated" || last.Source != "safels" {
		t.Errorf("last diagnostic: code %q source %q", last.Code, last.Source)
	}
	t.Logf("%d bytes, %s", size, last.Message)
}

// A write at the end of a chain of 5,000 calls: the analysis keeps the
// first 4 and last 8 calls of the chain and one "…" for the rest, so its
// finding names a short chain with both ends, and its related locations
// are those calls.
func TestDeepChainIsCapped(t *testing.T) {
	dir := workspace(t, deepChain(5000))
	c := start(t, dir, nil)
	p, size := publishedRaw(t, c, lsptest.FileURI(filepath.Join(dir, "main.go")))
	if size > 256<<10 {
		t.Errorf("one publishDiagnostics of %d bytes", size)
	}
	shortened := false
	for _, d := range p.Diagnostics {
		if len(d.Message) > 1200 {
			t.Errorf("a message of %d bytes: %.200s…", len(d.Message), d.Message)
		}
		if len(d.RelatedInformation) > 11 {
			t.Errorf("%d related locations", len(d.RelatedInformation))
		}
		if strings.HasPrefix(d.Message, "handle writes hits via ") {
			shortened = true
			want := "handle writes hits via step0 → step1 → step2 → step3 → … → step4992 → step4993 → step4994 → step4995 → step4996 → step4997 → step4998 → step4999; handle (another invocation)"
			if !strings.HasPrefix(d.Message, want) {
				t.Errorf("the chain is not its first 4 and last 8 calls:\n%s\nwant it to start\n%s", d.Message, want)
			}
		}
	}
	if !shortened {
		t.Errorf("no finding at the write names the chain: %+v", p.Diagnostics)
	}
	t.Logf("%d bytes, %d diagnostics: %q", size, len(p.Diagnostics), p.Diagnostics[0].Message)
}

// A run that the server gives up, out of memory or out of time, says so in
// a window message that names the workspace, instead of leaving the user
// with silence; the server goes on.
func TestGivenUpRunsAreReported(t *testing.T) {
	for _, bound := range []struct {
		flag, value, says string
		src               string
	}{
		// A handler of 100,000 lines: its syntax and SSA alone pass 32 MiB.
		{"-max-memory", "32MiB", "more than 32 MiB of memory", longHandler(100000)},
		{"-max-time", "1ms", "longer than 1ms", deepChain(5000)},
	} {
		t.Run(bound.flag, func(t *testing.T) {
			dir := workspace(t, bound.src)
			c := start(t, dir, nil, bound.flag, bound.value)
			m, _ := c.Await(0, "a window message", func(m lsptest.Message) bool { return m.Method == "window/showMessage" })
			var p struct {
				Type    int
				Message string
			}
			json.Unmarshal(m.Params, &p)
			if p.Type != 2 || !strings.Contains(p.Message, "given up") || !strings.Contains(p.Message, bound.says) || !strings.Contains(p.Message, dir) {
				t.Errorf("window message %d %q does not say the analysis of %s was given up (%s)", p.Type, p.Message, dir, bound.says)
			}
			awaitIdle(t, c)
			c.Result("shutdown", nil, nil)
			c.Notify("exit", nil)
			if code := c.Wait(); code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
}
