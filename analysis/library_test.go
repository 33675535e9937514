package analysis_test

import (
	"testing"

	"github.com/safels/safels/internal/wanttest"
)

// TestLibrary runs a net/http server whose handlers call the standard
// library as real servers do (issue 14's patterns): a global Regexp
// matched, fresh responses encoded, a global sql.DB and template used, a
// sync.Pool, a context carrying shared memory. Only the true races are
// wanted, among them the write through a global's element that a decoder
// makes (Decode(&req{Order: orders[0]})).
func TestLibrary(t *testing.T) {
	wanttest.Run(t, "testdata/library")
}
