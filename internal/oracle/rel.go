package oracle

import "math/rand/v2"

// The release shapes: a handler locks relMu and calls a helper that
// unlocks it (relDone), or that lets it go while it works and takes it
// back (relPause). What follows the first, and what the second does
// while relMu is let go, is not under relMu: the analysis takes no lock
// of the caller's to be held after, or in, a function that may unlock
// one it did not lock itself (analysis/locks.go). The race detector
// checks it.
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before.

// relDecls are the release shapes' mutex, variables and helpers.
const relDecls = `
// The release shapes (rel.go).

var (
	relMu            sync.Mutex
	relA, relB, relC int
)

// relDone unlocks relMu, which its caller locked.
func relDone() { relMu.Unlock() }

// relPause lets relMu go while it writes relB.
func relPause(s int) {
	relMu.Unlock()
	relB += s
	relMu.Lock()
}
`

// relStream is the release shapes' stream of program index: nil when the
// program has none.
func relStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x72656c65, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// rel writes one statement of the release shapes: it takes relMu, so
// only where no lock is held.
func (g *gen) rel() {
	switch g.r11.IntN(3) {
	case 0: // not guarded: relA after relDone
		g.line("relMu.Lock()")
		g.line("relDone()")
		g.line("relA += s")
	case 1: // not guarded: relB inside relPause
		g.line("relMu.Lock()")
		g.line("relPause(s)")
		g.line("relMu.Unlock()")
	default: // guarded
		g.line("relMu.Lock()")
		g.line("relC += s")
		g.line("s += relA + relB")
		g.line("relMu.Unlock()")
	}
}
