package analysis

import (
	"os"
	"testing"

	"github.com/safels/safels/internal/testmod"
)

// TestMain keeps the models derived from library source (analysis/derive)
// in a directory of the test run's own, shared by its tests, instead of
// the user's cache.
func TestMain(m *testing.M) { os.Exit(testmod.RunWithCache(m, "safels-test-cache-")) }
