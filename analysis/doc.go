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
//	owner.go     ownership: which memory a context reaches is its own
//	pollution.go pointers stored across contexts and shared memory
//	conflict.go  pairwise conflicts, the matrix, hues and colors
//
// Ownership: every abstract object is a root (a global, a context, a
// registered or captured value, memory of unknown origin) or has an
// allocation site. Memory a handler reaches through its context is the
// context's own only when proven so: every pointer ever stored, anywhere in
// the workspace, into the slot it goes through was an allocation made for
// that store and used for nothing else (owner.go). Anything else there (an
// injected *Server, a peer, the connection a stream points back to) is
// shared memory, and conflicts on it are global (a hue), never only the
// context's (a color). A context posted from inside another object
// (&c.timer) is memory of unknown origin; a lock guards only when it is one
// concrete mutex, not an element of an array or map. Colors are an
// optimisation for provably disjoint contexts, never an assumption.
//
// The analysis is conservative: where it cannot tell whether two accesses
// touch the same memory it assumes they do. It knows nothing of the LSP;
// positions leave this package as token.Position.
package analysis
