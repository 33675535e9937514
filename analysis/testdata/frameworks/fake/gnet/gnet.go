// Package gnet is a stand-in with gnet's event-handler interface shape.
package gnet

type Conn interface{ Context() any }
type Action int
type EventHandler interface {
	OnOpen(c Conn) ([]byte, Action)
	OnTraffic(c Conn) Action
}

func Run(h EventHandler, addr string) error { return nil }
