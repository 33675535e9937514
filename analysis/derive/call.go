package derive

import (
	"fmt"
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// call applies what a call does to what it is handed: a builtin's known
// effect, the summary of a function of this package, the table's or
// another package's derived model, or else the conservative rule. v is
// the call's value (nil for a deferred call).
func (st *state) call(c *ssa.CallCommon, v ssa.Value) {
	args := c.Args
	if c.IsInvoke() {
		// Any implementation, the library's own included.
		st.unknown(append([]ssa.Value{c.Value}, args...), v)
		return
	}
	if b, ok := c.Value.(*ssa.Builtin); ok {
		st.builtin(b.Name(), args, v)
		return
	}
	fn := c.StaticCallee()
	if fn == nil {
		if fns, ok := st.fl.calledField(c.Value); ok {
			// A function value of one of the package's fields.
			for _, f := range fns {
				st.apply(st.fl.sums[f], args, v, false)
			}
			return
		}
		st.unknown(args, v) // a function value
		return
	}
	if s, ok := st.fl.sums[fn]; ok {
		st.apply(s, args, v, fn.Signature.Recv() != nil)
		return
	}
	generic := len(fn.TypeArgs()) > 0
	if generic && fn.Origin() != nil {
		// An instance: the table's model of its generic function, if
		// any (slices.Sort); none is derived.
		fn = fn.Origin()
	}
	if fn.Pkg == nil || !generic && fn.Blocks != nil || fn.TypeParams().Len() > 0 && !generic {
		st.unknown(args, v) // a closure
		return
	}
	pkg := fn.Pkg.Pkg.Path()
	typ, name, method := "", fn.Name(), fn.Signature.Recv() != nil
	if method {
		n, ptr := recvName(fn.Signature.Recv().Type())
		if n == "" {
			st.unknown(args, v)
			return
		}
		typ = n
		if ptr {
			typ = "*" + n
		}
	}
	switch {
	case pkg == "sync/atomic":
		st.whole = true
		return
	case pkg == "sync" && (typ == "*Mutex" || typ == "*RWMutex"):
		return // synchronizes, touches nothing of the caller's
	}
	m := st.fl.d.cfg.Table(pkg, typ, name)
	if m == nil && !generic && st.fl.budget > 0 && pkg != st.fl.pkg.Pkg.Path() && derivable(pkg) {
		if ms := st.fl.d.models(pkg, st.fl.budget-1); ms != nil {
			st.fl.deps[fmt.Sprintf("%s@%d", pkg, st.fl.budget-1)] = st.fl.d.key(st.fl.d.byPath[pkg], st.fl.budget-1)
			for k, v := range ms.Deps {
				st.fl.deps[k] = v
			}
			m = ms.Models[memberKey(typ, name)]
		}
	}
	if m == nil {
		st.unknown(args, v)
		return
	}
	if m.Quiet && hasFuncArg(args) {
		// A function that calls nothing back on its own may still call
		// the function it is handed (slices.SortFunc's cmp).
		st.calls = true
	}
	st.apply(fromModel(m, len(args), method), args, v, method)
}

func hasFuncArg(args []ssa.Value) bool {
	for _, a := range args {
		if _, ok := a.Type().Underlying().(*types.Signature); ok {
			return true
		}
	}
	return false
}

// unknown: code the derivation cannot see may read and write all its
// arguments reach, keep them anywhere, and return anything.
func (st *state) unknown(args []ssa.Value, v ssa.Value) {
	st.calls = true
	var all taint
	for _, a := range args {
		all |= st.closure(st.of(a))
	}
	st.assumed(all)
	st.reads, st.writes = st.reads|all, st.writes|all
	if all&bitG != 0 {
		st.whole = true // it may write the library's variables
	}
	st.escape(all)
	if v != nil {
		st.set(v, all|bitU)
	}
}

// assumed: what a call was handed (all) was taken conservatively, or by
// a model that was in part: the summary is in part assumed if that is
// memory of a parameter or memory this function made.
func (st *state) assumed(all taint) {
	if all&(paramMask|bitF) != 0 {
		st.partial = true
	}
}

// apply is a callee's summary at the call.
func (st *state) apply(s *summary, args []ssa.Value, v ssa.Value, method bool) {
	var all taint
	for _, a := range args {
		all |= st.closure(st.of(a))
	}
	if s.partial {
		st.assumed(all)
	}
	st.calls = st.calls || s.calls
	for i, a := range args {
		t := st.closure(st.of(a))
		e := effWrite
		if i < len(s.eff) {
			e = s.eff[i]
		}
		switch e {
		case effWrite:
			st.writes |= t
			if t&bitG != 0 {
				st.whole = true // the library's variables written
			}
			fallthrough
		case effRead:
			st.reads |= t
		}
	}
	switch s.keeps {
	case "":
		st.escape(all)
	case "receiver":
		if len(args) > 1 {
			for _, a := range args[1:] {
				st.store(st.closure(st.of(a)), a.Type(), st.of(args[0]))
			}
		}
	case "result":
		if s.result != "fresh" {
			break // the result is what the arguments reach, below
		}
		for _, a := range args {
			st.store(st.closure(st.of(a)), a.Type(), bitF)
		}
	}
	if v == nil {
		return
	}
	switch s.result {
	case "fresh":
		st.set(v, bitF)
	case "first":
		first := 0
		if method {
			first = 1
		}
		var t taint = bitF
		if first < len(args) {
			t |= st.of(args[first])
		}
		st.set(v, t)
	case "receiver":
		if method && len(args) > 0 {
			st.set(v, st.of(args[0]))
			break
		}
		st.set(v, all|bitU)
	default:
		st.set(v, all|bitU)
	}
}

// builtin: append and copy write their destination's array and copy the
// elements of their source into it; delete, clear and close write their
// argument; the unsafe ones are beyond the derivation.
func (st *state) builtin(name string, args []ssa.Value, v ssa.Value) {
	of := func(i int) taint {
		if i < len(args) {
			return st.of(args[i])
		}
		return 0
	}
	switch name {
	case "append", "copy":
		if len(args) < 2 {
			break
		}
		src := st.closure(of(1))
		st.reads |= src
		dst := of(0)
		if name == "append" {
			dst |= bitF
		}
		st.store(src, elemType(args[1].Type()), dst)
		if v != nil && name == "append" {
			st.set(v, dst)
		}
	case "delete", "clear", "close":
		st.writes |= of(0)
	case "len", "cap", "print", "println", "min", "max", "real", "imag", "complex":
		for i := range args {
			st.reads |= of(i)
		}
	case "recover":
		if v != nil {
			st.set(v, bitU)
		}
	case "ssa:wrapnilchk":
		if v != nil {
			st.set(v, of(0))
		}
	default:
		st.whole = true
	}
}

func elemType(t types.Type) types.Type {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return u.Elem()
	case *types.Basic:
		return types.Typ[types.Byte]
	}
	return t
}
