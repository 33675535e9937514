// Package state keeps a program's state, and posts its handlers for it.
package state

import "github.com/safels/safels/loop"

// Later posts h on c.
func Later[C any](l *loop.Loop, h func(*loop.Loop, C), c C) { loop.Post(l, h, c) }

// Soon posts h on c, through Later.
func Soon(l *loop.Loop, h func(*loop.Loop, *Conn), c *Conn) { Later(l, h, c) }

// Hook is Soon, kept as a value: what is posted through it is not followed.
var Hook = Soon

type Conn struct{ N int }

var Total int
