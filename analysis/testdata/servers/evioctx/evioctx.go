// An evio server keeping per-connection state as evio's examples do:
// Opened makes a session and hands it to the connection (c.SetContext),
// Data and Closed take it back (c.Context()). evio runs one connection's
// events on one loop, in turn, so a session is only ever touched by one
// event at a time; with NumLoops -1 the events of different connections
// run at once, on loops of their own, and the counter Closed keeps races.
package main

import "github.com/tidwall/evio"

type session struct {
	in  int
	out []byte
}

var closed, received int

func main() {
	var events evio.Events
	events.NumLoops = -1
	events.Opened = func(c evio.Conn) (out []byte, opts evio.Options, action evio.Action) {
		c.SetContext(&session{})
		return
	}
	events.Data = func(c evio.Conn, in []byte) (out []byte, action evio.Action) {
		s := c.Context().(*session)
		s.in += len(in)
		s.out = append(s.out[:0], in...)
		return s.out, evio.None
	}
	events.Closed = func(c evio.Conn, err error) (action evio.Action) {
		if s, ok := c.Context().(*session); ok {
			received += s.in
		}
		closed++
		return
	}
	evio.Serve(events, "tcp://127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "Events.Closed" "Events.Closed" -- both write closed and received
// (Opened and Data touch only their connection's session, which no other
// connection's event reaches.)
