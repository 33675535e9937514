// A net/http app: handlers run concurrently, so a conflict is a data race.
package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

var (
	visits  int          // written by every request: a race
	served  atomic.Int64 // atomic: no race
	motd    = "hi"       // read-only after init
	mu      sync.Mutex
	history []string // guarded by mu
)

type Handler struct {
	items map[string]string
}

func (h *Handler) set(w http.ResponseWriter, r *http.Request) {
	h.items[r.URL.Path] = "x" // want "\\(\\*Handler\\)\\.items\\[i\\]"
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, h.items["a"]) // want "\\(\\*Handler\\)\\.items\\[i\\]"
}

func index(w http.ResponseWriter, r *http.Request) {
	visits++ // want "visits" "visits"
	served.Add(1)
	mu.Lock()
	history = append(history, r.URL.Path)
	mu.Unlock()
	fmt.Fprint(w, motd)
}

func main() {
	keys := map[string]int{}
	h := &Handler{items: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", index)
	mux.HandleFunc("/set", h.set)
	mux.Handle("/get", h)
	http.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		keys[r.URL.Path]++ // want "main.keys\\[i\\]" "main.keys\\[i\\]"
	})
	http.ListenAndServe("127.0.0.1:0", mux)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/set" "/set" -- set writes h.items of the one Handler
// races: "/set" "/get" -- set writes h.items, ServeHTTP reads it
// races: "/" "/" -- index writes visits
// (/keys is registered on http.DefaultServeMux, which this program never
// serves: ListenAndServe is given mux.)
