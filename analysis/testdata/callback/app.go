// Closures handed to code that only calls them: the variables they capture
// stay the handler's own. A callee that keeps a closure, or stores what it is
// given where others find it, still publishes it.
package main

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

type entry struct {
	Name string
	N    int
}

var (
	table = []entry{{Name: "a"}}
	kept  func()
	saved *entry
	last  []*entry
)

// visit calls f on each entry and keeps nothing.
func visit(es []entry, f func(e *entry)) {
	for i := range es {
		f(&es[i])
	}
}

// visitAll hands its callback down to visit.
func visitAll(es []entry, f func(e *entry)) { visit(es, f) }

// walk calls f; one of its callers hands it a closure loaded from a global.
func walk(f func()) { f() }

// sorted: sort.Slice's less captures a fresh slice.
func sorted(w http.ResponseWriter, r *http.Request) {
	names := []string{"b", r.URL.Path}
	count := 0
	sort.Slice(names, func(i, j int) bool { count++; return names[i] < names[j] })
	fmt.Fprint(w, names[0], count)
}

// visited: a workspace visitor that only calls its callback.
func visited(w http.ResponseWriter, r *http.Request) {
	total := 0
	var b strings.Builder
	local := []entry{{Name: r.URL.Path}}
	visit(local, func(e *entry) { total += e.N; b.WriteString(e.Name) })
	seen := 0
	visitAll(local, func(e *entry) { seen++; e.N = seen })
	fmt.Fprint(w, total, b.String())
}

// walked: walk may call a closure another request made, so the closures
// it calls are resolved as before: what this one captures is shared.
func walked(w http.ResponseWriter, r *http.Request) {
	m := 0
	walk(func() { m++ }) // want "/walked calls walk" "/walked writes walked\\.m via walk → walked\\$1"
	walk(kept)           // want "/walked calls walk" "/walked reads kept"
}

// keep stores the callback where any request finds it.
func keep(f func()) { kept = f } // want "/kept writes kept via keep"

// keptClosure: the closure is kept by keep, so what it captures is shared,
// its writes here included (n++ races with another request's kept()). It
// runs where it is called (kept(), walk), not where it is made.
func keptClosure(w http.ResponseWriter, r *http.Request) {
	n := 0               // set before anything else sees it
	keep(func() { n++ }) // want "/kept calls keep" "/walked writes keptClosure\\.n via walk → keptClosure\\$1"
	n++                  // want "/kept writes \\(\\*int\\)"
	if kept != nil {     // want "/kept reads kept"
		kept() // want "/kept reads kept" "/kept calls keptClosure\\$1"
	}
}

// store keeps the entry it is given in a global.
func store(e *entry) { saved = e } // want "/published writes saved via store"

// published: a fresh entry handed to a callee that stores it in a global is
// shared, and so are its writes after the call.
func published(w http.ResponseWriter, r *http.Request) {
	e := &entry{Name: r.URL.Path} // filled in before it is published
	store(e)                      // want "/published calls store"
	e.N++                         // want "/published writes \\(\\*main\\.entry\\)\\.N"
}

// appended: stored through a global slice by a callee.
func push(e *entry) { last = append(last, e) } // want "/appended writes last\\[i\\] via push" "/appended reads \\(\\*\\[\\]\\*main\\.entry\\)\\[i\\] via push"

func appended(w http.ResponseWriter, r *http.Request) {
	e := &entry{Name: r.URL.Path} // filled in before it is published
	push(e)                       // want "/appended calls push"
	e.N++                         // want "/appended writes \\(\\*main\\.entry\\)\\.N"
}

func main() {
	http.HandleFunc("/sorted", sorted)
	http.HandleFunc("/visited", visited)
	http.HandleFunc("/kept", keptClosure)
	http.HandleFunc("/walked", walked)
	http.HandleFunc("/published", published)
	http.HandleFunc("/appended", appended)
	http.ListenAndServe("127.0.0.1:0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/walked" "/walked" -- walk(kept) runs the kept closure, which writes its n
// races: "/walked" "/kept" -- keptClosure writes kept and its n, walked reads kept and runs the closure
// races: "/kept" "/kept" -- keptClosure writes kept
// races: "/published" "/published" -- store writes saved
// races: "/appended" "/appended" -- push appends to last
// (published's entries are in saved, appended's in last: no entry is both.)
