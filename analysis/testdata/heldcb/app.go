// A library that calls back the values it holds (flag's Values, which
// its package functions reach through the command line's set), one of
// which publishes its receiver: a handler parsing flags again reaches the
// list through the callback, and two such handlers race on it.
package main

import (
	"flag"
	"net/http"
)

type list []string

var last *list

func (l *list) String() string { return "" }

func (l *list) Set(s string) error {
	last = l           // want "/parse writes last via \\(\\*list\\).Set"
	*l = append(*l, s) // want "/parse writes \\(\\*main.list\\)\\[i\\] via \\(\\*list\\).Set"
	return nil
}

var names list

func parse(w http.ResponseWriter, r *http.Request) {
	flag.CommandLine.Parse([]string{"-name", r.URL.Query().Get("name")}) // want "/parse calls \\(\\*list\\).Set" "/parse writes \\(\\*\\[\\]string\\)" "/parse writes CommandLine"
}

func main() {
	flag.Var(&names, "name", "names")
	flag.Parse()
	http.HandleFunc("/parse", parse)
	http.ListenAndServe("127.0.0.1:0", nil)
}
