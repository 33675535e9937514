// Command pipeline is the paper's Figure 1: each request is processed by six
// handlers in a chain, each posting the next with the request as its
// context:
//
//	handleAccept → handleRead → handleParse → handleQuery → handleRespond → handleLog
//
// Only handleQuery (the in-memory database) and handleLog (the access log)
// touch shared state, so only they conflict across requests; the other
// stages conflict only on the same request and may run in parallel for
// different ones. Had the query and the response been one handler, response
// preparation would be serialized as well: the finer the stages, the more
// parallelism the analysis can prove safe.
//
// It is a simulation: requests are lines of text ("put key value", "get
// key") submitted by main rather than read from the network.
package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safels/safels/loop"
)

// entry is a database record.
type entry struct {
	value string
	hits  int // successful gets
}

// Shared state: written by handlers after the loop starts, so every access
// conflicts with the writes of other requests.
var (
	db        = map[string]entry{} // handleQuery's database
	accessLog []string             // handleLog's log, one line per request
)

// request is the context of every stage. Only its own stages touch it.
type request struct {
	id    int
	input string          // the request as received; set before posting
	reply chan<- *request // where handleLog hands the request back

	start    time.Time // set by handleAccept
	line     string    // set by handleRead
	op       string    // set by handleParse: "get" or "put"
	key      string
	value    string
	errMsg   string // set by handleParse for a request it cannot parse
	result   string // set by handleQuery
	found    bool
	hits     int
	response string // set by handleRespond
}

// handleAccept notes when the request arrived.
func handleAccept(l *loop.Loop, r *request) {
	r.start = time.Now() // want "start"
	loop.Post(l, handleRead, r)
}

// handleRead takes the request's text. (A server would read a socket here.)
func handleRead(l *loop.Loop, r *request) {
	r.line = strings.TrimSpace(r.input) // want "line"
	loop.Post(l, handleParse, r)
}

// handleParse splits the line into an operation and its arguments.
func handleParse(l *loop.Loop, r *request) {
	f := strings.Fields(r.line) // want "line"
	switch {
	case len(f) == 2 && f[0] == "get", len(f) == 3 && f[0] == "put":
		r.op, r.key = f[0], f[1] // want "op" "key"
		if r.op == "put" {       // want "op"
			r.value = f[2] // want "value"
		}
		loop.Post(l, handleQuery, r)
	default:
		r.errMsg = fmt.Sprintf("cannot parse %q", r.line) // want "errMsg" "line"
		loop.Post(l, handleRespond, r)
	}
}

// handleQuery reads and updates the database: the one stage besides
// handleLog that conflicts with itself across requests.
func handleQuery(l *loop.Loop, r *request) {
	switch r.op { // want "op"
	case "get":
		e, ok := db[r.key] // want "db\\[i\\]" "key"
		if ok {
			e.hits++
			db[r.key] = e // want "db\\[i\\]" "key"
		}
		r.result, r.found, r.hits = e.value, ok, e.hits // want "result" "found" "hits"
	case "put":
		e := db[r.key]                                    // want "db\\[i\\]" "key"
		e.value = r.value                                 // want "value"
		db[r.key] = e                                     // want "db\\[i\\]" "key"
		r.result, r.found, r.hits = e.value, true, e.hits // want "result" "found" "hits"
	}
	loop.Post(l, handleRespond, r)
}

// handleRespond formats the response. It touches only the request, so
// responses for different requests are prepared in parallel.
func handleRespond(l *loop.Loop, r *request) {
	switch {
	case r.errMsg != "": // want "errMsg"
		r.response = "error: " + r.errMsg // want "response" "errMsg"
	case !r.found: // want "found"
		r.response = "not found" // want "response"
	case r.op == "put": // want "op"
		r.response = "stored " + r.result // want "response" "result"
	default:
		r.response = fmt.Sprintf("%s (hit %d)", r.result, r.hits) // want "response" "result" "hits"
	}
	loop.Post(l, handleLog, r)
}

// handleLog appends to the access log, shared by all requests, and hands
// the request back.
func handleLog(l *loop.Loop, r *request) {
	line := fmt.Sprintf("#%d %q -> %q in %v", r.id, r.line, r.response, time.Since(r.start)) // want "line" "response" "start"
	accessLog = append(accessLog, line)                                                      // want "accessLog"
	r.reply <- r
}

// submit runs each input through the pipeline on l, which must be running,
// and returns the responses in input order.
func submit(l *loop.Loop, inputs []string) []string {
	replies := make(chan *request, len(inputs))
	for i, in := range inputs {
		loop.Post(l, handleAccept, &request{id: i, input: in, reply: replies})
	}
	out := make([]string, len(inputs))
	for range inputs {
		r := <-replies
		out[r.id] = r.response
	}
	return out
}

func main() {
	l := loop.New()
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	// Puts first and gets after, so the answers do not depend on how the
	// stages of different requests interleave.
	for _, batch := range [][]string{
		{"put a apple", "put b banana"},
		{"get a", "get b", "get a", "get c", "delete a"},
	} {
		for i, resp := range submit(l, batch) {
			fmt.Printf("%-14q %s\n", batch[i], resp)
		}
	}
	l.Stop()
	<-done
	// The loop has stopped: the log is ours to read.
	fmt.Println("\naccess log:")
	for _, line := range accessLog {
		fmt.Println(line)
	}
}
