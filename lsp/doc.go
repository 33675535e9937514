// Package lsp is safels's language server: it re-analyses the workspace when
// a file is saved and publishes one diagnostic per conflicting reference,
// naming the partner handler; it offers the quick fixes of package
// codeactions, a hover and a code lens per handler, and the conflict matrix
// as the command "safels.matrix".
//
// Start at Serve. server.go holds the lifecycle and document sync,
// analyze.go the debounced background analysis and publishing, features.go
// the requests answered from the latest analysis, stream.go the framing that
// survives malformed messages, position.go the UTF-16 positions.
//
// The read loop never waits for an analysis: saves only schedule one, and
// requests are answered from the latest snapshot, or not at all when the
// document changed since (a stale position or edit would be wrong).
package lsp
