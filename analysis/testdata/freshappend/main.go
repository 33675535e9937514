// Entities a handler loads for itself, as servers load rows: made by a
// constructor with objects of their own inside (an entry's feed),
// appended to a slice the loader returns, their fields handed to a
// library to fill (a row's Scan). Each is the handler's own, and so is
// what it holds; so the handlers below share nothing but what is marked.
package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
)

type Feed struct{ Title string }

type Entry struct {
	ID   int64
	Feed *Feed
}

func newEntry() *Entry { return &Entry{Feed: &Feed{}} }

var db *sql.DB

// load appends what it makes to a slice of its own.
func load(rows *sql.Rows) []*Entry {
	var entries []*Entry
	for rows.Next() {
		e := newEntry()
		dest := []any{&e.ID, &e.Feed.Title}
		if rows.Scan(dest...) != nil {
			return nil
		}
		entries = append(entries, e)
	}
	return entries
}

func first() *Entry {
	rows, err := db.Query("select")
	if err != nil {
		return nil
	}
	defer rows.Close()
	if es := load(rows); len(es) > 0 {
		return es[0]
	}
	return nil
}

func show(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(first())
}

func edit(w http.ResponseWriter, r *http.Request) {
	if e := first(); e != nil {
		e.Feed.Title = "edited"
	}
}

// pinned is shared: a slice literal holding it, appended to, still does.
var pinned = &Entry{Feed: &Feed{}}

func withPinned() []*Entry {
	es := []*Entry{pinned}
	return append(es, newEntry())
}

func pin(w http.ResponseWriter, r *http.Request) {
	es := withPinned()
	es[0].ID = 7 // want "writes pinned.ID;"
}

type pair struct{ s, t *Entry }

// swap copies a pointer between two slots of its own object: what one
// slot holds is what the other held, a global.
func swap(w http.ResponseWriter, r *http.Request) {
	p := &pair{t: pinned}
	p.s = p.t
	p.s.ID = 2 // want "writes pinned.ID;"
}

// recent keeps every entry it loads: those are shared.
var recent []*Entry

func keepAll() []*Entry {
	var out []*Entry
	e := newEntry()
	recent = append(recent, e) // want "writes recent\\[i\\] via keepAll;" "reads \\(\\*\\[\\]\\*main.Entry\\)\\[i\\] via keepAll;"
	out = append(out, e)
	return out
}

func kept(w http.ResponseWriter, r *http.Request) {
	es := keepAll() // want "calls keepAll, which"
	es[0].ID = 8    // want "writes \\(\\*main.Entry\\).ID;"
}

func main() {
	http.HandleFunc("/show", show)
	http.HandleFunc("/edit", edit)
	http.HandleFunc("/pin", pin)
	http.HandleFunc("/kept", kept)
	http.HandleFunc("/swap", swap)
	http.ListenAndServe(":8080", nil)
}
