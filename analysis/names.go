package analysis

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// Names as the developer knows them. A handler is named by its route,
// else by its function; a wrapped handler (middleware around it) by the
// user's handler innermost in the wrapping; never by a name the compiler
// made up (main$3, main.main.func3).

// nameHandlers fills in, for each handler, its route, display name and
// registration; fs is in the order of res.Handlers.
func nameHandlers(a *analyzer, res *Result, fs []found) {
	files := map[string]bool{}
	for _, name := range res.Files {
		files[name] = true
	}
	for i := range fs {
		if i >= len(res.Handlers) {
			break
		}
		f, h := &fs[i], res.Handlers[i]
		in := f.inner()
		if !files[a.position(in.fn.Pos()).Filename] {
			// The innermost is a library's (pprof.Index behind the
			// user's middleware): name the user's code around it.
			in = f.innerUser(func(g *found) bool { return files[a.position(g.fn.Pos()).Filename] })
		}
		if in != f {
			h.Name, h.Short = funcName(in.fn), shortFuncName(in.fn)
			h.Pos = a.position(in.fn.Pos())
		}
		h.Route = strings.Join(f.routes, ", ")
		if f.reg.IsValid() {
			h.Registered = a.position(f.reg)
		}
		h.Display = h.Route
		if h.Display == "" {
			h.Display = a.displayFunc(in, f.label)
		}
	}
}

// displayFunc names a handler without a route: a declared function or
// method by its name, a func literal by what registers it or where it is.
func (a *analyzer) displayFunc(f *found, label string) string {
	fn := f.fn
	if fn.Parent() == nil || isBound(fn) {
		return shortFuncName(fn)
	}
	if label == "" {
		label = f.label
	}
	if label != "" {
		return label
	}
	p := a.position(fn.Pos())
	return fmt.Sprintf("func literal at %s:%d", filepath.Base(p.Filename), p.Line)
}

// Objects are named as Go code: `stats.requests`, `main.keys`,
// `(*Server).items`, `conns[i].state` (i: any element, indices are not
// told apart), `(*redcon.Command).Args` (some redcon.Command, wherever it
// is: a pointer of unknown origin); `x...` is x and everything reachable
// from it.

// ownerName names the function owning a variable: its outermost declared
// function (`main` for a local of a func literal in main).
func ownerName(fn *ssa.Function) string {
	for fn.Parent() != nil {
		fn = fn.Parent()
	}
	return shortFuncName(fn)
}
