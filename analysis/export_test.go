package analysis

// SetBruteForceAliasing switches the aliasing index off, for the test that
// checks the index misses nothing.
func SetBruteForceAliasing(on bool) { bruteForceAliasing = on }
