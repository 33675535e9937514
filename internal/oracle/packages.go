package oracle

import (
	"fmt"
	"math/rand/v2"
)

// State in a package of its own. Servers keep their services apart from
// their handlers (a store, a session table, a metrics registry), and hand
// them to connections: the analysis must follow accesses, allocations and
// pointer stores across the package boundary, where what proves memory a
// connection's own (an allocation made for it) and what makes it shared
// (a service the package keeps, or hands to every caller) sit in another
// package than the handlers that reach it. Half of the programs have it:
// the package pN/state (stateSource), a Svc field of every connection set
// by NewConn and accept, and statements that use both (gen.cross).

// stateSource is the package pN/state, the same in every program.
const stateSource = `// Package state is a program's state kept apart from its handlers.
package state

import (
	"sync"

	"github.com/safels/safels/loop"
)

// Service is what a connection uses; who else holds it decides whether
// it is the connection's own.
type Service struct {
	N   int
	Per map[int]int
	Log *Entry
	mu  sync.Mutex
}

type Entry struct {
	V    int
	Next *Entry
}

var (
	Hits    int
	Default = NewService()
	byID    = map[int]*Service{}
	last    *Service
)

func NewService() *Service { return &Service{Per: map[int]int{}} }

// Shared returns the service every caller shares.
func Shared() *Service { return Default }

// Fresh returns a new service, its caller's own.
func Fresh() *Service { return NewService() }

// Kept returns a new service that the package keeps too: Lookup finds it.
func Kept(id int) *Service {
	s := NewService()
	byID[id&3] = s
	return s
}

// Lookup returns a service Kept made, if any.
func Lookup(id int) *Service { return byID[id&3] }

// Remember publishes s: Last returns it to anyone.
func Remember(s *Service) { last = s }

func Last() *Service { return last }

func (s *Service) Add(k int)    { s.N += k; s.Per[k&3]++ }
func (s *Service) Get() int     { return s.N + s.Per[1] }
func (s *Service) Locked(k int) { s.mu.Lock(); s.N += k; s.mu.Unlock() }
func (s *Service) Push(v int)   { s.Log = &Entry{V: v, Next: s.Log} }

func (s *Service) Sum() int {
	t := 0
	for e := s.Log; e != nil; e = e.Next {
		t += e.V
	}
	return t
}

func Bump()     { Hits++ }
func Peek() int { return Hits }

// Later posts h on c: a handler posted from another package.
func Later[C any](l *loop.Loop, h func(*loop.Loop, C), c C) { loop.Post(l, h, c) }
`

// statePkg is what a program does with its state package.
type statePkg struct {
	r    *rand.Rand // the package's own stream
	pkg  string     // the program's package: "p17"
	conn string     // NewConn's Svc
	acc  string     // accept's Svc
}

func newStatePkg(r *rand.Rand, pkg string) *statePkg {
	return &statePkg{r: r, pkg: pkg,
		conn: pick(r, "state.Default", "state.Shared()", "state.Fresh()", "state.NewService()", "state.Kept(id)"),
		acc:  pick(r, "c.Svc", "state.Fresh()", "state.Kept(c.ID)"),
	}
}

// The prelude's parts; a nil statePkg fills them with nothing.

func (s *statePkg) importLine() string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("\n\t\"%s/%s/state\"\n", ModulePath, s.pkg)
}

func (s *statePkg) field() string {
	if s == nil {
		return ""
	}
	return "\tSvc   *state.Service // from the state package (packages.go)\n"
}

func (s *statePkg) newConn() string {
	if s == nil {
		return ""
	}
	return ", Svc: " + s.conn
}

func (s *statePkg) accept() string {
	if s == nil {
		return ""
	}
	return ", Svc: " + s.acc
}

// cross writes one statement that uses the state package into a
// connection handler.
func (g *gen) cross() {
	r := g.st.r
	switch r.IntN(12) {
	case 0:
		g.line("c.Svc.Add(s)")
	case 1:
		g.line("s += c.Svc.Get()")
	case 2:
		g.line("c.Svc.%s", pick(r, "N++", "Per[s&3] = s"))
	case 3:
		g.line("state.Bump()")
	case 4:
		g.line("s += state.%s", pick(r, "Peek()", "Hits"))
	case 5:
		g.line("state.Hits += s")
	case 6:
		g.line("%s.Add(1)", pick(r, "state.Default", "state.Shared()"))
	case 7:
		g.line("if x := state.Lookup(%s); x != nil {", g.idx4())
		g.line("\tx.%s", pick(r, "Add(s)", "N--"))
		g.line("}")
	case 8:
		if r.IntN(2) == 0 {
			g.line("state.Remember(c.Svc)")
			return
		}
		g.line("if x := state.Last(); x != nil {")
		g.line("\tx.%s", pick(r, "N++", "Push(s)"))
		g.line("}")
	case 9:
		if r.IntN(2) == 0 {
			g.line("c.Svc.Push(s)")
		} else {
			g.line("s += c.Svc.Sum()")
		}
	case 10:
		if g.locked {
			// Locks never nest.
			g.line("s += c.Svc.N")
			return
		}
		g.line("c.Svc.Locked(s)")
	default:
		// Handlers posted from the other package: on a connection this
		// one makes, on an interior pointer, on a stream pointing back.
		switch {
		case len(g.posts) > 0 && r.IntN(2) == 0:
			g.line("if c.ID < 100 {")
			g.line("\tstate.Later(l, %s, accept(c))", pick(r, g.posts...))
			g.line("}")
		case g.r2 != nil:
			g.line("state.Later(l, %s)", pick(r, "hTimer, &c.Timer", "hStream, &Stream{Conn: c}"))
		default:
			g.line("s += c.Svc.Get()")
		}
	}
}
