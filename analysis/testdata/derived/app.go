// Library calls with models derived from the library's source
// (analysis/derive): a call that only reads, one that returns new memory,
// and net/url's Values.Get, are no writes of what they are given; calls
// that write, or keep what they are given in a package variable or a
// shared container, still are.
package main

import (
	"fmt"
	"net/http"
	"net/url"

	"example.com/lib"
)

var (
	conf   = &lib.Conf{}
	bumped = &lib.Item{}
	box    = &lib.Box{}
	query  = url.Values{"a": {"b"}}
)

// peek: (*lib.Conf).Name and url.Values.Get only read (each was taken
// to write what it is given, unanalysed); set writes query.
func peek(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, conf.Name(), query.Get("a")) // want "reads query.*set writes" "reads \\(\\*\\[\\]string\\)"
}

// peekItem: lib.Peek only reads, but bump writes the items.
func peekItem(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, lib.Peek(bumped), box.Len()) // want "reads bumped.*bump writes" "reads box" "reads \\(\\*lib.Item\\)\\.\\.\\..*attached writes"
}

func bump(w http.ResponseWriter, r *http.Request) {
	lib.Bump(bumped) // want "bumped"
}

// fresh: what lib.New returns is the invocation's own.
func fresh(w http.ResponseWriter, r *http.Request) {
	it := lib.New(1)
	lib.Bump(it)
	it.N = 2
}

// kept: Register keeps the new item in a package variable, where every
// invocation finds it.
func kept(w http.ResponseWriter, r *http.Request) {
	it := &lib.Item{}
	lib.Register(it) // want "assumed: calls lib.Register, not analysed"
	it.N = 2         // want "it"
}

// boxed: the new item is kept in a shared box.
func boxed(w http.ResponseWriter, r *http.Request) {
	it := &lib.Item{}
	box.Put(it) // want "writes box" "writes \\(\\*lib.Item\\)"
	it.N = 3    // want "it"
}

func set(w http.ResponseWriter, r *http.Request) {
	query.Set("a", r.URL.Path) // want "writes query" "writes \\(\\*\\[\\]string\\)"
}

// each: what Each does with its function is beyond the derivation.
func each(w http.ResponseWriter, r *http.Request) {
	lib.Each(bumped, func(it *lib.Item) {}) // want "bumped.*in part assumed: calls lib.Each"
}

// parts: a writer and its parts reach each other only: the invocation's
// own (mime/multipart's Writer, CreateFormFile, as miniflux uses them).
func parts(w http.ResponseWriter, r *http.Request) {
	mw := lib.NewWriter()
	p := mw.CreatePart()
	p.Write([]byte(r.URL.Path))
}

// attached: an item kept in a node that Attach stores in the shared box,
// or that Hold stores in its receiver, the shared box: shared.
func attached(w http.ResponseWriter, r *http.Request) {
	it, it2 := &lib.Item{}, &lib.Item{}
	lib.Attach(box, it) // want "box" "\\(\\*lib.Item\\)"
	box.Hold(it2)       // want "box" "\\(\\*lib.Item\\)"
	it.N = 4            // want "attached writes \\(\\*lib.Item\\).N"
	it2.N = 5           // want "attached writes \\(\\*lib.Item\\).N"
}

func main() {
	http.HandleFunc("/peek", peek)
	http.HandleFunc("/item", peekItem)
	http.HandleFunc("/bump", bump)
	http.HandleFunc("/fresh", fresh)
	http.HandleFunc("/kept", kept)
	http.HandleFunc("/boxed", boxed)
	http.HandleFunc("/set", set)
	http.HandleFunc("/each", each)
	http.HandleFunc("/parts", parts)
	http.HandleFunc("/attached", attached)
	http.ListenAndServe(":8080", nil)
}
