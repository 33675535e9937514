// Package gin is a stand-in with gin's handler API shape, for safels tests.
package gin

type Context struct{ Keys map[string]any }
type HandlerFunc func(*Context)
type Engine struct{ routes map[string][]HandlerFunc }

func New() *Engine                                  { return &Engine{routes: map[string][]HandlerFunc{}} }
func (e *Engine) GET(path string, h ...HandlerFunc) { e.routes[path] = h }
