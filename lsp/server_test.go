package lsp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safels/safels/internal/lsptest"
	"github.com/safels/safels/internal/synth"
	"github.com/safels/safels/internal/testmod"
)

var (
	binOnce sync.Once
	bin     string
	binDir  string
)

// safels builds the binary once for all tests of the package.
func safels(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		var err error
		binDir, err = os.MkdirTemp("", "safels-lsp-test")
		if err != nil {
			t.Fatal(err)
		}
		bin = lsptest.Build(&onceTB{T: t, dir: binDir})
	})
	if bin == "" {
		t.Fatal("building safels failed")
	}
	return bin
}

// onceTB builds into a directory that outlives the first test.
type onceTB struct {
	*testing.T
	dir string
}

func (o *onceTB) TempDir() string { return o.dir }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func abs(t *testing.T, rel string) string {
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// session starts the server on root and initializes it.
func session(t *testing.T, root string, initOpts any, env ...string) *lsptest.Client {
	c := lsptest.Start(t, safels(t), append(os.Environ(), env...))
	var res struct {
		Capabilities map[string]any `json:"capabilities"`
		ServerInfo   struct{ Name string }
	}
	c.Result("initialize", map[string]any{
		"processId": nil,
		"rootUri":   lsptest.FileURI(root),
		"capabilities": map[string]any{
			"window":    map[string]any{"workDoneProgress": true},
			"workspace": map[string]any{"configuration": true, "didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}},
		},
		"initializationOptions": initOpts,
	}, &res)
	if res.ServerInfo.Name != "safels" {
		t.Fatalf("serverInfo.name = %q", res.ServerInfo.Name)
	}
	for _, k := range []string{"hoverProvider", "codeActionProvider", "codeLensProvider", "executeCommandProvider", "textDocumentSync"} {
		if res.Capabilities[k] == nil {
			t.Errorf("capability %s missing: %v", k, res.Capabilities)
		}
	}
	c.Notify("initialized", map[string]any{})
	return c
}

func open(c *lsptest.Client, file string, version int) string {
	src, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	uri := lsptest.FileURI(file)
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "go", "version": version, "text": string(src),
	}})
	return uri
}

// callDiag finds the diagnostic on handleSend's call of reallyClearConnection.
func callDiag(p lsptest.Published) (lsptest.Diagnostic, bool) {
	for _, d := range p.Diagnostics {
		if strings.HasPrefix(d.Message, "handleSend calls reallyClearConnection") {
			return d, true
		}
	}
	return lsptest.Diagnostic{}, false
}

// The paper's finding, in the editor: handleSend's call of
// reallyClearConnection is flagged, naming the partner handlers, with
// related information at the partners' accesses.
func TestThttpdDiagnostics(t *testing.T) {
	root := abs(t, "../testdata/thttpd")
	c := session(t, root, map[string]any{"severity": map[string]string{"loop": "information"}})
	start := c.Now()
	file := filepath.Join(root, "handlers.go")
	uri := open(c, file, 1)
	p, _ := c.AwaitDiagnostics(start, uri, func(p lsptest.Published) bool { _, ok := callDiag(p); return ok })
	d, _ := callDiag(p)
	if d.Source != "safels" || d.Code != "global-conflict" {
		t.Errorf("source %q code %q", d.Source, d.Code)
	}
	if d.Severity != 3 {
		t.Errorf("severity %d, want 3 (information, from initializationOptions)", d.Severity)
	}
	if !strings.Contains(d.Message, "stats.bytes: handle") {
		t.Errorf("message does not name a partner handler: %s", d.Message)
	}
	if p.Version == nil || *p.Version != 1 {
		t.Errorf("version %v, want 1 (the open document's)", p.Version)
	}
	src, _ := os.ReadFile(file)
	lines := strings.Split(string(src), "\n")
	got := lines[d.Range.Start.Line][d.Range.Start.Character:d.Range.End.Character]
	if got != "reallyClearConnection" {
		t.Errorf("range covers %q, want reallyClearConnection", got)
	}
	if len(d.RelatedInformation) == 0 {
		t.Fatal("no relatedInformation")
	}
	for _, r := range d.RelatedInformation {
		if !strings.HasPrefix(r.Location.URI, "file://") || r.Message == "" {
			t.Errorf("related %+v", r)
		}
	}
	// Progress was reported while loading.
	var kinds []string
	for _, m := range c.Messages(start) {
		if m.Method == "$/progress" {
			var v struct{ Value struct{ Kind string } }
			json.Unmarshal(m.Params, &v)
			kinds = append(kinds, v.Value.Kind)
		}
	}
	if len(kinds) < 2 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" {
		t.Errorf("progress %v, want begin ... end", kinds)
	}
	// Every analysed file is published, also those with nothing to show, so
	// that a client clears what it showed before.
	empty, _ := c.AwaitDiagnostics(start, lsptest.FileURI(filepath.Join(root, "main.go")), func(lsptest.Published) bool { return true })
	if empty.Diagnostics == nil {
		t.Errorf("main.go: diagnostics %v, want [] (not null)", empty.Diagnostics)
	}

	// Hover on handleSend's name.
	line, col := find(t, lines, "func handleSend(")
	var hover struct{ Contents struct{ Kind, Value string } }
	c.Result("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": line, "character": col + len("func ")}}, &hover)
	for _, want := range []string{"handleSend", "hue", "Writes shared", "stats.responses[i]", "another invocation"} {
		if !strings.Contains(hover.Contents.Value, want) {
			t.Errorf("hover lacks %q:\n%s", want, hover.Contents.Value)
		}
	}
	// Hover elsewhere: nothing.
	var none json.RawMessage
	c.Result("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 0, "character": 0}}, &none)
	if string(none) != "null" {
		t.Errorf("hover on the package clause: %s", none)
	}

	// A code lens above each handler of the file.
	var lenses []struct {
		Range   lsptest.Range
		Command struct{ Title, Command string }
	}
	c.Result("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": uri}}, &lenses)
	var sendLens string
	for _, l := range lenses {
		if l.Range.Start.Line == line {
			sendLens = l.Command.Title
		}
	}
	if !strings.Contains(sendLens, "conflicts with") || !strings.Contains(sendLens, "hue") {
		t.Errorf("lens on handleSend: %q (all: %+v)", sendLens, lenses)
	}

	// The matrix command.
	var matrix struct {
		Handlers []struct {
			Short string
			Hue   int
		}
		Matrix [][]string
	}
	c.Result("workspace/executeCommand", map[string]any{"command": "safels.matrix"}, &matrix)
	var names []string
	for _, h := range matrix.Handlers {
		names = append(names, h.Short)
	}
	sort.Strings(names)
	if !contains(names, "handleSend") || len(matrix.Matrix) != len(matrix.Handlers) {
		t.Errorf("matrix: %v, %d rows", names, len(matrix.Matrix))
	}

	c.Result("shutdown", nil, nil)
	c.Notify("exit", nil)
	if code := c.Wait(); code != 0 {
		t.Errorf("exit code %d after shutdown+exit", code)
	}
}

func find(t *testing.T, lines []string, s string) (int, int) {
	for i, l := range lines {
		if j := strings.Index(l, s); j >= 0 {
			return i, j
		}
	}
	t.Fatalf("%q not found", s)
	return 0, 0
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// The server survives bad input and answers it as JSON-RPC says.
func TestRobustness(t *testing.T) {
	root := abs(t, "../testdata/slides")
	c := lsptest.Start(t, safels(t), append(os.Environ(), "SAFELS_DEBUG=1"))

	// Before initialize: ServerNotInitialized.
	m := c.Call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///x.go"}, "position": map[string]any{"line": 0, "character": 0}})
	if m.Error == nil || m.Error.Code != -32002 {
		t.Errorf("hover before initialize: %+v", m.Error)
	}

	// Malformed JSON: a parse error with a null id, and the server goes on.
	cur := c.Now()
	c.Raw([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize",`))
	resp, _ := c.Await(cur, "parse error", func(m lsptest.Message) bool { return m.Error != nil })
	if resp.Error.Code != -32700 || string(resp.ID) != "null" {
		t.Errorf("malformed JSON answered with id %s error %+v", resp.ID, resp.Error)
	}
	// Valid JSON that is not a message: invalid request, with its id.
	cur = c.Now()
	c.Raw([]byte(`{"jsonrpc":"2.0","id":77,"method":12}`))
	resp, _ = c.Await(cur, "invalid request", func(m lsptest.Message) bool { return m.Error != nil })
	if resp.Error.Code != -32600 || string(resp.ID) != "77" {
		t.Errorf("invalid request answered with id %s error %+v", resp.ID, resp.Error)
	}

	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(root), "capabilities": map[string]any{}}, nil)
	c.Notify("initialized", map[string]any{})
	if m := c.Call("initialize", map[string]any{"capabilities": map[string]any{}}); m.Error == nil {
		t.Error("a second initialize was accepted")
	}

	// Unknown method: method not found; unknown command: invalid params.
	if m := c.Call("safels/nonsense", map[string]any{}); m.Error == nil || m.Error.Code != -32601 {
		t.Errorf("unknown method: %+v", m.Error)
	}
	if m := c.Call("workspace/executeCommand", map[string]any{"command": "safels.nonsense"}); m.Error == nil || m.Error.Code != -32602 {
		t.Errorf("unknown command: %+v", m.Error)
	}

	// Non-file URIs are ignored, not fatal.
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": "untitled:Untitled-1", "languageId": "go", "version": 1, "text": "package x"}})
	var none json.RawMessage
	c.Result("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "untitled:Untitled-1"}, "position": map[string]any{"line": 0, "character": 0}}, &none)
	c.Result("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": "git:/x.go"}, "range": map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 0}}, "context": map[string]any{"diagnostics": []any{}}}, &none)

	// A panic inside a request: an internal error answer, and the server lives.
	if m := c.Call("workspace/executeCommand", map[string]any{"command": "safels.debug.panic"}); m.Error == nil || m.Error.Code != -32603 {
		t.Errorf("panicking request: %+v", m.Error)
	}
	var matrix struct{ Handlers []any }
	c.Result("workspace/executeCommand", map[string]any{"command": "safels.matrix"}, &matrix)
	if !strings.Contains(c.StderrText(), "panic in request") {
		t.Errorf("the panic was not logged:\n%s", c.StderrText())
	}

	// Requests after shutdown are refused; exit without shutdown is an error.
	c.Result("shutdown", nil, nil)
	if m := c.Call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///x.go"}, "position": map[string]any{"line": 0, "character": 0}}); m.Error == nil {
		t.Error("hover after shutdown was served")
	}
	c.Notify("exit", nil)
	if code := c.Wait(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	c := lsptest.Start(t, safels(t), os.Environ())
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(abs(t, "../testdata/slides")), "capabilities": map[string]any{}}, nil)
	c.Notify("exit", nil)
	if code := c.Wait(); code != 1 {
		t.Errorf("exit without shutdown: code %d, want 1", code)
	}
}

// TestSaveResummarizesOnlyWhatChanged saves a file of one package of a
// layered workspace and reads in the server's log which functions the
// analysis after the save summarized: only that package's, the rest of the
// workspace reused from the run before.
func TestSaveResummarizesOnlyWhatChanged(t *testing.T) {
	dir, c := synthSession(t, 8)
	file := filepath.Join(dir, "p5", "p5.go")
	uri := open(c, file, 1)
	_, cur := c.AwaitDiagnostics(0, uri, func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })
	// Files are published in order: p7 comes last.
	_, cur = c.AwaitDiagnostics(cur, lsptest.FileURI(filepath.Join(dir, "p7", "p7.go")), func(lsptest.Published) bool { return true })

	// lastRun returns what the log says of the latest analysis.
	lastRun := func() (summarized, reused int, functions []string) {
		lines := strings.Split(c.StderrText(), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			l := lines[i]
			if functions == nil && strings.Contains(l, "msg=summarized") {
				_, list, _ := strings.Cut(l, "functions=")
				functions = strings.Split(strings.Trim(list, `"`), ",")
			}
			if strings.Contains(l, "msg=analysis ") {
				for _, f := range strings.Fields(l) {
					if v, ok := strings.CutPrefix(f, "summarized="); ok {
						summarized, _ = strconv.Atoi(v)
					}
					if v, ok := strings.CutPrefix(f, "reused="); ok {
						reused, _ = strconv.Atoi(v)
					}
				}
				return
			}
		}
		t.Fatalf("no analysis in the log:\n%s", c.StderrText())
		return
	}
	total, _, _ := lastRun()

	src, _ := os.ReadFile(file)
	text := string(src) + "\n// saved\n"
	os.WriteFile(file, []byte(text), 0o644)
	c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": text}}})
	c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	before := cur
	c.AwaitDiagnostics(cur, uri, func(p lsptest.Published) bool { return p.Version != nil && *p.Version == 2 })

	// The diagnostics of the other 8 files did not change: they are not
	// sent again.
	for _, m := range c.Messages(before) {
		if m.Method != "textDocument/publishDiagnostics" {
			continue
		}
		var p lsptest.Published
		json.Unmarshal(m.Params, &p)
		if p.URI != uri {
			t.Errorf("diagnostics of %s sent again though they did not change", p.URI)
		}
	}

	// The log reaches us on stderr, apart from the diagnostics: wait for
	// the second analysis to be in it.
	awaitLog(t, c, "msg=analysis ", 2)
	summarized, reused, functions := lastRun()
	if summarized == 0 || summarized+reused != total {
		t.Fatalf("after the save: summarized %d, reused %d; the first run summarized %d", summarized, reused, total)
	}
	for _, fn := range functions {
		if !strings.Contains(fn, "example.com/synth/p5.") {
			t.Errorf("the save of p5 summarized %s again", fn)
		}
	}
	t.Logf("first run: %d summaries; after the save: %d summarized, %d reused", total, summarized, reused)
}

// TestWatchedFiles: a file created outside the editor (a checkout, a
// generator) is analysed once the client says it changed, and a go.mod
// change in the same notification is not lost behind it.
func TestWatchedFiles(t *testing.T) {
	dir, c := synthSession(t, 6)
	c.AwaitDiagnostics(0, lsptest.FileURI(filepath.Join(dir, "p5", "p5.go")), func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })

	extra := filepath.Join(dir, "p5", "extra.go")
	src := "package p5\n\nimport \"github.com/safels/safels/loop\"\n\n//safels:handler\nfunc HandleAudit(l *loop.Loop, c *Conn) { stats.Users++ }\n"
	if err := os.WriteFile(extra, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cur := c.Now()
	before := strings.Count(c.StderrText(), "msg=analysis ")
	c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": lsptest.FileURI(extra), "type": 1},
		map[string]any{"uri": lsptest.FileURI(filepath.Join(dir, "go.mod")), "type": 2},
	}})
	p, _ := c.AwaitDiagnostics(cur, lsptest.FileURI(extra), func(p lsptest.Published) bool { return len(p.Diagnostics) > 0 })
	if !strings.Contains(p.Diagnostics[0].Message, "HandleAudit writes stats.Users") {
		t.Errorf("diagnostic on the new file: %s", p.Diagnostics[0].Message)
	}
	// go.mod changed: nothing of the last analysis was reused.
	awaitLog(t, c, "msg=analysis ", before+1)
	lines := strings.Split(c.StderrText(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "msg=analysis ") {
			if !strings.Contains(lines[i], " reused=0 ") {
				t.Errorf("the analysis after a go.mod change reused summaries: %s", lines[i])
			}
			break
		}
	}
}

// awaitLog waits until the server's log has n lines that contain s.
func awaitLog(t *testing.T, c *lsptest.Client, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(c.StderrText(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say %q %d times:\n%s", s, n, c.StderrText())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// synthSession starts a verbose server, without debounce, on a generated
// workspace of pkgs packages of two handlers each.
func synthSession(t *testing.T, pkgs int) (string, *lsptest.Client) {
	dir := t.TempDir()
	synth.Write(t, dir, pkgs, 2)
	c := lsptest.Start(t, safels(t), testmod.Env(), "serve", "-v", "-debounce", "1ms")
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(dir), "capabilities": map[string]any{}}, nil)
	c.Notify("initialized", map[string]any{})
	return dir, c
}

// TestOpenDuringFirstAnalysis: files opened as they are on disk while the
// first analysis runs do not start it over (on a large workspace it takes
// minutes, and a user opens files meanwhile, who would see nothing until
// they stopped): that one run publishes them all, each for the version it
// was opened at.
func TestOpenDuringFirstAnalysis(t *testing.T) {
	dir := t.TempDir()
	synth.Write(t, dir, 40, 2)
	c := lsptest.Start(t, safels(t), testmod.Env(), "serve", "-v", "-debounce", "1ms")
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(dir),
		"capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}}}, nil)
	c.Notify("initialized", map[string]any{})
	file := func(i int) string { return filepath.Join(dir, fmt.Sprintf("p%d", i), fmt.Sprintf("p%d.go", i)) }
	uris := []string{open(c, file(0), 1)}
	// The run is in flight once its progress begins: it starts on the
	// analyzer right after asking for the bar.
	c.Await(0, "progress begin", func(m lsptest.Message) bool {
		var v struct{ Value struct{ Kind string } }
		json.Unmarshal(m.Params, &v)
		return m.Method == "$/progress" && v.Value.Kind == "begin"
	})
	for i := 1; i <= 3; i++ {
		uris = append(uris, open(c, file(i*10), i+1))
	}
	for i, uri := range uris {
		p, _ := c.AwaitDiagnostics(0, uri, func(lsptest.Published) bool { return true })
		if p.Version == nil || *p.Version != i+1 {
			t.Errorf("%s: first diagnostics for version %v, want %d (the one opened)", uri, p.Version, i+1)
		}
		if len(p.Diagnostics) == 0 {
			t.Errorf("%s: no diagnostics", uri)
		}
	}
	if n := strings.Count(c.StderrText(), `msg="analysis started"`); n != 1 {
		t.Errorf("%d analyses started, want 1: opening files restarted the first one", n)
	}
}

// TestProgressReports: while an analysis runs, its progress bar is
// updated with the time it took so far (-progress-every), between its
// begin and its end, so that a first analysis of minutes does not look
// stuck.
func TestProgressReports(t *testing.T) {
	root := abs(t, "../testdata/thttpd")
	c := lsptest.Start(t, safels(t), os.Environ(), "serve", "-debounce", "1ms", "-progress-every", "1ms")
	c.Result("initialize", map[string]any{"processId": nil, "rootUri": lsptest.FileURI(root),
		"capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}}}, nil)
	c.Notify("initialized", map[string]any{})
	uri := open(c, filepath.Join(root, "handlers.go"), 1)
	_, cur := c.AwaitDiagnostics(0, uri, func(lsptest.Published) bool { return true })
	var kinds []string
	reports := 0
	for _, m := range c.Messages(0)[:cur] {
		if m.Method != "$/progress" {
			continue
		}
		var v struct {
			Value struct{ Kind, Message string }
		}
		json.Unmarshal(m.Params, &v)
		kinds = append(kinds, v.Value.Kind)
		if v.Value.Kind == "report" {
			reports++
			if !strings.Contains(v.Value.Message, root) || !strings.HasSuffix(v.Value.Message, "s)") {
				t.Errorf("report %q: want the root and the time so far", v.Value.Message)
			}
		}
	}
	if len(kinds) < 3 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" || reports != len(kinds)-2 {
		t.Errorf("progress %v, want begin, reports, end", kinds)
	}
}
