package loop

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Matching a handler's function to its table entry. The table is keyed by
// the names the runtime gives functions; two kinds of function have names
// that the table cannot predict:
//
//   - a generic function's instantiations are all named "p.f[...]", which
//     is how safels gen writes them (merging what the analysis proved of
//     each instantiation): an exact match;
//   - a closure made in a function that the compiler inlines into its
//     caller is compiled again in the caller, and named after it:
//     "p.schedule.func1" becomes "main.main.schedule.func2" (the number is
//     the caller's count of closures; the package of schedule is dropped).
//
// For the second, the loop looks for closures of the table made by a
// function of the same name at the same depth of nesting ("schedule",
// one), whose lines (Constraint.Pos) hold the first line of the copy's
// code, in the same file. If several qualify (closures on one line), their
// constraints are merged: the result is at least as strict as each. A
// copy that matches nothing runs exclusively, as any handler the table
// does not name.

// closureShape is what a renamed copy of a closure keeps of its name: the
// name of the function that makes it (its last element, type parameters
// dropped) and how many closures deep it is.
type closureShape struct {
	maker string
	depth int
}

type closureEntry struct {
	name       string
	c          Constraint
	file       string
	first, end int
}

// shapeOf returns the shape of a runtime function name, and false if the
// name is not a closure's.
func shapeOf(name string) (closureShape, bool) {
	name = strings.ReplaceAll(name, "[...]", "")
	parts := strings.Split(name, ".")
	depth := 0
	for len(parts) > 1 && isClosureElem(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
		depth++
	}
	if depth == 0 || len(parts) < 2 {
		return closureShape{}, false
	}
	return closureShape{maker: parts[len(parts)-1], depth: depth}, true
}

// isClosureElem reports whether e is an element the compiler gives a
// closure: "func3", or "2" for a closure inside a closure.
func isClosureElem(e string) bool {
	e = strings.TrimPrefix(e, "func")
	if e == "" {
		return false
	}
	for _, r := range e {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parsePos parses Constraint.Pos: "file.go:12-15".
func parsePos(pos string) (file string, first, end int, ok bool) {
	colon := strings.LastIndexByte(pos, ':')
	if colon < 0 {
		return "", 0, 0, false
	}
	lines := strings.SplitN(pos[colon+1:], "-", 2)
	first, err1 := strconv.Atoi(lines[0])
	end = first
	var err2 error
	if len(lines) == 2 {
		end, err2 = strconv.Atoi(lines[1])
	}
	if err1 != nil || err2 != nil || first > end || colon == 0 {
		return "", 0, 0, false
	}
	return pos[:colon], first, end, true
}

// indexClosures groups the table's closures that have a position by shape.
// A closure of package main has two entries (its name in the program and
// in a test binary, with the same constraint): one is kept, the first by
// name.
func (ts *tableState) indexClosures() {
	ts.closures = map[closureShape][]closureEntry{}
	names := slices.Sorted(maps.Keys(ts.cons))
	for _, name := range names {
		c := ts.cons[name]
		shape, ok := shapeOf(name)
		if !ok || c.Pos == "" {
			continue
		}
		file, first, end, ok := parsePos(c.Pos)
		if !ok {
			continue
		}
		es := ts.closures[shape]
		local := localName(name)
		if i := slices.IndexFunc(es, func(e closureEntry) bool {
			return e.file == file && e.first == first && localName(e.name) == local
		}); i >= 0 {
			continue // the same closure under its other name
		}
		ts.closures[shape] = append(es, closureEntry{name, c, file, first, end})
	}
}

// localName is a runtime name without its package path: "schedule.func1"
// for "main.schedule.func1" and "example.com/m.schedule.func1".
func localName(name string) string {
	rest := name[strings.LastIndexByte(name, '/')+1:]
	return rest[strings.IndexByte(rest, '.')+1:]
}

// sameFile reports whether the runtime's path of a file (absolute, or
// module-relative under -trimpath) is the table's file rel.
func (ts *tableState) sameFile(runtimeFile, rel string) bool {
	if ts.dir != "" {
		return runtimeFile == ts.dir+"/"+rel
	}
	return runtimeFile == rel || strings.HasSuffix(runtimeFile, "/"+rel)
}

// match returns the table's constraint for the function named name whose
// code starts at file:line, with the name of the entry it came from.
func (ts *tableState) match(name, file string, line int) (entry string, c Constraint, ok bool) {
	if ts.cons == nil {
		return "", Constraint{}, false
	}
	if c, ok := ts.cons[name]; ok {
		return name, c, true
	}
	shape, isClosure := shapeOf(name)
	if !isClosure || file == "" {
		return "", Constraint{}, false
	}
	ts.closuresOnce.Do(ts.indexClosures)
	var names []string
	for _, e := range ts.closures[shape] {
		if e.first <= line && line <= e.end && ts.sameFile(file, e.file) {
			if len(names) == 0 {
				c = e.c
			} else {
				c = merge(c, e.c)
			}
			names = append(names, e.name)
		}
	}
	if len(names) == 0 {
		return "", Constraint{}, false
	}
	return strings.Join(names, " "), c, true
}

// merge returns a constraint at least as strict as a and b: both colors,
// the hue of either if the other has none, and exclusive if they have
// different hues (one hue cannot stand for two).
func merge(a, b Constraint) Constraint {
	m := Constraint{Colored: a.Colored || b.Colored}
	switch {
	case a.Hue < 0 || b.Hue < 0:
		m.Hue = -1
	case a.Hue == b.Hue || b.Hue == 0:
		m.Hue = a.Hue
	case a.Hue == 0:
		m.Hue = b.Hue
	default:
		m.Hue = -1
	}
	return m
}
