package oracle

import "math/rand/v2"

// The found-object lock shapes: a table of cubbies, each with its own
// RWMutex, a handler's cubby chosen at run time (the store's mailbox, the
// pool's state). A cubby's mutex guards the cubby's own fields whoever reaches
// it, when the lock and the access go through one pointer: in one
// function, or in a helper that locks the cubby and hands that very pointer
// to a callback (analysis/locks.go). Not a write under the read lock, nor
// the next cubby's fields under this one's lock, nor what the cubby points to.
// The race detector checks each.
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before.

// cubbyDecls are the found-object lock shapes' type, table and helpers.
const cubbyDecls = `
// The found-object lock shapes (cubby.go).

// Cubby is guarded by its own mutex.
type Cubby struct {
	sync.RWMutex
	N, M int
	P    *Inner
}

// cubbies is filled once, before any handler runs.
var cubbies = func() (t [4]*Cubby) {
	for i := range t {
		t[i] = &Cubby{P: &Inner{}}
	}
	return
}()

// withCubby locks cubby i for writing and hands it to f.
func withCubby(i int, f func(b *Cubby)) {
	b := cubbies[i&3]
	b.Lock()
	defer b.Unlock()
	f(b)
}

// readCubby locks cubby i for reading and hands it to f.
func readCubby(i int, f func(b *Cubby)) {
	b := cubbies[i&3]
	b.RLock()
	f(b)
	b.RUnlock()
}

// nextCubby locks cubby i and hands f cubby i+1.
func nextCubby(i int, f func(b *Cubby)) {
	b := cubbies[i&3]
	b.Lock()
	defer b.Unlock()
	f(cubbies[(i+1)&3])
}
`

// cubbyStream is the found-object lock shapes' stream of program index: nil
// when the program has none.
func cubbyStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x626f7873, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// cubby writes one statement of the found-object lock shapes: it takes a
// lock, so only where none is held.
func (g *gen) cubby() {
	r := g.r10
	i := pick(r, "0", "1", "s", "c.ID")
	b := g.fresh("b")
	switch r.IntN(7) {
	case 0: // guarded: the cubby's field, through one pointer
		g.line("%s := cubbies[%s&3]", b, i)
		g.line("%s.Lock()", b)
		g.line("%s.N += s", b)
		g.line("%s.Unlock()", b)
	case 1: // guarded: in a callback handed the cubby locked
		g.line("withCubby(%s, func(b *Cubby) { b.N++ })", i)
	case 2: // guarded: read under the read lock
		g.line("readCubby(%s, func(b *Cubby) { s += b.N })", i)
	case 3: // not guarded: a write under the read lock
		g.line("readCubby(%s, func(b *Cubby) { b.M++ })", i)
	case 4: // not guarded: the next cubby's field
		g.line("nextCubby(%s, func(b *Cubby) { b.N++ })", i)
	case 5: // not guarded: what the cubby points to
		g.line("withCubby(%s, func(b *Cubby) { b.P.X++ })", i)
	default: // not guarded: the next cubby's field, this one locked
		g.line("%s := cubbies[%s&3]", b, i)
		g.line("%s.Lock()", b)
		g.line("cubbies[(%s+1)&3].M += s", i)
		g.line("%s.Unlock()", b)
	}
}
