// Package redcon is a stand-in with redcon's handler API shape.
package redcon

type Conn interface{ WriteString(string) }
type Command struct{ Args [][]byte }

func ListenAndServe(addr string, handler func(conn Conn, cmd Command),
	accept func(conn Conn) bool, closed func(conn Conn, err error)) error {
	return nil
}
