package analysis

import (
	"go/types"
	"slices"

	"github.com/safels/safels/analysis/mem"
)

// memo answers what summaries ask again and again, once per run: a type
// object's key (mem.KeyOf, which prints the type) and memory of it
// (mem.UnknownOf), and one copy of each loc they keep (intern).
//
// A detached component's stores name memory of a handful of types
// hundreds of thousands of times (detach.go), and store classes are keyed
// by their slot's type: on nats-server, printing the types again was a
// tenth of what the summaries allocated, and each store kept a base of
// its own. The answers are the mem functions'; the locs of one type share
// one base, as locs of one root do. A nil memo answers as the mem
// functions do, and keeps its own copies.
type memo struct {
	keys     map[types.Type]mem.TypeKey
	unknowns map[types.Type]mem.Loc
	locs     map[string]mem.Loc
}

// intern returns the copy of l kept already, if one is the same in every
// part, else keeps l as that copy. A caller's copy of a callee's access is
// named by the caller's parameter, and parameters are keyed by position
// and type: every method of one receiver type names its copies alike, and
// each kept a path and key of its own. A loc whose key is kept already
// but whose parts differ (flags a key does not spell) keeps its own.
func (m *memo) intern(l mem.Loc) mem.Loc {
	if m == nil {
		return l
	}
	if c, ok := m.locs[l.Key]; ok {
		if sameLoc(c, l) {
			return c
		}
		return l
	}
	if m.locs == nil {
		m.locs = map[string]mem.Loc{}
	}
	m.locs[l.Key] = l
	return l
}

// sameLoc: a and b are the same loc in every part.
func sameLoc(a, b mem.Loc) bool {
	return a.Base == b.Base && a.Trunc == b.Trunc && a.Key == b.Key && slices.Equal(a.Path, b.Path)
}

// key is mem.KeyOf(t).
func (m *memo) key(t types.Type) mem.TypeKey {
	if m == nil {
		return mem.KeyOf(t)
	}
	return memoized(&m.keys, t, mem.KeyOf)
}

// unknown is mem.UnknownOf(t).
func (m *memo) unknown(t types.Type) mem.Loc {
	if m == nil {
		return mem.UnknownOf(t)
	}
	return memoized(&m.unknowns, t, mem.UnknownOf)
}

// memoized is (*c)[k], computed by f the first time it is asked.
func memoized[K comparable, V any](c *map[K]V, k K, f func(K) V) V {
	if v, ok := (*c)[k]; ok {
		return v
	}
	if *c == nil {
		*c = map[K]V{}
	}
	v := f(k)
	(*c)[k] = v
	return v
}

// slotOf is slotOf(l), its type's key made once.
func (m *memo) slotOf(l mem.Loc) slot {
	n := len(l.Path)
	if n == 0 || l.Path[n-1].Kind == mem.Field {
		return slotOf(l)
	}
	return slot{elem: m.key(l.MemType())}
}

// detach is a store's loc in a detached summary: detach's, but for
// memory of its type with a base of the memo's, not of the run's roots
// (whose base of a type is the first one asked, spelled as it was).
func (m *memo) detach(l mem.Loc) mem.Loc {
	if !isRelative(l) {
		return l
	}
	return m.unknown(l.Base.Type).Extend(l.Path, l.Trunc)
}
