// The server: show formats a value of unknown type, so fmt may call the
// String of any type of this program made into an interface: tag's,
// which writes state.Tags, but not the client's flag's.
package main

import (
	"fmt"
	"net/http"

	"example.com/programs/state"
)

type tag struct{}

func (tag) String() string { state.Tags++; return "tag" }

func show(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, r.Context().Value("k"))
}

func hits(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200 + state.Hits%2) }

func tags(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200 + state.Tags%2) }

func main() {
	fmt.Println(tag{})
	http.HandleFunc("/show", show)
	http.HandleFunc("/hits", hits)
	http.HandleFunc("/tags", tags)
	http.ListenAndServe(":8080", nil)
}
