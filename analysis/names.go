package analysis

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Names as the developer knows them. A handler is named by its route,
// else by its function; a wrapped handler (middleware around it) by the
// user's handler innermost in the wrapping; never by a name the compiler
// made up (main$3, main.main.func3).

// nameHandlers fills in, for each handler, its route, display name and
// registration; found is in the order of res.Handlers.
func nameHandlers(a *analyzer, res *Result, found []found) {
	for i := range found {
		if i >= len(res.Handlers) {
			break
		}
		f, h := &found[i], res.Handlers[i]
		in := f.inner()
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
