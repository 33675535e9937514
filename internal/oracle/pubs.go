package oracle

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The publishing shapes: a handler's object is published in ways the
// published-holder shapes (hold.go) do not try, and the handler writes
// through it after, unordered with partners that read and write it where
// it was published. A callee publishes a Feed it loads from the Item
// handed to it (param); a closure publishes the Feed it captured, called
// on the spot, handed to a function that calls it, or run as a goroutine
// (closure); a constructor keeps the Item it returns in a global, and a
// loader returns that Item in a slice it made (ctor). Partners find the
// published Feeds in globals, or out of a struct or array value a call
// returns, or that an interface holds (value). The analysis missed each
// (the handler's writes, or the partner's accesses) before its fix: a
// callee's or closure's publishesHeld, a constructor's withShared, and
// the memory of an aggregate a call returns (analysis/summary.go).
//
// A third of the programs have them (not the contextual style, whose
// handlers touch the context alone), drawn from a stream of their own:
// with it off, a program is what it was before. A partner may come first
// in a handler and a holder last, as the published-holder shapes'; the
// globals are kept and read under feedMu, so that the race the detector
// reports is a write after the publication, not the making.

// PubFamilies are the families of the publishing shapes written:
// "param", "closure", "ctor" and "value"; a shape of a family left out
// is written as a plain publication (a Feed made here and kept by
// setOut) or a plain partner (outFeed read under feedMu), so that the
// programs draw the same and differ only there. All by default.
var PubFamilies = "param,closure,ctor,value"

// pubsFamily says if family f is written.
func pubsFamily(f string) bool {
	for _, x := range strings.Split(PubFamilies, ",") {
		if x == f {
			return true
		}
	}
	return false
}

// pubsDecls are the publishing shapes' globals, types and functions;
// Feed, Item and feedMu are heldDecls'.
const pubsDecls = `
// The publishing shapes (pubs.go).

var (
	outFeed *Feed
	outItem *Item
)

// setOut keeps f in outFeed.
func setOut(f *Feed) {
	feedMu.Lock()
	outFeed = f
	feedMu.Unlock()
}

// pubFeedOf keeps the Feed it loads from it in outFeed.
func pubFeedOf(it *Item) {
	feedMu.Lock()
	outFeed = it.F
	feedMu.Unlock()
}

// runFn calls fn.
func runFn(fn func()) { fn() }

// mkKept makes an Item, and keeps it in outItem.
func mkKept() *Item {
	it := &Item{F: &Feed{}}
	feedMu.Lock()
	outItem = it
	feedMu.Unlock()
	return it
}

// loadKept returns, in a slice of its own, an Item it kept.
func loadKept() []*Item {
	its := make([]*Item, 1)
	its[0] = mkKept()
	return its
}

// feedPair holds a Feed by value.
type feedPair struct{ f *Feed }

// outPair returns outFeed in a feedPair.
func outPair() feedPair {
	feedMu.Lock()
	defer feedMu.Unlock()
	return feedPair{f: outFeed}
}

// outArr returns the Feeds published, in an array.
func outArr() [3]*Feed {
	feedMu.Lock()
	defer feedMu.Unlock()
	var fs [3]*Feed
	fs[0] = outFeed
	if x := outItem; x != nil {
		fs[1] = x.F
	}
	return fs
}

// outBox returns outPair's feedPair in an interface.
func outBox() any { return outPair() }
`

// pubsStream is the publishing shapes' stream of program index: nil when
// the program has none.
func pubsStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x70756273, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// pubsVar is fresh's for these shapes: numbered apart, and named
// apart (o...), from the others' (heldVar's share their prefixes).
func (g *gen) pubsVar(prefix string) string {
	g.pubsVars++
	return fmt.Sprintf("%s%d", prefix, g.pubsVars)
}

// pubsOn says if the handler has the publishing shapes.
func (g *gen) pubsOn() bool { return g.r13 != nil && g.style != Contextual }

// pubsHolder publishes a Feed, or an Item, one of the ways and writes
// through it after. It starts goroutines and waits for them, so only
// where no lock is held.
func (g *gen) pubsHolder() {
	r := g.r13
	kind := r.IntN(7)
	fam := [...]string{"", "param", "closure", "closure", "closure", "ctor", "ctor"}[kind]
	if fam != "" && !pubsFamily(fam) {
		kind = 0
	}
	field := pick(r, "T", "U")
	f := g.pubsVar("of")
	switch kind {
	case 0: // plain: made here and kept by a callee
		g.line("%s := &Feed{T: s}", f)
		g.line("setOut(%s)", f)
	case 1: // a callee keeps the Feed it loads from the Item
		it := g.pubsVar("oi")
		g.line("%s := &Item{F: &Feed{}}", it)
		g.line("pubFeedOf(%s)", it)
		g.line("%s := %s.F", f, it)
		g.line("%s.N += s", it)
	case 2, 3, 4: // a closure keeps the Feed it captured
		g.line("%s := &Feed{T: s}", f)
		body := fmt.Sprintf("feedMu.Lock(); outFeed = %s; feedMu.Unlock()", f)
		switch kind {
		case 2: // called on the spot
			g.line("func() { %s }()", body)
		case 3: // handed to a function that calls it
			g.line("runFn(func() { %s })", body)
		default: // run as a goroutine, waited for
			d := g.pubsVar("od")
			g.line("%s := make(chan int)", d)
			g.line("go func() { %s; %s <- 1 }()", body, d)
			g.line("s += <-%s", d)
		}
	default: // a constructor keeps the Item it returns
		it := g.pubsVar("oi")
		if kind == 5 {
			g.line("%s := mkKept()", it)
		} else {
			g.line("%s := loadKept()[0]", it)
		}
		g.line("%s.N += s", it)
		g.line("%s := %s.F", f, it)
	}
	g.line("%s.%s += s", f, field)
}

// pubsPartner reads or writes a Feed, or Item, another invocation
// published: both its fields (a holder writes one).
func (g *gen) pubsPartner() {
	r := g.r13
	kind := r.IntN(5)
	if kind >= 2 && !pubsFamily("value") {
		kind = 0
	}
	write := r.IntN(3) == 0
	f := g.pubsVar("of")
	access := func() {
		if write {
			g.line("\t%s.T, %s.U = s, s", f, f)
		} else {
			g.line("\ts += %s.T + %s.U", f, f)
		}
	}
	switch kind {
	case 0: // outFeed, under feedMu
		g.line("feedMu.Lock()")
		g.line("%s := outFeed", f)
		g.line("feedMu.Unlock()")
		g.line("if %s != nil {", f)
	case 1: // outItem and its Feed, under feedMu
		x := g.pubsVar("ox")
		g.line("feedMu.Lock()")
		g.line("%s := outItem", x)
		g.line("feedMu.Unlock()")
		g.line("if %s != nil {", x)
		if write {
			g.line("\t%s.N = s", x)
		} else {
			g.line("\ts += %s.N", x)
		}
		g.line("\t%s := %s.F", f, x)
	case 2: // out of a struct value a call returns
		g.line("if %s := outPair().f; %s != nil {", f, f)
	case 3: // out of an array value a call returns
		g.line("for _, %s := range outArr() {", f)
		g.line("\tif %s == nil {", f)
		g.line("\t\tcontinue")
		g.line("\t}")
	default: // out of the struct value an interface holds
		g.line("if %s := outBox().(feedPair).f; %s != nil {", f, f)
	}
	access()
	g.line("}")
}
