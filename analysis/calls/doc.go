// Package calls resolves the calls whose callee the code does not name.
//
// Calls of function values are resolved by where the values flow, not by
// their signature: a `defer cancel()` calls the cancel function it was
// given, not every func() of the program (which would make every handler
// reach every other's code).
//
// The flow is flow-insensitive and field-based, as in variable type
// analysis: a node is an SSA value, a struct field (all objects alike), a
// global, a local variable's cell, the elements of an array, slice, map or
// channel type, the results of a function, or "memory of type T" reached
// through a pointer nobody tracks. Functions and closures enter where they
// are named and move along assignments, calls (arguments to parameters,
// returns to results, bindings to free variables), loads and stores.
//
// What comes from code without a body here (a library's result, a library
// struct's field, a parameter of a function that library code may call) is
// not known: such a node is "open". Code without a body can only hand back
// a function of ours that it was handed first, so an open node holds every
// function of the node "unknown": what is passed to such code (arguments,
// what is stored in its structs' fields, in memory reached through
// pointers nobody tracks and in containers' elements, the results of our
// functions and methods it may call). An open call may also run a
// function of that code itself: Resolve adds those, by signature.
//
// Interface method calls are resolved by the class hierarchy, with one
// refinement the flow affords: the methods of a named function type
// (http.HandlerFunc's ServeHTTP) run only where a value of that type may
// be the receiver. A conversion to such a type puts its token among the
// functions of the value, and the token moves as they do.
//
// Resolving an open call to every function of its signature (the class
// hierarchy) made one library result stored among the []func() of a
// server resolve every `f()` of such a slice to every func() of the
// program. What this leaves out is code without a body that finds our
// functions by reflection, through fields of our own structs (reflect can
// read unexported fields but not call what they hold without unsafe) or
// through methods it calls on interfaces declared in function bodies.
//
//	resolve.go   Resolve: the targets of every dynamic call; AddressTaken
//	funcflow.go  the flow of functions and closures to the calls of them
package calls
