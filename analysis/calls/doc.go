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
// Interface method calls are resolved by the same flow: a value made into
// an interface carries the token of its type (a value converted to a
// named function type with methods, http.HandlerFunc, that of the type),
// and the token moves as functions do; a call runs the methods, among
// those the class hierarchy gives, of the types whose tokens reach its
// receiver. Where the receiver is open it may also hold a type declared
// in code without a body, or one of ours that code may have: the types of
// what it was handed and all they reach (by reflection, code reaches every
// field's type and makes values of it), whose exported interface fields
// it may also set. A library's variable is open too. Memory written
// through unsafe.Pointer holds any type; a receiver the flow has no node
// for, or one no type reaches (the summaries would read no targets as
// code without a body), keeps the class hierarchy's answer (but the
// methods of function types no token reaches).
//
// Resolving an open call to every function of its signature (the class
// hierarchy) made one library result stored among the []func() of a
// server resolve every `f()` of such a slice to every func() of the
// program. What this leaves out is code without a body that finds our
// functions by reflection, through fields of our own structs (reflect can
// read unexported fields but not call what they hold without unsafe) or
// through methods it calls on interfaces declared in function bodies, or
// what it returns from our methods it calls by reflection.
//
//	resolve.go   Resolve: the targets of every dynamic call; AddressTaken
//	funcflow.go  the flow of functions, closures and the types of interface
//	             values to the calls of them
package calls
