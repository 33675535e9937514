// A net/http server that logs through zerolog as inbucket does: every
// handler builds an event of the global logger and writes it. Elsewhere a
// monitor, kept in a hub behind an interface, is an io.Closer whose Close
// hands it back to the hub: it publishes its receiver. zerolog's code may
// call such a Close on what an event holds below its interfaces (its
// writer, its hooks), never on the event itself, which holds no monitor
// in place: each request's event stays its own.
package main

import (
	"net/http"
	"sync"

	"github.com/gorilla/mux"
	"github.com/rs/zerolog/log"
)

// listener is what the hub keeps: inbucket's msghub.Listener.
type listener interface{ Receive(msg string) error }

// hub is run by one goroutine, which alone touches its listeners: the
// others hand it listeners to add and to remove.
type hub struct {
	listeners     map[listener]bool
	adds, removes chan listener
}

func (h *hub) run() {
	for {
		select {
		case l := <-h.adds:
			h.listeners[l] = true
		case l := <-h.removes:
			delete(h.listeners, l)
		}
	}
}

var theHub = &hub{listeners: map[listener]bool{}, adds: make(chan listener), removes: make(chan listener)}

// monitor is a client watching messages.
type monitor struct {
	c    chan string
	once sync.Once
}

func (m *monitor) Receive(msg string) error { m.c <- msg; return nil }

// Close hands the monitor back to the hub, once.
func (m *monitor) Close() error {
	m.once.Do(func() { theHub.removes <- m })
	return nil
}

func watch(w http.ResponseWriter, r *http.Request) {
	m := &monitor{c: make(chan string, 1)}
	theHub.adds <- m
	defer m.Close()
	log.Debug().Str("remote", r.RemoteAddr).Msg("watching")
}

// lookupError is the error of a failed lookup: one for all of them,
// which handlers only read.
type lookupError struct{ what string }

func (e *lookupError) Error() string { return "no such " + e.what }

var errNoMailbox = &lookupError{what: "mailbox"}

func find(name string) error {
	if name == "" {
		return errNoMailbox
	}
	return nil
}

// list logs the shared error: the event's field methods return the
// event, and Msg writes the event alone, not what its fields were given.
func list(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["name"]
	if err := find(name); err != nil {
		log.Error().Err(err).Msg("lookup")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Write([]byte(name))
}

func show(w http.ResponseWriter, r *http.Request) {
	log.Info().Str("path", r.RequestURI).Str("missing", errNoMailbox.what).Msg("show")
}

func main() {
	go theHub.run()
	r := mux.NewRouter()
	r.HandleFunc("/monitor", watch).Methods("GET")
	r.HandleFunc("/mailbox/{name}", list).Methods("GET")
	r.HandleFunc("/mailbox/{name}/{id}", show).Methods("GET")
	http.ListenAndServe("127.0.0.1:0", r)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: none -- each request's event is its own (zerolog's pool hands one event to one call at a time); the hub's listeners are its goroutine's alone, handed over on channels
