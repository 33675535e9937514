package analysis

import (
	"os"
	"testing"
)

// TestMain keeps the models derived from library source (analysis/derive)
// in a directory of the test run's own, shared by its tests, instead of
// the user's cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "safels-test-cache-")
	if err == nil {
		os.Setenv("SAFELS_CACHE", dir)
	}
	code := m.Run()
	if err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
