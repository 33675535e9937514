package diagnostics_test

import (
	"context"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

func findings(t *testing.T, pattern string) []diagnostics.Finding {
	t.Helper()
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: "..", Patterns: []string{pattern}})
	if err != nil {
		t.Fatal(err)
	}
	return diagnostics.Findings(r)
}

// TestCallSite: what a handler reaches through one call is one finding at
// the call, naming every object, shared state first, with related
// information pointing at the references.
func TestCallSite(t *testing.T) {
	var call *diagnostics.Finding
	fs := findings(t, "./testdata/thttpd")
	for i, f := range fs {
		if f.CallSite && strings.Contains(f.Message, "handleSend calls reallyClearConnection") {
			if call != nil {
				t.Fatalf("two findings at the call: %q and %q", call.Message, f.Message)
			}
			call = &fs[i]
		}
	}
	if call == nil {
		t.Fatal("no finding at handleSend's call of reallyClearConnection")
	}
	if !strings.HasPrefix(call.Message, "handleSend calls reallyClearConnection, which writes stats.bytes, writes connTable[i]") {
		t.Errorf("message %q: shared objects should come first", call.Message)
	}
	if call.Code != diagnostics.CodeGlobal || call.Severity != diagnostics.Information {
		t.Errorf("code %s severity %d, want global-conflict, information (loop model)", call.Code, call.Severity)
	}
	if len(call.Related) == 0 {
		t.Error("no related information")
	}
}

// TestDataRace: in the concurrent model a conflict is a data race.
func TestDataRace(t *testing.T) {
	for _, f := range findings(t, "./analysis/testdata/nethttp") {
		if f.Code != diagnostics.CodeRace || f.Severity != diagnostics.Warning {
			t.Errorf("%s: code %s severity %d, want data-race warning", f.Pos, f.Code, f.Severity)
		}
	}
}

// TestPartnerGrouping: a partner's read and write of one place read as one.
func TestPartnerGrouping(t *testing.T) {
	for _, f := range findings(t, "./analysis/testdata/nethttp") {
		if strings.Contains(f.Message, "/ writes visits") {
			want := "/ (another invocation) reads and writes it (app.go:32)"
			if !strings.Contains(f.Message, want) {
				t.Errorf("message %q lacks %q", f.Message, want)
			}
			return
		}
	}
	t.Error("no finding on visits")
}

// TestFindingsInWorkspace: every finding, over the corpus of servers of
// each framework, is placed in a file of the workspace (never in the
// standard library or a module), as are the handlers it names.
func TestFindingsInWorkspace(t *testing.T) {
	abs, err := filepath.Abs("../analysis/testdata/servers")
	if err != nil {
		t.Fatal(err)
	}
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: abs, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range r.Files {
		files[f] = true
		if !strings.HasPrefix(f, abs+string(filepath.Separator)) {
			t.Errorf("analysed file %s lies outside the workspace", f)
		}
	}
	fs := diagnostics.Findings(r)
	if len(fs) < 20 {
		t.Fatalf("%d findings over the corpus: too few to mean anything", len(fs))
	}
	for _, f := range fs {
		if !files[f.Pos.Filename] || f.Pos.Line < 1 {
			t.Errorf("finding outside the workspace: %s: %s", f.Pos, f.Message)
		}
		for _, rel := range f.Related {
			if !files[rel.Pos.Filename] {
				t.Errorf("finding %s: related information outside the workspace: %s: %s", f.Pos, rel.Pos, rel.Message)
			}
		}
	}
	for _, h := range r.Handlers {
		if !files[h.Pos.Filename] {
			t.Errorf("handler %s placed outside the workspace: %s", diagnostics.Name(h), h.Pos)
		}
	}
}

// TestHoverModels: the hover of a net/http handler speaks of races and
// partners, that of a loop handler of hues.
func TestHoverModels(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: "..", Patterns: []string{"./analysis/testdata/nethttp"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range r.Handlers {
		if diagnostics.Name(h) != "/" {
			continue
		}
		got := diagnostics.Hover(r, i)
		for _, want := range []string{"**/** · safels handler (concurrent", "function `index`", "May race with", "/ (another invocation): visits", "`visits`"} {
			if !strings.Contains(got, want) {
				t.Errorf("hover lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(strings.ToLower(got), "hue") {
			t.Errorf("hover of a net/http handler speaks of hues:\n%s", got)
		}
	}
	r, err = analysis.Run(context.Background(), analysis.Config{Dir: "..", Patterns: []string{"./testdata/thttpd"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range r.Handlers {
		if h.Short == "handleSend" && !strings.Contains(diagnostics.Hover(r, i), "Hue 1") {
			t.Errorf("loop handler's hover lacks its hue:\n%s", diagnostics.Hover(r, i))
		}
	}
}

// TestLibraryAccessMoved: an access inside library code (its position in
// $GOROOT, from export data) is reported at the deepest call of its chain
// in the workspace, and related information never points into the library.
func TestLibraryAccessMoved(t *testing.T) {
	user := "/w/srv/main.go"
	lib := token.Position{Filename: "$GOROOT/src/net/http/server.go", Line: 2300, Column: 2}
	h := &analysis.Handler{Name: "example.com/srv.index", Short: "index", Display: "GET /", Model: analysis.ModelConcurrent,
		Pos: token.Position{Filename: user, Line: 10, Column: 6}}
	a := &analysis.Access{ObjectNames: &analysis.ObjectNames{Short: "(*http.ServeMux).mu"}, Op: analysis.Write, Pos: lib, Handler: 0,
		Via: []analysis.Call{
			{Short: "helper", Pos: token.Position{Filename: user, Line: 12, Column: 8}},
			{Short: "(*http.ServeMux).Handle", Pos: token.Position{Filename: user, Line: 20, Column: 14}},
			{Short: "(*http.ServeMux).register", Pos: token.Position{Filename: lib.Filename, Line: 2200, Column: 3}},
		}}
	a.Partners = []analysis.Partner{{Access: a, Kind: analysis.Global}}
	a.NPartners = 1
	h.Accesses = []*analysis.Access{a}
	r := &analysis.Result{Handlers: []*analysis.Handler{h}, Files: []string{user}}
	fs := diagnostics.Findings(r)
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	for _, f := range fs {
		if f.Pos.Filename != user {
			t.Errorf("finding placed at %s: %s", f.Pos, f.Message)
		}
		for _, rel := range f.Related {
			if rel.Pos.Filename != user {
				t.Errorf("related information at %s: %s", rel.Pos, rel.Message)
			}
		}
	}
	if fs[len(fs)-1].Pos.Line != 20 {
		t.Errorf("access reported at line %d, want 20 (the deepest call in the workspace)", fs[len(fs)-1].Pos.Line)
	}
}
