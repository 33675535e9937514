package loop

import (
	"math/rand/v2"
	"testing"
)

// The ring against a slice: pushes, pops, pushes to the front and pops of
// plain invocations, at random, across segment boundaries.
func TestRing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	plain := &handlerInfo{name: "plain"}
	var q ring
	var model []inv
	next := uint64(0)
	mk := func() inv {
		next++
		v := inv{info: plain, seq: next}
		if r.IntN(10) == 0 {
			v.info = nil // a stand-in
		}
		return v
	}
	for step := 0; step < 8000; step++ {
		switch op := r.IntN(10); {
		case op < 3:
			v := mk()
			q.push(&v)
			model = append(model, v)
		case op < 7:
			var v inv
			ok := q.popTo(&v)
			if ok != (len(model) > 0) || ok && v != model[0] {
				t.Fatalf("step %d: pop = %+v, %t; want %+v", step, v, ok, model)
			}
			if ok {
				model = model[1:]
			}
		case op < 8:
			k := r.IntN(segSize) + 1
			vs := make([]inv, k)
			for i := range vs {
				vs[i] = mk()
			}
			q.pushFront(vs)
			model = append(append([]inv(nil), vs...), model...)
		default:
			buf := make([]inv, r.IntN(20)+1)
			n := q.popPlain(buf)
			want := 0
			for want < len(buf) && want < len(model) && model[want].info != nil {
				want++
			}
			if n != want {
				t.Fatalf("step %d: popPlain took %d, want %d", step, n, want)
			}
			for i := 0; i < n; i++ {
				if buf[i] != model[i] {
					t.Fatalf("step %d: popPlain %d = %+v, want %+v", step, i, buf[i], model[i])
				}
			}
			model = model[n:]
		}
		if q.n != len(model) {
			t.Fatalf("step %d: n = %d, want %d", step, q.n, len(model))
		}
	}
}
