// Package analysis is the heart of safels: it loads a Go workspace, finds
// its event handlers, summarizes what shared memory every function reads and
// writes, and computes the 2-bit conflict matrix, hues and colors of the
// paper "Safe at Any Speed" (Jannotti & Pamnany).
//
// Start at Run, which returns a Result. Two packages below hold what the
// rest stands on: mem (analysis/mem), the model of memory: abstract
// locations, a root and a path below it, and when two may be the same
// memory; and calls (analysis/calls), the call graph's dynamic edges: the
// targets of calls of function values, by where the values flow, and of
// interface method calls. A third, derive (analysis/derive), reads library
// code from its source and says what a call of it does (derived.go).
// The pipeline is:
//
//	load.go       packages.Load + SSA, broken packages set aside
//	listing.go    the go command's package listing, kept between runs
//	typecheck.go  type-checking from export data, soft errors tolerated
//	handlers.go   handler discovery (loop.Post, //safels:handler, the table)
//	posts.go      handlers posted through wrappers of loop.Post
//	register.go   registrations followed to the handlers they register
//	wrap.go       following a registered value through wrappers (middleware)
//	routes.go     routers: their middleware (Use, With, groups) and routes
//	slots.go      handlers kept in tables and registered in a loop
//	middleware.go a wrapped handler's accesses, its bound calls resolved
//	names.go      handlers and objects named as the developer knows them
//	spec.go       the handler table: net/http, frameworks, .safels.json
//	callback.go   closures handed down to functions that only call them
//	madehere.go   calls of closures this very invocation made
//	callsig.go    the signatures library code calls back a method name by
//	summary.go    per-function access summaries, bottom-up over call-graph SCCs
//	delta.go      passes over a recursive component apply only what is new
//	detach.go     a bound on a recursive component's summaries as a whole
//	typefilter.go a *T parameter is given only the origins of type T
//	memo.go       what summaries ask of a type once per run, one copy of
//	              each loc they keep
//	models.go     the table of models of library calls (and .safels.json's)
//	library.go    calls into code without a body, as their models say, and
//	              the workspace methods they call back (String, MarshalJSON)
//	programs.go   a workspace's main packages: whose types a callback may have
//	derived.go    models derived from the library's source (analysis/derive)
//	              where the table has none
//	owner.go      ownership: which memory a context reaches is its own
//	initstore.go  an object's fields set where it is made: no one else's yet
//	freshload.go  a pointer kept in an invocation's own object: what was stored
//	reach.go      call edges: absolute accesses reached, not copied
//	pollution.go  pointer stores: what may reach a context besides it
//	invocation.go what a concurrent handler's parameters hold that is not its own
//	storebound.go bounds on a summary's stores (destinations, values)
//	locks.go      a mutex in an object reached through the same pointer,
//	              also by a callee it is handed to; read or write by a flag;
//	              callees that may unlock their caller's mutex
//	run.go        Run: the phases, recursive components, bound notes
//	progress.go   word of what a long run is doing (Config.Progress)
//	conflict.go   conflicts: the handlers' accesses placed, hues and colors
//	pairs.go      accesses compared by signature, each conflict recorded once
//	conflictlist.go the conflicts found, listed once each and in order, or counted
//	cutgroup.go   what accesses below one cut may reach, paired once for all
//	publish.go    accesses named and positioned, names and chains made once
//	cache.go      summaries kept between runs (the language server)
//	translate.go  a kept summary rewritten into this run's objects
//	result.go     the Result and its parts
//
// Termination and size are properties of the abstraction, never a timeout.
// A path stops where it would dereference into a type it already passed
// through, and at a bound on its length (mem.Loc); one reference keeps at most
// maxWidth locs of one root before they are merged into their common
// prefix (summary.widen), one access at most maxSites call sites of a
// function (summary.newSite) and maxRefs places below it (summary.newRef),
// and one store at most maxWidth destination objects and value roots
// before they merge (storebound.go). Summaries of a recursive component
// only grow from pass to pass, so the component settles; past settleBy
// passes every reference is widened to its root. A component whose
// summaries pass maxComponentEntries in all starts over detached: what its
// members do through their parameters is taken as done to any memory of
// the type, so nothing is copied up (detach.go). A handler's accesses are
// kept at most at maxHandlerSites of its call sites, and past
// maxHandlerAccesses at one, and one walk enters a function under at most
// maxLockSets sets of locks held, the rest as if none were (reachSites);
// a function value is traced at most maxMadeDepth steps to prove it a
// closure of this invocation (madehere.go), and an object of a handler's
// own through at most maxHolders holders to prove no opaque one keeps it,
// and what a pointer kept in it leads to through at most maxHeldSteps
// pointers kept in turn (freshload.go), past which the proof fails. An access keeps the first
// and last calls of a long path to it (chainTo). A truncated loc ("x...") overlaps all
// that lies under it (a pointer stored through it may land in any slot
// below, pollution.go), so each bound costs precision, never soundness, and
// each one hit is reported as a Problem with Note set, at the function
// (`safels check -v`, an Information diagnostic in the editor). A summary
// copies only what depends on its caller (accesses under its parameters);
// accesses of globals and shared memory stay with the function that makes
// them and are reached through call edges once per handler (reach.go).
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
// concrete mutex, not an element of an array or map, or the mutex of the
// very object accessed, reached through the same pointer (c.srv.mu and
// c.srv.n, locks.go), whatever object that is (boxes[i].mu and
// boxes[i].n, also in a callback handed that box). Colors are an
// optimisation for provably disjoint contexts, never an assumption. What a
// concurrent handler reaches from the parameters a library made for it (a
// request, a response writer, a connection) is its invocation's, but for
// what is stored there that is not, what it published of them, and a
// parameter of the workspace's own type, which is memory of its type
// anywhere (invocation.go).
//
// The analysis is conservative: where it cannot tell whether two accesses
// touch the same memory it assumes they do. It knows nothing of the LSP;
// positions leave this package as token.Position.
package analysis
