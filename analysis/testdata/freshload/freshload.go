// Objects a handler makes that keep pointers: a response builder keeping
// the response writer, a holder pointing at its own memory, at a global,
// or at what a helper, a constructor, a struct copy or an append put
// there, and one a decoder filled in. Only writes through pointers to
// shared memory are wanted.
package main

import (
	"encoding/json"
	"net/http"
)

type inner struct{ x int }

type holder struct {
	p  *inner
	ps []*inner
}

type builder struct {
	w    http.ResponseWriter
	tags []string
}

var shared inner

func (b *builder) write() {
	b.w.Header().Set("a", "b")
	b.tags = append(b.tags, "x")
}

func fill(h *holder) { h.p = &shared }

func newHolder(p *inner) *holder { return &holder{p: p} }

// built keeps its response writer in a builder: its own.
func built(w http.ResponseWriter, r *http.Request) {
	b := &builder{w: w}
	b.write()
}

// own writes through a pointer to its own memory.
func own(w http.ResponseWriter, r *http.Request) {
	h := &holder{p: &inner{}}
	h.p.x++
}

// global writes a global through a holder.
func global(w http.ResponseWriter, r *http.Request) {
	h := &holder{p: &shared}
	h.p.x++ // want "x"
}

// filled writes what a helper pointed its holder at.
func filled(w http.ResponseWriter, r *http.Request) {
	h := &holder{}
	fill(h)
	h.p.x++ // want "x"
}

// constructed writes what a constructor kept.
func constructed(w http.ResponseWriter, r *http.Request) {
	h := newHolder(&shared)
	h.p.x++ // want "x"
}

// copied writes what a struct copied in points to.
func copied(w http.ResponseWriter, r *http.Request) {
	h := &holder{}
	*h = holder{p: &shared}
	h.p.x++ // want "x"
}

// appended writes what it appended.
func appended(w http.ResponseWriter, r *http.Request) {
	h := &holder{}
	h.ps = append(h.ps, &shared)
	h.ps[0].x++ // want "x"
}

// decoded writes what a decoder may have set (here new memory; the
// analysis cannot tell, so it is anything of its type).
func decoded(w http.ResponseWriter, r *http.Request) {
	h := &holder{}
	json.NewDecoder(r.Body).Decode(h)
	if h.p != nil {
		h.p.x++ // want "x"
	}
}

func main() {
	http.HandleFunc("/built", built)
	http.HandleFunc("/own", own)
	http.HandleFunc("/global", global)
	http.HandleFunc("/filled", filled)
	http.HandleFunc("/constructed", constructed)
	http.HandleFunc("/copied", copied)
	http.HandleFunc("/appended", appended)
	http.HandleFunc("/decoded", decoded)
	http.ListenAndServe(":8080", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: "/global" "/filled" "/constructed" "/copied" "/appended" -- each writes shared.x
// (decoded writes only what the decoder made: an inner of its own.)
