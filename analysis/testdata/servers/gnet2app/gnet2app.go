// A gnet v2 server: the handler embeds gnet.BuiltinEventEngine.
package main

import "github.com/panjf2000/gnet/v2"

type server struct {
	gnet.BuiltinEventEngine
	conns int
}

func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) { s.conns++; return nil, gnet.None } // want "\\(\\*server\\).OnOpen writes \\(\\*server\\).conns"

func (s *server) OnTraffic(c gnet.Conn) gnet.Action { _ = s.conns; return gnet.None } // want "\\(\\*server\\).OnTraffic reads \\(\\*server\\).conns"

func main() {
	gnet.Run(&server{}, "tcp://127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: none -- without WithMulticore or WithNumEventLoop gnet runs one event loop, which calls OnOpen and OnTraffic in turn
