package analysis

import (
	"go/token"
	"sort"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Passes over a recursive component apply only what is new.
//
// A member of a recursive component is summarized again in every pass one
// of its callees in the component grew, and each time it applied the whole
// summary of every callee again, to find the few entries the last pass
// added: on a server's 224-function component, passes with a dozen dirty
// members took half a minute each, nearly all of it re-deriving entries
// already recorded. Summaries only grow (accesses and stores are appended,
// never changed), so a call site whose callee entries were applied in an
// earlier pass, in the same context, needs only the entries appended
// since.
//
// "The same context" is everything applying an entry reads besides the
// entry and the caller's own summary: the memory each parameter and
// captured variable of the callee stands for at this call (the origins of
// the arguments, a captured variable's assigned values, the closure's
// makers' bindings), the locks held at the call, and which of the caller's
// allocations are published. All of these may grow from pass to pass as
// callees return and publish more; when any differs the call is applied
// whole, as before. The caller's summary keeps, per call site, callee and
// context, how many of the callee's accesses and stores it has applied.

// wholePasses switches delta passes off (a test compares the two).
var wholePasses = false

// appliedKey is one call site of one callee, in one context.
type appliedKey struct {
	pos    token.Pos
	callee *ssa.Function
	ctx    string
}

// appliedAt is how much of the callee's summary has been applied there.
type appliedAt struct{ acc, st int }

// appliedFrom returns where to resume applying callee's summary sum at this
// call site, and records that it is now applied up to its current end. It
// applies everything (a zero appliedAt) outside recursive components.
func (s *fnState) appliedFrom(pos token.Pos, callee *ssa.Function, sum *summary, args, binds []ssa.Value) appliedAt {
	if s.sum == nil || s.sum.applied == nil || wholePasses {
		return appliedAt{}
	}
	k := appliedKey{pos: pos, callee: callee, ctx: s.applyContext(callee, args, binds)}
	from := s.sum.applied[k]
	s.sum.applied[k] = appliedAt{acc: len(sum.accesses), st: len(sum.stores)}
	return from
}

// applyContext spells what applying callee's entries at this call reads of
// the caller: see subst, which it follows root for root.
func (s *fnState) applyContext(callee *ssa.Function, args, binds []ssa.Value) string {
	var b strings.Builder
	b.WriteString(s.escapedKey())
	b.WriteString(locksKey(s.cur))
	for i := range callee.Params {
		b.WriteString("|p")
		if i < len(args) && args[i] != nil && !isCovered(args, i) {
			s.writeRoots(&b, s.origin(args[i]))
		} else if isCovered(args, i) {
			b.WriteString("covered")
		}
	}
	for i, fv := range callee.FreeVars {
		b.WriteString("|f")
		switch {
		case binds != nil && i < len(binds) && isCovered(binds, i):
			b.WriteString("covered")
		case binds != nil && i < len(binds):
			s.writeRoots(&b, s.origin(binds[i]))
		default:
			s.writeRoots(&b, s.a.creatorBindings(callee, i, mem.Pointee(fv.Type())))
		}
	}
	return b.String()
}

// writeRoots spells roots as subst expands them: a captured variable's
// cell stands for the values assigned to it.
func (s *fnState) writeRoots(b *strings.Builder, roots []mem.Loc) {
	for _, r := range roots {
		b.WriteByte(',')
		b.WriteString(r.Key)
		if al, ok := r.Base.Site.(*ssa.Alloc); ok && r.Base.Kind == mem.Fresh && len(r.Path) == 0 {
			if vals, ok := s.a.cellValues(al); ok {
				cs := s.a.state(al.Parent())
				b.WriteString("=[")
				for _, x := range vals {
					for _, o := range cs.origin(x) {
						b.WriteString(o.Key)
						b.WriteByte(';')
					}
				}
				b.WriteByte(']')
			}
		}
	}
}

// escapedKey spells which of this invocation's allocations are published
// (escaped, published, goShared), once per pass (findEscapes runs once per pass).
func (s *fnState) escapedKey() string {
	if s.escKey != "" || len(s.escaped) == 0 && len(s.goShared) == 0 {
		return s.escKey
	}
	keys := make([]string, 0, len(s.escaped)+len(s.goShared))
	for b, ok := range s.escaped {
		if ok {
			keys = append(keys, b.Key)
		}
	}
	for b := range s.goShared {
		keys = append(keys, "go:"+b.Key)
	}
	for b := range s.published {
		keys = append(keys, "pub:"+b.Key)
	}
	sort.Strings(keys)
	s.escKey = "e:" + strings.Join(keys, ",") + ";"
	return s.escKey
}
