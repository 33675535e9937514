// Command slides is the example of the paper's slides ("Static Program
// Analysis"): two handlers that conflict on a global counter whatever
// their contexts, and through the context's state when invoked on the same
// one. Its conflict matrix, two bits per pair (bit 0: on a global, bit 1:
// through the context):
//
//	           handleSend  handleRead
//	handleSend     11          11
//	handleRead     11          10
//
// handleRead only reads globCtr, so two handleReads conflict only on the
// same context.
package main

import (
	"context"
	"fmt"

	"github.com/safels/safels/loop"
)

// state is where a context is.
type state int

const (
	idle state = iota
	send
	done
)

// ctxt is the context both handlers are invoked on.
type ctxt struct {
	state state
}

// globCtr is shared by every invocation.
var globCtr int

func handleSend(l *loop.Loop, c *ctxt) {
	globCtr++      // want "globCtr"
	c.state = done // want "state"
}

func handleRead(l *loop.Loop, c *ctxt) {
	if globCtr > 0 { // want "globCtr"
		c.state = send // want "state"
	}
}

// handleStop ends the run; it touches nothing, so it conflicts with nothing.
func handleStop(l *loop.Loop, _ struct{}) {
	l.Stop()
}

// run posts read, send, read on one context and returns its final state
// and the counter.
func run() (state, int) {
	globCtr = 0 // before the loop starts: initialization, not a handler write
	l := loop.New()
	c := &ctxt{}
	loop.Post(l, handleRead, c) // globCtr is 0: c stays idle
	loop.Post(l, handleSend, c)
	loop.Post(l, handleRead, c) // globCtr is 1: c is to send
	loop.Post(l, handleStop, struct{}{})
	l.Run(context.Background())
	return c.state, globCtr
}

func main() {
	s, n := run()
	fmt.Printf("state %s, globCtr %d\n", [...]string{"idle", "send", "done"}[s], n)
}
