// A server in the style of nats-server's client (server/client.go): the
// client has a method named Error, as the error interface's, but of
// another signature (Error(err error), which logs and closes the
// connection). Handlers format errors from elsewhere with fmt, which calls
// Error() string on what it is given and on what it reaches inside; it
// cannot call a client's Error(error), which is no error's method (nor
// its String(int), no fmt.Stringer's), so formatting an error does not
// race with a reader of a client's flags.
//
// What fmt does call back is still found: a type whose Error has the
// error interface's signature (failure), reached through an error from
// elsewhere, and one whose String is fmt.Stringer's (label), reached
// through a struct's any field that fmt walks; and a Value that is not
// context.Context's but driver.Valuer's (cents), an interface database/sql
// declares, which it calls on the arguments of Exec.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/safels/safels/loop"
)

type conn struct{ id int }

// client's Error closes the connection, as nats's does.
type client struct {
	flags int
	name  string
}

func (c *client) Error(err error) { c.closeConnection() }

func (c *client) String(verbose int) string { c.flags |= 2; return c.name }

func (c *client) closeConnection() { c.flags |= 1 }

var clients = []*client{{name: "a"}}

// failure is an error: its Error counts the times it was formatted.
type failure struct{ code int }

var formatted int

func (f *failure) Error() string { formatted++; return "failure" }

// label is a fmt.Stringer: its String counts the times it was printed.
type label struct{ s string }

var labelled int

func (l label) String() string { labelled++; return l.s }

// cents is a driver.Valuer: its Value counts the times it was stored.
type cents int

var valued int

func (c cents) Value() (driver.Value, error) { valued++; return int64(c), nil }

var db *sql.DB

// store hands a cents to database/sql, which calls its Value.
func store(l *loop.Loop, c *conn) { db.Exec("insert", cents(c.id)) }

var (
	lastErr error // set in main: an error from elsewhere
	current any   // set in main: a value from elsewhere
	msg     string
)

// holder is walked by fmt into its any field.
type holder struct {
	v   any
	err error
}

// report formats an error from elsewhere: fmt may call the Error of any
// error, not client's Error(error).
func report(l *loop.Loop, c *conn) { msg = fmt.Sprintf("%v", lastErr) }

// dump formats a struct whose fields fmt walks into values of any type.
func dump(l *loop.Loop, c *conn) { msg = fmt.Sprint(&holder{v: current, err: lastErr}) }

// connz reads the clients' flags.
func connz(l *loop.Loop, c *conn) {
	n := 0
	for _, cl := range clients {
		n += cl.flags
	}
	c.id = n
}

// stats reads the counters failure's Error and label's String write.
func stats(l *loop.Loop, c *conn) { c.id = formatted + labelled }

// valuez reads the counter cents' Value writes.
func valuez(l *loop.Loop, c *conn) { c.id = valued }

func main() {
	var boxed any = clients[0] // a client is made into an interface
	_ = boxed
	lastErr = errors.Join(&failure{code: 1})
	current = label{s: "x"}
	l := loop.New()
	c := &conn{}
	loop.Post(l, report, c)
	loop.Post(l, dump, c)
	loop.Post(l, connz, c)
	loop.Post(l, stats, c)
	loop.Post(l, store, c)
	loop.Post(l, valuez, c)
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "store" "store" -- Exec calls cents' Value, which writes valued
// races: "store" "valuez" -- cents' Value writes valued, valuez reads it
// races among: "report" "dump" -- both write msg
// races: "report" "stats" -- fmt calls (*failure).Error, which writes formatted
// races: "dump" "stats" -- fmt calls (*failure).Error and label's String, which write formatted and labelled
// races on one context: "store" "connz" -- store reads c.id, connz writes it
// races on one context: "store" "stats" -- store reads c.id, stats writes it
// races among on one context: "connz" "stats" "valuez" -- each writes c.id
