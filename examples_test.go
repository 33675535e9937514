package safels_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/wanttest"
)

// examples are the example programs under testdata (see testdata/README.md).
// `go test ./...` skips testdata directories, so this test runs them.
var examples = []string{"./testdata/thttpd", "./testdata/thttpd-deferred", "./testdata/pipeline", "./testdata/slides"}

// TestExamples vets the example programs and runs their tests: the servers
// really serve, the pipeline really answers.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, verb := range []string{"vet", "test"} {
		t.Run(verb, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goCmd, append([]string{verb}, examples...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", verb, err, out)
			}
		})
	}
}

// TestExampleFindings checks each example's findings against the
// `// want` comments beside the code that causes them.
func TestExampleFindings(t *testing.T) {
	for _, dir := range examples {
		t.Run(filepath.Base(dir), func(t *testing.T) { wanttest.Run(t, dir) })
	}
}

func handlerIndex(t *testing.T, r *analysis.Result, short string) int {
	t.Helper()
	for i, h := range r.Handlers {
		if h.Short == short {
			return i
		}
	}
	t.Fatalf("no handler %s", short)
	return -1
}

// TestThttpdSixGlobals: "Our analyzer found six global variables that are
// read and written in handle_send. Five of these are modified in
// really_clear_connection ... The sixth is a statistics counter that is
// updated in handle_send itself." (the paper, section 4)
func TestThttpdSixGlobals(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Patterns: []string{"./testdata/thttpd"}})
	if err != nil {
		t.Fatal(err)
	}
	send := handlerIndex(t, r, "handleSend")
	viaClear, direct := map[string]bool{}, map[string]bool{}
	for _, c := range r.Conflicts {
		if c.A != send || c.B != send || c.Kind != analysis.Global {
			continue
		}
		for _, acc := range []*analysis.Access{c.AAccess, c.BAccess} {
			if acc.Op != analysis.Write {
				continue
			}
			if len(acc.Via) > 0 && acc.Via[len(acc.Via)-1].Short == "reallyClearConnection" {
				viaClear[c.Short] = true
			} else if len(acc.Via) == 0 {
				direct[c.Short] = true
			}
		}
	}
	if len(viaClear) != 5 || len(direct) != 1 {
		t.Errorf("handleSend's self-conflicts: written in reallyClearConnection %v (want 5), in handleSend %v (want 1)", viaClear, direct)
	}
}

// TestThttpdDeferred: after deferring both updates, handleSend is
// "independent with itself (when invoked with different contexts), but also
// with almost all the other handlers".
func TestThttpdDeferred(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Patterns: []string{"./testdata/thttpd-deferred"}})
	if err != nil {
		t.Fatal(err)
	}
	send := handlerIndex(t, r, "handleSend")
	h := r.Handlers[send]
	if h.Hue != 0 || !h.Colored {
		t.Errorf("handleSend hue %d colored %v; want no hue, colored by its connection", h.Hue, h.Colored)
	}
	independent := 0
	for j := range r.Handlers {
		if r.Matrix[send][j]&analysis.Global != 0 {
			t.Errorf("handleSend still conflicts globally with %s", r.Handlers[j].Short)
		}
		if r.Matrix[send][j] == 0 {
			independent++
		}
	}
	t.Logf("handleSend is fully independent of %d of %d handlers", independent, len(r.Handlers))
}

// TestSlidesMatrix reproduces the slides' cells for handle_send and
// handle_read: send/send 11, send/read 11, read/read 10.
func TestSlidesMatrix(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Patterns: []string{"./testdata/slides"}})
	if err != nil {
		t.Fatal(err)
	}
	s, rd := handlerIndex(t, r, "handleSend"), handlerIndex(t, r, "handleRead")
	both := analysis.Global | analysis.Context
	if r.Matrix[s][s] != both || r.Matrix[s][rd] != both || r.Matrix[rd][s] != both || r.Matrix[rd][rd] != analysis.Context {
		t.Errorf("matrix send/send %02b send/read %02b read/read %02b; want 11 11 10",
			r.Matrix[s][s], r.Matrix[s][rd], r.Matrix[rd][rd])
	}
}

// TestPipeline: in the paper's Figure 1 only Query and Log touch globals,
// so only they get hues; the other four stages run in parallel across
// requests.
func TestPipeline(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Patterns: []string{"./testdata/pipeline"}})
	if err != nil {
		t.Fatal(err)
	}
	hues := map[string]int{}
	for _, h := range r.Handlers {
		hues[h.Short] = h.Hue
	}
	if len(hues) != 6 {
		t.Fatalf("handlers %v, want six", hues)
	}
	for n, hue := range hues {
		global := n == "handleQuery" || n == "handleLog"
		if global != (hue != 0) {
			t.Errorf("%s: hue %d", n, hue)
		}
	}
	if hues["handleQuery"] == hues["handleLog"] {
		t.Errorf("Query and Log share hue %d; they touch different globals", hues["handleQuery"])
	}
}
