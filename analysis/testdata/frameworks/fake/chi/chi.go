// Package chi is a stand-in with chi's handler API shape.
package chi

import "net/http"

type Mux struct{ routes map[string]http.Handler }

func NewRouter() *Mux                                  { return &Mux{routes: map[string]http.Handler{}} }
func (m *Mux) Get(p string, h http.HandlerFunc)        { m.routes[p] = h }
func (m *Mux) HandleFunc(p string, h http.HandlerFunc) { m.routes[p] = h }
func (m *Mux) Handle(p string, h http.Handler)         { m.routes[p] = h }
