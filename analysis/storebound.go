package analysis

import (
	"github.com/safels/safels/analysis/mem"
	"go/token"
	"strconv"
)

// Bounds on a summary's stores, as widen bounds its accesses. A summary
// records each pointer stored as a destination and a value, and applying
// it at a call stores every origin of the value into every origin of the
// destination: in a plugin registry, where a hundred modules' objects flow
// through one helper, a single store line became 18,496 records in each
// function above it, and a server's summaries millions.
//
// What the whole-program pass reads of a store (pollution.add) is small:
// of its destination only the slot it names (and, where it is cut, the
// slots below the slot's type), whether it is a context's,
// the invocation's own or shared (ownerOf), and whether it is the posted
// context; of a fresh destination also its allocation, for what a library
// call keeps (deepOrigins). So destinations that are not relative to the
// summarized function are kept once per such class, and fresh ones once
// per allocation up to maxWidth allocations per class: past that one
// record stands for all (anyBase), and deepOrigins takes its value to be
// stored into every fresh object.
//
// Values are kept precise per destination up to maxWidth paths of one
// root, then widened to their common prefix (a truncated loc overlaps
// everything below it); past maxWidth roots of shared memory, further ones
// become memory of their type wherever it is, which overlaps them all. A
// fresh value keeps its allocation: that is what pollution.add joins.

// storeClass is what pollution.add reads of an absolute destination.
type storeClass struct {
	own    ownership
	slot   slot
	posted bool
	trunc  bool
}

// storeGroup tracks one destination class in a summary.
type storeGroup struct {
	rep     mem.Loc            // the record standing for the class
	fresh   map[string]mem.Loc // fresh destinations kept by allocation
	wide    bool               // past maxWidth allocations: rep stands for all
	valBase map[string]*widthGroup
	valSeen map[string]bool // values as given, before widening
	bases   int             // shared roots of values kept
}

// storeDst returns the destination to record for dst and its key, and
// whether it stands for several fresh objects.
func (sum *summary) storeDst(dst mem.Loc) (mem.Loc, string, *storeGroup, bool) {
	if isRelative(dst) {
		return dst, dst.Key, sum.storeGroupOf(dst.Key, dst), false
	}
	c := storeClass{own: ownerOf(dst), slot: sum.memo.slotOf(dst), posted: dst.Base.Posted(), trunc: dst.Trunc}
	if sum.storeClasses == nil {
		sum.storeClasses = map[storeClass]*storeGroup{}
	}
	g := sum.storeClasses[c]
	if g == nil {
		g = &storeGroup{rep: dst}
		sum.storeClasses[c] = g
	}
	if dst.Base.Kind != mem.Fresh {
		return g.rep, "c:" + g.rep.Key, g, false
	}
	if x, ok := g.fresh[dst.Base.Key]; ok && !g.wide {
		return x, "f:" + x.Key, g, false
	}
	if !g.wide && len(g.fresh) < maxWidth {
		if g.fresh == nil {
			g.fresh = map[string]mem.Loc{}
		}
		g.fresh[dst.Base.Key] = dst
		return dst, "f:" + dst.Key, g, false
	}
	if !g.wide {
		g.wide = true
		sum.storesCut = true
	}
	return g.rep, "w:" + g.rep.Key, g, true
}

// storeGroupOf: the group of a relative destination, by its key.
func (sum *summary) storeGroupOf(key string, dst mem.Loc) *storeGroup {
	if sum.storeRel == nil {
		sum.storeRel = map[string]*storeGroup{}
	}
	g := sum.storeRel[key]
	if g == nil {
		g = &storeGroup{rep: dst}
		sum.storeRel[key] = g
	}
	return g
}

// storeVal returns the value to record, stored into g's destination.
func (sum *summary) storeVal(g *storeGroup, val mem.Loc) mem.Loc {
	if ownerOf(val) == ownFresh {
		return val
	}
	if g.valBase == nil {
		g.valBase = map[string]*widthGroup{}
		g.valSeen = map[string]bool{}
	}
	seen := g.valSeen[val.Key]
	g.valSeen[val.Key] = true
	w := g.valBase[val.Base.Key]
	if w == nil {
		if !isRelative(val) && g.bases >= maxWidth {
			sum.storesCut = true
			u := sum.memo.unknown(val.MemType())
			if val.Trunc {
				u = u.Deep()
			}
			return u
		}
		g.bases++
		w = &widthGroup{}
		g.valBase[val.Base.Key] = w
	}
	if len(val.Path) == 0 {
		return val
	}
	if w.wide != nil {
		if p := commonPrefix(*w.wide, val); len(p.Path) < len(w.wide.Path) {
			w.wide = &p
		}
		return *w.wide
	}
	if seen || w.n < maxWidth {
		if !seen {
			w.n++
			w.first = val
		}
		return val
	}
	p := commonPrefix(w.first, val)
	w.wide = &p
	sum.storesCut = true
	return p
}

// addStore records the store of a pointer to val into dst.
func (sum *summary) addStore(dst, val mem.Loc, pos token.Pos) {
	sum.addStoreAny(dst, val, pos, false)
}

func (sum *summary) addStoreAny(dst, val mem.Loc, pos token.Pos, anyBase bool) {
	if sum.detached {
		dst, val = sum.memo.detach(dst), sum.memo.detach(val)
	}
	d, dk, g, many := sum.storeDst(dst)
	v := sum.storeVal(g, val)
	k := [2]string{dk, v.Key}
	if anyBase || many {
		k[0] = "w:" + strconv.Quote(dk)
	}
	if _, dup := sum.storeSeen[k]; dup {
		return
	}
	if sum.storeSeen == nil {
		sum.storeSeen = map[[2]string]struct{}{}
	}
	sum.storeSeen[k] = struct{}{}
	sum.stores = append(sum.stores, &rawStore{dst: sum.memo.intern(d), val: sum.memo.intern(v), pos: pos, anyBase: anyBase || many})
}
