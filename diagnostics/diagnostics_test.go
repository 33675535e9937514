package diagnostics_test

import (
	"context"
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
