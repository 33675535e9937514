// A redcon server in the style of its README: a command mux, and the
// accept and closed callbacks.
package main

import (
	"sync"

	"github.com/tidwall/redcon"
)

var (
	mu    sync.RWMutex
	items = map[string]string{}
	conns int
)

func main() {
	m := redcon.NewServeMux()
	m.HandleFunc("set", func(conn redcon.Conn, cmd redcon.Command) {
		mu.Lock()
		items[string(cmd.Args[1])] = string(cmd.Args[2])
		mu.Unlock()
		conn.WriteString("OK")
	})
	m.HandleFunc("get", func(conn redcon.Conn, cmd redcon.Command) {
		mu.RLock()
		v := items[string(cmd.Args[1])]
		mu.RUnlock()
		conn.WriteBulkString(v)
	})
	redcon.ListenAndServe("127.0.0.1:0", m.ServeRESP,
		func(conn redcon.Conn) bool { conns++; return true }, // want "ListenAndServe accept writes conns"
		func(conn redcon.Conn, err error) { conns-- },        // want "ListenAndServe closed writes conns"
	)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "ListenAndServe accept" "ListenAndServe closed" -- both write conns; redcon calls accept from its accept loop without its lock, closed under it
// (Not accept with itself: redcon calls it from its one accept loop. Not
// closed with itself: redcon calls it holding its server's mutex. set and
// get hold mu.)
