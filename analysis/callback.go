package analysis

import (
	"go/types"
	"strings"

	"github.com/safels/safels/analysis/calls"
	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Callbacks: a closure handed down to a function that only calls it.
//
// A closure's summary names what it captures relative to its free
// variables. Where a call site does not know which closure it calls (a
// call of a function value), the free variables are resolved where the
// closure is made (makerBindings) and, being another invocation's
// memory for all that call site knows, they are shared: visit(es, func(e
// *entry) { total += e.N }) made total shared, though visit only calls
// the closure while the handler that made it waits.
//
// So, for a parameter p of a function F that receives only closures made
// by its callers and handed straight down (callerMade), and that F only
// calls or hands down in turn, the work is split between the two ends:
// the maker, which applies the closure's summary where it makes it, covers
// what the closure does through its captured variables (with the maker's
// own bindings: fresh memory stays the maker's unless it is published);
// F, which calls the closure with its own arguments, covers what the
// closure does through its parameters. Each end drops what the other
// covers (coveredVar), so a captured variable is not made shared by the
// call, and what the closure does to F's arguments is rewritten in terms
// of F's caller's values rather than as memory of unknown origin.
//
// What stays conservative: a closure stored, sent, returned, started as
// a goroutine or handed to a function that is called through a value (or
// whose parameter receives anything else) is resolved as before, and its
// captured variables are published (findEscapes marks them).

// coveredVar stands for a free variable or parameter of a closure whose
// accesses the other end of a callback covers (see above).
type coveredVar struct{ ssa.Value }

// covered returns n placeholders for what the other end covers.
func covered(n int) []ssa.Value {
	out := make([]ssa.Value, n)
	for i := range out {
		out[i] = coveredVar{}
	}
	return out
}

func isCovered(vs []ssa.Value, i int) bool {
	if i >= len(vs) {
		return false
	}
	_, ok := vs[i].(coveredVar)
	return ok
}

// coveredLoc: l, a loc of callee's summary, is covered by the other end.
func coveredLoc(l mem.Loc, args, binds []ssa.Value) bool {
	switch l.Base.Kind {
	case mem.Param:
		return isCovered(args, l.Base.Idx)
	case mem.Free:
		return isCovered(binds, l.Base.Idx)
	}
	return false
}

type paramKey struct {
	fn  *ssa.Function
	idx int
}

// findCallbacks computes, for every parameter of a function type in fns,
// whether it is a callback parameter: callerMade holds.
//
// callerMade(F, p): F is called only directly (never through a value, an
// interface or as a goroutine), it is called at least once, every call
// hands p a closure or function made right there (or a callback parameter
// of the caller, handed down), and F only calls p (directly or deferred)
// or hands it down to a callback parameter. It is the greatest solution
// of these conditions: a parameter stays one until a use or a call site
// contradicts it, so recursion does not lose them.
func (a *analyzer) findCallbacks(fns []*ssa.Function) {
	a.callbacks = map[paramKey]bool{}
	taken := calls.AddressTaken(fns)
	for _, ts := range a.sites {
		for _, t := range ts {
			taken[t] = true
		}
	}
	callsOf := map[*ssa.Function][]ssa.CallInstruction{}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				if call, ok := instr.(ssa.CallInstruction); ok {
					if callee := call.Common().StaticCallee(); callee != nil && callee.Blocks != nil {
						callsOf[callee] = append(callsOf[callee], call)
					}
				}
			}
		}
	}
	for _, fn := range fns {
		if taken[fn] || len(callsOf[fn]) == 0 {
			continue
		}
		for i, p := range fn.Params {
			if _, ok := p.Type().Underlying().(*types.Signature); ok {
				a.callbacks[paramKey{fn, i}] = true
			}
		}
	}
	// handedDown: v, an argument at a call site, is a closure or function
	// made right there, or a callback parameter of the caller.
	handedDown := func(v ssa.Value) bool {
		switch v := v.(type) {
		case *ssa.MakeClosure, *ssa.Function:
			return true
		case *ssa.Parameter:
			return a.callbacks[paramKey{v.Parent(), paramIndex(v)}]
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		for k, ok := range a.callbacks {
			if !ok {
				continue
			}
			good := true
			for _, call := range callsOf[k.fn] {
				if _, ok := call.(*ssa.Go); ok {
					good = false
					break
				}
				args := call.Common().Args
				if k.idx >= len(args) || !handedDown(args[k.idx]) {
					good = false
					break
				}
			}
			if good {
				good = a.onlyCalled(k.fn.Params[k.idx], func(v ssa.Value) bool { return v == k.fn.Params[k.idx] })
			}
			if !good {
				a.callbacks[k] = false
				changed = true
			}
		}
	}
}

// onlyCalled: v's every use is a call of it (direct or deferred), or its
// hand-down to a callback parameter; self says which value v is.
func (a *analyzer) onlyCalled(v ssa.Value, self func(ssa.Value) bool) bool {
	ok, _ := callUses(v, self, func(fn *ssa.Function, i int) bool { return a.callbacks[paramKey{fn, i}] })
	return ok
}

// callUses: v's every use is a call of it or its hand-down to a parameter
// param accepts; handed says it was handed down at least once.
func callUses(v ssa.Value, self func(ssa.Value) bool, param func(*ssa.Function, int) bool) (ok, handed bool) {
	refs := v.Referrers()
	if refs == nil {
		return false, false
	}
	for _, r := range *refs {
		switch r := r.(type) {
		case *ssa.DebugRef:
		case *ssa.Call, *ssa.Defer:
			c := r.(ssa.CallInstruction).Common()
			if c.IsInvoke() {
				return false, false
			}
			if self(c.Value) {
				continue // called: the other uses decide
			}
			callee := c.StaticCallee()
			if callee == nil || callee.Blocks == nil {
				return false, false
			}
			for i, arg := range c.Args {
				if self(arg) {
					if !param(callee, i) {
						return false, false
					}
					handed = true
				}
			}
		default:
			return false, false
		}
	}
	return true, handed
}

func paramIndex(p *ssa.Parameter) int {
	for i, q := range p.Parent().Params {
		if q == p {
			return i
		}
	}
	return -1
}

// callbackParam reports whether fn's idx-th parameter is a callback
// parameter, recording the read for the cache: it depends on fn's
// callers, not only on fn and its callees.
func (a *analyzer) callbackParam(fn *ssa.Function, idx int) bool {
	ok := a.callbacks[paramKey{fn, idx}]
	if a.reads != nil {
		a.reads.callbacks = append(a.reads.callbacks, callbackRead{fn: fn, idx: idx, ok: ok})
	}
	return ok
}

// calledBack: the closure mc makes is only called where it is made or
// handed to callback parameters, which call it with their own arguments:
// its maker need not account for what it does through its parameters.
func (a *analyzer) calledBack(mc *ssa.MakeClosure) bool {
	ok, handed := callUses(mc, func(v ssa.Value) bool { return v == mc }, a.callbackParam)
	return ok && handed
}

// callbackBinds: at a call of fn's callback parameter, the free variables
// of closure targets are covered by their makers.
func (a *analyzer) callbackBinds(s *fnState, c *ssa.CallCommon, fns []*ssa.Function, binds [][]ssa.Value) {
	p, ok := c.Value.(*ssa.Parameter)
	if !ok || c.IsInvoke() || p.Parent() != s.fn || !a.callbackParam(s.fn, paramIndex(p)) {
		return
	}
	for i, fn := range fns {
		if len(fn.FreeVars) > 0 && binds[i] == nil {
			binds[i] = covered(len(fn.FreeVars))
		}
	}
}

func isBuiltin(c *ssa.CallCommon) bool {
	_, ok := c.Value.(*ssa.Builtin)
	return ok
}

// dynamicPublishes: the arguments a call through a value or an interface
// publishes, when every function it may reach has a body here (their
// summaries say which parameters they publish). A callback called with
// its caller's own memory then publishes nothing it is not shown to.
func (a *analyzer) dynamicPublishes(call ssa.CallInstruction) ([]ssa.Value, bool) {
	fns := a.sitesOf(call)
	if len(fns) == 0 {
		return nil, false
	}
	c := call.Common()
	args := c.Args
	if c.IsInvoke() {
		args = append([]ssa.Value{c.Value}, c.Args...)
	}
	var out []ssa.Value
	pub := make([]bool, len(args))
	for _, fn := range fns {
		if fn.Blocks == nil {
			return nil, false
		}
		sum := a.sumOf(fn)
		for i := range args {
			if sum == nil || i < len(sum.publishes) && sum.publishes[i] {
				pub[i] = true
			}
		}
		if sum != nil {
			for _, k := range sum.keptIn {
				if k.idx < len(pub) {
					pub[k.idx] = true // kept: taken as published
				}
			}
		}
	}
	for i, p := range pub {
		if p {
			out = append(out, args[i])
		}
	}
	return out, true
}

// stdLoopBody: arg is the body of a range-over-func loop handed to an
// iterator the standard library made (slices.Backward, maps.Keys,
// strings.SplitSeq). Such an iterator calls the body only while the loop
// runs, on the loop's goroutine, and keeps it nowhere (a call after the
// loop ends panics), so the loop's own variables that the body captures
// stay this invocation's. An iterator from elsewhere might hand the body
// to another goroutine: its captured variables are published as before.
func stdLoopBody(call ssa.CallInstruction, arg ssa.Value) bool {
	mc, ok := arg.(*ssa.MakeClosure)
	if !ok || mc.Fn.(*ssa.Function).Synthetic != "range-over-func yield" {
		return false
	}
	made, ok := call.Common().Value.(*ssa.Call)
	if !ok {
		return false
	}
	callee := made.Call.StaticCallee()
	if callee == nil || callee.Blocks != nil {
		return false
	}
	p := calleePkg(callee)
	return p != "" && stdPath(p)
}

// stdPath: a standard library package (its first element has no dot).
func stdPath(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
