// Handlers on a library's messages: pin points its message at a global
// payload, bump writes through its own message's payload. Whether bump
// may reach the global depends on whether a message is made for one
// invocation (invocationTypes in .safels.json) or may be handed to the
// next handler too (the default for a library type).
package main

import "example.com/relay"

var shared = &relay.Payload{}

func pin(m *relay.Msg) {
	m.Body = shared
	_ = m.Body.N
}

func bump(m *relay.Msg) { m.Body.N++ }

func main() {
	r := relay.New()
	r.On("pin", pin)
	r.On("bump", bump)
	r.Run()
}
