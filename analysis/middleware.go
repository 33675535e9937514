package analysis

import (
	"go/token"
	"go/types"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// The accesses of a handler reached through wrappers (found.env, fields,
// also). Summaries resolve a call of a function-valued variable by its
// type, to every function that fits; this bridge replaces, for a wrapped
// handler, what the summary of its closure reached through a call of a
// bound variable with the accesses of what the variable is bound to, and
// adds those of the functions that run with it. It reads summaries only.

// wrappedAccesses is handlerAccesses for a handler with an environment.
func (a *analyzer) wrappedAccesses(h found) ([]*rawAccess, []*rawStore) {
	calls := a.boundCalls(h)
	skip := map[rawCall]bool{}
	for _, c := range calls {
		skip[rawCall{pos: c.pos, caller: c.in}] = true
	}
	own := h
	own.also = nil
	accs, stores := a.ownAccesses(own, skip)
	done := map[*found]bool{}
	for _, c := range calls {
		if c.to == nil || done[c.to] {
			continue
		}
		done[c.to] = true
		in, st := a.handlerAccesses(*c.to)
		for _, x := range in {
			if len(c.locks) > 0 {
				// The locks the wrapper holds around the call.
				y := *x
				y.locks = unionLocks(c.locks, x.locks)
				x = &y
			}
			accs = append(accs, x)
		}
		stores = append(stores, st...)
	}
	for _, x := range h.also {
		if x.memo == nil {
			in, st := a.handlerAccesses(*x)
			x.memo = &accessMemo{in, st}
		}
		accs = append(accs, x.memo.accs...)
		stores = append(stores, x.memo.stores...)
	}
	return accs, stores
}

// boundCall is a call, in a wrapper's code, of a variable bound to a
// function (to nil: to a library router, whose handlers are found
// elsewhere), and the locks held there.
type boundCall struct {
	in    *ssa.Function
	pos   token.Pos
	to    *found
	locks []held
}

// boundCalls finds the calls of h's bound variables in h.fn and in the
// closures it makes that capture them.
func (a *analyzer) boundCalls(h found) []boundCall {
	var out []boundCall
	var walk func(fn *ssa.Function, free map[int]binding, depth int)
	walk = func(fn *ssa.Function, free map[int]binding, depth int) {
		if depth > 3 {
			return
		}
		var s *fnState
		var in map[*ssa.BasicBlock][]held
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				if mc, ok := instr.(*ssa.MakeClosure); ok {
					inner := map[int]binding{}
					for j, v := range mc.Bindings {
						if b, ok := boundValue(fn, v, free, h.fields); ok {
							inner[j] = b
						}
					}
					if len(inner) > 0 {
						walk(mc.Fn.(*ssa.Function), inner, depth+1)
					}
				}
				call, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				b, ok := calledBinding(fn, call.Common(), free, h.fields)
				if !ok {
					continue
				}
				if s == nil {
					s = a.state(fn)
					in = s.lockStates()
				}
				var locks []held
				for _, l := range s.locksAt(in, call) {
					if depth == 0 {
						if ls := a.envRebase(h, l.loc); len(ls) == 1 && !ls[0].Imprecise() {
							locks = append(locks, held{loc: ls[0], write: l.write})
						}
					}
				}
				out = append(out, boundCall{in: fn, pos: instrPos(call), to: b.fn, locks: locks})
			}
		}
	}
	free := map[int]binding{}
	for i, b := range h.env {
		if b.fn != nil || b.lib {
			free[i] = b
		}
	}
	walk(h.fn, free, 0)
	return out
}

// calledBinding: the binding a call in fn runs, if it calls a bound
// variable: `next(w, r)`, `next.ServeHTTP(w, r)` (an interface or a
// function type's method), `l.next.ServeHTTP(w, r)` (a wrapper's field).
func calledBinding(fn *ssa.Function, c *ssa.CallCommon, free map[int]binding, fields map[int]binding) (binding, bool) {
	if b, ok := boundValue(fn, c.Value, free, fields); ok {
		return b, true
	}
	if callee := c.StaticCallee(); callee != nil && callee.Blocks == nil && callee.Signature.Recv() != nil && len(c.Args) > 0 {
		if _, isFunc := callee.Signature.Recv().Type().Underlying().(*types.Signature); isFunc {
			return boundValue(fn, c.Args[0], free, fields) // http.HandlerFunc.ServeHTTP
		}
	}
	return binding{}, false
}

// boundValue: v, in fn, is a bound free variable or a bound field of the
// receiver.
func boundValue(fn *ssa.Function, v ssa.Value, free map[int]binding, fields map[int]binding) (binding, bool) {
	freeVar := func(x ssa.Value, cell bool) (binding, bool) {
		for i, p := range fn.FreeVars {
			if p == x {
				b, ok := free[i]
				return b, ok && b.cell == cell
			}
		}
		return binding{}, false
	}
	switch x := unwrap(v).(type) {
	case *ssa.FreeVar:
		return freeVar(x, false)
	case *ssa.Parameter:
		if len(fn.Params) > 0 && x == fn.Params[0] && fn.Signature.Recv() != nil {
			b, ok := fields[recvField]
			return b, ok && b.fn != nil
		}
	case *ssa.UnOp:
		if x.Op != token.MUL {
			break
		}
		if fv, ok := x.X.(*ssa.FreeVar); ok {
			return freeVar(fv, true)
		}
		if fa, ok := x.X.(*ssa.FieldAddr); ok && len(fn.Params) > 0 && fa.X == fn.Params[0] && fn.Signature.Recv() != nil {
			b, ok := fields[fa.Field]
			return b, ok && (b.fn != nil || b.lib)
		}
	}
	return binding{}, false
}

// ownAccesses is h.fn's summary rebased for an invocation, less what it
// reaches through the calls in skip.
func (a *analyzer) ownAccesses(h found, skip map[rawCall]bool) ([]*rawAccess, []*rawStore) {
	sum := a.sums[h.fn]
	if sum == nil {
		return nil, nil
	}
	var out []*rawAccess
	seen := map[accessKey]bool{}
	skipped := func(via *chain) bool {
		for c := range via.all() {
			if skip[rawCall{pos: c.pos, caller: c.caller}] {
				return true
			}
		}
		return false
	}
	add := func(acc *rawAccess) {
		if skipped(acc.via) {
			return
		}
		var locks []held
		for _, hl := range acc.locks {
			if ls := a.envRebase(h, hl.loc); len(ls) == 1 && (!ls[0].Imprecise() || hl.same) && ls[0].Base.Kind != mem.Param {
				locks = append(locks, held{loc: ls[0], write: hl.write, same: hl.same})
			}
		}
		lk := locksKey(locks)
		for _, n := range a.envRebase(h, acc.loc) {
			k := newAccessKey(n, acc, lk)
			if seen[k] {
				continue
			}
			seen[k] = true
			c := *acc
			c.loc = n
			c.locks = locks
			out = append(out, &c)
		}
	}
	for _, acc := range sum.accesses {
		add(acc)
	}
	// What its calls reach (reach.go), but for the calls of bound
	// variables, whose targets the caller adds.
	var edges []*edge
	for _, e := range sum.calls {
		if !skip[rawCall{pos: e.pos, caller: e.caller}] {
			edges = append(edges, e)
		}
	}
	bounds := a.reachSites(edges, func(acc *rawAccess, path *upPath, locks []held) {
		for u := path; u != nil; u = u.up {
			if skip[rawCall{pos: u.call.pos, caller: u.call.caller}] {
				return // the part of the path chainTo leaves out too
			}
		}
		c := *acc
		c.via = chainTo(path, acc.via)
		c.locks = unionLocks(locks, acc.locks)
		add(&c)
	})
	sum.noteWalk(bounds)
	var stores []*rawStore
	addStore := func(st *rawStore) {
		for _, d := range a.envRebase(h, st.dst) {
			for _, v := range a.envRebase(h, st.val) {
				stores = append(stores, &rawStore{dst: d, val: v, pos: st.pos})
			}
		}
	}
	for _, st := range sum.stores {
		addStore(st)
	}
	a.reachStores(edges, addStore)
	return out, stores
}

// envRebase rewrites a loc of h.fn's summary for an invocation: a free
// variable is what the environment binds it to; the rest as
// handlerAccesses does.
func (a *analyzer) envRebase(h found, l mem.Loc) []mem.Loc {
	switch l.Base.Kind {
	case mem.Free:
		if h.env == nil || l.Base.Idx >= len(h.env) {
			break
		}
		b := h.env[l.Base.Idx]
		if b.cell {
			// A cell the closure only reads: no conflict on the cell
			// itself; what its value points to is the bound value's.
			if len(l.Path) == 0 || l.Path[0].Kind != mem.Deref {
				return nil
			}
			l = mem.Loc{Base: l.Base, Path: l.Path[1:], Trunc: l.Trunc}
		}
		if b.fn != nil {
			return nil // a function value: no memory of its own
		}
		if b.val == nil {
			return []mem.Loc{a.roots.UnknownPath(l.Base.Type, l.Path, l.Trunc)}
		}
		var out []mem.Loc
		for _, r := range a.state(b.in).origin(b.val) {
			switch r.Base.Kind {
			case mem.Fresh:
				r = a.roots.Shared(r.Base.Site, r.Base.Type).Extend(r.Path, r.Trunc)
			case mem.Param:
				r = a.roots.Unknown(r.MemType())
			case mem.Free:
				var rs []mem.Loc
				for _, x := range a.creatorBindings(b.in, r.Base.Idx, r.Base.Type) {
					rs = append(rs, x.Extend(r.Path, r.Trunc).Extend(l.Path, l.Trunc))
				}
				out = append(out, rs...)
				continue
			}
			out = append(out, r.Extend(l.Path, l.Trunc))
		}
		return out
	case mem.Param:
		if h.recv != nil && l.Base.Idx == 0 {
			break
		}
		if h.model == ModelConcurrent {
			return []mem.Loc{l} // the invocation's, but for what is stored there (placeParams)
		}
	}
	// Everything else as for a handler without an environment.
	plain := h
	plain.env, plain.fields, plain.also = nil, nil, nil
	return a.rebaseOne(plain, l)
}

// rebaseOne rebases one loc as handlerAccesses does, by asking it about a
// summary holding that loc alone.
func (a *analyzer) rebaseOne(h found, l mem.Loc) []mem.Loc {
	if l.Base.Kind != mem.Param && l.Base.Kind != mem.Free {
		// handlerAccesses rebases parameters and captured variables
		// alone: the rest, as it is, without building a summary of one
		// access for it (once per access, lock and store of every
		// wrapped handler).
		return []mem.Loc{l}
	}
	saved := a.sums[h.fn]
	a.sums[h.fn] = &summary{accesses: []*rawAccess{{loc: l, fn: h.fn}}}
	defer func() { a.sums[h.fn] = saved }()
	accs, _ := a.handlerAccesses(h)
	out := make([]mem.Loc, 0, len(accs))
	for _, x := range accs {
		out = append(out, x.loc)
	}
	return out
}
