package analysis

import "sort"

// maxPartners bounds the partners kept per access: a message names a few,
// and a hot global shared by hundreds of handlers must not make the result
// quadratic in size.
const maxPartners = 8

type entry struct {
	h   int
	raw *rawAccess
	pub *Access
}

// conflicts fills in handlers, the conflicts between their accesses, the
// matrix, hues and colors.
func (a *analyzer) conflicts(res *Result, found []found) {
	sort.SliceStable(found, func(i, j int) bool {
		pi, pj := a.position(found[i].fn.Pos()), a.position(found[j].fn.Pos())
		if pi.Filename != pj.Filename {
			return pi.Filename < pj.Filename
		}
		return pi.Offset < pj.Offset
	})
	var all []entry
	for i, f := range found {
		h := &Handler{Name: funcName(f.fn), Short: shortFuncName(f.fn), Pos: a.position(f.fn.Pos()), Model: f.model}
		for _, r := range a.handlerAccesses(f) {
			acc := a.publish(r, i)
			h.Accesses = append(h.Accesses, acc)
			all = append(all, entry{h: i, raw: r, pub: acc})
		}
		res.Handlers = append(res.Handlers, h)
	}
	n := len(res.Handlers)
	res.Matrix = make([][]Kind, n)
	for i := range res.Matrix {
		res.Matrix[i] = make([]Kind, n)
	}

	type ckey struct {
		a, b int
		k    Kind
		obj  string
	}
	byKey := map[ckey]*Conflict{}
	report := func(x, y entry, k Kind) {
		if x.h > y.h || x.h == y.h && x.pub.Pos.Offset > y.pub.Pos.Offset {
			x, y = y, x
		}
		// Name the more specific of the two: a write of stats conflicts
		// with a read of stats.conns on stats.conns.
		short, obj := x.raw.loc.names()
		if len(y.raw.loc.path) > len(x.raw.loc.path) {
			short, obj = y.raw.loc.names()
		}
		res.Matrix[x.h][y.h] |= k
		res.Matrix[y.h][x.h] |= k
		key := ckey{x.h, y.h, k, obj}
		if _, ok := byKey[key]; !ok {
			c := &Conflict{A: x.h, B: y.h, Kind: k, Object: obj, Short: short, AAccess: x.pub, BAccess: y.pub}
			byKey[key] = c
			res.Conflicts = append(res.Conflicts, c)
		}
		addPartner(x.pub, y.pub, k)
		if x.pub != y.pub {
			addPartner(y.pub, x.pub, k)
		}
	}
	check := func(x, y entry) {
		if x.raw.op == Read && y.raw.op == Read || x.raw.atomic && y.raw.atomic {
			return
		}
		xi, yi := x.raw.loc.imprecise(), y.raw.loc.imprecise()
		k := Kind(0)
		if overlaps(x.raw.loc, y.raw.loc) {
			k = Global
			if x.raw.loc.base.kind == bContext && !xi && !yi {
				k = Context
			}
		} else if (xi || yi) && typeAlias(x.raw.loc, y.raw.loc) {
			k = Global
		}
		if k == 0 {
			return
		}
		if g := commonLock(x.raw.locks, y.raw.locks, k); g != "" {
			x.pub.GuardedBy = appendOnce(x.pub.GuardedBy, g)
			y.pub.GuardedBy = appendOnce(y.pub.GuardedBy, g)
			return
		}
		report(x, y, k)
	}
	// Precise accesses can only overlap within one root; imprecise ones are
	// compared with everything.
	byRoot := map[string][]entry{}
	var loose []int
	for i, e := range all {
		byRoot[e.raw.loc.base.key] = append(byRoot[e.raw.loc.base.key], e)
		if e.raw.loc.imprecise() {
			loose = append(loose, i)
		}
	}
	roots := make([]string, 0, len(byRoot))
	for k := range byRoot {
		roots = append(roots, k)
	}
	sort.Strings(roots)
	for _, k := range roots {
		g := byRoot[k]
		for i := range g {
			for j := i; j < len(g); j++ {
				check(g[i], g[j])
			}
		}
	}
	for _, i := range loose {
		for j := range all {
			if all[j].raw.loc.base.key == all[i].raw.loc.base.key {
				continue // done above
			}
			if all[j].raw.loc.imprecise() && j < i {
				continue // the pair was checked from j
			}
			check(all[i], all[j])
		}
	}

	// Hues: the transitive closure of global conflicts (union-find).
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	hasGlobal := make([]bool, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if res.Matrix[i][j]&Global != 0 {
				hasGlobal[i], hasGlobal[j] = true, true
				parent[find(i)] = find(j)
			}
			if res.Matrix[i][j]&Context != 0 {
				res.Handlers[i].Colored = true
			}
		}
	}
	hue := map[int]int{}
	for i := 0; i < n; i++ {
		if !hasGlobal[i] {
			continue
		}
		r := find(i)
		if hue[r] == 0 {
			hue[r] = len(hue) + 1
		}
		res.Handlers[i].Hue = hue[r]
	}
	sort.SliceStable(res.Conflicts, func(i, j int) bool {
		x, y := res.Conflicts[i], res.Conflicts[j]
		if x.A != y.A {
			return x.A < y.A
		}
		if x.B != y.B {
			return x.B < y.B
		}
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		return x.Object < y.Object
	})
}

func addPartner(to, p *Access, k Kind) {
	to.NPartners++
	if len(to.Partners) < maxPartners {
		to.Partners = append(to.Partners, Partner{Access: p, Kind: k})
	}
}

// publish turns a raw access into its positioned, named form.
func (a *analyzer) publish(r *rawAccess, h int) *Access {
	short, full := r.loc.names()
	acc := &Access{
		Object:  full,
		Short:   short,
		Op:      r.op,
		Atomic:  r.atomic,
		Pos:     a.position(r.pos),
		Func:    funcName(r.fn),
		Context: r.loc.base.kind == bContext,
		Handler: h,
	}
	for _, c := range r.via {
		acc.Via = append(acc.Via, Call{Callee: funcName(c.callee), Short: shortFuncName(c.callee), Pos: a.position(c.pos)})
	}
	return acc
}

// commonLock returns the name of a lock that keeps two accesses apart: one
// both hold, at least one for writing. A lock inside the context only
// separates invocations on the same context.
func commonLock(a, b []held, k Kind) string {
	for _, x := range a {
		for _, y := range b {
			if x.loc.key != y.loc.key || !x.write && !y.write {
				continue
			}
			if x.loc.base.kind == bContext && k != Context {
				continue
			}
			short, _ := x.loc.names()
			return short
		}
	}
	return ""
}

func appendOnce(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
