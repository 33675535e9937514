// Field sensitivity, index conflation, read/read, pointers passed to helpers.
package main

import "github.com/safels/safels/loop"

type counters struct {
	conns int
	users int
}

var stats counters
var table [16]int
var config = map[string]string{"root": "/srv"}
var statsPtr = &stats

type conn struct{ state int }

func bump(p *int) { *p++ } // want "stats.users" "stats.users"

func handleConn(l *loop.Loop, c *conn) {
	stats.conns++ // want "stats.conns" "stats.conns"
	table[1] = 1  // want "table\\[i\\]"
	_ = config["root"]
	c.state = 1 // want "c.state"
}

func handleUser(l *loop.Loop, c *conn) {
	bump(&stats.users) // want "stats.users"
	_ = table[2]       // want "table\\[i\\]"
	_ = config["root"]
}

func handlePtr(l *loop.Loop, c *conn) {
	_ = statsPtr.conns // want "statsPtr.conns"
}

func main() {
	l := loop.New()
	loop.Post(l, handleConn, &conn{})
	loop.Post(l, handleUser, &conn{})
	loop.Post(l, handlePtr, &conn{})
}
