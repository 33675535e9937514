package lsp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safels/safels/internal/lsptest"
	"github.com/safels/safels/internal/testmod"
)

// saveAndAwait saves file (unchanged) and waits for the analysis that
// follows; the file must still show findings then (the server sends only
// diagnostics that changed, so the latest sent are those shown).
func saveAndAwait(t *testing.T, c *lsptest.Client, file string) {
	t.Helper()
	runs := awaitIdle(t, c).Runs
	c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": lsptest.FileURI(file)}})
	if st := awaitIdle(t, c); st.Runs != runs+1 {
		t.Fatalf("%d analyses after the save, want %d", st.Runs, runs+1)
	}
	shown := latest(c, lsptest.FileURI(file))
	findings := 0
	for _, d := range shown.Diagnostics {
		if d.Code != "not-analysed" {
			findings++
		}
	}
	if findings == 0 {
		t.Errorf("after the save, %s shows no findings: %+v", file, shown.Diagnostics)
	}
}

// stats is the answer of safels.debug.stats.
type stats struct {
	Goroutines int
	HeapBytes  uint64
	Documents  int
	Idle       bool
	Runs       int
}

// awaitIdle waits until no analysis is scheduled or running (and what the
// last one found is published), and returns the server's stats then.
func awaitIdle(t *testing.T, c *lsptest.Client) stats {
	t.Helper()
	deadline := time.Now().Add(lsptest.Timeout)
	for {
		var st stats
		c.Result("workspace/executeCommand", map[string]any{"command": "safels.debug.stats"}, &st)
		if st.Idle {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server is still analysing: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// latest returns the diagnostics last published for uri.
func latest(c *lsptest.Client, uri string) lsptest.Published {
	var last lsptest.Published
	for _, m := range c.Messages(0) {
		var p lsptest.Published
		if m.Method == "textDocument/publishDiagnostics" && json.Unmarshal(m.Params, &p) == nil && p.URI == uri {
			last = p
		}
	}
	return last
}

// Notifications the server does not know, and known ones it cannot
// decode, are ignored with a line in the log; the session goes on. (Each
// of these used to end the session: the server closed its output.)
func TestBadNotificationsAreIgnored(t *testing.T) {
	root := abs(t, "../testdata/thttpd")
	c := start(t, root, nil)
	file := filepath.Join(root, "handlers.go")
	uri := open(c, file, 1)
	c.AwaitDiagnostics(0, uri, func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })

	unknown := []string{"$/foo", "$/logTrace", "safels/whatever"}
	for _, m := range unknown {
		c.Notify(m, map[string]any{"message": "x"})
	}
	c.Raw([]byte(`{"jsonrpc":"2.0","method":"$/foo"}`)) // no params at all
	malformed := []struct {
		method string
		params any
	}{
		{"textDocument/didOpen", map[string]any{"textDocument": 5}},
		{"textDocument/didClose", nil},
		{"$/cancelRequest", map[string]any{}},
		{"textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": 7}},
		{"textDocument/didSave", []int{1, 2}},
		{"workspace/didChangeWatchedFiles", map[string]any{"changes": "all"}},
	}
	for _, m := range malformed {
		c.Notify(m.method, m.params)
	}
	// A request with params of the wrong shape: invalid params, not the
	// end of the session either.
	if m := c.Call("textDocument/hover", map[string]any{"textDocument": 5}); m.Error == nil || m.Error.Code != -32602 {
		t.Errorf("hover with malformed params: %+v", m.Error)
	}

	// The session goes on: requests are answered, a save is analysed and
	// its diagnostics published, the document is still the one opened.
	var matrix struct{ Handlers []any }
	c.Result("workspace/executeCommand", map[string]any{"command": "safels.matrix"}, &matrix)
	if len(matrix.Handlers) == 0 {
		t.Error("no handlers in the matrix")
	}
	saveAndAwait(t, c, file)
	var lenses []json.RawMessage
	c.Result("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": uri}}, &lenses)
	if len(lenses) == 0 {
		t.Error("no code lenses: the open document changed")
	}

	log := c.StderrText()
	for _, m := range unknown {
		if !strings.Contains(log, "does not handle") || !strings.Contains(log, "method="+m+"\n") {
			t.Errorf("the log does not say %s was ignored", m)
		}
	}
	for _, m := range malformed {
		if !strings.Contains(log, `msg="ignoring a malformed notification" method=`+m.method) {
			t.Errorf("the log does not say the malformed %s was ignored", m.method)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
	c.Result("shutdown", nil, nil)
	c.Notify("exit", nil)
	if code := c.Wait(); code != 0 {
		t.Errorf("exit code %d after shutdown and exit", code)
	}
}

// A client that announces progress and configuration but never answers
// the server's requests for them holds up nothing: the answers time out,
// the log says so, diagnostics come, and keep coming.
func TestUnansweredRequestsTimeOut(t *testing.T) {
	root := abs(t, "../testdata/thttpd")
	c := lsptest.Start(t, safels(t), append(os.Environ(), "SAFELS_DEBUG=1"), "serve", "-debounce", "1ms", "-reply-timeout", "100ms")
	c.Unanswered("window/workDoneProgress/create", "workspace/configuration", "client/registerCapability")
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(root), "capabilities": map[string]any{
		"window":    map[string]any{"workDoneProgress": true},
		"workspace": map[string]any{"configuration": true, "didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}},
	}}, nil)
	c.Notify("initialized", map[string]any{})
	file := filepath.Join(root, "handlers.go")
	c.AwaitDiagnostics(0, lsptest.FileURI(file), func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })
	saveAndAwait(t, c, file)
	for _, m := range []string{"window/workDoneProgress/create", "workspace/configuration", "client/registerCapability"} {
		awaitLog(t, c, "did not answer "+m+" in time", 1)
	}
	// Progress was given up after the first unanswered request.
	if n := strings.Count(c.StderrText(), "did not answer window/workDoneProgress/create"); n != 1 {
		t.Errorf("progress requested %d times without answer", n)
	}
}

// A didChange of a document that was never opened is ignored: it used to
// become the file's text for the analysis (empty, with a ranged change),
// and the file's findings vanished.
func TestChangeOfUnopenedDocument(t *testing.T) {
	root := testmod.Copy(t, "../testdata/thttpd")
	c := lsptest.Start(t, safels(t), testmod.Env("SAFELS_DEBUG=1"), "serve", "-debounce", "1ms")
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(root), "capabilities": map[string]any{}}, nil)
	c.Notify("initialized", map[string]any{})
	file := filepath.Join(root, "handlers.go")
	uri := lsptest.FileURI(file)
	c.AwaitDiagnostics(0, uri, func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })
	c.Notify("textDocument/didChange", map[string]any{
		"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{
			"range": map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 0}},
			"text":  "",
		}},
	})
	saveAndAwait(t, c, file)
	awaitLog(t, c, `msg="ignoring didChange of a document that is not open"`, 1)
}

// An unused variable, the state of most buffers while their user types,
// changes nothing the analysis reads: the file keeps every finding it
// had, and the compiler's error is shown beside them as a warning. It
// used to set the package aside: the findings vanished, replaced by
// "package ... was not analysed".
func TestUnusedVariableKeepsFindings(t *testing.T) {
	root := testmod.Copy(t, "../testdata/thttpd")
	c := start(t, root, nil)
	file := filepath.Join(root, "handlers.go")
	uri := open(c, file, 1)
	before, cur := c.AwaitDiagnostics(0, uri, func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })

	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A comment line inside handleSend becomes the declaration: no other
	// line moves.
	comment := "\t\t// The client is gone: no next request, nothing to drain.\n"
	if !strings.Contains(string(src), comment) {
		t.Fatal("the comment to replace is gone from handlers.go")
	}
	text := strings.Replace(string(src), comment, "\t\tunused := 0\n", 1)
	c.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"text": text}},
	})
	c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	after, _ := c.AwaitDiagnostics(cur, uri, func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })

	var typeErr []lsptest.Diagnostic
	rest := map[string]int{}
	for _, d := range after.Diagnostics {
		if d.Code == "type-error" {
			typeErr = append(typeErr, d)
			continue
		}
		rest[fmt.Sprintf("%+v", d)]++
	}
	if len(typeErr) != 1 || typeErr[0].Range.Start.Line != 148 || typeErr[0].Severity != 2 ||
		!strings.Contains(typeErr[0].Message, "declared and not used: unused") {
		t.Errorf("want one warning for the unused variable at line 149, got %+v", typeErr)
	}
	for _, d := range before.Diagnostics {
		k := fmt.Sprintf("%+v", d)
		if rest[k] == 0 {
			t.Errorf("finding lost after the edit: %s", k)
			continue
		}
		rest[k]--
	}
	for k, n := range rest {
		if n > 0 {
			t.Errorf("finding that was not there before the edit: %s", k)
		}
	}
}
