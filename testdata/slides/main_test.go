package main

import "testing"

// TestRun checks that the serial loop ran the handlers in the order posted.
func TestRun(t *testing.T) {
	if s, n := run(); s != send || n != 1 {
		t.Errorf("run() = state %d, globCtr %d; want %d, 1", s, n, send)
	}
}
