package analysis

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/callgraph/cha"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// Discovery only, on a real module: SAFELS_REAL=dir.
func TestZZRealDiscovery(t *testing.T) {
	dir := os.Getenv("SAFELS_REAL")
	if dir == "" {
		t.Skip()
	}
	cfg := Config{Dir: dir}
	l, err := load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := &analyzer{prog: l.prog, fset: l.fset, sites: map[ssa.CallInstruction][]*ssa.Function{}, sums: map[*ssa.Function]*summary{},
		closures: map[*ssa.Function][]*ssa.MakeClosure{}, bases: map[string]*base{}, states: map[*ssa.Function]*fnState{}, cells: map[*ssa.Alloc]cell{}}
	rootPkgs := map[*ssa.Package]bool{}
	for _, p := range l.roots {
		rootPkgs[l.prog.Package(p.Types)] = true
	}
	var fns []*ssa.Function
	for fn := range ssautil.AllFunctions(l.prog) {
		if fn.Blocks != nil && fn.Pkg != nil && rootPkgs[fn.Pkg] {
			fns = append(fns, fn)
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Pos() < fns[j].Pos() })
	_ = cha.CallGraph
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				if mc, ok := instr.(*ssa.MakeClosure); ok {
					a.closures[mc.Fn.(*ssa.Function)] = append(a.closures[mc.Fn.(*ssa.Function)], mc)
				}
			}
		}
	}
	spec, _ := loadSpec(dir)
	found, problems := a.findHandlers(l, fns, spec)
	res := &Result{}
	for range found {
		res.Handlers = append(res.Handlers, &Handler{})
	}
	for i := range found {
		res.Handlers[i].Name, res.Handlers[i].Short = funcName(found[i].fn), shortFuncName(found[i].fn)
	}
	nameHandlers(a, res, found)
	routes, wrapped := 0, 0
	for i, h := range res.Handlers {
		if h.Route != "" {
			routes++
		}
		if found[i].wrapped() {
			wrapped++
		}
		fmt.Printf("handler\t%s\t%s\t%v\t%s\n", h.Display, h.Short, found[i].wrapped(), strings.TrimPrefix(h.Pos.String(), dir))
	}
	for _, p := range problems {
		fmt.Printf("problem\t%s\t%s\n", strings.TrimPrefix(p.Pos.String(), dir), p.Message)
	}
	fmt.Printf("summary\t%d packages, %d handlers (%d with a route, %d wrapped), %d problems\n", len(l.roots), len(found), routes, wrapped, len(problems))
}
