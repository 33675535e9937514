// Objects appended to a nil or new slice are kept in the invocation's own
// memory, the slice's new array, until that slice is published: a query
// helper that scans rows into new entries (the library writes through
// the pointers it is given) and returns them is no one else's, and
// handleList and handleShow do not conflict on the entries they build.
// Once a slice is published what was appended to it is shared:
// handlePublish stores its slice of notes in recent and then writes a
// note's text, which handleRecent reads through recent. (Notes are not
// entries: what a handler loads from a slice is still named by its type,
// so an entry published anywhere would be any entry loaded anywhere.)
// The array append makes is the slice's too: handleCounts writes an
// element of counts after it is published, and races with handleTotal.
package main

import (
	"database/sql"
	"sync"

	"github.com/safels/safels/loop"
)

type entry struct {
	id    int64
	title string
}

type note struct{ text string }

var (
	db     *sql.DB
	mu     sync.Mutex
	recent []*note
	counts []int
)

type conn struct{ user int64 }

// query scans every row into a new entry.
func query(user int64) []*entry {
	rows, err := db.Query("select id, title from entries where user = $1", user)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []*entry
	for rows.Next() {
		e := &entry{}
		if err := rows.Scan(&e.id, &e.title); err != nil {
			return nil
		}
		out = append(out, e)
	}
	return out
}

func handleList(l *loop.Loop, c *conn) {
	for _, e := range query(c.user) {
		println(e.id, e.title)
	}
}

func handleShow(l *loop.Loop, c *conn) {
	es := query(c.user)
	if len(es) > 0 {
		println(es[0].title)
	}
}

func handlePublish(l *loop.Loop, c *conn) {
	n := &note{}
	var list []*note
	list = append(list, n)
	mu.Lock()
	recent = list
	mu.Unlock()
	n.text = "new" // want "text"
}

func handleRecent(l *loop.Loop, c *conn) {
	mu.Lock()
	es := recent
	mu.Unlock()
	for _, n := range es {
		println(n.text) // want "text"
	}
}

func handleCounts(l *loop.Loop, c *conn) {
	var cs []int
	cs = append(cs, 1)
	mu.Lock()
	counts = cs
	mu.Unlock()
	cs[0] = 2 // want "[i]"
}

func handleTotal(l *loop.Loop, c *conn) {
	mu.Lock()
	cs := counts
	mu.Unlock()
	if len(cs) > 0 {
		println(cs[0]) // want "[i]"
	}
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleList, c)
	loop.Post(l, handleShow, c)
	loop.Post(l, handlePublish, c)
	loop.Post(l, handleRecent, c)
	loop.Post(l, handleCounts, c)
	loop.Post(l, handleTotal, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handlePublish" "handleRecent" -- handlePublish writes the text of a note after publishing it in recent, handleRecent reads it
// races: "handleCounts" "handleTotal" -- handleCounts writes an element after publishing the array in counts, handleTotal reads it
// (Two handlePublish write notes of their own; two handleCounts arrays of
// their own.)
