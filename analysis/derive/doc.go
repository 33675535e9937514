// Package derive reads code outside the workspace from its source and says,
// per function, what a call of it does to the memory it is handed: a model
// of the same form as the analysis' hand-written table (analysis/models.go),
// derived instead of written.
//
// The analysis loads dependencies from export data, without bodies. When
// a workspace call reaches a library function that no table entry covers,
// the analysis asks a Deriver (Lookup). The Deriver type-checks that
// function's package alone from its source (its imports from export
// data, as the analysis reads them), builds its SSA, and summarizes every
// function of it by a fixpoint over its calls: per parameter (the receiver
// first) whether what it reaches is read or written, whether the function
// keeps it (in its receiver, in what it returns, anywhere), and whether
// its first result is memory it made. Calls into other packages use the
// table's model or, within a bound on the depth, that package's derived
// models; beyond, the conservative rule (reads and writes everything its
// arguments reach, keeps them anywhere).
//
// Soundness: a summary is taken wherever the derivation cannot see: an
// interface or dynamic call, a call without a body (assembly) or of a
// closure makes what it is handed written and kept anywhere (but a call
// of a function value kept in an unexported field of the package's own
// types, which only the package sets, runs the functions it stores
// there: fields.go), and the model says it is in part assumed
// (Model.Partial); a write of the package's own variables, a go
// statement, unsafe conversions or sync/atomic make the whole function
// conservative, and then Lookup says it has no model, so that the
// caller's conservative rule applies and the finding says the call was
// assumed. A function that runs no code but the package's own and its
// quiet callees' is quiet (Model.Quiet): it calls nothing of the
// caller's back. Results are derived "fresh" only
// when every pointer returned is memory the function made (or a fresh
// callee's), not stored elsewhere and holding nothing of the library's
// globals or of unknown origin.
//
// Derived models are kept per package in files under the cache directory
// (os.UserCacheDir()/safels/derive, SAFELS_CACHE to override), keyed by
// the package's sources, those of the packages whose derived models it
// used, the Go version, the table and Version, and named by that key: a
// project with another table, or another version of safels, keeps its
// own files beside them. A corrupt file is ignored and rewritten; files
// no run has used for five days are removed (at most once a day).
//
//	derive.go  the Deriver: Lookup, loading a package from source
//	flow.go    one function's summary: what flows from its parameters
//	call.go    calls: builtins, this package's summaries, models, the rest
//	fields.go  the functions the package keeps in its unexported fields
//	cache.go   the persistent cache of derived models
package derive
