package oracle

import (
	"fmt"
	"math/rand/v2"
)

// The kept shape: NewConn, called by main before any handler runs, keeps
// every connection in a global slice (kept = append(kept, c)), and a
// handler, hSweep, writes every connection it finds there. The append
// stores the connection into a new array and the array into the global,
// so no single store puts a context into shared memory; yet hSweep, on any
// connection, writes the connection another handler runs on.
type keptShape struct {
	iface bool // a []any, read back by a type assertion
	spin  int
}

// newKept draws the shape for one program from r: nil in two programs of
// three.
func newKept(r *rand.Rand) *keptShape {
	if r.IntN(3) != 0 {
		return nil
	}
	return &keptShape{iface: r.IntN(2) == 0, spin: 10000 + r.IntN(30000)}
}

// newConn is NewConn's statement that keeps the connection.
func (k *keptShape) newConn() string {
	if k == nil {
		return ""
	}
	return "\tkept = append(kept, c)\n"
}

// decls are the global slice and hSweep.
func (k *keptShape) decls() string {
	elem, conn := "*Conn", "x"
	if k.iface {
		elem, conn = "any", "x.(*Conn)"
	}
	return fmt.Sprintf(`
// kept holds every connection NewConn made.
var kept []%s

func hSweep(l *loop.Loop, c *Conn) {
	for _, x := range kept {
		%s.N++
	}
	keep(spin(%d))
}
`, elem, conn, k.spin)
}
