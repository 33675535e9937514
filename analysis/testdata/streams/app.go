// A handler decoding a request into a value of its own, beside a type
// whose UnmarshalJSON the program uses elsewhere: encoding/json walks what
// it is handed as any, not the stream it reads from, and an error it
// returns is the library's, formatted without calling back the workspace.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// dict is loaded at start; its UnmarshalJSON counts the loads.
type dict map[string]string

var (
	names dict
	loads int
)

func (d *dict) UnmarshalJSON(b []byte) error {
	loads++                                           // want "/reload writes loads via \\(\\*dict\\).UnmarshalJSON; /reload \\(another invocation\\) reads and writes it"
	return json.Unmarshal(b, (*map[string]string)(d)) // want "/reload writes names\\.\\.\\. via \\(\\*dict\\).UnmarshalJSON"
}

type order struct{ N int }

// create decodes into an order of its own: no finding.
func create(w http.ResponseWriter, r *http.Request) {
	var in order
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, in.N)
}

// reload decodes into the shared dict: its UnmarshalJSON runs, and two
// reloads race on loads and on the map.
func reload(w http.ResponseWriter, r *http.Request) {
	json.NewDecoder(r.Body).Decode(&names) // want "/reload calls \\(\\*dict\\).UnmarshalJSON" "/reload writes names\\.\\.\\."
}

func main() {
	json.Unmarshal([]byte(`{}`), &names)
	http.HandleFunc("/create", create)
	http.HandleFunc("/reload", reload)
	http.ListenAndServe("127.0.0.1:0", nil)
}
