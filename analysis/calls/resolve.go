package calls

import (
	"slices"
	"strings"

	"golang.org/x/tools/go/callgraph/cha"
	"golang.org/x/tools/go/ssa"
)

// Resolve finds the targets of every dynamic call in fns: interface
// method calls by the class hierarchy, but only the methods of the types
// the flow brings to the receiver (and, where it may come from code
// without a body, of types that code may have); calls of
// function values by where the values flow (flowFuncs), and where a value
// may come from code without a body here, also that code's functions of
// the signature, by the class hierarchy. closures lists, for each closure,
// where it is made; library holds the functions and closures handed to
// code without a body here, which may call them where no call here shows.
func Resolve(prog *ssa.Program, fns []*ssa.Function) (sites map[ssa.CallInstruction][]*ssa.Function, closures map[*ssa.Function][]*ssa.MakeClosure, library map[*ssa.Function]bool) {
	cg := cha.CallGraph(prog)
	taken := AddressTaken(fns)
	sites = map[ssa.CallInstruction][]*ssa.Function{}
	closures = map[*ssa.Function][]*ssa.MakeClosure{}
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				if mc, ok := instr.(*ssa.MakeClosure); ok {
					cl := mc.Fn.(*ssa.Function)
					closures[cl] = append(closures[cl], mc)
				}
			}
		}
	}
	bySite := map[ssa.CallInstruction][]*ssa.Function{}
	grouped := map[*ssa.Function]bool{}
	chaOf := func(site ssa.CallInstruction) []*ssa.Function {
		if caller := site.Parent(); !grouped[caller] {
			// The caller's edges, grouped by site once.
			grouped[caller] = true
			mine := map[ssa.CallInstruction][]*ssa.Function{}
			if n := cg.Nodes[caller]; n != nil {
				for _, e := range n.Out {
					// A function value can only be one whose address was taken.
					if e.Site == nil || !e.Site.Common().IsInvoke() && e.Callee.Func.Blocks != nil && !taken[e.Callee.Func] {
						continue
					}
					mine[e.Site] = append(mine[e.Site], e.Callee.Func)
				}
			}
			for s, fns := range mine {
				// The call graph's edges come in map order: sort them,
				// so that a run summarizes alike every time.
				slices.SortFunc(fns, func(x, y *ssa.Function) int { return strings.Compare(x.String(), y.String()) })
				bySite[s] = fns
			}
		}
		return bySite[site]
	}
	flow, open, typesAt, library := flowFuncs(fns, closures, chaOf)
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				call, ok := instr.(ssa.CallInstruction)
				if !ok || call.Common().StaticCallee() != nil {
					continue
				}
				if _, ok := call.Common().Value.(*ssa.Builtin); ok {
					continue
				}
				if call.Common().IsInvoke() {
					// A method runs only where a value of its type
					// may be the receiver: caddy's admin handlers
					// implement its HTTP handler interface too, but
					// none is ever one; a field only ever set from
					// brotli.NewReader reads only with its Read.
					held := typesAt(call)
					var out, wide []*ssa.Function
					for _, fn := range chaOf(call) {
						if held.holds(fn) {
							out = append(out, fn)
						}
						if held.holds(fn) || !funcTypeMethod(fn) {
							wide = append(wide, fn)
						}
					}
					if len(out) == 0 {
						// No type reaches the receiver (a nil error's
						// Error): no targets would mean code without a
						// body to the summaries, which assume the worst
						// of it. The class hierarchy says less, but
						// what it names is analysed.
						out = wide
					}
					sites[call] = out
					continue
				}
				targets := flow[call]
				if open[call] {
					// Code without a body may hand back one of its
					// own functions.
					var lib []*ssa.Function
					for _, fn := range chaOf(call) {
						if fn.Blocks == nil {
							lib = append(lib, fn)
						}
					}
					targets = unionFuncs(targets, lib)
				}
				sites[call] = targets
			}
		}
	}
	return sites, closures, library
}

func unionFuncs(a, b []*ssa.Function) []*ssa.Function {
	out := slices.Clone(a)
	for _, f := range b {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(x, y *ssa.Function) int { return strings.Compare(x.String(), y.String()) })
	return out
}

// AddressTaken: functions used as values (not just called), and closures.
func AddressTaken(fns []*ssa.Function) map[*ssa.Function]bool {
	taken := map[*ssa.Function]bool{}
	var ops []*ssa.Value
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				ops = instr.Operands(ops[:0])
				if call, ok := instr.(ssa.CallInstruction); ok && !call.Common().IsInvoke() {
					ops = ops[1:] // the callee itself
				}
				for _, op := range ops {
					switch v := (*op).(type) {
					case *ssa.Function:
						taken[v] = true
					case *ssa.MakeClosure:
						taken[v.Fn.(*ssa.Function)] = true
					}
				}
			}
		}
	}
	return taken
}
