package oracle

import "math/rand/v2"

// The goroutine shapes: a handler hands memory of its own to a goroutine
// it starts and waits for it (a websocket server's write pump, done in
// one request). What the goroutine does to that memory is this
// invocation's; what it reaches through it (the context's, a global's)
// is as shared as it is anywhere; a goroutine that keeps the memory in a
// global publishes it. The analysis names such memory by where it was
// made, not by its type (analysis/summary.go, fnState.goShared); the race
// detector checks that nothing another invocation does to the memory the
// goroutine reaches goes unreported. Races on the goroutine's side are
// matched through the stack that created it (race.go). With them, Works
// kept in a global container by a helper whose container is a parameter
// (the model of sync.Map's Store keeps what it is given in its receiver,
// which the helper's caller decides is shared).
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before.

// gorDecls are the goroutine shapes' type and functions.
const gorDecls = `
// The goroutine shapes (gor.go).

// Work is handed by a handler to a goroutine it starts.
type Work struct {
	N int
	P *Inner
}

var (
	works []*Work
	wmu   sync.Mutex
)

// work writes its Work and what the Work points to.
func work(w *Work, done chan int) {
	w.N++
	if w.P != nil {
		w.P.X++
	}
	done <- w.N
}

// wmap holds Works kept through keepIn, a helper whose container is its
// parameter: what the helper keeps there is published where the
// container is shared.
var wmap sync.Map

func keepIn(m *sync.Map, k int, w *Work) { m.Store(k, w) }

// workKeep keeps its Work in works: another invocation finds it there.
func workKeep(w *Work, done chan int) {
	wmu.Lock()
	works = append(works, w)
	wmu.Unlock()
	w.N++
	done <- 1
}
`

// gorStream is the goroutine shapes' stream of program index: nil when
// the program has none.
func gorStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x676f726f, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// gor writes one statement of the goroutine shapes into a handler: the
// goroutine is always waited for, so the handler and its goroutine never
// race with each other; another invocation may race with either.
func (g *gen) gor() {
	r := g.r6
	w, d := g.fresh("w"), g.fresh("d")
	switch r.IntN(7) {
	case 0: // memory of its own only
		g.line("%s := &Work{N: s}", w)
	case 1: // through a pointer to a global
		g.line("%s := &Work{P: &gin}", w)
	case 2: // through a pointer to the context's memory
		g.line("%s := &Work{P: c.P}", w)
	case 3: // published by the goroutine, written after
		g.line("%s := &Work{N: s}", w)
		g.line("%s := make(chan int)", d)
		g.line("go workKeep(%s, %s)", w, d)
		g.line("s += <-%s", d)
		g.line("%s.N += s", w)
		return
	case 5: // kept in a global container by a helper, written after
		g.line("%s := &Work{N: s}", w)
		g.line("keepIn(&wmap, %s, %s)", g.idx4(), w)
		g.line("%s.N += s", w)
		return
	case 6: // a reader of what keepIn published
		x := g.fresh("x")
		g.line("if %s, ok := wmap.Load(%s); ok {", x, g.idx4())
		g.line("	s += %s.(*Work).N", x)
		g.line("}")
		return
	default: // a reader of what others published
		g.line("wmu.Lock()")
		g.line("for _, x := range works {")
		g.line("\ts += x.N")
		g.line("}")
		g.line("wmu.Unlock()")
		return
	}
	g.line("%s := make(chan int)", d)
	g.line("go work(%s, %s)", w, d)
	g.line("s += <-%s + %s.N", d, w)
}
