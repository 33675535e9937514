package lsp

import (
	"runtime"
	"runtime/debug"
)

// debugStats answers "safels.debug.stats" (with Options.Debug only): what
// tests of hostile clients compare before and after, to show that what a
// client sent was not kept.
type debugStats struct {
	Goroutines int    `json:"goroutines"`
	HeapBytes  uint64 `json:"heapBytes"` // live heap, right after a collection
	Documents  int    `json:"documents"` // open documents
	Idle       bool   `json:"idle"`      // no analysis scheduled or in flight
	Runs       int    `json:"runs"`      // analyses started
}

func (s *server) debugStats() debugStats {
	debug.FreeOSMemory() // a full collection first
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.mu.Lock()
	defer s.mu.Unlock()
	return debugStats{
		Goroutines: runtime.NumGoroutine(),
		HeapBytes:  m.HeapAlloc,
		Documents:  len(s.docs),
		Idle:       !s.pending && !s.inflight,
		Runs:       s.runs,
	}
}
