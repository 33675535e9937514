package mem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// TestUnknownPath checks that a field of an interface's dynamic value,
// reached from unknown memory of the interface, is the field of unknown
// memory of the value's type: one location, whichever interface the
// value came through, and the one a direct access of that type gets.
func TestUnknownPath(t *testing.T) {
	const src = `package p
type Reader interface{ Read() int }
type Closer interface{ Read() int; Close() }
type meter struct{ n int; in Reader }
func (m *meter) Read() int { return m.n }
func (m *meter) Close() {}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{}).Check("p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	typ := func(name string) types.Type { return pkg.Scope().Lookup(name).Type() }
	meter := typ("meter")
	st := meter.Underlying().(*types.Struct)
	n, in := st.Field(0), st.Field(1)
	roots := NewRoots(fset, nil)

	direct := roots.Unknown(meter).Field(n, meter)
	for _, iface := range []string{"Reader", "Closer"} {
		got := roots.UnknownPath(typ(iface), direct.Path, false)
		if got.Key != direct.Key || got.Base.Name != direct.Base.Name {
			t.Errorf("through %s: %s (%s), want %s (%s)", iface, got.Base.Name, got.Key, direct.Base.Name, direct.Key)
		}
	}
	// Not a field of the dynamic value: the path stays under the type
	// it was reached by.
	deref := roots.Unknown(typ("Reader")).Deref(typ("Reader"))
	if got := roots.UnknownPath(typ("Reader"), deref.Path, false); got.Base.Type != typ("Reader") {
		t.Errorf("a dereference through Reader rebased to %s", got.Base.Type)
	}
	// A concrete base is left as it is, whatever field follows.
	inside := roots.Unknown(meter).Field(in, meter)
	if got := roots.UnknownPath(meter, inside.Path, false); got.Key != inside.Key {
		t.Errorf("meter.in: %s, want %s", got.Key, inside.Key)
	}
}
