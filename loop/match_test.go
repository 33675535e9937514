package loop

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// The shapes of runtime names: a closure's maker and depth, whatever the
// compiler's numbering and the inlining that renamed it.
func TestShapeOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		maker string
		depth int
	}{
		{"main.schedule.func1", "schedule", 1},
		{"main.main.schedule.func2", "schedule", 1},                                        // schedule inlined into main
		{"main.main.Make.func4", "Make", 1},                                                // p2.Make inlined: its package is dropped
		{"main.main.main.func1.schedule.func11", "schedule", 1},                            // inlined into a closure
		{"main.scheduleNested.func1.1", "scheduleNested", 2},                               // a closure in a closure
		{"main.main.scheduleNested.main.scheduleNested.func3.func10", "scheduleNested", 2}, // the same, inlined
		{"main.main.MakeG[...].func5", "MakeG", 1},
		{"example.com/srv%2ev2.(*S).mkp.func1", "mkp", 1},
		{"main.main.(*S).mkp.func9", "mkp", 1},
	} {
		s, ok := shapeOf(tc.name)
		if !ok || s.maker != tc.maker || s.depth != tc.depth {
			t.Errorf("shapeOf(%q) = %+v, %t; want %s, %d", tc.name, s, ok, tc.maker, tc.depth)
		}
	}
	for _, name := range []string{"main.handle", "main.handle[...]", "main.(*T).m-fm", "example.com/x.f", "func1"} {
		if s, ok := shapeOf(name); ok {
			t.Errorf("shapeOf(%q) = %+v: not a closure", name, s)
		}
	}
}

// A closure renamed by inlining finds its entry by maker, depth, file and
// lines; not one of another maker, depth, file, or lines; closures that
// share a line merge their constraints, the stricter way.
func TestMatchInlinedClosure(t *testing.T) {
	cons := map[string]Constraint{
		"main.schedule.func1":          {Colored: true, Pos: "main.go:16-18"},
		"example.com/m.schedule.func1": {Colored: true, Pos: "main.go:16-18"}, // the test binary's name for it
		"main.schedule.func2":          {Hue: 2, Pos: "main.go:20-22"},
		"main.schedule.func2.1":        {Hue: 3, Pos: "main.go:21-21"},
		"main.other.func1":             {Pos: "main.go:30-31"},
		"example.com/m/p2.Make.func1":  {Hue: 1, Pos: "p2/p2.go:5-5"},
		"example.com/m/p2.Make.func2":  {Hue: 4, Colored: true, Pos: "p2/p2.go:5-5"},
		"main.handle[...]":             {Colored: true},
		"main.noPos.func1":             {},
		"main.badPos.func1":            {Pos: "main.go:x"},
		"main.lines.func1":             {Pos: "main.go:9-8"},
	}
	for _, dir := range []string{"", "/src/m"} {
		ts := &tableState{cons: cons, dir: dir}
		abs := func(f string) string { return "/src/m/" + f }
		for _, tc := range []struct {
			name, file string
			line       int
			want       string // the entry, "" for none
			c          Constraint
		}{
			{"main.main.schedule.func3", abs("main.go"), 17, "example.com/m.schedule.func1", cons["main.schedule.func1"]},
			{"main.main.schedule.func4", abs("main.go"), 20, "main.schedule.func2", cons["main.schedule.func2"]},
			{"main.main.schedule.func4.1", abs("main.go"), 21, "main.schedule.func2.1", cons["main.schedule.func2.1"]},
			{"main.main.schedule.func5", abs("main.go"), 25, "", Constraint{}},     // between the closures
			{"main.main.schedule.func5", abs("other.go"), 17, "", Constraint{}},    // another file
			{"main.main.schedule.func5", "/src/m/x/main.go", 17, "", Constraint{}}, // the same name elsewhere
			{"main.main.other.func6", abs("main.go"), 17, "", Constraint{}},        // another maker
			{"main.main.Make.func7", abs("p2/p2.go"), 5, "example.com/m/p2.Make.func1 example.com/m/p2.Make.func2", Constraint{Hue: -1, Colored: true}},
			{"main.handle[...]", abs("main.go"), 3, "main.handle[...]", Constraint{Colored: true}},
			{"main.main.noPos.func2", abs("main.go"), 9, "", Constraint{}},
			{"main.main.badPos.func2", abs("main.go"), 9, "", Constraint{}},
			{"main.main.lines.func2", abs("main.go"), 9, "", Constraint{}},
		} {
			entry, c, ok := ts.match(tc.name, tc.file, tc.line)
			if tc.file == "/src/m/x/main.go" && dir == "" {
				// Without the table's directory, a file is matched by the
				// end of its path: this one matches.
				continue
			}
			if entry != tc.want || ok != (tc.want != "") || (ok && c != tc.c) {
				t.Errorf("dir %q: match(%s, %s:%d) = %q, %+v, %t; want %q, %+v", dir, tc.name, tc.file, tc.line, entry, c, ok, tc.want, tc.c)
			}
		}
	}
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct{ a, b, want Constraint }{
		{Constraint{}, Constraint{}, Constraint{}},
		{Constraint{Hue: 2}, Constraint{}, Constraint{Hue: 2}},
		{Constraint{}, Constraint{Hue: 2, Colored: true}, Constraint{Hue: 2, Colored: true}},
		{Constraint{Hue: 2}, Constraint{Hue: 2}, Constraint{Hue: 2}},
		{Constraint{Hue: 2}, Constraint{Hue: 3}, Constraint{Hue: -1}},
		{Constraint{Hue: -1}, Constraint{}, Constraint{Hue: -1}},
	} {
		if got := merge(tc.a, tc.b); got != tc.want {
			t.Errorf("merge(%+v, %+v) = %+v, want %+v", tc.a, tc.b, got, tc.want)
		}
	}
}

type codeT struct{}

func (codeT) m(*Loop, int) {}

func genericH[C any](*Loop, C) {}

// codePtr reads what reflect.Value.Pointer returns for a func, for every
// kind of handler.
func TestCodePtr(t *testing.T) {
	n := 3
	closure := func(*Loop, int) { n++ }
	for _, h := range []func(*Loop, int){
		func(*Loop, int) {}, closure, codeT{}.m, genericH[int],
	} {
		if got, want := codePtr(h), reflect.ValueOf(h).Pointer(); got != want {
			t.Errorf("codePtr(%s) = %#x, want %#x", runtime.FuncForPC(want).Name(), got, want)
		}
	}
	if name := runtime.FuncForPC(codePtr(codeT{}.m)).Name(); !strings.HasSuffix(name, "-fm") {
		t.Errorf("a method value's code is %s", name)
	}
}

func fastA(*Loop, int) {}
func fastB(*Loop, int) {}

// A handler finds its own info even when another handler's sits in its
// slot of the fast table (their code addresses share it), and takes the
// slot back.
func TestFastSlotShared(t *testing.T) {
	l := New(WithTable(Table{}))
	a, b := info(l.s, fastA), info(l.s, fastB)
	if a == b || a.name == b.name {
		t.Fatalf("fastA and fastB share an info: %s", a.name)
	}
	slot := &l.s.handlers.fast[fastSlot(codePtr(fastA))]
	slot.Store(b) // as if fastB's address mapped to fastA's slot
	if got := info(l.s, fastA); got != a {
		t.Errorf("fastA, with fastB in its slot, got the info of %s", got.name)
	}
	if slot.Load() != a {
		t.Errorf("fastA did not take its slot back")
	}
}
