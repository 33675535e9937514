package oracle

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/safels/safels/analysis"
)

// How says how a race was matched to the analysis' findings.
type How uint8

const (
	// Unmatched: the analysis did not report the race.
	Unmatched How = iota
	// Exact: both accesses, each with its whole call chain (the call sites
	// from the handler down, then the reference, are the race's stack).
	Exact
	// Pair: both accesses, at the race's lines, but a call chain differs
	// (a deferred call runs from the return, not the defer statement).
	Pair
	// OneSide: one access, whose partner is of the kind that the other
	// side must be: its stack was lost, or it is in sync/atomic, whose
	// caller the race detector does not show.
	OneSide
	// Truncated: the accesses' partner lists were cut short
	// (maxPartners); the handlers' matrix cell has the kind.
	Truncated
	// Publication: one side is the allocation of memory that the other
	// reached through a pointer the allocating handler published; the
	// handlers' matrix cell has the kind (the conflict is on the pointer).
	Publication
	nHow
)

func (h How) String() string {
	return [...]string{"unmatched", "exact", "pair", "one side", "truncated", "publication"}[h]
}

// Verdict is what Match found for one race.
type Verdict struct {
	How    How
	Reason string // why not, or what matched
}

// OK reports whether the analysis reported the race.
func (v Verdict) OK() bool { return v.How != Unmatched }

// sideInfo is one side of a race as the program's code sees it.
type sideInfo struct {
	handler int       // index in Result.Handlers, -1 if the stack reaches none
	lines   []srcLine // program frames, outermost (the handler's) first
	atomic  bool      // the access is in sync/atomic and its caller unknown
	lost    bool      // the race detector could not restore the stack
	cands   []*analysis.Access
	frames  string // for messages
}

// srcLine is a line of one of the program's files (absolute name).
type srcLine struct {
	file string
	line int
}

func (l srcLine) String() string { return fmt.Sprintf("%s:%d", filepath.Base(l.file), l.line) }

func (s *sideInfo) known() bool   { return s.handler >= 0 }
func (s *sideInfo) line() srcLine { return s.lines[len(s.lines)-1] }

// Match checks that a race between two invocations of program p is a
// conflict that the analysis reported: each side's innermost frame in the
// program (its files, in dir) is the position of an access of the handler on that
// stack, and the two accesses are partners, with a kind in allowed
// (Global for invocations on distinct contexts; Global|Context when they
// may share one). See How for the weaker matches it accepts, and why.
func Match(r Race, p *Program, res *analysis.Result, dir string, allowed analysis.Kind) Verdict {
	files := map[string]string{} // source by absolute name
	for rel, src := range p.Files() {
		files[filepath.Join(dir, rel)] = src
	}
	frameOf := map[string]int{} // traceback name -> handler index in res
	for _, h := range p.Handlers {
		for i, rh := range res.Handlers {
			if rh.Short == h.Short {
				frameOf[ModulePath+"/"+p.Pkg+"."+h.Frame] = i
			}
		}
	}
	var sides [2]sideInfo
	for i, s := range r.Sides {
		si := sideInfo{handler: -1}
		inProgram := false
		for k := len(s.Frames) - 1; k >= 0; k-- {
			f := s.Frames[k]
			si.frames += fmt.Sprintf("  %s %s:%d\n", f.Func, f.File, f.Line)
			if _, ok := files[f.File]; !ok {
				continue
			}
			inProgram = true
			if si.handler < 0 {
				si.handler = handlerOf(frameOf, f.Func)
			}
			if si.handler >= 0 {
				si.lines = append(si.lines, srcLine{f.File, f.Line})
			}
		}
		if inProgram && !si.known() {
			return Verdict{Reason: "race in program code outside any handler:\n" + si.frames}
		}
		si.lost = len(s.Frames) == 0
		si.atomic = !si.known() && !si.lost && strings.HasPrefix(s.Frames[0].Func, "sync/atomic.")
		if si.known() {
			for _, a := range res.Handlers[si.handler].Accesses {
				if (srcLine{a.Pos.Filename, a.Pos.Line}) == si.line() {
					si.cands = append(si.cands, a)
				}
			}
			if len(si.cands) == 0 && !allocates(files[si.line().file], si.line().line) {
				// (An allocation, where memory of the handler's own is
				// written, is no access: it may still be a publication.)
				return Verdict{Reason: fmt.Sprintf("the analysis reports no access of %s at %s (stack:\n%s)",
					res.Handlers[si.handler].Short, si.line(), si.frames)}
			}
		}
		sides[i] = si
	}
	a, b := sides[0], sides[1]
	if !a.known() {
		a, b = b, a
	}
	if !a.known() {
		return Verdict{Reason: "no side of the race is in the program's handlers"}
	}
	// The runner's making of a request or a recorder races with a
	// handler only where that handler reached another request's objects
	// (one published them): the handler's side must then conflict with
	// something, as for a side whose stack was lost.
	made := strings.Contains(b.frames, "net/http/httptest.New")
	if !b.known() && !b.lost && !b.atomic && !made {
		return Verdict{Reason: "race with code outside the program:\n" + b.frames}
	}
	if !b.known() {
		for _, x := range a.cands {
			for _, pt := range x.Partners {
				if pt.Kind&allowed != 0 && (!b.atomic || pt.Access.Atomic) {
					return Verdict{How: OneSide, Reason: describe(x) + " / " + describe(pt.Access)}
				}
			}
			if x.NPartners > len(x.Partners) {
				return Verdict{How: Truncated, Reason: describe(x)}
			}
		}
		return Verdict{Reason: fmt.Sprintf("no access of %s at %s has a %s partner (the other side is lost or atomic)",
			res.Handlers[a.handler].Short, a.line(), kinds(allowed))}
	}
	cell := res.Matrix[a.handler][b.handler]
	best := Verdict{}
	for _, x := range a.cands {
		for _, y := range b.cands {
			v := Verdict{How: Pair, Reason: describe(x) + " / " + describe(y)}
			k, ok := partners(x, y)
			if !ok && x.NPartners > len(x.Partners) && y.NPartners > len(y.Partners) {
				k, ok, v.How = cell, cell != 0, Truncated
			}
			if !ok || k&allowed == 0 {
				continue
			}
			if v.How == Pair && chain(x, a.lines) && chain(y, b.lines) {
				return Verdict{How: Exact, Reason: v.Reason}
			}
			if best.How == Unmatched || v.How < best.How {
				best = v
			}
		}
	}
	if best.OK() {
		return best
	}
	for _, s := range []sideInfo{a, b} {
		if cell&allowed != 0 && allocates(files[s.line().file], s.line().line) {
			return Verdict{How: Publication, Reason: fmt.Sprintf("memory allocated at %s; matrix cell %02b", s.line(), cell)}
		}
	}
	return Verdict{Reason: fmt.Sprintf("%s at %s and %s at %s: no pair of their accesses there is a %s conflict (matrix cell %02b)",
		res.Handlers[a.handler].Short, a.line(), res.Handlers[b.handler].Short, b.line(), kinds(allowed), cell)}
}

func kinds(k analysis.Kind) string {
	if k == analysis.Global|analysis.Context {
		return "global or context"
	}
	return k.String()
}

// partners reports whether the analysis paired x and y, and how.
func partners(x, y *analysis.Access) (analysis.Kind, bool) {
	var k analysis.Kind
	for _, p := range x.Partners {
		if p.Access == y {
			k |= p.Kind
		}
	}
	for _, p := range y.Partners {
		if p.Access == x {
			k |= p.Kind
		}
	}
	return k, k != 0
}

// chain: the access's call chain is the stack (program frames only).
func chain(a *analysis.Access, lines []srcLine) bool {
	if len(a.Via)+1 != len(lines) {
		return false
	}
	for i, c := range a.Via {
		if (srcLine{c.Pos.Filename, c.Pos.Line}) != lines[i] {
			return false
		}
	}
	return srcLine{a.Pos.Filename, a.Pos.Line} == lines[len(lines)-1]
}

func describe(a *analysis.Access) string {
	s := fmt.Sprintf("%s %s at %d", a.Op, a.Short, a.Pos.Line)
	for _, c := range a.Via {
		s += fmt.Sprintf(" via %s@%d", c.Short, c.Pos.Line)
	}
	return s
}

// handlerOf finds the handler a frame belongs to: the handler's own, or a
// closure made in it (the generated programs never let one escape). A
// deferred closure runs from runtime.deferreturn, and the race detector's
// stack of it lacks the handler's frame.
func handlerOf(frameOf map[string]int, fn string) int {
	for {
		if h, ok := frameOf[fn]; ok {
			return h
		}
		dot := strings.LastIndex(fn, ".")
		if dot < 0 || !strings.HasPrefix(fn[dot+1:], "func") && !isDigits(fn[dot+1:]) {
			return -1
		}
		fn = fn[:dot]
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// allocation: a composite literal (of a type of the program's or of a
// library's, &cring.Ring{}), new, make or append.
var allocation = regexp.MustCompile(`&([a-z]+\.)?[A-Z][A-Za-z]*\{|\bnew\(|\bmake\(|\bappend\(`)

// allocates: the source line allocates memory.
func allocates(src string, line int) bool {
	lines := strings.Split(src, "\n")
	return line >= 1 && line <= len(lines) && allocation.MatchString(lines[line-1])
}
