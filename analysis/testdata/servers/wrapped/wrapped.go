// A net/http todo server whose handlers sit behind middleware, in each
// shape Go code wraps them: a func wrapper, an http.Handler wrapper, a
// wrapper struct, wrappers of wrappers, handlers kept in a table and
// registered in a loop, and middleware around the whole mux.
package main

import (
	"net/http"
	"os"
	"sync"
)

var (
	sessions = map[string]string{} // read by requiresLogin, written by login
	todos    []string
	hits     int // every request counts, in logRequests
	audit    []string
	done     int
	mu       sync.Mutex
	served   int // guarded by mu, in serialize
)

// requiresLogin returns a closure that checks the session, then runs h.
func requiresLogin(h func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if sessions[r.Header.Get("Cookie")] == "" { // want "sessions\\[i\\]"
			return
		}
		h(w, r)
	}
}

// withAudit wraps an http.Handler.
func withAudit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		audit = append(audit, r.URL.Path) // want "POST /add writes audit"
		next.ServeHTTP(w, r)
	})
}

// serialize holds mu around the handler it wraps.
type serialize struct{ next http.HandlerFunc }

func (s *serialize) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	defer mu.Unlock()
	s.next(w, r)
}

func count(w http.ResponseWriter, r *http.Request) { _ = len(todos) } // want "GET /count reads todos"

func add(w http.ResponseWriter, r *http.Request) {
	todos = append(todos, r.FormValue("t")) // want "POST /add writes todos"
}

func login(w http.ResponseWriter, r *http.Request) {
	sessions[r.FormValue("u")] = "ok" // want "POST /login writes sessions\\[i\\]"
}

func finish(w http.ResponseWriter, r *http.Request) { done++ } // want "POST /done writes done"

func tally(w http.ResponseWriter, r *http.Request) { served++ } // served only under mu: no race

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++ // want "hits"
		next.ServeHTTP(w, r)
	})
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /count", requiresLogin(count))
	mux.Handle("POST /add", withAudit(http.HandlerFunc(requiresLogin(add))))
	mux.HandleFunc("POST /login", login)
	mux.Handle("POST /tally", &serialize{next: tally})
	routes := []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"POST /done", finish},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, withAudit(rt.h))
	}
	// The whole mux behind middleware, in a server, unless in maintenance.
	var h http.Handler = mux
	if len(os.Args) > 1 {
		h = http.HandlerFunc(maintenance)
	}
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: logRequests(h)}
	srv.ListenAndServe()
}

func maintenance(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: "GET /count" "POST /add" "POST /login" "POST /done" "POST /tally" -- logRequests writes hits around the mux
// races: "maintenance" "maintenance" -- logRequests writes hits around it
// (maintenance serves instead of the mux, never beside it: the process
// picks one from os.Args.)
