// An evio server: its callbacks are fields of Events.
package main

import "github.com/tidwall/evio"

var opened, bytes int

func main() {
	var events evio.Events
	events.Opened = func(c evio.Conn) (out []byte, opts evio.Options, action evio.Action) {
		opened++ // want "Events.Opened writes opened"
		return
	}
	events.Data = func(c evio.Conn, in []byte) (out []byte, action evio.Action) {
		bytes += len(in) // want "Events.Data writes bytes"
		return in, evio.None
	}
	evio.Serve(events, "tcp://127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: none -- events.NumLoops is 0, so evio runs every event on one loop
