package oracle

import "math/rand/v2"

// The closure shapes: a helper makes memory and a closure that writes it,
// and returns both (a pooled writer and its cancel function, a counter and
// its done). A handler that only calls the closure itself, directly,
// deferred or through a variable it captured, keeps the memory its own; a
// handler that hands the closure to a channel publishes what it captured,
// and another handler that receives it writes that memory while its
// maker may still be reading it. The analysis covers what such a closure
// does through what it captured where it is made, and only at calls of a
// value that this invocation made (analysis/madehere.go); the race
// detector checks that a closure handed over is still followed.
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before.

// cloDecls are the closure shapes' type and functions.
const cloDecls = `
// The closure shapes (clo.go).

// Tally is written by the closure mkTally returns with it.
type Tally struct{ N int }

// tallies carries closures from the handlers that made them to others.
var tallies = make(chan func(), 64)

func mkTally() (*Tally, func()) {
	t := &Tally{}
	return t, func() { t.N++ }
}

// mkConnTally's closure writes the connection it is given.
func mkConnTally(c *Conn) func() {
	return func() { c.N++ }
}
`

// cloStream is the closure shapes' stream of program index: nil when the
// program has none.
func cloStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x636c6f73, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// clo writes one statement of the closure shapes into a handler.
func (g *gen) clo() {
	r := g.r7
	t, f := g.fresh("t"), g.fresh("f")
	switch r.IntN(6) {
	case 0: // called here: its own memory
		g.line("%s, %s := mkTally()", t, f)
		g.line("%s()", f)
		g.line("s += %s.N", t)
	case 1: // deferred through a variable a deferred closure captured
		g.line("%s := func() {}", f)
		g.line("%s := &Tally{}", t)
		g.line("if s&1 == 0 {")
		g.line("\t%s, %s = mkTally()", t, f)
		g.line("}")
		g.line("defer func() { %s() }()", f)
		g.line("s += %s.N", t)
	case 2: // handed to another handler, read after
		g.line("%s, %s := mkTally()", t, f)
		g.line("select {")
		g.line("case tallies <- %s:", f)
		g.line("default:")
		g.line("}")
		g.line("s += %s.N", t)
	case 3: // another handler's closure, called here
		g.line("select {")
		g.line("case %s := <-tallies:", f)
		g.line("\t%s()", f)
		g.line("default:")
		g.line("}")
	case 4: // the connection's, written through a closure
		g.line("%s := mkConnTally(c)", f)
		g.line("%s()", f)
	default: // the connection's closure, handed over
		g.line("%s := mkConnTally(c)", f)
		g.line("select {")
		g.line("case tallies <- %s:", f)
		g.line("default:")
		g.line("}")
	}
}
