// A gnet v2 server on several event loops keeping per-connection state
// as gnet's examples do: OnOpen hands each connection a session of its
// own (c.SetContext), OnTraffic and OnClose take it back (c.Context()).
// gnet runs one connection's events on one loop, in turn, so a session is
// only ever touched by one event at a time; the totals OnClose keeps are
// written by the loops of different connections at once.
package main

import "github.com/panjf2000/gnet/v2"

type session struct {
	in  int
	buf []byte
}

type server struct {
	gnet.BuiltinEventEngine
	closed, received int
}

func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&session{})
	return nil, gnet.None
}

func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	sess := c.Context().(*session)
	data, _ := c.Next(-1)
	sess.in += len(data)
	sess.buf = append(sess.buf[:0], data...)
	c.Write(sess.buf)
	return gnet.None
}

func (s *server) OnClose(c gnet.Conn, err error) gnet.Action {
	if sess, ok := c.Context().(*session); ok {
		s.received += sess.in
	}
	s.closed++
	return gnet.None
}

func main() {
	gnet.Run(&server{}, "tcp://127.0.0.1:0", gnet.WithMulticore(true))
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "(*server).OnClose" "(*server).OnClose" -- both write the server's closed and received
// (OnOpen and OnTraffic touch only their connection's session.)
