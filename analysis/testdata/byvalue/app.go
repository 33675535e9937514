// Values passed by value are copies: a struct parameter (as redcon passes
// its Command) whose element is kept in shared memory does not make the
// parameter itself shared; a value receiver reads its copy of the global.
// The variadic array of a call stays the caller's, through a helper into
// database/sql.
package main

import (
	"database/sql"
	"net/http"
	"strings"
	"sync"
)

type command struct {
	Args [][]byte
	Raw  []byte
}

type tally struct {
	hits map[string]int
	last []byte
}

var (
	mu      sync.Mutex
	kept    = map[string][]byte{}
	tallies = tally{hits: map[string]int{}}
	db      *sql.DB
)

// keep stores an element of its copy of cmd under mu; cmd itself is this
// call's.
func keep(cmd command) {
	cmd.Raw = nil
	mu.Lock()
	kept[string(cmd.Args[0])] = cmd.Args[1]
	mu.Unlock()
	_ = len(cmd.Args)
}

func keepH(w http.ResponseWriter, r *http.Request) {
	keep(command{Args: [][]byte{[]byte(r.URL.Path), []byte("v")}})
}

// size copies tallies to call it: a read of all of it.
func (t tally) size() int { return len(t.last) }

func sizeH(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	tallies.last = kept["a"] // want "writes tallies.last; /size \\(another invocation\\) reads tallies"
	mu.Unlock()
	_ = tallies.size() // want "reads tallies; /size \\(another invocation\\) writes tallies.last"
}

func lookup(q string, args ...any) {
	db.Query(q, args...)
}

func varH(w http.ResponseWriter, r *http.Request) {
	lookup("SELECT 1 WHERE a = ? AND b = ?", 1, strings.ToLower(r.URL.Path))
}

func main() {
	http.HandleFunc("/keep", keepH)
	http.HandleFunc("/size", sizeH)
	http.HandleFunc("/var", varH)
	http.ListenAndServe(":0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/size" "/size" -- sizeH writes tallies.last under mu and copies all of tallies without it
