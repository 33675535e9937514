// A method promoted from an embedded interface: stub wraps a Message, as
// a test double wraps the real thing, and (*stub).ID is a wrapper the
// compiler writes, with no package of its own. Its call through the
// embedded interface reaches the implementers like any interface call of
// the workspace; taken for a call into unknown code it wrote everything
// its receiver may reach, and handleList, which only reads the messages,
// raced with handleBox on a box no message holds. handleSeen writes the
// id handleList reads: that pair is real.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type Message interface {
	ID() int
}

type msg struct{ id int }

func (m *msg) ID() int { return m.id }

// stub wraps a Message; ID is promoted from the embedded interface.
type stub struct {
	Message
	seen bool
}

type box struct{ n int }

type conn struct{ n int }

var (
	store []Message
	other *box
)

func handleList(l *loop.Loop, c *conn) {
	for _, m := range store {
		c.n += m.ID()
	}
}

func handleBox(l *loop.Loop, c *conn) { other.n++ }

func handleSeen(l *loop.Loop, c *conn) {
	if m, ok := store[0].(*msg); ok {
		m.id++
	}
}

func main() {
	store = append(store, &msg{}, &stub{Message: &msg{}})
	other = &box{}
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{}
		loop.Post(l, handleList, c)
		loop.Post(l, handleBox, c)
		loop.Post(l, handleSeen, c)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races on one context: "handleList" "handleList" -- both write c.n
// races: "handleBox" "handleBox" -- both write other.n
// races: "handleSeen" "handleSeen" -- both write store[0]'s id
// races: "handleSeen" "handleList" -- handleSeen writes the id handleList reads
