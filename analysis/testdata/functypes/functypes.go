// Two function types with the same method: HandlerFunc for the routes of
// requests and AdminFunc for those of the admin API. Each implements both
// Handler and AdminHandler, but only HandlerFunc values are ever made
// into a Handler, so handleRequest's h.Serve never runs an admin handler,
// and it does not race with handleReset on admins. (By the class
// hierarchy alone it ran every AdminFunc's Serve too.)
package main

import "github.com/safels/safels/loop"

type conn struct{ n int }

type Handler interface{ Serve(c *conn) error }

type AdminHandler interface{ Serve(c *conn) error }

type HandlerFunc func(c *conn) error

func (f HandlerFunc) Serve(c *conn) error { return f(c) }

type AdminFunc func(c *conn) error

func (f AdminFunc) Serve(c *conn) error { return f(c) }

var (
	admins  int
	routes  = []Handler{HandlerFunc(serveFile)}
	adminRt = []AdminHandler{AdminFunc(adminLoad)}
)

func serveFile(c *conn) error { c.n++; return nil } // want "c.n"

func adminLoad(c *conn) error { admins++; return nil } // want "admins"

func handleRequest(l *loop.Loop, c *conn) {
	for _, h := range routes {
		h.Serve(c) // want "Serve"
	}
}

func handleAdmin(l *loop.Loop, c *conn) {
	for _, h := range adminRt {
		h.Serve(c) // want "Serve"
	}
}

func handleReset(l *loop.Loop, c *conn) {
	admins = 0 // want "admins"
}

func main() {
	l := loop.New()
	c := &conn{}
	loop.Post(l, handleRequest, c)
	loop.Post(l, handleAdmin, c)
	loop.Post(l, handleReset, c)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races on one context: "handleRequest" "handleRequest" -- serveFile writes c.n
// races among: "handleAdmin" "handleReset" -- both write admins
