// Package analysis is the heart of safels: it loads a Go workspace, finds
// its event handlers, summarizes what shared memory every function reads and
// writes, and computes the 2-bit conflict matrix, hues and colors of the
// paper "Safe at Any Speed" (Jannotti & Pamnany).
//
// Start at Run, which returns a Result. The pipeline is:
//
//	load.go      packages.Load + SSA, broken packages set aside
//	handlers.go  handler discovery (loop.Post, //safels:handler, the table)
//	register.go  registrations followed to the handlers they register
//	wrap.go      following a registered value through wrappers (middleware)
//	routes.go    routers: their middleware (Use, With, groups) and routes
//	slots.go     handlers kept in tables and registered in a loop
//	middleware.go  a wrapped handler's accesses, its bound calls resolved
//	names.go     handlers and objects named as the developer knows them
//	spec.go      the handler table: net/http, frameworks, .safels.json
//	loc.go       abstract memory locations: a root and a field path
//	summary.go   per-function access summaries, bottom-up over call-graph SCCs
//	models.go    the table of models of library calls (and .safels.json's)
//	library.go   calls into code without a body, as their models say
//	conflict.go  pairwise conflicts, the matrix, hues and colors
//
// The analysis is conservative: where it cannot tell whether two accesses
// touch the same memory it assumes they do. It knows nothing of the LSP;
// positions leave this package as token.Position.
package analysis
