// A library call's results are each new memory of their own: url.Parse's
// URL and its error (package parse). handleParse publishes the URL in
// last and then writes its Host, which handleRead reads: the conflict
// names the URL's field, in a run that reuses parse's summary as in one
// that does not.
package main

import (
	"net/http"

	"example.com/freshresult/parse"
)

var last = parse.Must("http://localhost")

func handleParse(w http.ResponseWriter, r *http.Request) {
	if u, err := parse.Parse(r.URL.Query().Get("u")); err == nil {
		last = u
		u.Host = "example.com"
	}
}

func handleRead(w http.ResponseWriter, r *http.Request) {
	if u := last; u != nil {
		w.Write([]byte(u.Host))
	}
}

func main() {
	http.HandleFunc("/parse", handleParse)
	http.HandleFunc("/read", handleRead)
	http.ListenAndServe(":8080", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/parse" "/parse" -- both write last, and the Host of the URL they publish
// races: "/parse" "/read" -- handleParse writes last and the published URL's Host, handleRead reads them
