package analysis_test

import (
	"context"
	"testing"

	"github.com/safels/safels/analysis"
)

// Handlers come out in source order of the code the user wrote, whatever
// order discovery met them in: handlers behind one middleware share the
// wrapper's function, and ordering by it left their order to map
// iteration, so the same workspace printed differently run to run.
func TestHandlersInSourceOrder(t *testing.T) {
	for _, dir := range []string{"testdata/servers/wrapped", "testdata/servers/chiapp"} {
		r, err := analysis.Run(context.Background(), analysis.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Handlers) < 3 {
			t.Fatalf("%s: %d handlers, want several to order", dir, len(r.Handlers))
		}
		for i := 1; i < len(r.Handlers); i++ {
			p, q := r.Handlers[i-1].Pos, r.Handlers[i].Pos
			if p.Filename > q.Filename || p.Filename == q.Filename && p.Offset > q.Offset {
				t.Errorf("%s: %s (%v) listed before %s (%v)", dir, r.Handlers[i-1].Short, p, r.Handlers[i].Short, q)
			}
		}
	}
}
