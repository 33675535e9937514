package analysis

import (
	"go/token"
	"slices"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// Calls of closures this invocation made.
//
// A call of a function value does not know, in general, who made the
// closure it calls, so what the closure captured is resolved where it is
// made and taken as shared (makerBindings). Yet the commonest closures a
// handler calls through a value are its own: a helper returns memory and
// the closure that releases it (a pooled writer and its cancel, a counter
// and its done), and the handler calls it, often deferred through a
// variable a deferred closure captured:
//
//	cancel := func() {}
//	defer func() { cancel() }()
//	wc, cancel = pooledWriter(pool, w)
//
// Every closure is applied where it is made, with the maker's bindings
// (sumWalk.makeClosure): its maker's summary already holds what it does
// through what it captured, in the terms of the invocation that made it.
// So at a call whose value can only be a closure made during this very
// invocation, what the closure does through its free variables is covered
// by its maker (coveredVar, as for callbacks: callback.go) and the call
// adds only what it does through its parameters. madeHere proves that
// from the value's sources: a closure made right here, the result of a
// static call whose every return of that result is such a closure made in
// the callee, a variable of this function's only its function assigns
// (cellValues), or a free variable of a closure its maker only calls on
// the spot, followed into the maker. Anything else (a parameter, a load
// from memory, a channel receive, an interface) fails the proof, and the
// call resolves as before.
//
// A closure that leaves its invocation (sent, stored, returned further
// up than the call that made it) is called elsewhere through a value
// madeHere cannot trace, and there it is resolved as before; what it
// captured is published with it, since a closure's origin is what it
// captured (fnState.origin).

// findMadeCovered finds the closures some call in fns covers as made by
// this very invocation: their makers must apply them (makeClosure).
func (a *analyzer) findMadeCovered(fns []*ssa.Function) {
	a.madeCovered = map[*ssa.Function]bool{}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				call, ok := instr.(ssa.CallInstruction)
				if !ok || !madeHereCall(call) {
					continue
				}
				made, ok := a.madeHere(call.Common().Value)
				if !ok {
					continue
				}
				for cl := range made {
					a.madeCovered[cl] = true
				}
			}
		}
	}
}

// appliedWhereMade: the maker of closure cl applies it (makeClosure),
// recorded for the cache: it depends on calls elsewhere.
func (a *analyzer) appliedWhereMade(cl *ssa.Function) bool {
	ok := a.makerApplies(cl)
	if a.reads != nil {
		a.reads.makes = append(a.reads.makes, makeRead{fn: cl, ok: ok})
	}
	return ok
}

// makerApplies: code without a body may call cl, or a call covers it as
// made by this very invocation.
func (a *analyzer) makerApplies(cl *ssa.Function) bool { return a.library[cl] || a.madeCovered[cl] }

// madeHereCall: a call of a function value, in this invocation.
func madeHereCall(call ssa.CallInstruction) bool {
	c := call.Common()
	if c.IsInvoke() || c.StaticCallee() != nil || isBuiltin(c) {
		return false
	}
	_, isGo := call.(*ssa.Go) // runs beside this invocation, not in it
	return !isGo
}

// maxMadeDepth bounds how far madeHere follows values through calls and
// captured variables; past it the proof fails (the call resolves as
// before: less precise, not less safe).
const maxMadeDepth = 6

// madeHereBinds: at a call of a function value, the free variables of
// the targets this invocation made are covered by their makers.
func (a *analyzer) madeHereBinds(s *fnState, call ssa.CallInstruction, fns []*ssa.Function, binds [][]ssa.Value) {
	if !madeHereCall(call) {
		return
	}
	m := a.proveMade(call.Common().Value)
	made, ok := m.result()
	if m.cut && s.sum != nil {
		s.sum.madeCut = true
	}
	if a.reads != nil {
		a.reads.sites = append(a.reads.sites, siteRead{call: call, targets: madeNames(made, ok), made: true})
	}
	if !ok {
		return
	}
	for i, fn := range fns {
		if len(fn.FreeVars) > 0 && binds[i] == nil && made[fn] {
			binds[i] = covered(len(fn.FreeVars))
		}
	}
}

// madeHere returns the closures (by function) that v, a function value,
// may be, provided each was made during the invocation that uses v and
// applied there by its maker; ok is false when that is not proven.
func (a *analyzer) madeHere(v ssa.Value) (map[*ssa.Function]bool, bool) {
	return a.proveMade(v).result()
}

func (a *analyzer) proveMade(v ssa.Value) *madeProof {
	m := &madeProof{a: a, fns: map[*ssa.Function]bool{}, seen: map[ssa.Value]bool{}}
	m.ok = m.value(v, 0)
	return m
}

type madeProof struct {
	a    *analyzer
	fns  map[*ssa.Function]bool
	seen map[ssa.Value]bool
	ok   bool
	cut  bool // maxMadeDepth was reached
}

func (m *madeProof) result() (map[*ssa.Function]bool, bool) {
	if !m.ok {
		return nil, false
	}
	return m.fns, true
}

func (m *madeProof) value(v ssa.Value, depth int) bool {
	if depth > maxMadeDepth {
		m.cut = true
		return false
	}
	if m.seen[v] {
		return true // a cycle of phis or cells adds nothing new
	}
	m.seen[v] = true
	switch v := v.(type) {
	case *ssa.MakeClosure:
		m.fns[v.Fn.(*ssa.Function)] = true
		return true
	case *ssa.Function:
		return true // captures nothing
	case *ssa.Phi:
		for _, e := range v.Edges {
			if !m.value(e, depth+1) {
				return false
			}
		}
		return true
	case *ssa.Call:
		return m.returned(v, 0, depth)
	case *ssa.Extract:
		if call, ok := v.Tuple.(*ssa.Call); ok {
			return m.returned(call, v.Index, depth)
		}
	case *ssa.UnOp:
		if v.Op != token.MUL {
			return false
		}
		switch x := v.X.(type) {
		case *ssa.Alloc:
			return m.cell(x, depth)
		case *ssa.FreeVar:
			return m.free(x, depth, func(b ssa.Value) bool {
				al, ok := b.(*ssa.Alloc)
				return ok && m.cell(al, depth+1)
			})
		}
	case *ssa.FreeVar:
		return m.free(v, depth, func(b ssa.Value) bool { return m.value(b, depth+1) })
	}
	return false
}

// returned: the idx-th result of a static call of a function with a body
// here, traced through each of its returns.
func (m *madeProof) returned(call *ssa.Call, idx, depth int) bool {
	callee := call.Call.StaticCallee()
	if callee == nil || callee.Blocks == nil {
		return false
	}
	found := false
	for _, b := range callee.Blocks {
		ret, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Return)
		if !ok || idx >= len(ret.Results) {
			continue
		}
		found = true
		if !m.value(ret.Results[idx], depth+1) {
			return false
		}
	}
	return found
}

// cell: a captured variable's values, when only its function assigns it.
func (m *madeProof) cell(al *ssa.Alloc, depth int) bool {
	vals, ok := m.a.cellValues(al)
	if !ok {
		return false
	}
	for _, x := range vals {
		if !m.value(x, depth+1) {
			return false
		}
	}
	return true
}

// free: a free variable of a closure whose every maker only calls it on
// the spot, so that it runs in its maker's invocation; bound checks what
// each maker binds it to.
func (m *madeProof) free(fv *ssa.FreeVar, depth int, bound func(ssa.Value) bool) bool {
	fn := fv.Parent()
	idx := slices.Index(fn.FreeVars, fv)
	makers := m.a.closures[fn]
	if idx < 0 || len(makers) == 0 {
		return false
	}
	for _, mc := range makers {
		if !calledOnSpot(mc) || idx >= len(mc.Bindings) || !bound(mc.Bindings[idx]) {
			return false
		}
	}
	return true
}

// calledOnSpot: every use of the closure mc makes is a call or deferred
// call of it, in the function that makes it.
func calledOnSpot(mc *ssa.MakeClosure) bool {
	refs := mc.Referrers()
	if refs == nil || len(*refs) == 0 {
		return false
	}
	for _, r := range *refs {
		switch r := r.(type) {
		case *ssa.Call:
			if r.Call.Value != mc || slices.Contains(r.Call.Args, ssa.Value(mc)) {
				return false
			}
		case *ssa.Defer:
			if r.Call.Value != mc || slices.Contains(r.Call.Args, ssa.Value(mc)) {
				return false
			}
		case *ssa.DebugRef:
		default:
			return false
		}
	}
	return true
}

// madeNames is what the cache keeps of a proof: the closures it found, or
// "-" when it failed.
func madeNames(made map[*ssa.Function]bool, ok bool) string {
	if !ok {
		return "-"
	}
	names := make([]string, 0, len(made))
	for fn := range made {
		names = append(names, fn.String())
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
