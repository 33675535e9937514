// A request's accessors (Context, PathValue, Cookie, Header's) read the
// request's own fields and call nothing back: handleUser does not reach
// the Body wrapper handleFetch installs on a response, and the two do not
// conflict. FormValue reads the Body: handleForm's wrapper, installed as
// the request's Body, is called back by it and writes reads, a global.
package main

import (
	"io"
	"net/http"
)

type key int

// counted counts the reads of a response body.
type counted struct {
	body io.ReadCloser
	n    int
}

func (c *counted) Read(p []byte) (int, error) { c.n++; return c.body.Read(p) }
func (c *counted) Close() error               { c.n = 0; return c.body.Close() }

var reads int

// tally counts the reads of request bodies in reads.
type tally struct{ body io.ReadCloser }

func (t *tally) Read(p []byte) (int, error) { reads++; return t.body.Read(p) }
func (t *tally) Close() error               { return t.body.Close() }

func handleUser(w http.ResponseWriter, r *http.Request) {
	id, _ := r.Context().Value(key(1)).(int64)
	c, _ := r.Cookie("session")
	if id > 0 && c != nil && r.PathValue("name") != "" && r.Header.Get("X-Id") != "" {
		w.WriteHeader(http.StatusNoContent)
	}
}

func handleFetch(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("http://localhost/feed")
	if err != nil {
		return
	}
	resp.Body = &counted{body: resp.Body}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func handleForm(w http.ResponseWriter, r *http.Request) {
	r.Body = &tally{body: r.Body}
	w.Write([]byte(r.FormValue("q")))
}

func main() {
	http.HandleFunc("/user/{name}", handleUser)
	http.HandleFunc("/fetch", handleFetch)
	http.HandleFunc("/form", handleForm)
	http.ListenAndServe(":8080", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/form" "/form" -- FormValue reads the Body, tally, whose Read writes reads
// (handleFetch's counted wraps its own response's body: no one else reads it.)
