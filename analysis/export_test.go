package analysis

// SetBruteForceAliasing switches the aliasing index off, for the test that
// checks the index misses nothing.
func SetBruteForceAliasing(on bool) { bruteForceAliasing = on }

// SetWholePasses makes every pass over a recursive component apply its
// callees' summaries whole, for the test that checks applying only what
// is new loses nothing.
func SetWholePasses(on bool) { wholePasses = on }

// SetComponentBound sets how many entries a recursive component's
// summaries may hold before it is detached; it returns the old bound.
func SetComponentBound(n int) int { old := maxComponentEntries; maxComponentEntries = n; return old }

// SetGroupCutsOver sets the size above which a cut's set is grouped rather
// than copied into each access; it returns the old value.
func SetGroupCutsOver(n int) int { old := groupCutsOver; groupCutsOver = n; return old }

// SetMaxHandlerAccesses sets how many accesses a handler gathers before
// each function below it is entered from one call site only; it returns
// the old value.
func SetMaxHandlerAccesses(n int) int { old := maxHandlerAccesses; maxHandlerAccesses = n; return old }

// SetMaxLockSets sets under how many sets of locks one walk enters one
// function before it takes the rest as none; it returns the old value.
func SetMaxLockSets(n int) int { old := maxLockSets; maxLockSets = n; return old }
