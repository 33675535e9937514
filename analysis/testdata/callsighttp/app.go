// A middleware's response writer that net/http's ResponseController
// unwraps: its Unwrap has neither errors' signature nor that of any
// interface net/http exports (the one it asserts to, rwUnwrapper, is
// unexported), and Flush calls it. Its other Unwrap-named method, of
// another signature, is never called.
package main

import "net/http"

var (
	unwrapped int
	probed    int
)

// recorder wraps the response writer, as logging middleware does.
type recorder struct {
	http.ResponseWriter
	status int
}

func (w *recorder) Unwrap() http.ResponseWriter { unwrapped++; return w.ResponseWriter }

// probe has an Unwrap of no library interface's signature.
type probe struct{ n int }

func (p *probe) Unwrap(depth int) int { probed++; return depth }

func flush(w http.ResponseWriter, r *http.Request) { http.NewResponseController(w).Flush() }

func unwraps(w http.ResponseWriter, r *http.Request) { w.WriteHeader(unwrapped) }

func probes(w http.ResponseWriter, r *http.Request) { w.WriteHeader(probed) }

func main() {
	var boxed any = &probe{}
	_ = boxed
	mux := http.NewServeMux()
	mux.HandleFunc("/flush", flush)
	mux.HandleFunc("/unwraps", unwraps)
	mux.HandleFunc("/probes", probes)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&recorder{ResponseWriter: w}, r)
	})
	http.ListenAndServe(":8080", h)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: "/flush" "ListenAndServe handler" -- Flush calls (*recorder).Unwrap, which writes unwrapped; every request runs in the handler around mux
// races: "/flush" "/unwraps" -- Unwrap writes unwrapped, unwraps reads it
// races: "ListenAndServe handler" "/unwraps" -- a request to /flush, in the handler around mux, writes unwrapped
// (Nothing calls (*probe).Unwrap: nothing writes probed.)
