package oracle

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/safels/safels/analysis"
)

// Verdict is what Match found for one race.
type Verdict struct {
	OK     bool
	Reason string // why not, or how
	// Exact: the matched accesses' call chains (call sites from the
	// handler down, then the reference) are the lines of the race's stacks.
	Exact bool
}

// sideInfo is one side of a race as the program's code sees it.
type sideInfo struct {
	known   bool  // the stack reaches the program's code
	atomic  bool  // the access is in sync/atomic, the caller unknown
	handler int   // index in Result.Handlers, -1 if not found
	lines   []int // program frames, outermost (the handler) first
	cands   []*analysis.Access
	frames  string // for messages
}

// Match checks that a race between two invocations of program p is a
// conflict that the analysis reported: each side's innermost frame in the
// program is the position of an access of the handler on that stack, and
// the two accesses are partners, with a kind in allowed (Global for
// invocations on distinct contexts; Global|Context when they may share
// one). A side whose stack is lost, or that is an atomic operation (the
// race detector does not show the caller of sync/atomic functions), is
// matched by the other side alone: it must have a partner.
func Match(r Race, p *Program, res *analysis.Result, file string, allowed analysis.Kind) Verdict {
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
		for k := len(s.Frames) - 1; k >= 0; k-- {
			f := s.Frames[k]
			si.frames += fmt.Sprintf("  %s %s:%d\n", f.Func, f.File, f.Line)
			if f.File != file {
				continue
			}
			if si.handler < 0 {
				si.handler = handlerOf(frameOf, f.Func)
			}
			if si.handler >= 0 {
				si.lines = append(si.lines, f.Line)
			}
		}
		si.known = len(si.lines) > 0
		if len(s.Frames) > 0 && strings.HasPrefix(s.Frames[0].Func, "sync/atomic.") && !si.known {
			si.atomic = true
		}
		if si.known {
			line := si.lines[len(si.lines)-1]
			for _, a := range res.Handlers[si.handler].Accesses {
				if a.Pos.Filename == file && a.Pos.Line == line {
					si.cands = append(si.cands, a)
				}
			}
		} else {
			for _, f := range s.Frames {
				if f.File == file {
					// In the program, but not under a handler.
					return Verdict{Reason: "race in program code outside any handler:\n" + si.frames}
				}
			}
		}
		sides[i] = si
	}
	a, b := sides[0], sides[1]
	if !a.known && !b.known {
		return Verdict{Reason: "no side of the race is in the program's handlers"}
	}
	if !a.known {
		a, b = b, a
	}
	if len(a.cands) == 0 {
		return Verdict{Reason: fmt.Sprintf("the analysis reports no access of %s at line %d (stack:\n%s)",
			res.Handlers[a.handler].Short, a.lines[len(a.lines)-1], a.frames)}
	}
	if !b.known {
		for _, x := range a.cands {
			for _, pt := range x.Partners {
				if pt.Kind&allowed != 0 && (!b.atomic || pt.Access.Atomic) {
					return Verdict{OK: true, Reason: "one side: partner " + describe(pt.Access), Exact: exact(x, a.lines)}
				}
			}
			if x.NPartners > len(x.Partners) {
				return Verdict{OK: true, Reason: "one side: partners truncated", Exact: exact(x, a.lines)}
			}
		}
		return Verdict{Reason: fmt.Sprintf("no access of %s at line %d has a %s partner (other side lost or atomic)",
			res.Handlers[a.handler].Short, a.lines[len(a.lines)-1], allowed)}
	}
	if len(b.cands) == 0 {
		return Verdict{Reason: fmt.Sprintf("the analysis reports no access of %s at line %d (stack:\n%s)",
			res.Handlers[b.handler].Short, b.lines[len(b.lines)-1], b.frames)}
	}
	var loose *Verdict
	for _, x := range a.cands {
		for _, y := range b.cands {
			k, ok := partners(x, y)
			if !ok && x.NPartners > len(x.Partners) && y.NPartners > len(y.Partners) {
				// Both partner lists were cut short: fall back on the matrix.
				k, ok = res.Matrix[a.handler][b.handler], res.Matrix[a.handler][b.handler] != 0
			}
			if !ok || k&allowed == 0 {
				continue
			}
			v := Verdict{OK: true, Reason: describe(x) + " / " + describe(y), Exact: exact(x, a.lines) && exact(y, b.lines)}
			if v.Exact {
				return v
			}
			if loose == nil {
				loose = &v
			}
		}
	}
	if loose != nil {
		return *loose
	}
	cell := res.Matrix[a.handler][b.handler]
	// Memory allocated by one invocation and published (through its
	// context, or shared state) is initialized by the allocation, which
	// the race detector counts as a write at that line; the analysis
	// reports the pointer's slot, written there and read by the other
	// handler before it reaches the new memory.
	for _, s := range []sideInfo{a, b} {
		if line := s.lines[len(s.lines)-1]; cell&allowed != 0 && allocates(p.Source, line) {
			return Verdict{OK: true, Reason: fmt.Sprintf("publication of memory allocated at line %d; handlers conflict (%02b)", line, cell)}
		}
	}
	return Verdict{Reason: fmt.Sprintf("%s line %d and %s line %d: no pair of their accesses there is a %s conflict (matrix cell %02b)",
		res.Handlers[a.handler].Short, a.lines[len(a.lines)-1], res.Handlers[b.handler].Short, b.lines[len(b.lines)-1], allowed, cell)}
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

// exact: the access's call chain is the stack (program frames only).
func exact(a *analysis.Access, lines []int) bool {
	if len(a.Via)+1 != len(lines) {
		return false
	}
	for i, c := range a.Via {
		if c.Pos.Line != lines[i] {
			return false
		}
	}
	return a.Pos.Line == lines[len(lines)-1]
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
		if dot < 0 || !strings.Contains(fn[dot:], "func") && !isDigits(fn[dot+1:]) {
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

var allocation = regexp.MustCompile(`&[A-Z][A-Za-z]*\{|\bnew\(|\bmake\(|\bappend\(`)

// allocates: the source line allocates memory.
func allocates(src string, line int) bool {
	lines := strings.Split(src, "\n")
	return line >= 1 && line <= len(lines) && allocation.MatchString(lines[line-1])
}
