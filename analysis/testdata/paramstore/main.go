// Handlers that keep what is not their own in what their parameters
// reach, or their parameters where others find them: a request whose
// URL is a global, a request kept in a global, and a parameter of the
// server's own type that a wrapper fills with shared memory. Each
// shares memory with the other invocations despite the request and the
// response writer being the invocation's own.
package main

import (
	"net/http"
	"net/url"
)

var pinned = &url.URL{Path: "/"}

var last *http.Request

type store struct{ n int }

var global = &store{}

type env struct{ st *store }

// pin makes its request's URL a global and writes it.
func pin(w http.ResponseWriter, r *http.Request) {
	r.URL = pinned
	r.URL.Path = "/x" // want "writes pinned.Path;"
}

// keep publishes its request and then writes it.
func keep(w http.ResponseWriter, r *http.Request) {
	last = r               // want "writes last;"
	r.URL.RawQuery = "a=1" // want "writes \\(\\*http.Request\\).URL.RawQuery;" "reads \\(\\*http.Request\\).URL;"
}

// peek reads the request keep published.
func peek(w http.ResponseWriter, r *http.Request) {
	if last != nil { // want "reads last;"
		w.Write([]byte(last.URL.RawQuery)) // want "reads last;" "reads last.URL;" "reads last.URL.RawQuery;"
	}
}

var lastW http.ResponseWriter

// pubW publishes its response writer and writes it.
func pubW(w http.ResponseWriter, r *http.Request) {
	lastW = w            // want "writes lastW;"
	w.Write([]byte("a")) // want "writes \\(\\*http.ResponseWriter\\);"
}

// useW writes the writer pubW published.
func useW(w http.ResponseWriter, r *http.Request) {
	if x := lastW; x != nil { // want "reads lastW;"
		x.Write([]byte("b")) // want "writes lastW;"
	}
}

// query reads, through the library, the global URL it made its own
// ((*url.URL).Query only reads it, as derived from its source), which pin
// writes.
func query(w http.ResponseWriter, r *http.Request) {
	r.URL = pinned
	w.Write([]byte(r.URL.Query().Get("q"))) // want "reads pinned\\.\\.\\.;.*pin writes pinned.Path"
}

// count writes through what the wrapper gave it: the global store.
func count(w http.ResponseWriter, r *http.Request, e *env) { e.st.n++ } // want "reads \\(\\*main.env\\).st;" "writes \\(\\*main.env\\).st.n;"

func wrap(h func(http.ResponseWriter, *http.Request, *env)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, &env{st: global}) }
}

func main() {
	http.HandleFunc("/pin", pin)
	http.HandleFunc("/keep", keep)
	http.HandleFunc("/peek", peek)
	http.HandleFunc("/count", wrap(count))
	http.HandleFunc("/pubw", pubW)
	http.HandleFunc("/usew", useW)
	http.HandleFunc("/query", query)
	http.ListenAndServe(":8080", nil)
}
