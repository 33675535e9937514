// Handlers that publish a pointer loaded from an object of their own:
// the object stays theirs, but what the pointer leads to (the feed the
// entry holds) is then shared, and their writes through the entry reach
// it. Each write below was taken to be of the invocation's own memory.
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

func read(w http.ResponseWriter, r *http.Request) {
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
	http.HandleFunc("/read", read)
	http.ListenAndServe(":8080", nil)
}
