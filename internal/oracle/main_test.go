package oracle

import (
	"os"
	"testing"

	"github.com/safels/safels/internal/testmod"
)

// TestMain keeps the models the analysis derives from library source in
// a directory of the test run's own (SAFELS_CACHE, which the safels
// binary the test builds reads too), not in the user's cache.
func TestMain(m *testing.M) { os.Exit(testmod.RunWithCache(m, "safels-oracle-cache-")) }
