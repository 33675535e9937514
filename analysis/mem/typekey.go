package mem

import "go/types"

// A TypeKey identifies a type up to types.Identical, as far as the index and
// the slots need: identical types print alike (a collision only adds a
// candidate).
type TypeKey string

// KeyOf is t's key. Aliases are spelled out first: types.TypeString
// prints `any` and `interface{}` apart although they are identical, and a
// summary carried over from an earlier run is rebuilt with its aliases
// resolved (translate.go), so without this a slot's key would depend on
// which run wrote the summary, and the slot's sharing with it.
func KeyOf(t types.Type) TypeKey {
	return TypeKey(types.TypeString(unaliasDeep(t), nil))
}

// unaliasDeep is t with every alias inside it resolved; t itself when it
// holds none, so the common case allocates nothing.
func unaliasDeep(t types.Type) types.Type {
	switch u := t.(type) {
	case *types.Alias:
		return unaliasDeep(types.Unalias(u))
	case *types.Pointer:
		if e := unaliasDeep(u.Elem()); e != u.Elem() {
			return types.NewPointer(e)
		}
	case *types.Slice:
		if e := unaliasDeep(u.Elem()); e != u.Elem() {
			return types.NewSlice(e)
		}
	case *types.Array:
		if e := unaliasDeep(u.Elem()); e != u.Elem() {
			return types.NewArray(e, u.Len())
		}
	case *types.Chan:
		if e := unaliasDeep(u.Elem()); e != u.Elem() {
			return types.NewChan(u.Dir(), e)
		}
	case *types.Map:
		k, v := unaliasDeep(u.Key()), unaliasDeep(u.Elem())
		if k != u.Key() || v != u.Elem() {
			return types.NewMap(k, v)
		}
	case *types.Signature:
		p, pc := unaliasTuple(u.Params())
		r, rc := unaliasTuple(u.Results())
		if pc || rc {
			// The receiver is left out: a key names the function's type,
			// which has none.
			return types.NewSignatureType(nil, nil, nil, p, r, u.Variadic())
		}
	case *types.Struct:
		return unaliasStruct(u)
	case *types.Interface:
		if u.Empty() {
			// The universe's any, unaliased, still prints as "any".
			return emptyInterface
		}
		return unaliasInterface(u)
	case *types.Named:
		args := u.TypeArgs()
		if args.Len() == 0 {
			return t
		}
		list, changed := make([]types.Type, args.Len()), false
		for i := range list {
			list[i] = unaliasDeep(args.At(i))
			changed = changed || list[i] != args.At(i)
		}
		if changed {
			if n, err := types.Instantiate(nil, u.Origin(), list, false); err == nil {
				return n
			}
		}
	}
	return t
}

var emptyInterface = types.NewInterfaceType(nil, nil).Complete()

func unaliasTuple(t *types.Tuple) (*types.Tuple, bool) {
	if t == nil {
		return nil, false
	}
	vars, changed := make([]*types.Var, t.Len()), false
	for i := range vars {
		v := t.At(i)
		vt := unaliasDeep(v.Type())
		if vt != v.Type() {
			changed = true
			v = types.NewParam(v.Pos(), v.Pkg(), v.Name(), vt)
		}
		vars[i] = v
	}
	if !changed {
		return t, false
	}
	return types.NewTuple(vars...), true
}

func unaliasStruct(s *types.Struct) types.Type {
	fields, tags, changed := make([]*types.Var, s.NumFields()), make([]string, s.NumFields()), false
	for i := range fields {
		f := s.Field(i)
		ft := unaliasDeep(f.Type())
		if ft != f.Type() {
			changed = true
			f = types.NewField(f.Pos(), f.Pkg(), f.Name(), ft, f.Embedded())
		}
		fields[i], tags[i] = f, s.Tag(i)
	}
	if !changed {
		return s
	}
	return types.NewStruct(fields, tags)
}

// unaliasInterface rebuilds an interface from its method set, which is
// what identity compares for the interfaces a value can have (type terms
// belong to constraints only).
func unaliasInterface(it *types.Interface) types.Type {
	methods, changed := make([]*types.Func, it.NumMethods()), false
	for i := range methods {
		m := it.Method(i)
		sig := m.Type().(*types.Signature)
		if ns := unaliasDeep(sig); ns != types.Type(sig) {
			changed = true
			ns := ns.(*types.Signature)
			m = types.NewFunc(m.Pos(), m.Pkg(), m.Name(),
				types.NewSignatureType(sig.Recv(), nil, nil, ns.Params(), ns.Results(), ns.Variadic()))
		}
		methods[i] = m
	}
	if !changed {
		return it
	}
	return types.NewInterfaceType(methods, nil).Complete()
}
