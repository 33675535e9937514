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

// A write at the end of a chain of 5,000 calls: its finding names the
// whole chain (59,000 characters before the caps), and its related
// locations are the 5,000 calls. Now the message keeps its start and end,
// and the first related locations are followed by one that counts the rest.
func TestDeepChainIsCapped(t *testing.T) {
	dir := workspace(t, deepChain(5000))
	c := start(t, dir, nil)
	p, size := publishedRaw(t, c, lsptest.FileURI(filepath.Join(dir, "main.go")))
	if size > 256<<10 {
		t.Errorf("one publishDiagnostics of %d bytes", size)
	}
	counted, shortened := 0, false
	for _, d := range p.Diagnostics {
		if len(d.Message) > 1200 {
			t.Errorf("a message of %d bytes: %.200s…", len(d.Message), d.Message)
		}
		if len(d.RelatedInformation) > 11 {
			t.Errorf("%d related locations", len(d.RelatedInformation))
		}
		if r := d.RelatedInformation; len(r) == 11 {
			counted = max(counted, more(t, r[10].Message))
		}
		if strings.HasPrefix(d.Message, "handle writes hits via step0 → step1") {
			shortened = true
			if !strings.Contains(d.Message, "safels check -json") || !strings.Contains(d.Message, "step4999; handle (another invocation)") {
				t.Errorf("the shortened message does not keep its end or say where the rest is: %s", d.Message)
			}
		}
	}
	if !shortened {
		t.Errorf("no finding at the write names the chain: %+v", p.Diagnostics)
	}
	if counted+10 < 5000 {
		t.Errorf("the related locations count %d more; the chain has 5,000 calls", counted)
	}
	t.Logf("%d bytes, %d diagnostics: %q", size, len(p.Diagnostics), p.Diagnostics[0].Message)
}

// A run that the server gives up, out of memory or out of time, says so in
// a window message that names the workspace, instead of leaving the user
// with silence; the server goes on.
func TestGivenUpRunsAreReported(t *testing.T) {
	dir := workspace(t, deepChain(5000))
	for _, bound := range []struct {
		flag, value, says string
	}{
		{"-max-memory", "32MiB", "more than 32 MiB of memory"},
		{"-max-time", "1ms", "longer than 1ms"},
	} {
		t.Run(bound.flag, func(t *testing.T) {
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
