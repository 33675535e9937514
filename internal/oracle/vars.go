package oracle

import "math/rand/v2"

// The context-container shapes: a connection keeps an expvar.Map of its
// own, and handlers put in it and take from it a gauge, the program's one
// global gauge or one of the connection's own. expvar.Map synchronizes
// itself; what it holds does not: two connections whose maps hold the
// global gauge write one N. The analysis has no body for expvar; the call
// that puts a pointer in the map is taken to keep it there
// (analysis/summary.go, keepsAmong), so what a Get returns is the global
// where one was ever put. The race detector checks it.
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before.

const varsImports = "\t\"expvar\"\n"

const varsFields = "\t// The context-container shapes' (vars.go).\n\tVars expvar.Map\n"

// varsDecls are the context-container shapes' type and global.
const varsDecls = `
// The context-container shapes (vars.go).

// Gauge is kept in a connection's expvar.Map.
type Gauge struct{ N int }

func (g *Gauge) String() string { return "gauge" }

var gauge = &Gauge{}
`

// varsStream is the context-container shapes' stream of program index:
// nil when the program has none.
func varsStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x76617273, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// ctxVars writes one statement of the context-container shapes.
func (g *gen) ctxVars() {
	r := g.r9
	v := g.fresh("gv")
	switch r.IntN(4) {
	case 0: // the global gauge, put in the connection's map
		g.line("c.Vars.Set(\"g\", gauge)")
	case 1: // a gauge of the connection's own
		g.line("c.Vars.Set(\"o\", &Gauge{N: s})")
	case 2: // whatever was put under "g": the global
		g.line("if %s, ok := c.Vars.Get(\"g\").(*Gauge); ok {", v)
		g.line("\t%s.N++", v)
		g.line("}")
	default: // the connection's own
		g.line("if %s, ok := c.Vars.Get(\"o\").(*Gauge); ok {", v)
		g.line("\t%s.N += s", v)
		g.line("}")
	}
}
