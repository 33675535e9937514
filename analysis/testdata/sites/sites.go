// A handler that reaches one function from several of its calls: each
// call is a place to defer, and each is named, up to a bound.
package main

import "github.com/safels/safels/loop"

type conn struct{ id int }

var served int

func record() { served++ } // want "handleBatch writes served via record"

func audit(n int) {
	for i := 0; i < n; i++ {
		record()
	}
}

func handleBatch(l *loop.Loop, c *conn) {
	record() // want "handleBatch calls record, which writes served"
	audit(2) // want "handleBatch calls audit, which writes served"
	record() // want "handleBatch calls record, which writes served"
}

func handleStats(l *loop.Loop, c *conn) {
	_ = served // want "handleStats reads served"
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleBatch, c)
	loop.Post(l, handleStats, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleBatch" "handleBatch" -- record writes served
// races: "handleBatch" "handleStats" -- record writes served, handleStats reads it
