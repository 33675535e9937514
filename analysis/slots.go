package analysis

import (
	"go/ast"
	"go/types"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Handlers kept in a table and registered in a loop:
//
//	for _, r := range routes { mux.HandleFunc(r.path, r.h) }
//
// The registered value is loaded from a field, an element or a map entry;
// every function stored into such a slot anywhere in the workspace is
// registered there, each with the path stored beside it.

// slotKey names a kind of slot: a field of a struct type, or an element of
// a slice, array or map type.
type slotKey struct {
	typ   mem.TypeKey
	field int // -1: an element
}

// stored is a value stored into a slot: where, and what holds it (the
// struct, for a field; the map key, for an entry).
type stored struct {
	v      ssa.Value
	in     *ssa.Function
	holder ssa.Value
	key    ssa.Value
}

type slotIndex struct {
	by map[slotKey][]stored
}

// newSlotIndex indexes the stores of callable values into fields,
// elements and map entries of fns.
func newSlotIndex(fns []*ssa.Function) *slotIndex {
	x := &slotIndex{by: map[slotKey][]stored{}}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				switch in := instr.(type) {
				case *ssa.Store:
					if !callable(in.Val.Type()) {
						continue
					}
					switch addr := in.Addr.(type) {
					case *ssa.FieldAddr:
						k := slotKey{mem.KeyOf(mem.Pointee(addr.X.Type())), addr.Field}
						x.by[k] = append(x.by[k], stored{v: in.Val, in: fn, holder: addr.X})
					case *ssa.IndexAddr:
						k := slotKey{mem.KeyOf(in.Val.Type()), -1}
						x.by[k] = append(x.by[k], stored{v: in.Val, in: fn})
					}
				case *ssa.MapUpdate:
					if callable(in.Value.Type()) {
						k := slotKey{mem.KeyOf(in.Value.Type()), -1}
						x.by[k] = append(x.by[k], stored{v: in.Value, in: fn, key: in.Key})
					}
				}
			}
		}
	}
	return x
}

// source is a value that may be what a registration was given.
type source struct {
	v     ssa.Value
	in    *ssa.Function
	route string // the path kept beside it, if any
}

// sources are the values v, in fn, may be: v itself, or, where it is
// loaded from a table, what was stored there.
func (d *disc) sources(v ssa.Value, fn *ssa.Function) []source {
	var k slotKey
	switch x := unwrap(v).(type) {
	case *ssa.UnOp:
		switch addr := x.X.(type) {
		case *ssa.FieldAddr:
			k = slotKey{mem.KeyOf(mem.Pointee(addr.X.Type())), addr.Field}
		case *ssa.IndexAddr:
			k = slotKey{mem.KeyOf(x.Type()), -1}
		default:
			return []source{{v: v, in: fn}}
		}
	case *ssa.Field:
		k = slotKey{mem.KeyOf(x.X.Type()), x.Field}
	case *ssa.Index, *ssa.Lookup:
		k = slotKey{mem.KeyOf(x.Type()), -1}
	case *ssa.Extract:
		if _, ok := x.Tuple.(*ssa.Next); !ok {
			return []source{{v: v, in: fn}}
		}
		k = slotKey{mem.KeyOf(x.Type()), -1}
	default:
		return []source{{v: v, in: fn}}
	}
	var out []source
	for _, s := range d.slots.by[k] {
		out = append(out, source{v: s.v, in: s.in, route: d.besideText(s)})
	}
	if len(out) == 0 {
		return []source{{v: v, in: fn}}
	}
	return out
}

// besideText is the path kept with a stored handler: the map key, or the
// first constant stored into the same struct (as the user wrote it).
func (d *disc) besideText(s stored) string {
	if s.key != nil {
		return d.constText(s.key)
	}
	if s.holder == nil {
		return ""
	}
	refs := s.holder.Referrers()
	if refs == nil {
		return ""
	}
	best, bestField := "", -1
	for _, r := range *refs {
		fa, ok := r.(*ssa.FieldAddr)
		if !ok || bestField >= 0 && fa.Field > bestField {
			continue
		}
		for _, u := range *fa.Referrers() {
			st, ok := u.(*ssa.Store)
			if !ok || st.Addr != fa {
				continue
			}
			if _, ok := st.Val.(*ssa.Const); !ok {
				continue
			}
			t := d.constText(st.Val)
			if t == "" {
				t = d.fieldText(st)
			}
			if t != "" {
				best, bestField = t, fa.Field
			}
		}
	}
	return best
}

// fieldText is the source text of the value a composite literal stores
// (st is the store, positioned at the value or at its key's colon):
// `bus.KeyCtrlC`.
func (d *disc) fieldText(st *ssa.Store) string {
	switch n := d.node(st.Pos()).(type) {
	case *ast.KeyValueExpr:
		return types.ExprString(n.Value)
	case *ast.CompositeLit, *ast.CallExpr, nil:
		return ""
	case ast.Expr:
		return types.ExprString(n)
	}
	return ""
}
