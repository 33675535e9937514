// Peers (issue 13): main links two connections; what a handler writes
// through c.peer is the other connection's memory, and a fresh buffer
// each connection owns stays its own.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type conn struct {
	peer *conn
	out  int
	buf  []byte
}

func handlePeer(l *loop.Loop, c *conn) {
	if c.peer != nil { // want "handlePeer reads c\\.peer"
		c.peer.out++ // want "handlePeer reads c\\.peer" "handlePeer writes \\(\\*main\\.conn\\)\\.\\.\\." "handlePeer writes c\\.peer\\.\\.\\."
	}
}

func handleOut(l *loop.Loop, c *conn) {
	c.out = 0 // want "handleOut writes c\\.out; .*handlePeer reads and writes \\(\\*main\\.conn\\)"
}

func handleBuf(l *loop.Loop, c *conn) {
	c.buf[0]++ // want "handleBuf writes c\\.buf\\[i\\]"
}

func main() {
	a := &conn{buf: make([]byte, 8)}
	b := &conn{buf: make([]byte, 8)}
	a.peer, b.peer = b, a
	l := loop.New()
	for _, c := range []*conn{a, b} {
		loop.Post(l, handlePeer, c)
		loop.Post(l, handleOut, c)
		loop.Post(l, handleBuf, c)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races on one context: "handlePeer" "handlePeer" -- both write c.peer.out (on a, b's out; on b, a's)
// races: "handlePeer" "handleOut" -- handlePeer on a writes b.out, handleOut on b writes it
// races on one context: "handleOut" "handleOut" -- both write c.out
// races on one context: "handleBuf" "handleBuf" -- both write c.buf's elements
// (handlePeer writes the peer's out, not its buffer.)
