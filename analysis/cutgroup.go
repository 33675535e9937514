package analysis

import (
	"iter"
	"math/bits"
	"slices"
)

// An access below a cut ("c.peer...") may reach any of the locs its cut's
// set holds (pollution.belowCut): on a large server thousands, the same
// for every access below that cut. Copied into each access, they made a
// server's half a million accesses into tens of millions of entries. So
// each set is paired once: the accesses that reach it with the same
// operation and locks form a group, each loc of the set is a signature
// that lists the groups reaching it, and a conflict on the loc is
// reported for every handler of those groups, witnessed by the access
// below the cut itself.

// groupCutsOver: a set of at most this many locs is still copied into
// each access, one published access per loc, so that each finding names
// what it reaches ("writes (*main.item)..."); larger ones are grouped. A
// test sets it to 0 and checks the matrix and conflicts do not change.
var groupCutsOver = 16

// cutGroup is the accesses that reach one cut set with the same
// operation, atomicity and locks (sigAttrs).
type cutGroup struct {
	set     *cutSet
	rep     *rawAccess // the first member: its op, atomicity and locks
	attrs   string
	entries []*Access     // its members' published accesses
	first   map[int]entry // each handler's first member
	hs      handlerSet
	// What its locs' conflicts found, given to every member at the end
	// (finish): up to maxPartners partners, how many in all, the locks
	// that kept conflicts away.
	partners  []Partner
	npartners int
	guards    []string
}

type groupKey struct {
	set   *cutSet
	attrs string
}

// cutGroups is every group, in the order first met.
type cutGroups struct {
	by      map[groupKey]*cutGroup
	list    []*cutGroup
	members int // entries added, for progress
}

// add puts e, whose access lies below the cut of set c, in its group;
// attrs are its sigAttrs.
func (cg *cutGroups) add(c *cutSet, e entry, attrs string) {
	k := groupKey{c, attrs}
	g := cg.by[k]
	if g == nil {
		if cg.by == nil {
			cg.by = map[groupKey]*cutGroup{}
		}
		g = &cutGroup{set: c, rep: e.raw, attrs: k.attrs, first: map[int]entry{}}
		cg.by[k] = g
		cg.list = append(cg.list, g)
	}
	g.entries = append(g.entries, e.pub)
	if _, ok := g.first[e.h]; !ok {
		g.first[e.h] = e
		g.hs.add(e.h)
	}
	cg.members++
}

// partnersFrom records that the group's locs conflict with sig from.
func (g *cutGroup) partnersFrom(from *sig, k Kind) {
	from.each(func(p *Access) bool {
		if len(g.partners) >= maxPartners {
			return false
		}
		g.partners = append(g.partners, Partner{Access: p, Kind: k})
		return true
	})
	g.npartners += from.count
}

// finish gives each member what its group found. Members whose lists
// were alike before (one signature's, givePartners) share the list they
// are alike after.
func (cg *cutGroups) finish() {
	type key struct {
		from *Partner // the list before, by its first element and length
		n    int
		g    *cutGroup
	}
	made := map[key][]Partner{}
	for _, g := range cg.list {
		for _, acc := range g.entries {
			before := acc.Partners
			if len(before) < maxPartners && len(g.partners) > 0 {
				k := key{n: len(before), g: g}
				if len(before) > 0 {
					k.from = &before[0]
				}
				after, ok := made[k]
				if !ok {
					after = slices.Clip(append(slices.Clip(before), g.partners[:min(len(g.partners), maxPartners-len(before))]...))
					made[k] = after
				}
				acc.Partners = after
			}
			acc.NPartners += g.npartners
			for _, name := range g.guards {
				acc.GuardedBy = appendOnce(slices.Clip(acc.GuardedBy), name)
			}
		}
	}
}

// sig is the accesses that decide conflicts alike (sigKey): of one loc,
// with one operation, atomicity and locks; its own entries and the
// groups of accesses below cuts that reach its loc.
type sig struct {
	rep     *rawAccess
	entries []*Access     // its own entries' published accesses
	first   map[int]entry // each handler's first own entry
	groups  []*cutGroup
	// handlers are those of its entries and groups, count how many
	// entries in all (seal).
	handlers handlerSet
	count    int
	// What its conflicts found, for each of its entries (givePartners):
	// up to maxPartners partners, how many in all, the locks that kept
	// conflicts away.
	partners  []Partner
	npartners int
	guards    []string
	// The object's names and id, computed on the first conflict.
	names *ObjectNames
	id    int
}

// seal computes handlers and count once every entry and group is in.
func (s *sig) seal(n int) {
	s.handlers = newHandlerSet(n)
	for h := range s.first {
		s.handlers.add(h)
	}
	s.count = len(s.entries)
	for _, g := range s.groups {
		s.handlers.union(g.hs)
		s.count += len(g.entries)
	}
}

// firstOf is handler h's first access of s, its own before its groups'.
func (s *sig) firstOf(h int) entry {
	if e, ok := s.first[h]; ok {
		return e
	}
	for _, g := range s.groups {
		if e, ok := g.first[h]; ok {
			return e
		}
	}
	panic("firstOf: handler without an access")
}

// each yields s's entries, its own first, until f returns false.
func (s *sig) each(f func(*Access) bool) {
	for _, e := range s.entries {
		if !f(e) {
			return
		}
	}
	for _, g := range s.groups {
		for _, e := range g.entries {
			if !f(e) {
				return
			}
		}
	}
}

// guard records that lock name kept a conflict of s away.
func (s *sig) guard(name string) {
	if slices.Contains(s.guards, name) {
		return // its groups have it too: they are all in before pairing
	}
	s.guards = append(s.guards, name)
	for _, g := range s.groups {
		g.guards = appendOnce(g.guards, name)
	}
}

// handlerSet is a set of handler indexes.
type handlerSet []uint64

func newHandlerSet(n int) handlerSet { return make(handlerSet, (n+63)/64) }

func (s *handlerSet) add(h int) {
	for len(*s) <= h/64 {
		*s = append(*s, 0)
	}
	(*s)[h/64] |= 1 << (h % 64)
}

func (s *handlerSet) union(t handlerSet) {
	for len(*s) < len(t) {
		*s = append(*s, 0)
	}
	for i, w := range t {
		(*s)[i] |= w
	}
}

func (s handlerSet) has(h int) bool { return h/64 < len(s) && s[h/64]&(1<<(h%64)) != 0 }

// all yields the handlers in ascending order.
func (s handlerSet) all() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i, w := range s {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				if !yield(i*64 + b) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// coverKey is an object and a kind of conflict on it.
type coverKey struct {
	id int
	k  Kind
}

// maxCovers bounds the pairs of handler sets kept per object and kind.
const maxCovers = 8

// covers reports whether every pair of handlers of a and b is in one of
// the pairs of sets done, either way round.
func covers(done [][2]handlerSet, a, b handlerSet) bool {
	for _, d := range done {
		if a.subsetOf(d[0]) && b.subsetOf(d[1]) || a.subsetOf(d[1]) && b.subsetOf(d[0]) {
			return true
		}
	}
	return false
}

func (s handlerSet) subsetOf(t handlerSet) bool {
	for i, w := range s {
		if i >= len(t) {
			if w != 0 {
				return false
			}
		} else if w&^t[i] != 0 {
			return false
		}
	}
	return true
}
