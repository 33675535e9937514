package diagnostics_test

import (
	"context"
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
		for _, want := range []string{"**/**", "function `index`", "concurrently", "May race with", "/ (another invocation): visits", "`visits`"} {
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
