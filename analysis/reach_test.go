package analysis

import (
	"go/token"
	"testing"
)

// A handler's access keeps the first and last calls of a long path, one
// elided step between, and the whole of a short one; the tail (the
// callee's own chain) is kept as it is.
func TestChainToKeepsEnds(t *testing.T) {
	tail := &chain{call: rawCall{pos: 1000}}
	for _, depth := range []int{1, maxShownCalls, maxShownCalls + 1, 50} {
		var u *upPath
		for i := 1; i <= depth; i++ {
			u = &upPath{call: rawCall{pos: token.Pos(i)}, up: u, depth: i}
		}
		var got []token.Pos
		for c := range chainTo(u, tail).all() {
			got = append(got, c.pos)
		}
		var want []token.Pos
		for i := 1; i <= depth; i++ {
			switch {
			case depth <= maxShownCalls || i <= shownHead || i > depth-shownTail:
				want = append(want, token.Pos(i))
			case i == shownHead+1:
				want = append(want, token.NoPos) // the elided calls
			}
		}
		want = append(want, 1000)
		if len(got) != len(want) {
			t.Fatalf("depth %d: got %v, want %v", depth, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("depth %d: got %v, want %v", depth, got, want)
			}
		}
		if c := u.calls(); len(c) != depth || c[0].pos != 1 || c[depth-1].pos != token.Pos(depth) {
			t.Errorf("depth %d: calls() = %v", depth, c)
		}
	}
}

// A pair of handler sets is covered by one done for supersets of both,
// either way round, and by nothing smaller.
func TestCovers(t *testing.T) {
	set := func(hs ...int) handlerSet {
		s := newHandlerSet(130)
		for _, h := range hs {
			s.add(h)
		}
		return s
	}
	done := [][2]handlerSet{{set(1, 2, 70), set(3, 129)}}
	for _, tc := range []struct {
		a, b handlerSet
		want bool
	}{
		{set(1, 70), set(129), true},
		{set(3), set(2), true}, // the other way round
		{set(1, 3), set(129), false},
		{set(1), set(4), false},
		{handlerSet{1 << 1}, set(3), true}, // a shorter set
	} {
		if got := covers(done, tc.a, tc.b); got != tc.want {
			t.Errorf("covers(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
