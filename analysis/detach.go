package analysis

import (
	"fmt"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// A bound on recursive components as a whole.
//
// What a function does through its parameters is copied into each caller,
// rewritten in the caller's terms: that is what keeps a connection's
// fields apart from another's. In a recursive component every member
// reaches every other, so each member ends up with a copy of every access
// any member makes through the parameters they pass around, and the
// component's summaries grow with the square of its size: a server's
// 925-function component (a *client handed everywhere) ran out of 12 GB
// in its second pass, a 224-function one took minutes over 680,000
// entries.
//
// Past maxComponentEntries entries in all, the component starts over
// detached: each member records what it does through its parameters as
// done to any memory of their types (unknown memory, which may be any
// context or shared object of the type), and drops the locks it holds
// through them. Nothing in its summaries then depends on the caller, so
// nothing is copied up: callers reach the accesses through their call
// edges (reach.go), once. Accesses of a connection's own fields become
// accesses of every connection's (a hue, not a color), and locks of a
// parameter's mutex guard nothing: less precise, not less safe. The
// component is named in a note.
var maxComponentEntries = 200_000

// detach returns l, or memory of its type if l is named through a
// parameter or a captured variable.
func (a *analyzer) detach(l mem.Loc) mem.Loc {
	if !isRelative(l) {
		return l
	}
	return a.roots.UnknownPath(l.Base.Type, l.Path, l.Trunc)
}

// detachComponent starts scc over with detached summaries, and says so.
func (a *analyzer) detachComponent(scc []*ssa.Function, size int) {
	for _, fn := range scc {
		a.sums[fn] = &summary{applied: map[appliedKey]appliedAt{}, detached: true}
	}
	a.progress.say("summaries: a recursive component of %d functions (%s) passed %d entries: starting it over detached", len(scc), scc[0].Name(), size)
	a.bounds = append(a.bounds, Problem{Pos: a.fset.Position(scc[0].Pos()), Note: true,
		Message: fmt.Sprintf("the summaries of %s and the %d functions recursive with it passed %d entries: what they do through their parameters is taken as done to any memory of its type (less precise, not less safe)",
			scc[0].Name(), len(scc)-1, size)})
}
