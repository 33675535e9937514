// Truncated destinations (issue 13): a path is cut where it would
// dereference into a type it already passed through (a node below a
// node), and the cut loc stands for all that lies below it. A pointer
// stored through a cut path may land in any slot below the cut, and one
// stored where no path is cut may be read back through a cut one: either
// way a connection kept deep in shared memory is reached by other
// handlers, and their conflicts on it are global. Memory a connection
// keeps deep in its own list, and shared memory that never holds a
// connection, stay as they are.
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

type node struct {
	next *node
	conn *conn
}

type item struct {
	next *item
	peer *conn
}

type entry struct {
	next *entry
	stat *stat
}

type stat struct{ hits int }

type box struct{ x int }

type mine struct {
	next *mine
	box  *box
}

type conn struct {
	n    int
	own  *mine
	last int
}

var (
	head, second *node  // head.next is second
	items, tail  *item  // items.next is tail
	entries      *entry // two entries, each with its stat
)

// handleJoin keeps its connection in the node below head: the store's
// destination is cut at head.next, and lands in second.conn.
func handleJoin(l *loop.Loop, c *conn) {
	head.next.conn = c // want "handleJoin reads head\\.next;" "handleJoin writes head\\.next\\.\\.\\.;" "handleJoin writes \\(\\*main\\.node\\)\\.\\.\\.;" "handleJoin writes \\(\\*main\\.conn\\)\\.\\.\\.;"
}

// handlePoke reaches that connection from another root, with no cut.
func handlePoke(l *loop.Loop, c *conn) {
	if x := second.conn; x != nil { // want "handlePoke reads second\\.conn;"
		x.n++ // want "handlePoke writes second\\.conn\\.n; .*handleJoin writes \\(\\*main\\.conn\\)\\.\\.\\."
	}
}

// handleCount is the connection's own work on its counter.
func handleCount(l *loop.Loop, c *conn) {
	c.n++ // want "handleCount writes c\\.n; .*on the same context, handleJoin writes \\(\\*main\\.conn\\)\\.\\.\\. .*, handleScan reads and writes \\(\\*main\\.conn\\)\\.\\.\\."
}

// handleHold keeps its connection where no path is cut...
func handleHold(l *loop.Loop, c *conn) {
	tail.peer = c // want "handleHold writes tail\\.peer; .*handleScan"
}

// ...and handleScan reads it back through a cut one.
func handleScan(l *loop.Loop, c *conn) {
	if p := items.next.peer; p != nil { // want "handleScan reads items\\.next;" "handleScan reads items\\.next\\.\\.\\.;" "handleScan reads \\(\\*main\\.item\\)\\.\\.\\.;" "handleScan reads \\(\\*main\\.conn\\)\\.\\.\\.; handleJoin writes it"
		p.n++ // want "handleScan writes items\\.next\\.\\.\\.;" "handleScan writes \\(\\*main\\.item\\)\\.\\.\\.;" "handleScan writes \\(\\*main\\.conn\\)\\.\\.\\.; handleJoin writes it"
	}
}

// handleStat writes shared memory that never holds a connection, through
// a cut path: a conflict with itself (on the entries and stats allocated
// in main, below the cut), none with a connection's counter.
func handleStat(l *loop.Loop, c *conn) {
	entries.next.stat.hits++ // want "handleStat reads entries\\.next; handleStat \\(another invocation\\) writes entries\\.next\\.\\.\\. \\(truncated\\.go:\\d+\\), handleStat \\(another invocation\\) writes \\(\\*main\\.entry\\)\\.\\.\\. \\(truncated\\.go:\\d+\\) \\(x\\.\\.\\.: x and all it reaches\\)$" "handleStat writes entries\\.next\\.\\.\\.; (handleStat \\(another invocation\\) [^,]*, )*handleStat \\(another invocation\\) [^,]* \\(x\\.\\.\\.: x and all it reaches\\)$" "handleStat writes \\(\\*main\\.entry\\)\\.\\.\\.; (handleStat \\(another invocation\\) [^,]*, )*handleStat \\(another invocation\\) [^,]* \\(x\\.\\.\\.: x and all it reaches\\)$" "handleStat writes \\(\\*main\\.stat\\)\\.\\.\\.; (handleStat \\(another invocation\\) [^,]*, )*handleStat \\(another invocation\\) [^,]* \\(x\\.\\.\\.: x and all it reaches\\)$"
}

// handleOwn keeps a box allocated for its connection deep in the
// connection's own list: it stays the connection's.
func handleOwn(l *loop.Loop, c *conn) {
	c.own.next.box = &box{} // want "handleOwn reads c\\.own; handleJoin writes \\(\\*main\\.conn\\)\\.\\.\\." "handleOwn reads c\\.own\\.next; (handleOwn \\(another invocation\\) writes c\\.own\\.next\\.\\.\\. \\(truncated\\.go:\\d+\\) on the same context, ){2}handleJoin" "handleOwn writes c\\.own\\.next\\.\\.\\.; (handleOwn \\(another invocation\\) [a-z ]+ c\\.own\\.next(\\.\\.\\.)? \\(truncated\\.go:\\d+\\) on the same context, )+"
	c.own.next.box.x++      // want "handleOwn reads c\\.own; handleJoin writes \\(\\*main\\.conn\\)\\.\\.\\." "handleOwn reads c\\.own\\.next; (handleOwn \\(another invocation\\) writes c\\.own\\.next\\.\\.\\. \\(truncated\\.go:\\d+\\) on the same context, ){2}handleJoin" "handleOwn writes c\\.own\\.next\\.\\.\\.; (handleOwn \\(another invocation\\) [a-z ]+ c\\.own\\.next(\\.\\.\\.)? \\(truncated\\.go:\\d+\\) on the same context, )+"
}

func main() {
	second = &node{}
	head = &node{next: second}
	tail = &item{}
	items = &item{next: tail}
	entries = &entry{stat: &stat{}, next: &entry{stat: &stat{}}}
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{own: &mine{next: &mine{}}}
		loop.Post(l, handleJoin, c)
		loop.Post(l, handlePoke, c)
		loop.Post(l, handleCount, c)
		loop.Post(l, handleHold, c)
		loop.Post(l, handleScan, c)
		loop.Post(l, handleStat, c)
		loop.Post(l, handleOwn, c)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleJoin" "handleJoin" -- both write second.conn
// races: "handleJoin" "handlePoke" -- handleJoin writes second.conn, handlePoke reads it
// races: "handlePoke" "handlePoke" -- both write n of the joined connection
// races: "handlePoke" "handleCount" -- handleCount's connection may be the joined one, whose n handlePoke writes
// races: "handlePoke" "handleScan" -- one connection may be both joined and held: both write its n
// races on one context: "handleCount" "handleCount" -- both write c.n
// races: "handleCount" "handleScan" -- handleCount's connection may be the held one, whose n handleScan writes
// races: "handleHold" "handleHold" -- both write tail.peer
// races: "handleHold" "handleScan" -- handleHold writes tail.peer, handleScan reads it as items.next.peer
// races: "handleScan" "handleScan" -- both write n of the held connection
// races: "handleStat" "handleStat" -- both write hits of the second entry's stat
// races on one context: "handleOwn" "handleOwn" -- both write the connection's own list and box
// (handleJoin writes a node's conn, no connection's memory; handleOwn's
// list and box are no one else's.)
