// Closures a helper returns with the memory they write, and memory
// handed over a channel. A handler that calls its own closure, directly
// or deferred through a variable, keeps that memory its own; a closure or
// an object sent to another handler, plainly or in a select, shares what
// it reaches with the handler that receives it.
package main

import (
	"fmt"
	"net/http"
)

type acc struct{ n int }

var (
	dones = make(chan func(), 8)
	accs  = make(chan *acc, 8)
)

// counter returns a fresh acc and the closure that counts in it.
func counter() (*acc, func()) {
	a := &acc{}
	return a, func() { a.n++ } // want "counter\\.a\\.n"
}

// counted calls its own closure: nothing shared.
func counted(w http.ResponseWriter, r *http.Request) {
	a, done := counter()
	defer done()
	fmt.Fprint(w, a.n)
}

// pooled releases through a variable a deferred closure calls, as a
// pooled writer's cancel is: nothing shared.
func pooled(w http.ResponseWriter, r *http.Request) {
	cancel := func() {}
	defer func() { cancel() }()
	var a *acc
	a, cancel = counter()
	fmt.Fprint(w, a.n)
}

// handOver sends its closure to another handler, in a select, and reads
// after.
func handOver(w http.ResponseWriter, r *http.Request) {
	a, done := counter()
	select {
	case dones <- done:
	default:
	}
	fmt.Fprint(w, a.n) // want "a\\.n|acc\\)\\.n"
}

// runOther calls a closure another handler made.
func runOther(w http.ResponseWriter, r *http.Request) {
	select {
	case f := <-dones:
		f() // want "counter\\$1"
	default:
	}
}

// sendAcc hands an object over a channel and reads it after.
func sendAcc(w http.ResponseWriter, r *http.Request) {
	x := &acc{}
	accs <- x
	fmt.Fprint(w, x.n) // want "acc\\)\\.n"
}

// recvAcc writes what it received.
func recvAcc(w http.ResponseWriter, r *http.Request) {
	x := <-accs
	x.n++ // want "accs"
}

func main() {
	http.HandleFunc("/counted", counted)
	http.HandleFunc("/pooled", pooled)
	http.HandleFunc("/handover", handOver)
	http.HandleFunc("/runother", runOther)
	http.HandleFunc("/send", sendAcc)
	http.HandleFunc("/recv", recvAcc)
	http.ListenAndServe(":8080", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/handover" "/runother" -- runOther runs the closure handOver sent, writing the acc handOver reads
// races: "/send" "/recv" -- recvAcc writes the acc sendAcc reads after sending it
// (Each closure and each acc is received once: two runOther or two recvAcc
// never touch the same acc.)
