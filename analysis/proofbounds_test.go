package analysis_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/safels/safels/internal/wanttest"
)

// TestProofBounds: the proofs that a handler's object is kept in no
// opaque one (past maxHolders holders) and that a function value is a
// closure of this invocation (past maxMadeDepth steps), and the naming of
// what a pointer kept in what was kept points to (past maxHeldSteps),
// fail at their
// bounds, conservatively (the findings wanted in testdata/proofbounds are
// those a failed proof gives), and the result says so at the function.
func TestProofBounds(t *testing.T) {
	r := wanttest.Run(t, "testdata/proofbounds")
	var notes []string
	for _, p := range r.Problems {
		if p.Note {
			notes = append(notes, p.Message)
		}
	}
	for _, want := range []string{"kept keeps an object of its own among more than", "deep calls a function value followed through more than", "nested reaches memory through more than"} {
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Errorf("no note %q; notes: %q", want, notes)
		}
	}
}
