// Handlers that publish a pointer loaded from an object of their own:
// the object stays theirs, but what the pointer leads to (the feed the
// entry holds) is then shared, and their writes through the entry reach
// it; so with a callee or a closure that publishes what it was given or
// captured, and with a constructor that keeps what it returns. Each write
// below was taken to be of the invocation's own memory.
package main

import "net/http"

type Feed struct{ Title string }
type Entry struct{ Feed *Feed }

func newEntry() *Entry { return &Entry{Feed: &Feed{}} }

var global *Feed

func keep(f *Feed) { global = f } // want "writes global via keep;"

// made publishes the feed of an entry a constructor made.
func made(w http.ResponseWriter, r *http.Request) {
	e := newEntry()
	global = e.Feed    // want "writes global;"
	e.Feed.Title = "x" // want "writes \\(\\*main.Feed\\).Title;"
}

// viaCall has a callee publish it.
func viaCall(w http.ResponseWriter, r *http.Request) {
	e := &Entry{Feed: &Feed{}}
	keep(e.Feed)       // want "calls keep, which writes global;"
	e.Feed.Title = "y" // want "writes \\(\\*main.Feed\\).Title;"
}

var ch = make(chan *Feed, 1)

// sent sends it on a channel.
func sent(w http.ResponseWriter, r *http.Request) {
	e := newEntry()
	ch <- e.Feed
	e.Feed.Title = "z" // want "writes \\(\\*main.Feed\\).Title;"
}

// pubFeed publishes what its parameter holds.
func pubFeed(e *Entry) { global = e.Feed } // want "writes global via pubFeed;"

// param has a callee publish what the entry holds.
func param(w http.ResponseWriter, r *http.Request) {
	e := &Entry{Feed: &Feed{}}
	pubFeed(e)         // want "calls pubFeed, which writes global;"
	e.Feed.Title = "p" // want "writes \\(\\*main.Feed\\).Title;"
}

// onTheSpot has a closure it calls publish what it captured.
func onTheSpot(w http.ResponseWriter, r *http.Request) {
	f := &Feed{}
	func() { global = f }() // want "writes global via onTheSpot\\$1;" "calls onTheSpot\\$1, which writes global;"
	f.Title = "s"           // want "writes \\(\\*main.Feed\\).Title;"
}

func run(fn func()) { fn() }

// handed has a function it hands a closure to call it.
func handed(w http.ResponseWriter, r *http.Request) {
	f := &Feed{}
	run(func() { global = f }) // want "calls run, which writes global;" "calls handed\\$1, which" "writes global via handed\\$1;"
	f.Title = "h"              // want "writes \\(\\*main.Feed\\).Title;"
}

var lastEntry *Entry

// madeKept is a constructor that keeps what it makes in a global.
func madeKept() *Entry {
	e := &Entry{}
	lastEntry = e // want "writes lastEntry via madeKept;"
	return e
}

// listKept returns, in a slice of its own, an entry it kept.
func listKept() []*Entry {
	es := make([]*Entry, 1)
	es[0] = madeKept()
	return es
}

// ctor writes the entry a constructor returned and kept.
func ctor(w http.ResponseWriter, r *http.Request) {
	e := madeKept() // want "calls madeKept, which writes lastEntry;"
	e.Feed = nil    // want "writes \\(\\*main.Entry\\).Feed;"
}

// list writes it, found in the slice a callee returned.
func list(w http.ResponseWriter, r *http.Request) {
	es := listKept() // want "calls listKept, which writes lastEntry;"
	es[0].Feed = nil // want "writes \\(\\*main.Entry\\).Feed;"
}

// entryOf keeps the feed it is given in the entry it makes.
func entryOf(f *Feed) *Entry { return &Entry{Feed: f} }

// given publishes the feed it handed a constructor, loaded from the
// entry the constructor made around it.
func given(w http.ResponseWriter, r *http.Request) {
	e := entryOf(&Feed{})
	global = e.Feed    // want "writes global;"
	e.Feed.Title = "g" // want "writes \\(\\*main.Feed\\).Title;"
}

// fillEntry keeps what it makes in its parameter's memory only: its
// caller's own entry, so the feed is its caller's own too.
func fillEntry(e *Entry) { e.Feed = &Feed{} }

// filled writes its own: no finding.
func filled(w http.ResponseWriter, r *http.Request) {
	e := &Entry{}
	fillEntry(e)
	e.Feed.Title = "f"
}

// own writes a string through the feed of an entry of its own, made by
// the constructor made and sent use too: their entries' feeds are
// published, its own is not. No finding. (A string stored was taken for
// pointers stored unseen, and made the constructor's entries opaque to
// every handler.)
func own(w http.ResponseWriter, r *http.Request) {
	e := newEntry()
	e.Feed.Title = "o"
	w.Write([]byte(e.Feed.Title))
}

func read(w http.ResponseWriter, r *http.Request) {
	if l := lastEntry; l != nil && l.Feed != nil { // want "reads lastEntry;" "reads lastEntry.Feed;"
		w.Write([]byte(l.Feed.Title)) // want "reads lastEntry.Feed;" "reads lastEntry.Feed.Title;"
	}
	if g := global; g != nil { // want "reads global;"
		w.Write([]byte(g.Title)) // want "reads global.Title;"
	}
	select {
	case f := <-ch:
		w.Write([]byte(f.Title)) // want "reads \\(\\*main.Feed\\).Title;"
	default:
	}
}

func main() {
	http.HandleFunc("/made", made)
	http.HandleFunc("/viaCall", viaCall)
	http.HandleFunc("/sent", sent)
	http.HandleFunc("/param", param)
	http.HandleFunc("/onTheSpot", onTheSpot)
	http.HandleFunc("/handed", handed)
	http.HandleFunc("/ctor", ctor)
	http.HandleFunc("/list", list)
	http.HandleFunc("/filled", filled)
	http.HandleFunc("/own", own)
	http.HandleFunc("/given", given)
	http.HandleFunc("/read", read)
	http.ListenAndServe(":8080", nil)
}
