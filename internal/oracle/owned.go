package oracle

// The ownership shapes: memory a handler reaches through its context that
// is not the context's own. Each is how ordinary Go servers are written,
// and each is a way for the analysis to take shared memory for the
// context's (issue 13):
//
//   - a server injected into every connection (NewConn's Srv: srv), or
//     passed on by a listener handler to the connections it accepts;
//   - peers linked to each other (c.Peer, last.Peer = last, c);
//   - a stream posted as a context of its own, pointing back to its
//     connection, spending the window the connection's handlers refill;
//   - an interior pointer posted as a context (&c.Timer);
//   - locks in an array of structs: accounts[i].Mu held while
//     accounts[j] is written;
//   - recursion over a list or tree that is shared or the connection's;
//   - handlers that post handlers on connections they make.
//
// Memory that truly is the connection's own (Own, a fresh server per
// connection; List when NewConn makes it) is there too: the analysis must
// not be sound by giving up on everything reached through a pointer.

// shape writes one statement of the ownership shapes into a connection
// handler.
func (g *gen) shape() {
	r := g.r2
	switch r.IntN(12) {
	case 0:
		g.line("c.Srv.n++")
	case 1:
		g.line("c.Srv.per[%s]++", g.idx4())
	case 2:
		g.line("c.Own.n += s")
		g.line("c.Own.per[%s] = s", g.idx4())
	case 3:
		g.line("if c.Peer != nil {")
		g.line("\tc.Peer.%s", pick(r, "N++", "Win--", "In.X = s"))
		g.line("}")
	case 4:
		g.line("c.Win += 10")
	case 5:
		g.line("c.Timer.%s", pick(r, "N++", "Fired = s", "N += c.Timer.Fired"))
	case 6:
		if g.locked {
			g.line("s += accounts[%s].Bal", g.idx4())
			return
		}
		i, j := g.idx4(), g.idx4()
		g.line("accounts[%s].Mu.Lock()", i)
		g.line("accounts[%s].Bal += s", j)
		g.line("accounts[%s].Mu.Unlock()", i)
	case 7:
		g.line("s += sumList(c.List)")
	case 8:
		g.line("bumpTree(c.List)")
	case 9:
		g.line("loop.Post(l, hStream, &Stream{Conn: c})")
	case 10:
		if len(g.posts) == 0 {
			g.line("loop.Post(l, hTimer, &c.Timer)")
			return
		}
		// Only connections made by Schedule accept: one generation.
		g.line("if c.ID < 100 {")
		g.line("\tloop.Post(l, %s, accept(c))", pick(r, g.posts...))
		g.line("}")
	default:
		g.line("s += c.Srv.n + c.Own.n")
	}
}

// streamBody is the stream handler's: it spends its connection's window.
func (g *gen) streamBody() string {
	g.line("s := st.Sent")
	g.line("st.Sent++")
	switch g.r2.IntN(3) {
	case 0:
		g.line("st.Conn.Win--")
	case 1:
		g.line("st.Conn.Win -= s")
		g.line("st.Conn.N++")
	default:
		g.line("s += st.Conn.Win")
		g.line("st.Conn.Srv.n++")
	}
	g.line("s += spin(%d)", 10000+g.r2.IntN(30000))
	g.line("keep(s)")
	return g.b.String()
}

// timerBody is the timer handler's: the timer is memory of a connection.
func (g *gen) timerBody() string {
	g.line("t.N++")
	g.line("t.Fired = t.N")
	g.line("keep(spin(%d))", 10000+g.r2.IntN(30000))
	return g.b.String()
}
