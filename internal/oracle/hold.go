package oracle

import (
	"fmt"
	"math/rand/v2"
)

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

// The published-holder shapes: a handler makes an Item that holds a Feed
// (an entry and the feed it belongs to), made where the Item is or by a
// constructor (or made here and handed to one: HeldGiven), and publishes
// the Feed, loaded from the Item, not the Item: stored in a global, kept
// by a callee, sent on a channel, kept by a goroutine it starts. The Item
// stays the invocation's own; what it holds no longer is, and the
// handler's writes through the Item (after, and where nothing orders
// them, before) race with partner handlers that read or write the Feed
// where it was published. The analysis publishes what an object holds
// when a pointer loaded from it is published (analysis/summary.go,
// markHeld). Controls: the Item published itself, its Feed read by a
// goroutine that is waited for.
//
// A third of the programs have them (not the contextual style, whose
// handlers touch the context alone), drawn from a stream of their own:
// with it off, a program is what it was before. A partner may come first
// in a handler and a holder last (gen.body), where no lock of theirs
// orders the two invocations for the race detector; the Feeds kept in
// globals are mostly kept and read under feedMu, which orders their
// making before a partner's read, so that the race the detector reports
// is the write's, not the making's (which Match takes as a publication).

// HeldGiven adds the holders that a constructor makes around a Feed the
// handler made and hands it (itemOf(&Feed{})); off, they are made where
// the Feed is. On by default: the analysis missed writes through such an
// Item once its Feed was published (a store into a global, a send, a
// select's send, a goroutine) until a parameter a function keeps in an
// object of its own was recorded as kept there (analysis: keptIn).
var HeldGiven = true

// heldDecls are the published-holder shapes' types, globals and
// functions.
const heldDecls = `
// The published-holder shapes (hold.go).

// Feed is what an Item holds.
type Feed struct{ T, U int }

// Item holds a Feed; a handler publishes the Feed, not the Item.
type Item struct {
	F *Feed
	N int
}

var (
	pubFeed, keptFeed, goFeed *Feed
	pubItem                   *Item
	feedCh                    = make(chan *Feed, 256)
	// feedMu orders a Feed's making before its partners' reads: a
	// race with the making is matched as a publication (match.go), and
	// the race detector then reports no other race of that read.
	feedMu sync.Mutex
)

// newItem makes an Item holding a Feed of its own.
func newItem() *Item { return &Item{F: &Feed{}} }

// itemOf makes an Item holding f.
func itemOf(f *Feed) *Item { return &Item{F: f} }

// keepFeed keeps f in a global.
func keepFeed(f *Feed) {
	feedMu.Lock()
	keptFeed = f
	feedMu.Unlock()
}

// goKeepFeed keeps f in a global, in a goroutine of the handler.
func goKeepFeed(f *Feed, done chan int) {
	feedMu.Lock()
	goFeed = f
	feedMu.Unlock()
	done <- 1
}

// keptFeeds are the Feeds kept in globals.
func keptFeeds() []*Feed {
	feedMu.Lock()
	defer feedMu.Unlock()
	return []*Feed{pubFeed, keptFeed, goFeed}
}

// readFeed reads f in a goroutine of the handler, which waits for it.
func readFeed(f *Feed, done chan int) { done <- f.T }

// feeds reads the Feeds others published, wherever they did.
func feeds() int {
	s := 0
	for _, f := range keptFeeds() {
		if f != nil {
			s += f.T + f.U
		}
	}
	if x := pubItem; x != nil {
		s += x.F.T + x.F.U
	}
	select {
	case f := <-feedCh:
		s += f.T + f.U
	default:
	}
	return s
}

// bumpFeeds writes them.
func bumpFeeds(s int) {
	for _, f := range keptFeeds() {
		if f != nil {
			f.T += s
			f.U += s
		}
	}
	if x := pubItem; x != nil {
		x.F.U += s
	}
	select {
	case f := <-feedCh:
		f.T, f.U = s, s
	default:
	}
}
`

// heldStream is the published-holder shapes' stream of program index:
// nil when the program has none.
func heldStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x68707562, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// heldVar is fresh's for these shapes: numbered apart, so that the
// other shapes' variables keep the names they had without them.
func (g *gen) heldVar(prefix string) string {
	g.heldVars++
	return fmt.Sprintf("%s%d", prefix, g.heldVars)
}

// heldOn says if the handler has the published-holder shapes.
func (g *gen) heldOn() bool { return g.r12 != nil && g.style != Contextual }

// held writes one statement of the published-holder shapes: a holder
// publishing what it holds, or a partner reading or writing what others
// published.
func (g *gen) held() {
	if g.r12.IntN(2) == 0 {
		g.heldPartner()
		return
	}
	g.heldPub()
}

// heldPub makes an Item, publishes its Feed and writes through the Item.
// It starts goroutines and waits for them, so only where no lock is held.
func (g *gen) heldPub() {
	r := g.r12
	it := g.heldVar("item")
	switch r.IntN(3) {
	case 0:
		g.line("%s := &Item{F: &Feed{}}", it)
	case 1: // the Feed made by the constructor
		g.line("%s := newItem()", it)
	default: // the Feed made here, kept by the constructor
		if HeldGiven {
			g.line("%s := itemOf(&Feed{T: s})", it)
		} else {
			g.line("%s := &Item{F: &Feed{T: s}}", it)
		}
	}
	write := func() { g.line("%s.F.%s += s", it, pick(r, "T", "U")) }
	// A write before a plain store is unordered with the partners'
	// reads too; one before a send, a go statement or a store under
	// feedMu is ordered (a control).
	before := r.IntN(3) == 0
	if before {
		write()
	}
	switch r.IntN(8) {
	case 0: // a store into a global
		g.line("pubFeed = %s.F", it)
	case 1: // kept by a callee
		g.line("keepFeed(%s.F)", it)
	case 2: // sent (never blocks: at most a few senders at a time)
		g.line("if len(feedCh) < cap(feedCh)/2 {")
		g.line("\tfeedCh <- %s.F", it)
		g.line("}")
	case 3: // sent by a select
		g.line("select {")
		g.line("case feedCh <- %s.F:", it)
		g.line("default:")
		g.line("}")
	case 4: // kept by a goroutine
		d := g.heldVar("done")
		g.line("%s := make(chan int)", d)
		g.line("go goKeepFeed(%s.F, %s)", it, d)
		g.line("s += <-%s", d)
	case 5: // control: read by a goroutine waited for
		d := g.heldVar("done")
		g.line("%s := make(chan int)", d)
		g.line("go readFeed(%s.F, %s)", it, d)
		g.line("s += <-%s", d)
	case 6: // a store into a global, under feedMu
		g.line("feedMu.Lock()")
		g.line("pubFeed = %s.F", it)
		g.line("feedMu.Unlock()")
	default: // control: the Item itself published
		g.line("pubItem = %s", it)
	}
	if !before {
		write()
	}
	g.line("%s.N += s", it)
}

// heldPartner reads or writes a Feed another invocation published: both
// its fields (a holder writes one), through one way it was published or,
// in a helper, all of them (so that a partner meets whichever holder the
// program has).
func (g *gen) heldPartner() {
	r := g.r12
	f := g.heldVar("feed")
	access := func() {
		if r.IntN(3) == 0 {
			g.line("\t%s.T, %s.U = s, s", f, f)
		} else {
			g.line("\ts += %s.T + %s.U", f, f)
		}
	}
	switch r.IntN(8) {
	case 0:
		g.line("select {")
		g.line("case %s := <-feedCh:", f)
		access()
		g.line("default:")
		g.line("}")
	case 1: // the Item published itself (the control)
		x := g.heldVar("pub")
		g.line("if %s := pubItem; %s != nil {", x, x)
		g.line("\t%s := %s.F", f, x)
		access()
		g.line("}")
	case 2:
		g.line("if %s := %s; %s != nil {", f, pick(r, "pubFeed", "keptFeed", "goFeed"), f)
		access()
		g.line("}")
	case 6: // under feedMu
		g.line("feedMu.Lock()")
		g.line("%s := %s", f, pick(r, "pubFeed", "keptFeed", "goFeed"))
		g.line("feedMu.Unlock()")
		g.line("if %s != nil {", f)
		access()
		g.line("}")
	case 3, 4:
		g.line("bumpFeeds(s)")
	default:
		g.line("s += feeds()")
	}
}
