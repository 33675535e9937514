package mem

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// TestTypeKeyAliases checks that a type's key does not depend on how its
// aliases are spelled, wherever in the type they sit, and that it still
// tells different types apart.
func TestTypeKeyAliases(t *testing.T) {
	const src = `package p
type G[T any] struct{ x T }
type A = int
var (
	s1 []any;              s2 []interface{}
	m1 map[string]any;     m2 map[string]interface{}
	f1 func(any) (any, A); f2 func(interface{}) (interface{}, int)
	t1 struct{ X any };    t2 struct{ X interface{} }
	i1 interface{ M(any) }; i2 interface{ M(interface{}) }
	g1 G[any];             g2 G[interface{}]
	p1 *[3]any;            p2 *[3]interface{}
	c1 chan<- A;           c2 chan<- int
	d1 []int;              d2 []string
)`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	typ := func(name string) types.Type { return pkg.Scope().Lookup(name).Type() }
	for _, pair := range []string{"s", "m", "f", "t", "i", "g", "p", "c"} {
		a, b := typ(pair+"1"), typ(pair+"2")
		if !types.Identical(a, b) {
			t.Fatalf("%s and %s: the test's types should be identical", a, b)
		}
		if KeyOf(a) != KeyOf(b) {
			t.Errorf("%s: key %q, %s: key %q", a, KeyOf(a), b, KeyOf(b))
		}
	}
	if KeyOf(typ("d1")) == KeyOf(typ("d2")) {
		t.Errorf("[]int and []string share the key %q", KeyOf(typ("d1")))
	}
	if d := typ("d1"); unaliasDeep(d) != d {
		t.Errorf("a type without aliases is rebuilt")
	}
}
