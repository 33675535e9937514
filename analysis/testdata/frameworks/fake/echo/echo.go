// Package echo is a stand-in with echo's handler API shape.
package echo

type Context interface{ Param(string) string }
type HandlerFunc func(Context) error
type Echo struct{ routes map[string]HandlerFunc }

func New() *Echo                               { return &Echo{routes: map[string]HandlerFunc{}} }
func (e *Echo) GET(path string, h HandlerFunc) { e.routes[path] = h }
