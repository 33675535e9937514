package oracle

// The truncated shapes: a connection kept deep in a shared structure. The
// analysis cuts a path where it would dereference into a type it already
// passed through (a Node below a Node), and the cut loc stands for all
// that lies below it: a pointer stored through ring.Next may land in any
// slot below, here ringTail's Conn, which another root reaches without a
// cut. And the other way round: a pointer stored where a path is not cut
// (ringTail.Conn) is read back through one (ring.Next.Conn). Either way
// the memory is the connection's and every handler's that reaches the
// ring: its conflicts are global.

// And a node allocated fresh (freshTail, in init), kept below another
// (freshRing.Next): written through the cut path and through its own
// global, it is one node, though no pointer to shared memory was ever
// stored below the cut; or only append publishes it (appended[0] is
// appended2[0].Next).

// deep writes one statement of the truncated shapes into a connection
// handler.
func (g *gen) deep() {
	r := g.r4
	switch r.IntN(10) {
	case 6:
		g.line("freshRing.%s.V += s", pick(r, "Next", "Kids[0]"))
	case 7:
		g.line("freshTail.V%s", pick(r, "++", "--", " = s"))
	case 8:
		g.line("appended2[0].Next.V += s")
	case 9:
		g.line("appended[0].V%s", pick(r, "++", " = s"))
	case 0:
		// Stored through a cut path; the connection goes on using its
		// memory, which the ring's readers now reach.
		g.line("ring.%s.Conn = c", pick(r, "Next", "Kids[s&1]"))
		g.line("c.%s", pick(r, "N++", "In.X += s"))
	case 1:
		// Stored where the path is not cut.
		g.line("ringTail.Conn = c")
	case 2, 3:
		// Read back where the path is not cut.
		g.line("if x := ringTail.Conn; x != nil {")
		g.line("\tx.%s", pick(r, "N++", "In.X = s", "N += x.In.X"))
		g.line("}")
	default:
		// Read back through a cut path.
		g.line("if x := ring.%s.Conn; x != nil {", pick(r, "Next", "Kids[1]"))
		g.line("\tx.%s", pick(r, "N--", "In.X++", "N += s"))
		g.line("}")
	}
}

// srvLocked writes a statement under the mutex of the server a connection
// points to. It guards the server's own fields when the lock and the
// access reach the server through the same pointer (analysis/locks.go),
// whichever connection leads there; not what the server points to, nor
// another connection's server.
func (g *gen) srvLocked() {
	r := g.r4
	switch r.IntN(4) {
	case 0:
		g.line("c.Srv.mu.Lock()")
		g.line("c.Srv.n += s")
		g.line("c.Srv.mu.Unlock()")
	case 1:
		v := g.fresh("sv")
		g.line("%s := c.Srv", v)
		g.line("%s.mu.Lock()", v)
		g.line("%s.hits[s&3]++", v)
		g.line("%s.mu.Unlock()", v)
	case 2:
		g.line("c.Srv.mu.Lock()")
		g.line("c.Srv.per[s&3]++")
		g.line("c.Srv.mu.Unlock()")
	default:
		g.line("c.Srv.mu.Lock()")
		g.line("if c.Peer != nil {")
		g.line("\tc.Peer.Srv.n++")
		g.line("}")
		g.line("c.Srv.mu.Unlock()")
	}
}
