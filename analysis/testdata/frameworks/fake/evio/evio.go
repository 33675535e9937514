// Package evio is a stand-in with evio's callback-struct API shape.
package evio

type Conn interface{ Context() any }
type Action int
type Events struct {
	Opened func(c Conn) (out []byte, action Action)
	Data   func(c Conn, in []byte) (out []byte, action Action)
}

func Serve(events Events, addr ...string) error { return nil }
