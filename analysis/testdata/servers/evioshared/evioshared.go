// An evio server that hands every connection the same state (one global
// tally, where evioctx makes a session per connection): what Data reaches
// through c.Context() is then every connection's, and two connections'
// Data events, on two loops (NumLoops -1), write it at once.
package main

import "github.com/tidwall/evio"

type counts struct{ in int }

var tally = &counts{}

func main() {
	var events evio.Events
	events.NumLoops = -1
	events.Opened = func(c evio.Conn) (out []byte, opts evio.Options, action evio.Action) {
		c.SetContext(tally)
		tally.in = 0
		return
	}
	events.Data = func(c evio.Conn, in []byte) (out []byte, action evio.Action) {
		c.Context().(*counts).in += len(in)
		return nil, evio.None
	}
	evio.Serve(events, "tcp://127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "Events.Opened" "Events.Opened" -- both write tally.in
// races: "Events.Data" "Events.Data" -- every connection's context is tally; Data writes tally.in
// races: "Events.Opened" "Events.Data" -- Opened resets tally.in of a new connection while Data of another writes it
