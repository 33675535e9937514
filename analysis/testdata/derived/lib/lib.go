// Package lib is library code outside the workspace of its importer: read
// from export data there, and its models derived from this source.
package lib

import "io"

// Item is what the workspace hands to the library.
type Item struct{ N int }

var registry []*Item

// Register keeps its argument in a package variable.
func Register(it *Item) { registry = append(registry, it) }

// Peek only reads.
func Peek(it *Item) int { return it.N }

// Bump writes what it is given.
func Bump(it *Item) { it.N++ }

// New returns memory it made.
func New(n int) *Item { return &Item{N: n} }

// Each calls what it is given: beyond the derivation.
func Each(it *Item, f func(*Item)) { f(it) }

// Conf is read by Name only.
type Conf struct{ name string }

// Name reads the configuration.
func (c *Conf) Name() string { return c.name }

// Box keeps items.
type Box struct {
	items []*Item
	nodes []*node
}

// Put keeps its argument in the box.
func (b *Box) Put(it *Item) { b.items = append(b.items, it) }

// Len reads the box.
func (b *Box) Len() int { return len(b.items) }

// Writer makes parts that point back to it and keeps the last one, as
// mime/multipart's Writer does: a part and its writer reach each other,
// and nothing else.
type Writer struct {
	last *part
	n    int
}

type part struct {
	w *Writer
	n int
}

// Write counts into the part and its writer.
func (p *part) Write(b []byte) (int, error) { p.n += len(b); p.w.n += len(b); return len(b), nil }

// NewWriter returns a new writer.
func NewWriter() *Writer { return &Writer{} }

// CreatePart makes a new part of w, kept in w: it keeps w only in w's own
// memory. The part is an io.Writer, as multipart's are.
func (w *Writer) CreatePart() io.Writer {
	p := &part{w: w}
	w.last = p
	return p
}

// node holds an item for Attach and Hold.
type node struct{ it *Item }

// Attach keeps the item in a new node stored in the box: in the box's
// memory, another parameter's.
func Attach(b *Box, it *Item) { b.nodes = append(b.nodes, &node{it: it}) }

// Hold keeps the item in a new node stored in its receiver.
func (b *Box) Hold(it *Item) { b.nodes = append(b.nodes, &node{it: it}) }
