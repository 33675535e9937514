// Recursion over data with many child fields, and a reference to many
// places at once: the analysis ends (its summaries are widened, and says
// where) and stays sound (the widened accesses still conflict).
package main

import (
	"context"

	"github.com/safels/safels/loop"
)

// Node is a tree of ten node kinds, each with a child field of its own:
// without widening, an access path could take any of them at every level.
type Node interface{ eval(e *Env) int }

type Env struct {
	count int
	vars  map[string]int
}

var global Env

type K0 struct {
	X0 Node
	V  int
}

func (n *K0) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X0 == nil {
		return n.V
	}
	return n.X0.eval(e) + 1
}

type K1 struct {
	X1 Node
	V  int
}

func (n *K1) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X1 == nil {
		return n.V
	}
	return n.X1.eval(e) + 1
}

type K2 struct {
	X2 Node
	V  int
}

func (n *K2) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X2 == nil {
		return n.V
	}
	return n.X2.eval(e) + 1
}

type K3 struct {
	X3 Node
	V  int
}

func (n *K3) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X3 == nil {
		return n.V
	}
	return n.X3.eval(e) + 1
}

type K4 struct {
	X4 Node
	V  int
}

func (n *K4) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X4 == nil {
		return n.V
	}
	return n.X4.eval(e) + 1
}

type K5 struct {
	X5 Node
	V  int
}

func (n *K5) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X5 == nil {
		return n.V
	}
	return n.X5.eval(e) + 1
}

type K6 struct {
	X6 Node
	V  int
}

func (n *K6) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X6 == nil {
		return n.V
	}
	return n.X6.eval(e) + 1
}

type K7 struct {
	X7 Node
	V  int
}

func (n *K7) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X7 == nil {
		return n.V
	}
	return n.X7.eval(e) + 1
}

type K8 struct {
	X8 Node
	V  int
}

func (n *K8) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X8 == nil {
		return n.V
	}
	return n.X8.eval(e) + 1
}

type K9 struct {
	X9 Node
	V  int
}

func (n *K9) eval(e *Env) int {
	e.count++ // want "global.count"
	if n.X9 == nil {
		return n.V
	}
	return n.X9.eval(e) + 1
}

// wide has more fields than one reference may name apart (maxWidth).
type wide struct{ f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 int }

var shared wide

// pick writes one of ten fields through one reference: its summary widens
// them to all of *p, which still conflicts.
func pick(p *wide, k int) {
	var q *int
	switch k {
	case 0:
		q = &p.f0
	case 1:
		q = &p.f1
	case 2:
		q = &p.f2
	case 3:
		q = &p.f3
	case 4:
		q = &p.f4
	case 5:
		q = &p.f5
	case 6:
		q = &p.f6
	case 7:
		q = &p.f7
	case 8:
		q = &p.f8
	default:
		q = &p.f9
	}
	*q++ // want "shared"
}

type conn struct {
	root Node
	k    int
}

func handleEval(l *loop.Loop, c *conn) {
	c.root.eval(&global) // want "global.count"
}

func handlePick(l *loop.Loop, c *conn) {
	pick(&shared, c.k) // want "shared"
}

// build makes a tree whose every child may be of any kind (calls of eval
// go by the kinds that reach the child fields).
func build(d int) Node {
	if d == 0 {
		return nil
	}
	switch d % 10 {
	case 0:
		return &K0{X0: build(d - 1)}
	case 1:
		return &K1{X1: build(d - 1)}
	case 2:
		return &K2{X2: build(d - 1)}
	case 3:
		return &K3{X3: build(d - 1)}
	case 4:
		return &K4{X4: build(d - 1)}
	case 5:
		return &K5{X5: build(d - 1)}
	case 6:
		return &K6{X6: build(d - 1)}
	case 7:
		return &K7{X7: build(d - 1)}
	case 8:
		return &K8{X8: build(d - 1)}
	}
	return &K9{X9: build(d - 1)}
}

func main() {
	l := loop.New()
	loop.Post(l, handleEval, &conn{root: build(20)})
	loop.Post(l, handlePick, &conn{k: 3})
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "handleEval" "handleEval" -- eval writes global.count
// races: "handlePick" "handlePick" -- pick writes a field of shared
