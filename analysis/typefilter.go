package analysis

import (
	"go/types"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// A pointer parameter of type *T only ever points to memory of type T (or
// of a type with T's underlying struct, after a conversion Go allows). The
// origins of an argument are a may-set across every call of its function,
// and at a call through an interface or a function value they are those of
// every value that may flow there: in a plugin registry, the receiver of
// mod.New().UnmarshalCaddyfile may be any of a hundred modules, and every
// implementation would be handed every module. Dropping the origins whose
// type rules them out is exact for Go's type system; unsafe.Pointer breaks
// it, so a type that any workspace conversion from unsafe.Pointer produces
// is never filtered.

// fitsParam: an origin r may be what callee's idx-th parameter points to.
func (a *analyzer) fitsParam(r mem.Loc, callee *ssa.Function, idx int) bool {
	want := paramPointee(callee, idx)
	if want == nil || r.Trunc {
		return true // not a pointer to a struct, or r stands for more
	}
	have := r.MemType()
	if have == nil {
		return true
	}
	hs, ok := have.Underlying().(*types.Struct)
	if !ok {
		return true // an interface, unknown memory, a type parameter
	}
	if len(a.unsafeTargets) > 0 && a.unsafeTargets[a.keyOf(want)] {
		return true
	}
	return types.Identical(hs, want.Underlying())
}

// paramPointee: T, where callee's idx-th parameter (the receiver first) is
// a *T with T a struct; else nil.
func paramPointee(callee *ssa.Function, idx int) types.Type {
	sig := callee.Signature
	var t types.Type
	if r := sig.Recv(); r != nil {
		if idx == 0 {
			t = r.Type()
		}
		idx--
	}
	if t == nil && idx >= 0 && idx < sig.Params().Len() {
		t = sig.Params().At(idx).Type()
	}
	if t == nil {
		return nil
	}
	p, ok := t.Underlying().(*types.Pointer)
	if !ok {
		return nil
	}
	if _, ok := p.Elem().Underlying().(*types.Struct); !ok {
		return nil
	}
	if _, ok := p.Elem().(*types.TypeParam); ok {
		return nil
	}
	return p.Elem()
}

// findUnsafeTargets: the struct types some workspace function makes a
// pointer to out of an unsafe.Pointer.
func findUnsafeTargets(fns []*ssa.Function) map[mem.TypeKey]bool {
	out := map[mem.TypeKey]bool{}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, in := range b.Instrs {
				cv, ok := in.(*ssa.Convert)
				if !ok {
					continue
				}
				if bt, ok := cv.X.Type().Underlying().(*types.Basic); !ok || bt.Kind() != types.UnsafePointer {
					continue
				}
				if p, ok := cv.Type().Underlying().(*types.Pointer); ok {
					out[mem.KeyOf(p.Elem())] = true
				}
			}
		}
	}
	return out
}

// keyOf is mem.KeyOf(t), made once per type object: fitsParam asks it at
// every parameter bound in every summary applied (on nats-server, printing
// the types again was 3% of the run).
func (a *analyzer) keyOf(t types.Type) mem.TypeKey { return a.memo.key(t) }
