package analysis

import (
	"fmt"
	"path/filepath"

	"github.com/safels/safels/analysis/calls"
	"golang.org/x/tools/go/ssa"
)

// Handlers posted through wrappers of loop.Post. A program often posts
// through a helper of its own (func Later(l *loop.Loop, h func(*loop.Loop,
// *Conn), c *Conn) { loop.Post(l, h, c) }), maybe in another package:
// there the handler is the helper's parameter, and the handlers are what
// its callers pass, through helpers of helpers up to maxWrap calls. A
// handler that cannot be followed is said where it is lost: it is not in
// the table, so (unless found elsewhere) the loop runs it exclusively,
// which is safe, and its accesses are not checked.

// posters indexes the workspace's static calls by callee, and the
// functions it uses as values (whose calls are not all known).
type posters struct {
	callers map[*ssa.Function][]ssa.CallInstruction
	taken   map[*ssa.Function]bool
}

func newPosters(fns []*ssa.Function) *posters {
	p := &posters{callers: map[*ssa.Function][]ssa.CallInstruction{}, taken: calls.AddressTaken(fns)}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				call, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				if callee := call.Common().StaticCallee(); callee != nil {
					p.callers[callee] = append(p.callers[callee], call)
					if o := callee.Origin(); o != nil && o != callee {
						// The generic function's own body posts for
						// every instantiation.
						p.callers[o] = append(p.callers[o], call)
					}
				}
			}
		}
	}
	return p
}

// posted finds the handlers that the loop.Post call post, in fn, is given
// as h, and says where one is lost.
func (d *disc) posted(fn *ssa.Function, post ssa.Instruction, h ssa.Value) {
	if d.posts == nil {
		d.posts = newPosters(d.fns)
	}
	where := d.a.fset.Position(instrPos(post))
	seen := map[ssa.Instruction]bool{}
	var follow func(in *ssa.Function, at ssa.Instruction, v ssa.Value, wrapper *ssa.Function, depth int)
	follow = func(in *ssa.Function, at ssa.Instruction, v ssa.Value, wrapper *ssa.Function, depth int) {
		if seen[at] {
			return
		}
		seen[at] = true
		if f, ok := fnValue(v, ModelLoop); ok {
			d.add(&f)
			return
		}
		lost := "the handler passed to loop.Post"
		if wrapper != nil {
			lost = fmt.Sprintf("the handler passed to %s (which posts it at %s:%d)", shortFuncName(wrapper), filepath.Base(where.Filename), where.Line)
		}
		p, isParam := unwrap(v).(*ssa.Parameter)
		if !isParam || depth >= maxWrap {
			d.warn(in, at, lost+" is not a function known here: a handler posted only this way is not in the table, and runs exclusively")
			return
		}
		idx := -1
		for i, q := range in.Params {
			if q == p {
				idx = i
			}
		}
		if d.posts.taken[in] || in.Origin() != nil && d.posts.taken[in.Origin()] {
			d.warn(in, at, fmt.Sprintf("%s is %s's parameter %s, and %s is also used as a value: a handler posted through it that way is not followed, is not in the table, and runs exclusively",
				lost, shortFuncName(in), p.Name(), shortFuncName(in)))
		}
		for _, call := range d.posts.callers[in] {
			args := call.Common().Args
			if idx < 0 || idx >= len(args) {
				continue
			}
			follow(call.Parent(), call, args[idx], in, depth+1)
		}
	}
	follow(fn, post, h, nil, 0)
}
