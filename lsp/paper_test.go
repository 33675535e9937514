package lsp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/lsptest"
	"github.com/safels/safels/internal/testmod"
)

// modEnv lets the go command complete the copy's go.mod.
var modEnv = []string{"GOFLAGS=-mod=mod"}

type textEdit struct {
	Range   lsptest.Range
	NewText string
}

type codeAction struct {
	Title string
	Kind  string
	Edit  struct {
		DocumentChanges []struct {
			TextDocument struct {
				URI     string
				Version *int
			}
			Edits []textEdit
		}
	}
}

// offset converts an LSP position (UTF-16) to a byte offset, independently
// of the server's conversion.
func offset(src string, p lsptest.Position) int {
	lines := strings.SplitAfter(src, "\n")
	off := 0
	for i := 0; i < p.Line; i++ {
		off += len(lines[i])
	}
	units := 0
	for i, r := range lines[p.Line] {
		if units >= p.Character {
			return off + i
		}
		units += len(utf16.Encode([]rune{r}))
	}
	return off + len(lines[p.Line])
}

// apply applies edits (non-overlapping, as LSP requires) to src.
func apply(src string, edits []textEdit) string {
	type span struct {
		from, to int
		text     string
	}
	var spans []span
	for _, e := range edits {
		spans = append(spans, span{offset(src, e.Range.Start), offset(src, e.Range.End), e.NewText})
	}
	// Apply from the end so that earlier offsets stay valid.
	for i := 0; i < len(spans); i++ {
		for j := i + 1; j < len(spans); j++ {
			if spans[j].from > spans[i].from {
				spans[i], spans[j] = spans[j], spans[i]
			}
		}
	}
	for _, s := range spans {
		src = src[:s.from] + s.text + src[s.to:]
	}
	return src
}

// fix asks for the quick fixes of d and applies the one whose title starts
// with title to the document, as an editor would: edit, then save.
func fix(t *testing.T, c *lsptest.Client, uri, file string, d lsptest.Diagnostic, version int, title string) {
	t.Helper()
	var actions []codeAction
	c.Result("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": uri},
		"range":        d.Range,
		"context":      map[string]any{"diagnostics": []lsptest.Diagnostic{d}},
	}, &actions)
	src, _ := os.ReadFile(file)
	for _, a := range actions {
		if !strings.HasPrefix(a.Title, title) {
			continue
		}
		if a.Kind != "quickfix" || len(a.Edit.DocumentChanges) != 1 {
			t.Fatalf("action %q: kind %q, %d document changes", a.Title, a.Kind, len(a.Edit.DocumentChanges))
		}
		ch := a.Edit.DocumentChanges[0]
		if ch.TextDocument.URI != uri || ch.TextDocument.Version == nil || *ch.TextDocument.Version != version-1 {
			t.Fatalf("action %q edits %s version %v, want version %d", a.Title, ch.TextDocument.URI, ch.TextDocument.Version, version-1)
		}
		out := apply(string(src), ch.Edits)
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		c.Notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": uri, "version": version},
			"contentChanges": []any{map[string]any{"text": out}},
		})
		c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
		return
	}
	var titles []string
	for _, a := range actions {
		titles = append(titles, a.Title)
	}
	t.Fatalf("no action starting with %q among %q", title, titles)
}

func find1(p lsptest.Published, prefix string) (lsptest.Diagnostic, bool) {
	for _, d := range p.Diagnostics {
		if strings.HasPrefix(d.Message, prefix) {
			return d, true
		}
	}
	return lsptest.Diagnostic{}, false
}

// The paper's thttpd refactor, from the editor: two "Defer to new handler"
// fixes through the real server make handleSend independent of itself and
// of almost all other handlers, with the conflict matrix of the
// hand-written testdata/thttpd-deferred.
func TestPaperRefactorThroughServer(t *testing.T) {
	dir := testmod.Copy(t, "../testdata/thttpd")
	c := session(t, dir, nil, modEnv...)
	file := filepath.Join(dir, "handlers.go")
	uri := open(c, file, 1)
	p, cur := c.AwaitDiagnostics(0, uri, func(p lsptest.Published) bool {
		_, ok := find1(p, "handleSend calls reallyClearConnection")
		return ok
	})
	d, _ := find1(p, "handleSend calls reallyClearConnection")
	fix(t, c, uri, file, d, 2, "Defer reallyClearConnection(c)")

	p, cur = c.AwaitDiagnostics(cur, uri, func(p lsptest.Published) bool { return p.Version != nil && *p.Version == 2 })
	if _, ok := find1(p, "handleSend calls reallyClearConnection"); ok {
		t.Fatal("the call is still flagged after deferring it")
	}
	d, ok := find1(p, "handleSend writes stats.responses[i]")
	if !ok {
		t.Fatalf("no finding on the statistics counter after the first fix: %+v", p.Diagnostics)
	}
	fix(t, c, uri, file, d, 3, "Defer stats.responses")
	p, _ = c.AwaitDiagnostics(cur, uri, func(p lsptest.Published) bool { return p.Version != nil && *p.Version == 3 })
	for _, d := range p.Diagnostics {
		if strings.HasPrefix(d.Message, "handleSend") && d.Code == "global-conflict" {
			t.Errorf("handleSend still has a global conflict: %s", d.Message)
		}
	}

	var matrix struct {
		Handlers []struct{ Short string }
		Matrix   [][]string
	}
	c.Result("workspace/executeCommand", map[string]any{"command": "safels.matrix"}, &matrix)
	want, err := analysis.Run(context.Background(), analysis.Config{Dir: "..", Patterns: []string{"./testdata/thttpd-deferred"}})
	if err != nil {
		t.Fatal(err)
	}
	// The quick fix names handlers after what they run; the hand-made
	// refactor named them differently.
	rename := map[string]string{"deferReallyClearConnection": "deferClearConnection", "deferStatsResponses": "deferCountResponse", "deferStatsResponsesCStatus": "deferCountResponse"}
	got := map[string]string{}
	for i, h := range matrix.Handlers {
		if h.Short != "handleSend" {
			continue
		}
		for j, o := range matrix.Handlers {
			n := o.Short
			if m, ok := rename[n]; ok {
				n = m
			}
			got[n] = matrix.Matrix[i][j]
		}
	}
	var wantRow map[string]string
	for i, h := range want.Handlers {
		if h.Short == "handleSend" {
			wantRow = map[string]string{}
			for j, o := range want.Handlers {
				k := int(want.Matrix[i][j])
				wantRow[o.Short] = fmt.Sprintf("%d%d", k>>1, k&1)
			}
		}
	}
	if len(got) == 0 || len(got) != len(wantRow) {
		t.Fatalf("handleSend's row: got %v, want %v", got, wantRow)
	}
	for n, w := range wantRow {
		if got[n] != w {
			t.Errorf("handleSend/%s = %s through the server, %s in thttpd-deferred", n, got[n], w)
		}
	}
	if got["handleSend"] != "10" {
		t.Errorf("handleSend/handleSend = %s, want 10 (only on the same connection)", got["handleSend"])
	}
}
