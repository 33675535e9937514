// Package mem is the analysis's model of memory: abstract locations, what
// they designate, and when two of them may be the same memory.
//
// A Loc is a root (a Base: a global, a context, a parameter, a captured
// variable, an allocation, or memory known only by its type) and a path of
// field selections, element selections and dereferences below it. Locs are
// values; their Key identifies them, and two locs of one root share one
// *Base. A path is widened where it would repeat itself (a dereference into
// a type it already passed through) and at maxPath elements; the cut loc
// (Trunc) stands for everything below it, so recursion over linked data
// gives finitely many locs, at a cost in precision, never in soundness.
//
// Roots makes the roots, one per key, each kind under one key scheme
// (a global "g:", an allocation "new:" at its position, memory of a type
// "?:"), so that a key names one memory of one type whatever order a run
// asks for them in; a summary kept from an earlier run is rebuilt in this
// run's program by the same schemes (Again). Memory of unknown origin
// reached through an interface and then a field of its dynamic value is
// rooted at that value's type (UnknownPath): one name and one key for the
// same objects, whichever interface they came through.
//
// Whether two locs may overlap: Overlaps when both are precise (the same
// root, one path a prefix of the other), TypeAlias when either is known
// only by its type, ContextAlias for two of one context through a pointer.
// NeedlesOf and Haystack index locs so that the candidates of TypeAlias
// are found without comparing every pair.
//
//	loc.go      locations, their keys, widening and aliasing
//	roots.go    the roots of locations and their key schemes
//	typekey.go  types as keys: identical types alike, aliases spelled out
package mem
