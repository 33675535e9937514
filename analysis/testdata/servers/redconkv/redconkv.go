// A redcon key-value server: commands copied out of the per-call
// redcon.Command (passed by value) before they are kept, a value receiver
// on a view of the store, the store under a RWMutex, replies written to
// the handler's own connection; and one counter kept without a lock.
package main

import (
	"strconv"
	"sync"

	"github.com/tidwall/redcon"
)

// view reads the map it holds; a value receiver is a copy of the view.
type view struct{ m map[string]string }

func (v view) get(k string) (string, bool) {
	s, ok := v.m[k]
	return s, ok
}

var (
	mu    sync.RWMutex
	store = map[string]string{}
	stats struct{ cmds int }
)

// strs copies the arguments of its copy of cmd.
func strs(cmd redcon.Command) []string {
	out := make([]string, len(cmd.Args))
	for i, a := range cmd.Args {
		out[i] = string(a)
	}
	return out
}

func set(conn redcon.Conn, cmd redcon.Command) {
	args := strs(cmd)
	if len(args) != 3 {
		conn.WriteError("ERR wrong number of arguments")
		return
	}
	mu.Lock()
	store[args[1]] = args[2]
	mu.Unlock()
	conn.WriteString("OK")
}

func get(conn redcon.Conn, cmd redcon.Command) {
	mu.RLock()
	v, ok := view{store}.get(string(cmd.Args[1]))
	mu.RUnlock()
	if !ok {
		conn.WriteNull()
		return
	}
	conn.WriteBulkString(v)
}

func del(conn redcon.Conn, cmd redcon.Command) {
	mu.Lock()
	delete(store, string(cmd.Args[1]))
	mu.Unlock()
	conn.WriteInt(1)
}

func echo(conn redcon.Conn, cmd redcon.Command) {
	conn.WriteBulk(cmd.Args[1])
}

func incr(conn redcon.Conn, cmd redcon.Command) {
	stats.cmds++
	conn.WriteInt(stats.cmds)
}

func info(conn redcon.Conn, cmd redcon.Command) {
	conn.WriteBulkString("cmds:" + strconv.Itoa(stats.cmds))
}

func main() {
	m := redcon.NewServeMux()
	m.HandleFunc("set", set)
	m.HandleFunc("get", get)
	m.HandleFunc("del", del)
	m.HandleFunc("echo", echo)
	m.HandleFunc("incr", incr)
	m.HandleFunc("info", info)
	redcon.ListenAndServe("127.0.0.1:0", m.ServeRESP, nil, nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "incr" "incr" -- both write stats.cmds without a lock
// races: "incr" "info" -- incr writes stats.cmds, info reads it
// (set, get and del hold mu; echo writes only its connection.)
