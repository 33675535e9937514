package main

import (
	"bytes"
	"context"
	"encoding/json"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
)

const wrappedServer = `package main

import "net/http"

var hits int

func requiresLogin(h func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r) }
}

func count(w http.ResponseWriter, r *http.Request) { hits++ }

func main() {
	http.HandleFunc("GET /count", requiresLogin(count))
	http.ListenAndServe(":0", nil)
}
`

// TestCheckSARIF: -format sarif prints a SARIF 2.1.0 log with what its
// schema requires (sarifLog: version, runs; run: tool; tool: driver;
// toolComponent: name; reportingDescriptor: id; result: message with
// text; physicalLocation: artifactLocation; region: startLine ≥ 1; level
// in its enumeration; ruleIndex within the rules).
func TestCheckSARIF(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": wrappedServer})
	out, errOut, code := runSafels(t, dir, "check", "-format", "sarif")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	var log map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	need := func(obj map[string]any, what string, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s lacks required %q: %v", what, k, obj)
			}
		}
	}
	need(log, "sarifLog", "version", "runs")
	if log["version"] != "2.1.0" {
		t.Errorf("version %v", log["version"])
	}
	runs := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := runs[0].(map[string]any)
	need(run, "run", "tool")
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	need(driver, "toolComponent", "name")
	rules := driver["rules"].([]any)
	for _, r := range rules {
		need(r.(map[string]any), "reportingDescriptor", "id")
	}
	results := run["results"].([]any)
	if len(results) == 0 {
		t.Fatal("no results")
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	for _, x := range results {
		r := x.(map[string]any)
		need(r, "result", "message", "ruleId", "locations")
		if msg := r["message"].(map[string]any)["text"]; msg == nil || msg == "" {
			t.Errorf("result without message text: %v", r)
		}
		if !levels[r["level"].(string)] {
			t.Errorf("level %v", r["level"])
		}
		i := int(r["ruleIndex"].(float64))
		if i < 0 || i >= len(rules) || rules[i].(map[string]any)["id"] != r["ruleId"] {
			t.Errorf("ruleIndex %d does not name rule %v", i, r["ruleId"])
		}
		for _, l := range r["locations"].([]any) {
			phys := l.(map[string]any)["physicalLocation"].(map[string]any)
			need(phys, "physicalLocation", "artifactLocation")
			art := phys["artifactLocation"].(map[string]any)
			if art["uri"] != "main.go" || art["uriBaseId"] != "%SRCROOT%" {
				t.Errorf("artifactLocation %v, want main.go relative to %%SRCROOT%%", art)
			}
			if line := phys["region"].(map[string]any)["startLine"].(float64); line < 1 {
				t.Errorf("startLine %v", line)
			}
		}
		if !strings.Contains(r["message"].(map[string]any)["text"].(string), "GET /count writes hits") {
			t.Errorf("message %v does not name the handler by its route", r["message"])
		}
	}
}

// TestCheckJSONNames: the JSON output keeps the contract's name and adds
// the handler's route and display name, as the text output uses them.
func TestCheckJSONNames(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": wrappedServer})
	out, _, code := runSafels(t, dir, "check", "-format", "json")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Handlers []struct{ Name, Display, Route, Pos string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Handlers) != 1 {
		t.Fatalf("handlers %+v, want the one wrapped handler", rep.Handlers)
	}
	h := rep.Handlers[0]
	if h.Name != "example.com/m.count" || h.Display != "GET /count" || h.Route != "GET /count" || !strings.HasPrefix(h.Pos, "main.go:11:") {
		t.Errorf("handler %+v: want count, registered at GET /count, at its declaration", h)
	}
}

// TestCheckNothingFound: with no handler, or a registration that cannot
// be followed, check says so; nothing analysed is exit 2, not "no races".
func TestCheckNothingFound(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": `package main

import "net/http"

func pick() func(http.ResponseWriter, *http.Request) { return handlers[0] }

var handlers []func(http.ResponseWriter, *http.Request)

func main() {
	http.HandleFunc("/", pick())
}
`})
	out, errOut, code := runSafels(t, dir, "check")
	if code != 2 || out != "" {
		t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
	}
	for _, want := range []string{"main.go:10:17: warning: cannot tell which handler is registered here", "safels: no handler found"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q lacks %q", errOut, want)
		}
	}
}

// TestVettool: go vet -vettool=safels reports the findings of each
// package in go vet's format and fails.
func TestVettool(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": wrappedServer})
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gocmd, "vet", "-vettool="+binary, "./...")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("go vet: %v, want exit 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "main.go:11:54: GET /count writes hits") {
		t.Errorf("go vet output lacks the finding:\n%s", out)
	}
}

// writeJSONWhole is the report as it was printed before writeJSON
// streamed it: built whole, then encoded whole. TestCheckJSONStreamed
// holds the streamed output to it.
func writeJSONWhole(w io.Writer, wd string, res *analysis.Result) error {
	out := jsonReport{Handlers: []jsonHandler{}, Conflicts: []jsonConflict{}}
	for _, h := range res.Handlers {
		out.Handlers = append(out.Handlers, jsonHandlerOf(wd, h))
	}
	deep := false
	for _, c := range res.Conflicts {
		out.Conflicts = append(out.Conflicts, jsonConflictOf(wd, res, c))
		deep = deep || strings.HasSuffix(c.Object, "...")
	}
	tail := jsonTail(wd, res, deep)
	out.Matrix, out.Errors, out.Notes = tail.Matrix, tail.Errors, tail.Notes
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// TestCheckJSONStreamed: the streamed JSON report parses, and is byte for
// byte what encoding the whole report at once printed: on the thttpd
// example as analysed, on a report with errors, notes, HTML-escaped
// characters, a self-conflict and an access without calls, locks or
// assumptions, and on an empty one.
func TestCheckJSONStreamed(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	example, err := analysis.Run(context.Background(), analysis.Config{Dir: root, Patterns: []string{"./testdata/thttpd"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(example.Conflicts) < 2 {
		t.Fatalf("thttpd: %d conflicts; the comparison needs several", len(example.Conflicts))
	}
	h := &analysis.Handler{Name: "m.serve<a&b>", Short: "serve", Route: "GET /x", Pos: token.Position{Filename: "/w/m.go", Line: 3, Column: 6}}
	acc := &analysis.Access{ObjectNames: &analysis.ObjectNames{Object: "m.stats...", Short: "stats..."}, Op: analysis.Write, Pos: token.Position{Filename: "/w/m.go", Line: 9, Column: 2},
		Via: []analysis.Call{{Callee: "m.bump"}}, GuardedBy: []string{"mu"}, Assumed: "(*lib.T).M"}
	h2 := &analysis.Handler{Name: "m.other", Short: "other", Pos: token.Position{Filename: "/w/m.go", Line: 20, Column: 6}}
	bare := &analysis.Access{ObjectNames: &analysis.ObjectNames{Object: "m.t<x>", Short: "t<x>"}, Op: analysis.Read, Atomic: true, Pos: token.Position{Filename: "/w/m.go", Line: 22, Column: 2}}
	handmade := &analysis.Result{
		Handlers: []*analysis.Handler{h, h2},
		Conflicts: []*analysis.Conflict{{A: 0, B: 0, Kind: analysis.Global, ObjectNames: &analysis.ObjectNames{Object: "m.stats...", Short: "stats..."}, AAccess: acc, BAccess: acc},
			{A: 0, B: 1, Kind: analysis.Context, ObjectNames: bare.ObjectNames, AAccess: acc, BAccess: bare}},
		Matrix:   [][]analysis.Kind{{analysis.Global, analysis.Context}, {analysis.Context, 0}},
		Problems: []analysis.Problem{{Pos: token.Position{Filename: "/w/broken.go", Line: 1}, Message: "expected ')'"}, {Message: "a bound", Note: true}},
	}
	for name, res := range map[string]*analysis.Result{"thttpd": example, "handmade": handmade, "empty": {}} {
		var streamed, whole bytes.Buffer
		if err := writeJSON(&streamed, "/w", res); err != nil {
			t.Fatal(err)
		}
		if err := writeJSONWhole(&whole, "/w", res); err != nil {
			t.Fatal(err)
		}
		var parsed jsonReport
		if err := json.Unmarshal(streamed.Bytes(), &parsed); err != nil {
			t.Errorf("%s: streamed output does not parse: %v\n%s", name, err, streamed.String())
			continue
		}
		if len(parsed.Conflicts) != len(res.Conflicts) || len(parsed.Handlers) != len(res.Handlers) {
			t.Errorf("%s: parsed %d handlers and %d conflicts, want %d and %d", name, len(parsed.Handlers), len(parsed.Conflicts), len(res.Handlers), len(res.Conflicts))
		}
		if !bytes.Equal(streamed.Bytes(), whole.Bytes()) {
			t.Errorf("%s: streamed output differs from the whole encoding:\nstreamed:\n%s\nwhole:\n%s", name, streamed.String(), whole.String())
		}
	}
}
