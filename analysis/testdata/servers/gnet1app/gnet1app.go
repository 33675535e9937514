// A gnet v1 server: the handler embeds *gnet.EventServer, whose no-op
// defaults are the library's, not handlers of the user.
package main

import "github.com/panjf2000/gnet"

type echoServer struct {
	*gnet.EventServer
	packets int
}

func (es *echoServer) React(frame []byte, c gnet.Conn) (out []byte, action gnet.Action) {
	es.packets++ // want "\\(\\*echoServer\\).React writes \\(\\*echoServer\\).packets"
	return frame, gnet.None
}

func main() {
	gnet.Serve(&echoServer{}, "tcp://127.0.0.1:0", gnet.WithMulticore(true))
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "(*echoServer).React" "(*echoServer).React" -- WithMulticore: React runs on several loops and writes packets of the one echoServer
