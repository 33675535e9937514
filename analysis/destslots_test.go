package analysis

import (
	"go/token"
	"go/types"
	"slices"
	"testing"

	"github.com/safels/safels/analysis/mem"
)

// TestDestSlotsShared: stores below cuts that find the same slots below
// share one list of them, and a store's slots are still its own, then
// those below it that can hold what it stored, in the order of the walk
// below the cut's type.
func TestDestSlotsShared(t *testing.T) {
	pkg := types.NewPackage("example.com/p", "p")
	named := func(name string, u types.Type) *types.Named {
		return types.NewNamed(types.NewTypeName(token.NoPos, pkg, name, nil), u, nil)
	}
	field := func(name string, t types.Type) *types.Var {
		return types.NewField(token.NoPos, pkg, name, t, false)
	}
	s := named("S", types.NewStruct([]*types.Var{field("n", types.Typ[types.Int])}, nil))
	u := named("U", types.NewStruct([]*types.Var{field("m", types.Typ[types.String])}, nil))
	// T keeps two pointers to S and one to U: a pointer to S stored
	// below a T may be in p or q, not in r.
	tt := named("T", types.NewStruct([]*types.Var{
		field("p", types.NewPointer(s)), field("q", types.NewPointer(s)), field("r", types.NewPointer(u)),
	}, nil))
	pol := newPollution()
	dst := mem.UnknownOf(tt).Deep()
	st1 := &rawStore{dst: dst, val: mem.UnknownOf(s)}
	st2 := &rawStore{dst: dst, val: mem.UnknownOf(s), pos: 1} // a store of its own, of the same type
	a, b := pol.destSlots0(st1), pol.destSlots0(st2)
	var got []string
	a.each(func(sl slot) { got = append(got, slotName(sl)) })
	want := []string{slotName(slotOf(dst)), "p", "q"}
	if !slices.Equal(got, want) {
		t.Fatalf("slots of a store of *S below T: %v, want %v", got, want)
	}
	if len(a.below) == 0 || &a.below[0] != &b.below[0] {
		t.Errorf("two stores finding the same slots below their cut keep a list each")
	}
	other := pol.destSlots0(&rawStore{dst: dst, val: mem.UnknownOf(u)})
	if len(other.below) != 1 || slotName(other.below[0]) != "r" {
		t.Errorf("a store of *U below T: below %v, want [r]", other.below)
	}
}

// slotName is a slot's field name, else its root.
func slotName(sl slot) string {
	if sl.field != nil {
		return sl.field.Name()
	}
	return sl.root + string(sl.elem)
}
