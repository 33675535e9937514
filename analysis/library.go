package analysis

import (
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/ssa"
)

// Calls into code without a body here, as a CallModel describes them
// (models.go): what the call reads and writes, what it keeps, and what its
// results point to. A call that no model covers is externalCall's.

// modelCall records the accesses of a modelled call. Function values
// handed to it may still be called there.
func (a *analyzer) modelCall(s *fnState, m *CallModel, call ssa.CallInstruction, method bool, args []ssa.Value, pos token.Pos, rec recorder) {
	recv := method && len(args) > 0
	for i, arg := range args {
		if _, ok := arg.Type().Underlying().(*types.Signature); ok {
			a.callFuncArg(s, arg, pos, rec)
			continue
		}
		if !pointerLike(arg.Type()) {
			continue
		}
		var e Effect
		switch {
		case recv && i == 0:
			e = m.receiverEffect()
		case recv:
			e = m.argEffect(i - 1)
		default:
			e = m.argEffect(i)
		}
		if e == EffectNone {
			continue
		}
		for _, l := range s.deepOrigins(arg) {
			rec(l, Read, false, pos, s.fn, nil, nil)
			if e == EffectWrite {
				rec(l, Write, false, pos, s.fn, nil, nil)
			}
		}
	}
	if s.sum == nil {
		return
	}
	// What the call keeps is a pointer stored (pollution.go): into the
	// container, or into the new memory it returns.
	switch m.Keeps {
	case "receiver":
		if len(args) > 1 {
			dsts := s.origin(args[0])
			for _, v := range args[1:] {
				s.storePointer(dsts, v, pos)
			}
		}
	case "result":
		if v, ok := call.(*ssa.Call); ok && m.Result == "fresh" {
			if t, ok := firstResult(v); ok {
				dst := []loc{a.freshLoc(v, pointee(t))}
				for _, arg := range args {
					s.storePointer(dst, arg, pos)
				}
			}
		}
	}
}

// firstResult is the type of a call's first result, if it is a pointer.
func firstResult(call *ssa.Call) (types.Type, bool) {
	t := call.Type()
	if tup, ok := t.(*types.Tuple); ok {
		if tup.Len() == 0 {
			return nil, false
		}
		t = tup.At(0).Type()
	}
	return t, pointerLike(t)
}

// modelResults is what the idx-th result (of type t) of a modelled call
// may point to. Only the first result is ever new memory of the call's
// own: the others (an error, mostly) are taken to point anywhere their
// arguments reach, as for an unmodelled call.
func (s *fnState) modelResults(m *CallModel, call *ssa.Call, idx int, t types.Type, method bool, args []ssa.Value) []loc {
	var out []loc
	// "first" is the built-in append's rule: the result is the first
	// argument's memory, or new memory as untracked as append(nil, x)'s.
	fresh := (m.Result == "fresh" || m.Result == "first") && idx == 0
	if m.Result == "fresh" && idx == 0 {
		out = append(out, s.a.freshLoc(call, pointee(t)))
	}
	first := 0
	if method {
		first = 1
	}
	for i, arg := range args {
		switch {
		case !fresh, m.Keeps == "result":
		case m.Result == "first" && i == first:
		default:
			continue
		}
		if !pointerLike(arg.Type()) {
			continue
		}
		if _, ok := arg.Type().Underlying().(*types.Signature); ok {
			continue
		}
		for _, l := range s.origin(arg) {
			out = append(out, l.deep())
		}
	}
	return out
}

// modelKeeps says, for a call findEscapes meets, whether a model covers it
// and then which of its arguments it publishes: all of them when it
// keeps them anywhere, those stored into a receiver that is not this
// invocation's own, none when it keeps nothing or keeps them only in its
// result (they are published with the result, whose origin includes
// them). An object handed back to a sync.Pool is published unless the
// Put is its last use (poolPut).
func (a *analyzer) modelKeeps(call ssa.CallInstruction) ([]ssa.Value, bool) {
	c := call.Common()
	var k calleeKey
	args := c.Args
	switch {
	case c.IsInvoke():
		if len(a.sites[call]) > 0 {
			return nil, false
		}
		k = invokeKey(c)
		args = append([]ssa.Value{c.Value}, c.Args...)
	case c.StaticCallee() != nil && c.StaticCallee().Blocks == nil:
		k = keyOf(c.StaticCallee())
	default:
		return nil, false
	}
	if k.pkg == "sync" && k.typ == "*Pool" && k.name == "Put" && len(args) == 2 {
		if poolPutLast(call, args[1]) {
			return nil, true
		}
		return args[1:], true
	}
	m := a.models.lookup(k)
	if m == nil {
		return nil, false
	}
	switch m.Keeps {
	case "":
		return args, true
	case "receiver":
		if len(args) > 1 && !allFresh(a.state(call.Parent()).origin(args[0])) {
			return args[1:], true
		}
	}
	return nil, true
}

// poolPutLast: v, handed back to a sync.Pool by put, is used nowhere after
// the Put. Then the next Get's caller, which the Pool synchronizes with
// this one, is the only one to use it, and it stays this invocation's
// memory. It holds when the Put is deferred (it runs last) or when every
// other use of the object comes before it in its block. A use through a
// copy of the pointer kept elsewhere is an access of that other memory,
// which follows its own rules.
func poolPutLast(put ssa.CallInstruction, v ssa.Value) bool {
	for {
		switch x := v.(type) {
		case *ssa.MakeInterface:
			v = x.X
			continue
		case *ssa.ChangeType:
			v = x.X
			continue
		}
		break
	}
	if _, ok := put.(*ssa.Defer); ok {
		for _, r := range *v.Referrers() {
			if d, ok := r.(*ssa.Defer); ok && d != put {
				return false // another deferred call may run after it
			}
		}
		return true
	}
	b := put.Block()
	before := map[ssa.Instruction]bool{}
	for _, in := range b.Instrs {
		if in == put {
			break
		}
		before[in] = true
	}
	var uses func(v ssa.Value, depth int) bool
	uses = func(v ssa.Value, depth int) bool {
		refs := v.Referrers()
		if refs == nil || depth > 4 {
			return false
		}
		for _, r := range *refs {
			if r == put {
				continue
			}
			if mi, ok := r.(*ssa.MakeInterface); ok && mi.Block() == b {
				if !uses(mi, depth+1) {
					return false
				}
				continue
			}
			if _, ok := r.(*ssa.DebugRef); ok {
				continue
			}
			if !before[r] {
				return false
			}
		}
		return true
	}
	return uses(v, 0)
}

// useModels sets the models for this run: the project's ahead of the
// built-in table. Summaries a previous run computed under other models
// are not reused. Pool.Get's result is the caller's own only if every
// Put in the workspace is its object's last use (poolPutLast): an object
// still used after its Put may be in another invocation's hands.
func (a *analyzer) useModels(extra []CallModel, fns []*ssa.Function) {
	a.models = newModels(extra)
	a.models.poolOK = allPutsLast(fns)
	if a.next != nil {
		a.next.models = a.models.key
	}
	if a.prev != nil && a.prev.models != a.models.key {
		a.prev = nil
	}
}

func allPutsLast(fns []*ssa.Function) bool {
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				call, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				c := call.Common()
				callee := c.StaticCallee()
				if callee == nil || callee.Blocks != nil || len(c.Args) != 2 {
					continue
				}
				if k := keyOf(callee); k.pkg == "sync" && k.typ == "*Pool" && k.name == "Put" && !poolPutLast(call, c.Args[1]) {
					return false
				}
			}
		}
	}
	return true
}

// deepOrigins is all the memory a call may reach through v: what v refers
// to and everything below it. Below a new object of this invocation are
// the pointers stored into it here, so those are followed too:
// Decode(&req{Item: items[0]}) writes through items[0].
func (s *fnState) deepOrigins(v ssa.Value) []loc {
	var out []loc
	seen := map[*base]bool{}
	anyDone := false
	var add func(ls []loc)
	add = func(ls []loc) {
		for _, l := range ls {
			out = append(out, l.deep())
			if l.base.kind == bFresh && !seen[l.base] {
				seen[l.base] = true
				x := s.storesInto()
				add(x.local[l.base])
				add(x.byDst[l.base])
				if !anyDone {
					// Stores merged past a bound may be into any new
					// object: once for all of them.
					anyDone = true
					add(x.anyVals)
				}
			}
		}
	}
	add(s.origin(v))
	return dedupe(out)
}

// storedInto is what the pointers stored into the new object b may refer
// to: stores of this function, and those its callees report.
func (s *fnState) storedInto(b *base) []loc {
	x := s.storesInto()
	out := append(append([]loc(nil), x.local[b]...), x.byDst[b]...)
	if b.kind == bFresh {
		out = append(out, x.anyVals...)
	}
	return out
}

// storeIndex is storedInto's index of the stores into each object, kept
// per function state: asked at every library call of a function, a scan of
// all its instructions and of all the stores its summary holds took a
// quarter of the time on a server's large recursive component. The
// function's own stores are indexed once (a state lives for one pass, and
// origins do not change within it); those its summary reports grow as
// callees are applied, and are indexed as they come.
type storeIndex struct {
	local   map[*base][]loc // this function's own store instructions
	byDst   map[*base][]loc // stores reported by its summary, by destination
	anyVals []loc           // reported stores merged past a bound (anyBase)
	scanned int             // how many of the summary's stores are indexed
}

func (s *fnState) storesInto() *storeIndex {
	x := s.stIndex
	if x == nil {
		x = &storeIndex{local: map[*base][]loc{}, byDst: map[*base][]loc{}}
		s.stIndex = x
		into := func(addr ssa.Value, vals []ssa.Value) {
			var bases []*base
			for _, l := range s.origin(addr) {
				if !slices.Contains(bases, l.base) {
					bases = append(bases, l.base)
				}
			}
			for _, b := range bases {
				for _, v := range vals {
					if pointerLike(v.Type()) {
						x.local[b] = append(x.local[b], s.origin(v)...)
					}
				}
			}
		}
		for _, blk := range s.fn.Blocks {
			for _, instr := range blk.Instrs {
				switch in := instr.(type) {
				case *ssa.Store:
					if pointerLike(in.Val.Type()) {
						into(in.Addr, []ssa.Value{in.Val})
					}
				case *ssa.MapUpdate:
					into(in.Map, []ssa.Value{in.Key, in.Value})
				}
			}
		}
	}
	if s.sum != nil {
		for _, st := range s.sum.stores[x.scanned:] {
			x.byDst[st.dst.base] = append(x.byDst[st.dst.base], st.val)
			if st.anyBase {
				x.anyVals = append(x.anyVals, st.val)
			}
		}
		x.scanned = len(s.sum.stores)
	}
	return x
}

// assumedAt names the call at pos in fn into code that is neither
// analysed nor modelled, if the access there rests on one: the finding
// then says that its effect was assumed ("(*lib.T).M").
func (a *analyzer) assumedAt(fn *ssa.Function, pos token.Pos) string {
	if fn == nil || a.models == nil {
		return ""
	}
	byPos, ok := a.models.assumed[fn]
	if !ok {
		byPos = a.assumedCalls(fn)
		if a.models.assumed == nil {
			a.models.assumed = map[*ssa.Function]map[token.Pos]string{}
		}
		a.models.assumed[fn] = byPos
	}
	return byPos[pos]
}

func (a *analyzer) assumedCalls(fn *ssa.Function) map[token.Pos]string {
	var out map[token.Pos]string
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			call, ok := instr.(ssa.CallInstruction)
			if !ok {
				continue
			}
			c := call.Common()
			var keys []calleeKey
			switch {
			case c.StaticCallee() != nil:
				if c.StaticCallee().Blocks == nil {
					keys = append(keys, keyOf(c.StaticCallee()))
				}
			case c.IsInvoke() && len(a.sites[call]) == 0:
				keys = append(keys, invokeKey(c))
			default:
				// A dynamic call: any of its targets may be library code
				// (http.HandlerFunc's ServeHTTP).
				for _, fn := range a.sites[call] {
					if fn.Blocks == nil {
						keys = append(keys, keyOf(fn))
					}
				}
			}
			for _, k := range keys {
				if a.models.lookup(k) != nil || k.pkg == "sync/atomic" || synchronized(k.pkg) || k.pkg == "time" && !k.method {
					continue
				}
				if out == nil {
					out = map[token.Pos]string{}
				}
				out[instrPos(call)] = k.String()
				break
			}
		}
	}
	return out
}
