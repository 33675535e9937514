// The client: a program of its own, whose flag type's String writes
// state.Hits. It never runs in the server.
package main

import (
	"fmt"

	"example.com/programs/state"
)

type flag struct{}

func (flag) String() string { state.Hits++; return "flag" }

func main() { fmt.Println(flag{}) }
