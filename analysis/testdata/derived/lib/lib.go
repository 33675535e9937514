// Package lib is library code outside the workspace of its importer: read
// from export data there, and its models derived from this source.
package lib

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
type Box struct{ items []*Item }

// Put keeps its argument in the box.
func (b *Box) Put(it *Item) { b.items = append(b.items, it) }

// Len reads the box.
func (b *Box) Len() int { return len(b.items) }
