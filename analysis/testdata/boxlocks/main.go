// Locks in objects found at run time: each box has its own mutex, and the
// box a handler gets is some box of a table (no one mutex by its loc).
// The mutex guards the fields of its own object whoever reaches it, when
// the lock and the access go through one pointer: in one function (the
// pool's methods, reached through a global pointer), or in a function
// that locks the box and hands that very pointer to a callback that
// accesses it (withBox, as a store locks a mailbox and calls f(mb)). Not
// when the callback is handed another pointer than the one locked, nor
// for a write under a read lock.
package main

import (
	"context"
	"sync"

	"github.com/safels/safels/loop"
)

type box struct {
	sync.RWMutex
	last  int
	first int
	seen  bool
}

type pool struct {
	sync.Mutex
	taken, free int
}

type host struct{ pool pool }

type conn struct{ n int }

var (
	spare box // boxes[0]
	boxes [4]*box
	h     = &host{}
)

// withBox locks the box for writing and hands it to f.
func withBox(c *conn, f func(b *box)) {
	b := boxes[c.n&3]
	b.Lock()
	defer b.Unlock()
	f(b)
}

// withRead locks the box for reading and hands it to f.
func withRead(c *conn, f func(b *box)) {
	b := boxes[c.n&3]
	b.RLock()
	f(b)
	b.RUnlock()
}

// peek locks the box for reading and hands it to f.
func peek(c *conn, f func(b *box)) {
	b := boxes[c.n&3]
	b.RLock()
	defer b.RUnlock()
	f(b)
}

// withMode locks the box for writing or for reading, as its caller asks,
// and hands it to f.
func withMode(c *conn, write bool, f func(b *box)) {
	b := boxes[c.n&3]
	if write {
		b.Lock()
	} else {
		b.RLock()
	}
	defer func() {
		if write {
			b.Unlock()
		} else {
			b.RUnlock()
		}
	}()
	f(b)
}

// withPeer locks one box and hands f the next one.
func withPeer(c *conn, f func(b *box)) {
	b := boxes[c.n&3]
	b.Lock()
	defer b.Unlock()
	f(boxes[(c.n+1)&3])
}

// get takes a state from the pool under the pool's own lock.
func (p *pool) get() {
	p.Lock()
	defer p.Unlock()
	p.taken++
	p.free--
}

func (p *pool) put() {
	p.Lock()
	p.taken--
	p.free++
	p.Unlock()
}

// Guarded: the box's field, under its write lock, in the callback.
func handleAdd(l *loop.Loop, c *conn) {
	withBox(c, func(b *box) { // want "handleAdd calls withBox, which writes boxes\\[i\\]\\.last; boxes\\[i\\]\\.last: handlePeer writes it \\(main\\.go:\\d+\\), handleSpare"
		b.last++ // want "handleAdd writes boxes\\[i\\]\\.last via withBox → handleAdd\\$1; handlePeer reads and writes it \\(main\\.go:\\d+\\), handleSpare"
	})
}

// Guarded: read under the box's read lock.
func handleLast(l *loop.Loop, c *conn) {
	n := 0
	withRead(c, func(b *box) { // want "handleLast calls withRead, which reads boxes\\[i\\]\\.last; boxes\\[i\\]\\.last: handlePeer writes it \\(main\\.go:\\d+\\), handleSpare"
		n = b.last // want "handleLast reads boxes\\[i\\]\\.last via withRead → handleLast\\$1; handlePeer writes it \\(main\\.go:\\d+\\), handleSpare"
	})
	_ = n
}

// Guarded: the box's field, under the write lock its caller asked for
// (withMode's callbacks are all run under the mode each caller asks, so a
// caller asking for a read lock would see the others' writes under it).
func handleFirst(l *loop.Loop, c *conn) {
	withMode(c, true, func(b *box) {
		b.first++
	})
}

// Guarded: the same, through a caller that passes its own parameter on.
func handleReset(l *loop.Loop, c *conn) {
	reset(c, true)
}

func reset(c *conn, write bool) {
	withMode(c, write, func(b *box) {
		b.first = 0
	})
}

// Not guarded: a write under a read lock.
func handleMark(l *loop.Loop, c *conn) {
	peek(c, func(b *box) { // want "handleMark calls peek, which writes boxes\\[i\\]\\.seen; boxes\\[i\\]\\.seen: handleMark \\(another invocation\\) writes it"
		b.seen = true // want "handleMark writes boxes\\[i\\]\\.seen via peek → handleMark\\$1; handleMark \\(another invocation\\) writes it .*, handleBoth writes it"
	})
}

// Not guarded: the next box, its lock not held.
func handlePeer(l *loop.Loop, c *conn) {
	withPeer(c, func(b *box) { // want "handlePeer calls withPeer, which writes boxes\\[i\\]\\.last; boxes\\[i\\]\\.last: handleAdd writes it .*, handlePeer \\(another invocation\\) writes it"
		b.last++ // want "handlePeer writes boxes\\[i\\]\\.last via withPeer → handlePeer\\$1; handleAdd reads and writes it .*, handleLast reads it .*, handlePeer \\(another invocation\\) reads and writes it"
	})
}

// Not guarded: the box written is locked for reading only, the box
// locked for writing is another.
func handleBoth(l *loop.Loop, c *conn) {
	a := boxes[c.n&3]
	a.Lock()
	touch(boxes[(c.n+1)&3]) // want "handleBoth calls touch, which writes boxes\\[i\\]\\.seen; boxes\\[i\\]\\.seen: handleMark writes it .*, handleBoth \\(another invocation\\) writes it"
	a.Unlock()
}

// touch writes a box's seen under the box's read lock.
func touch(b *box) {
	b.RLock()
	b.seen = true // want "handleBoth writes boxes\\[i\\]\\.seen via touch; handleMark writes it .*, handleBoth \\(another invocation\\) writes it"
	b.RUnlock()
}

// Not guarded: the box is unlocked by another name (spare is boxes[0])
// before the write.
func handleSpare(l *loop.Loop, c *conn) {
	b := boxes[c.n&3]
	b.Lock()
	spare.Unlock()
	b.last++ // want "handleSpare writes boxes\\[i\\]\\.last; handleAdd reads and writes it"
}

// Guarded: the pool's fields, under the pool's own lock.
func handlePool(l *loop.Loop, c *conn) {
	h.pool.get()
	h.pool.put()
}

func main() {
	for i := range boxes {
		boxes[i] = &box{}
	}
	boxes[0] = &spare
	l := loop.New()
	for i := 0; i < 4; i++ {
		c := &conn{n: i}
		loop.Post(l, handleAdd, c)
		loop.Post(l, handleLast, c)
		loop.Post(l, handleMark, c)
		loop.Post(l, handlePeer, c)
		loop.Post(l, handlePool, c)
		loop.Post(l, handleBoth, c)
		loop.Post(l, handleSpare, c)
		loop.Post(l, handleFirst, c)
		loop.Post(l, handleReset, c)
	}
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleMark" "handleMark" -- both write a box's seen under its read lock
// races: "handlePeer" "handlePeer" -- each writes the next box's last under its own box's lock
// races: "handlePeer" "handleAdd" -- handlePeer writes box i+1's last under box i's lock, handleAdd under box i+1's
// races: "handleBoth" "handleBoth" -- both write box i+1's seen under its read lock
// races: "handleBoth" "handleMark" -- both write a box's seen under its read lock
// races: "handleSpare" "handleSpare" -- both write boxes[0].last after unlocking it
// races: "handleSpare" "handleAdd" -- handleSpare writes boxes[0].last after unlocking it
// races: "handleSpare" "handleLast" -- handleSpare writes boxes[0].last after unlocking it
// races: "handleSpare" "handlePeer" -- handleSpare writes boxes[0].last after unlocking it
// races: "handlePeer" "handleLast" -- handlePeer writes box i+1's last under box i's lock, handleLast reads it under box i+1's
