package oracle

import "math/rand/v2"

// The holder shapes: a handler makes an object that keeps pointers (a
// response builder keeping the response writer, a request's parsed
// parts) and writes through them. Where the pointer kept is to the
// handler's own memory, nothing is shared; to a global or the
// connection, that memory is written as if directly. The analysis names
// what such a pointer points to by the stores into the object, once it
// has seen them all (analysis/freshload.go), and falls back to "anything
// of its type" where it cannot: a struct copied in, an append of
// pointers, a helper that fills it in. The race detector checks each
// way a pointer gets there.
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before.

// holdDecls are the holder shapes' type and functions.
const holdDecls = `
// The holder shapes (hold.go).

// Holder keeps pointers for the handler that made it.
type Holder struct {
	P *Inner
	L []*Inner
}

// fillHolder points h at a global.
func fillHolder(h *Holder) { h.P = &gin }

// mkHolder makes a Holder pointing at p.
func mkHolder(p *Inner) *Holder { return &Holder{P: p} }
`

// holdStream is the holder shapes' stream of program index: nil when the
// program has none.
func holdStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x686f6c64, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// hold writes one statement of the holder shapes into a handler.
func (g *gen) hold() {
	r := g.r8
	h := g.fresh("h")
	switch r.IntN(8) {
	case 0: // its own memory
		g.line("%s := &Holder{P: &Inner{X: s}}", h)
		g.line("%s.P.X++", h)
	case 1: // a global, set where it is made
		g.line("%s := &Holder{P: &gin}", h)
		g.line("%s.P.X++", h)
	case 2: // the connection's, set after
		g.line("%s := &Holder{}", h)
		g.line("%s.P = c.P", h)
		g.line("if %s.P != nil {", h)
		g.line("\t%s.P.Y++", h)
		g.line("}")
	case 3: // a global, set by a helper
		g.line("%s := &Holder{}", h)
		g.line("fillHolder(%s)", h)
		g.line("%s.P.Y++", h)
	case 4: // made by a constructor
		g.line("%s := mkHolder(&gin)", h)
		g.line("%s.P.X += s", h)
	case 5: // a struct copied in
		g.line("%s := &Holder{}", h)
		g.line("*%s = Holder{P: &gin}", h)
		g.line("%s.P.X++", h)
	case 6: // appended
		g.line("%s := &Holder{}", h)
		g.line("%s.L = append(%s.L, &gin)", h, h)
		g.line("%s.L[0].Y++", h)
	default: // read only
		g.line("%s := &Holder{P: &gin}", h)
		g.line("s += %s.P.X", h)
	}
}
