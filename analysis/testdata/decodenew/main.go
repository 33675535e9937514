// Decoding into a new object: at the call the object holds its zero
// value and points nowhere, and the decoder keeps nothing, so what it
// writes is the handler's own, even where the handler links the object
// to shared memory and publishes it afterwards. An object that already
// points somewhere when it is handed over may be written through.
package main

import (
	"encoding/json"
	"net/http"
	"sync"
)

type book struct {
	hits  int
	title string
}

type entry struct {
	Name string
	Book *book
}

var (
	mu      sync.Mutex
	shelf   = &book{}
	entries []*entry
)

// load decodes a new entry, then links it to the shelf and keeps it.
func load(w http.ResponseWriter, r *http.Request) {
	e := &entry{}
	if err := json.NewDecoder(r.Body).Decode(e); err != nil {
		return
	}
	mu.Lock()
	e.Book = shelf
	entries = append(entries, e)
	mu.Unlock()
}

// count writes the shelf's hits.
func count(w http.ResponseWriter, r *http.Request) {
	shelf.hits++ // want "/count writes shelf\\.hits; /count \\(another invocation\\) reads and writes it .*, /refill reads and writes shelf\\.\\.\\. "
}

// refill decodes into an entry that points at the shelf already: the
// decoder may write the shelf.
func refill(w http.ResponseWriter, r *http.Request) {
	e := &entry{Book: shelf}
	json.NewDecoder(r.Body).Decode(e) // want "/refill writes shelf\\.\\.\\.; /count reads and writes shelf\\.hits .*, /refill \\(another invocation\\) reads and writes it"
}

func main() {
	http.HandleFunc("/load", load)
	http.HandleFunc("/count", count)
	http.HandleFunc("/refill", refill)
	http.ListenAndServe(":8080", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/count" "/count" -- both write shelf.hits
// races: "/count" "/refill" -- the decoder may write the shelf refill's entry points to
// races: "/refill" "/refill" -- both may write the shelf
