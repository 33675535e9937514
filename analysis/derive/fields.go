package derive

import (
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// Function values kept in the package's own unexported fields.
//
// A compressor that keeps its step function in a field (flate's
// bulkHasher, chosen by level among the package's functions) calls it
// through a function value, which the derivation would take as code it
// cannot see: every such call then writes all its arguments reach. Only
// the package's code can set an unexported field (reflect cannot, unsafe
// is not used here), so the functions stored into it anywhere in the
// package are all it may hold, field by field as in a field-based flow:
// where each is a function of the package the derivation summarizes, a
// call of the field applies their summaries instead.

// fieldFuncs finds, for every unexported field of function type of the
// package's own (non-generic) struct types, the functions stored into it;
// a field where anything else is stored (a parameter, a closure, a
// call's result) is open. Nil in a package that imports unsafe: any
// field may then be set unseen.
// fieldSet is what a field may hold: fns, or also anything (open).
type fieldSet struct {
	fns  []*ssa.Function
	open bool
}

func (fl *flows) fieldFuncs() map[*types.Var]*fieldSet {
	for _, imp := range fl.pkg.Pkg.Imports() {
		if imp.Path() == "unsafe" {
			return nil
		}
	}
	out := map[*types.Var]*fieldSet{}
	for fn := range ssautil.AllFunctions(fl.pkg.Prog) {
		for _, b := range fn.Blocks {
			for _, in := range b.Instrs {
				st, ok := in.(*ssa.Store)
				if !ok {
					continue
				}
				fa, ok := st.Addr.(*ssa.FieldAddr)
				if !ok {
					continue
				}
				f := fl.ownField(fa.X.Type(), fa.Field)
				if f == nil {
					continue
				}
				fs := out[f]
				if fs == nil {
					fs = &fieldSet{}
					out[f] = fs
				}
				switch v := st.Val.(type) {
				case *ssa.Function:
					if _, summarized := fl.sums[v]; !summarized {
						fs.open = true
					} else if !slices.Contains(fs.fns, v) {
						fs.fns = append(fs.fns, v)
					}
				case *ssa.Const:
					fs.open = fs.open || !v.IsNil()
				default:
					fs.open = true
				}
			}
		}
	}
	return out
}

// ownField is field i of the struct ptr points to, if it is an
// unexported, not embedded field of function type of a non-generic named
// type of this package.
func (fl *flows) ownField(ptr types.Type, i int) *types.Var {
	p, ok := ptr.Underlying().(*types.Pointer)
	if !ok {
		return nil
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	if !ok || n.Obj().Pkg() != fl.pkg.Pkg || n.TypeParams().Len() > 0 || n.TypeArgs().Len() > 0 {
		return nil
	}
	s, ok := n.Underlying().(*types.Struct)
	if !ok || i >= s.NumFields() {
		return nil
	}
	f := s.Field(i)
	if _, isFunc := f.Type().Underlying().(*types.Signature); !isFunc || f.Exported() || f.Embedded() {
		return nil
	}
	return f
}

// calledField: the functions a call of value v may run, where v is loaded
// from a field fieldFuncs resolved (none: it was never set, and calling
// it would panic).
func (fl *flows) calledField(v ssa.Value) ([]*ssa.Function, bool) {
	if fl.fields == nil {
		return nil, false
	}
	var f *types.Var
	switch x := v.(type) {
	case *ssa.UnOp:
		fa, ok := x.X.(*ssa.FieldAddr)
		if !ok || x.Op != token.MUL {
			return nil, false
		}
		f = fl.ownField(fa.X.Type(), fa.Field)
	case *ssa.Field:
		f = fl.ownField(types.NewPointer(x.X.Type()), x.Field)
	}
	if f == nil {
		return nil, false
	}
	fs := fl.fields[f]
	switch {
	case fs == nil:
		return nil, true // never set: only ever nil
	case fs.open:
		return nil, false
	}
	return fs.fns, true
}
