// Package mux is a stand-in with gorilla/mux's handler API shape.
package mux

import "net/http"

type Router struct {
	routes map[string]func(http.ResponseWriter, *http.Request)
}

func NewRouter() *Router {
	return &Router{routes: map[string]func(http.ResponseWriter, *http.Request){}}
}
func (r *Router) HandleFunc(p string, f func(http.ResponseWriter, *http.Request)) {
	r.routes[p] = f
}
