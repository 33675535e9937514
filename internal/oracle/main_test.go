package oracle

import (
	"os"
	"testing"
)

// TestMain keeps the models the analysis derives from library source in
// a directory of the test run's own (SAFELS_CACHE, which the safels
// binary the test builds reads too), not in the user's cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "safels-oracle-cache-")
	if err == nil {
		os.Setenv("SAFELS_CACHE", dir)
	}
	code := m.Run()
	if err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
