// Pointers taken out of struct and array values that calls return (or
// that an interface holds): they point to shared memory here, the feed
// set writes. Each access through them was lost: a call's summary keeps
// what returned pointers point to, not what returned values hold.
package main

import "net/http"

type Feed struct{ T int }

var pub = &Feed{}

type pair struct{ f *Feed }

func get() pair     { return pair{f: pub} }
func arr() [1]*Feed { return [1]*Feed{pub} }
func box() any      { return pair{f: pub} }

func fromStruct(w http.ResponseWriter, r *http.Request) {
	get().f.T++ // want "writes \\(\\*main.pair\\).f.T;"
}

func fromArray(w http.ResponseWriter, r *http.Request) {
	for _, f := range arr() {
		f.T++ // want "writes .*\\.T;"
	}
}

func fromBox(w http.ResponseWriter, r *http.Request) {
	_ = box().(pair).f.T // want "reads \\(\\*main.pair\\).f.T;"
}

func set(w http.ResponseWriter, r *http.Request) { pub.T = 9 } // want "writes pub.T;"

func main() {
	http.HandleFunc("/set", set)
	http.HandleFunc("/struct", fromStruct)
	http.HandleFunc("/array", fromArray)
	http.HandleFunc("/box", fromBox)
	http.ListenAndServe(":8080", nil)
}
