// Package lsp is safels's language server: it re-analyses the workspace when
// a file is saved and publishes one diagnostic per conflicting reference,
// naming the partner handler; it offers the quick fixes of package
// codeactions, a hover and a code lens per handler, and the conflict matrix
// as the command "safels.matrix".
//
// Start at Serve. server.go holds the lifecycle and document sync,
// conn.go how messages reach the server's methods (no notification ends the
// session), analyze.go the debounced background analysis, its progress
// bar, bounds and publishing, limits.go the caps on what one message
// carries, features.go the requests answered from the latest analysis,
// stream.go the framing that survives malformed input, position.go the
// UTF-16 positions, debug.go the statistics tests of hostile clients read.
//
// The read loop never waits for an analysis or for the client: saves only
// schedule an analysis, requests are answered from the latest snapshot, or
// not at all when the document changed since (a stale position or edit
// would be wrong), and the server's own requests to the client time out.
package lsp
