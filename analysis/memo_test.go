package analysis

import (
	"go/types"
	"testing"

	"github.com/safels/safels/analysis/mem"
)

// TestInternKeepsParts checks that a loc kept once is handed back for an
// equal one, and that a loc whose key is kept but whose parts differ
// (pollution marks a dereference crossed without changing the key) keeps
// its own parts: the key alone does not say everything a loc is.
func TestInternKeepsParts(t *testing.T) {
	pkg := types.NewPackage("p", "p")
	f := types.NewField(0, pkg, "next", types.NewPointer(types.Typ[types.Int]), false)
	st := types.NewStruct([]*types.Var{f}, nil)
	base := mem.UnknownOf(types.NewPointer(st)).Deref(types.NewPointer(st))
	l := base.Field(f, st).Deref(f.Type())

	m := &memo{}
	first := m.intern(l)
	again := l
	again.Path = append([]mem.Elem(nil), l.Path...)
	if got := m.intern(again); &got.Path[0] != &first.Path[0] {
		t.Errorf("an equal loc was not given the kept copy")
	}
	crossed := l
	crossed.Path = append([]mem.Elem(nil), l.Path...)
	crossed.Path[len(crossed.Path)-1].Crossed = true
	if crossed.Key != l.Key {
		t.Fatalf("keys differ: %q, %q", crossed.Key, l.Key)
	}
	if got := m.intern(crossed); !got.Path[len(got.Path)-1].Crossed {
		t.Errorf("a loc of the same key but other parts was given the kept copy: %v", got.Path)
	}
}
