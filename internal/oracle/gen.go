package oracle

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Program is one generated handler program: the package pN of the
// throwaway module.
type Program struct {
	Index    int
	Pkg      string // package name and directory: "p17"
	Source   string // prog.go
	State    string // state/state.go, the package pN/state; "" if none (packages.go)
	Handlers []Handler
	Style    Style
	Web      bool // it has net/http handlers: Mux and Routes (web.go)
}

// Style is the kind of program: what its handlers may do.
type Style uint8

const (
	// Mixed programs use every feature anywhere: most conflict.
	Mixed Style = iota
	// Disciplined programs touch shared state only under one mutex or
	// through atomics, and their context only under its mutex: most have
	// no conflict at all, and run fully parallel.
	Disciplined
	// Contextual programs touch their context freely and shared state only
	// through atomics: their conflicts are on the context alone, so they
	// are colored and have no hue, and only colors keep them apart.
	Contextual
)

func (s Style) String() string { return [...]string{"mixed", "disciplined", "contextual"}[s] }

// Handler is one handler of a program, under the names the analysis and a
// traceback give it.
type Handler struct {
	Case  int    // its case in Schedule; -1: a net/http handler (web.go)
	Short string // analysis.Handler.Short: "h0", "(*Server).h1", "Schedule$1"
	Frame string // its function in a traceback, after the package path: "h0", "(*Server).h1", "Schedule.func1"
}

// prelude is shared by every program: the state and helpers that handler
// bodies pick from. Unused declarations cost nothing, and a fixed shape
// keeps the generator simple; what varies is which handlers touch what,
// how, and under which locks. %s are filled per program (what sp, pg and
// store point to, the ownership shapes', the state package's).
const prelude = `package %s

import (
	"sync"
	"sync/atomic"
%s
	"github.com/safels/safels/loop"
)

type Stats struct {
	A, B int
	Hist [4]int
	Hits atomic.Int64
}

type Inner struct{ X, Y int }

// Conn is the handlers' context. NewConn gives each its own memory.
type Conn struct {
	ID  int
	N   int
	In  Inner
	P   *Inner
	Buf []int
	M   map[int]int
	S   Store
	Mu  sync.Mutex
	// Reached through pointers (the ownership shapes, owned.go): the
	// server injected into every connection or one of its own, the peer
	// linked to it, a window streams spend, a timer posted as a context
	// of its own, a list its own or shared.
	Srv   *Server
	Own   *Server
	Peer  *Conn
	Win   int
	Timer Timer
	List  *Node
%s}

type Store interface {
	Put(k, v int)
	Get(k int) int
}

type memStore struct{ m map[int]int }

func (s *memStore) Put(k, v int) { s.m[k] = v }
func (s *memStore) Get(k int) int { return s.m[k] }

type cntStore struct{ n int }

func (s *cntStore) Put(k, v int) { s.n += v }
func (s *cntStore) Get(k int) int { return s.n }

type Server struct {
	n    int
	hits [4]int
	per  map[int]int
	mu   sync.Mutex // guards what srvLocked touches (deep.go)
}

type Timer struct{ N, Fired int }

// Stream is a context made by a connection's handler, pointing back to it.
type Stream struct {
	Conn *Conn
	Sent int
}

type Account struct {
	Mu  sync.Mutex
	Bal int
}

type Node struct {
	V    int
	Next *Node
	Kids [2]*Node
	Conn *Conn // a connection kept deep in a shared ring (deep.go)
}

var (
	g0, g1 int
	st     Stats
	sp     = %s
	arr    [8]int
	sl     = make([]int, 4)
	tbl    = map[int]int{}
	gin    Inner
	pg     = %s
	mu     sync.Mutex
	rw     sync.RWMutex
	ctr    int64
	store  Store = %s
	hook   = func(p *int) { *p += 2 }
	next   = counter()
	conns  [4]*Conn
	srv    = &Server{per: map[int]int{}}
	limit  = 10 // never written
	accounts [4]Account
	lastConn *Conn
	shared   = mkList(3)
	ringTail = &Node{V: 1}
	ring     = &Node{Next: ringTail, Kids: [2]*Node{ringTail, ringTail}}
	freshRing, freshTail *FNode // one node below the other, joined by init (deep.go)
	appended, appended2  []*ANode // appended[0] is appended2[0].Next (deep.go)
)

// FNode is a node of a ring that init builds from a local: only the
// allocation ties the node kept below the cut to freshTail. (A type of
// its own: no other store keeps one below another.)
type FNode struct {
	V    int
	Next *FNode
	Kids [2]*FNode
}

// ANode is a node that only append publishes: append copies it into the
// slices, with no store of its own.
type ANode struct {
	V    int
	Next *ANode
}

func init() {
	t := &FNode{V: 1}
	freshTail = t
	freshRing = &FNode{Next: t, Kids: [2]*FNode{t, nil}}
	a := &ANode{V: 1}
	appended = append(appended, a)
	appended2 = append(appended2, &ANode{Next: a})
}

func bump(p *int)             { *p++ }
func get(p *int) int          { return *p }
func addAll(s *Stats, v int)  { s.A += v; s.Hist[v&3]++ }
func readAll(s *Stats) int    { return s.A + s.B + s.Hist[1] }
func touch(in *Inner)         { in.X++ }
func put(m map[int]int, k, v int) { m[k] = v }
func apply(f func())          { f() }
func incLocked(p *int)        { mu.Lock(); *p++; mu.Unlock() }

func fill(b []int, v int) {
	for i := range b {
		b[i] = v
	}
}

func sum(b []int) int {
	t := 0
	for _, v := range b {
		t += v
	}
	return t
}

func walk(n int, p *int) {
	if n == 0 {
		*p++
		return
	}
	walk(n-1, p)
}

// counter's n is shared by every call of the closure it returns.
func counter() func() int {
	n := 0
	return func() int { n++; return n }
}

// spin keeps a handler busy without touching memory, so that invocations
// overlap in time under the scheduler.
func spin(n int) int {
	t := 0
	for i := 0; i < n; i++ {
		t += i * i
	}
	return t
}

//go:noinline
func keep(int) {}

func mkList(n int) *Node {
	var l *Node
	for i := 0; i < n; i++ {
		l = &Node{V: i, Next: l, Kids: [2]*Node{l, nil}}
	}
	return l
}

func sumList(n *Node) int {
	if n == nil {
		return 0
	}
	return n.V + sumList(n.Next)
}

func bumpTree(n *Node) {
	if n == nil {
		return
	}
	n.V++
	bumpTree(n.Kids[0])
	bumpTree(n.Kids[1])
}

// Table is the program's constraint table: zz_safels_constraints.go,
// written by safels gen, registers it here (one binary runs many programs,
// and loop.Register takes one table per program).
var Table loop.Table

func register(t loop.Table) { Table = t }

// NewConn makes a context with memory of its own, and what the program
// shares with it.
func NewConn(id int) *Conn {
	c := &Conn{ID: id, P: &Inner{}, Buf: make([]int, 4), M: map[int]int{}, S: &memStore{m: map[int]int{}},
		Srv: %s, Own: &Server{per: map[int]int{}}, List: %s%s}
%s	return c
}

// accept makes a connection in a handler, with its listener's server.
func accept(c *Conn) *Conn {
	return &Conn{ID: c.ID + 100, P: &Inner{}, Buf: make([]int, 4), M: map[int]int{}, S: &memStore{m: map[int]int{}},
		Srv: c.Srv, Own: &Server{per: map[int]int{}}, List: &Node{}%s}
}
`

// Generate returns program index of the run seeded with seed: the same
// (seed, index) always gives the same program.
func Generate(seed uint64, index int) *Program {
	r := rand.New(rand.NewPCG(seed, uint64(index)))
	p := &Program{Index: index, Pkg: fmt.Sprintf("p%d", index), Style: Mixed}
	switch r.IntN(10) {
	case 0, 1, 2:
		p.Style = Disciplined
	case 3, 4, 5:
		p.Style = Contextual
	}
	sp := pick(r, "&st", "&Stats{}")
	pg := pick(r, "&g1", "&gin.Y", "new(int)")
	store := pick(r, "&memStore{m: map[int]int{}}", "&cntStore{}")
	// The ownership shapes draw from a stream of their own, so that the
	// rest of a program is what it was before they were added.
	r2 := rand.New(rand.NewPCG(seed^0x6f776e6564, uint64(index)))
	shapes := r2.IntN(3) != 0
	srvExpr, listExpr, peers := "&Server{per: map[int]int{}}", "&Node{}", ""
	if shapes {
		srvExpr = pick(r2, "srv", "srv", "&Server{per: map[int]int{}}")
		listExpr = pick(r2, "shared", "mkList(3)", "&Node{}")
		if r2.IntN(2) == 0 {
			peers = "\tif lastConn != nil {\n\t\tc.Peer, lastConn.Peer = lastConn, c\n\t}\n\tlastConn = c\n"
		}
	}
	// State in a package of its own, from a third stream: with it off,
	// a program is what it was before.
	r3 := rand.New(rand.NewPCG(seed^0x7061636b616765, uint64(index)))
	var st *statePkg
	if r3.IntN(2) == 0 {
		st = newStatePkg(r3, p.Pkg)
		p.State = stateSource
	}
	// The truncated shapes (deep.go), from a fourth stream.
	r4 := rand.New(rand.NewPCG(seed^0x64656570, uint64(index)))
	deep := r4.IntN(3) == 0
	// Connections that NewConn keeps in a global slice (kept.go), from a
	// stream of their own.
	rk := rand.New(rand.NewPCG(seed^0x6b657074, uint64(index)))
	kept := newKept(rk)
	peers += kept.newConn()
	// The library shapes (lib.go), from a fifth stream.
	r5 := libStream(seed, index)
	// The goroutine shapes (gor.go), from a sixth.
	r6 := gorStream(seed, index)
	// The closure shapes (clo.go), from a seventh.
	r7 := cloStream(seed, index)
	// The holder shapes (hold.go), from an eighth.
	r8 := holdStream(seed, index)
	// The context-container shapes (vars.go), from a ninth.
	r9 := varsStream(seed, index)
	// The net/http shapes (web.go), from a tenth.
	rw := webStream(seed, index)
	// The found-object lock shapes (cubby.go), from an eleventh.
	r10 := cubbyStream(seed, index)
	// The release shapes (rel.go), from a twelfth.
	r11 := relStream(seed, index)
	// The published-holder shapes (hold.go), from a thirteenth.
	r12 := heldStream(seed, index)
	// The publishing shapes (pubs.go), from a fourteenth.
	r13 := pubsStream(seed, index)
	imports, fields := st.importLine(), st.field()
	if r5 != nil {
		imports += libImports
		fields += libFields
	}
	if r9 != nil {
		imports += varsImports
		fields += varsFields
	}
	if rw != nil {
		imports += webImports
	}
	var b strings.Builder
	fmt.Fprintf(&b, prelude, p.Pkg, imports, fields, sp, pg, store, srvExpr, listExpr, st.newConn(), peers, st.accept())

	n := 2 + r.IntN(4)
	var cases []string
	var named []string // plain handlers so far, which later ones may post
	closures := 0
	for k := 0; k < n; k++ {
		g := &gen{r: r, style: p.Style, depth: 1}
		if shapes {
			g.r2, g.posts = r2, named
		}
		g.st = st
		if deep {
			g.r4 = r4
		}
		g.r5, g.r6, g.r7, g.r8, g.r9, g.r10, g.r11, g.r12 = r5, r6, r7, r8, r9, r10, r11, r12
		g.r13 = r13
		kind := r.IntN(6)
		switch {
		case kind == 0 && k > 0:
			// A method value: its receiver srv is shared by every invocation.
			g.method = true
			name := fmt.Sprintf("h%d", k)
			fmt.Fprintf(&b, "\nfunc (sv *Server) %s(l *loop.Loop, c *Conn) {\n%s}\n", name, g.body())
			cases = append(cases, fmt.Sprintf("loop.Post(l, srv.%s, c)", name))
			p.Handlers = append(p.Handlers, Handler{Case: k, Short: "(*Server)." + name, Frame: "(*Server)." + name})
		case kind == 1:
			// A closure made where it is posted.
			closures++
			g.depth = 3
			cases = append(cases, fmt.Sprintf("loop.Post(l, func(l *loop.Loop, c *Conn) {\n%s\t\t}, c)", g.body()))
			p.Handlers = append(p.Handlers, Handler{Case: k, Short: fmt.Sprintf("Schedule$%d", closures), Frame: fmt.Sprintf("Schedule.func%d", closures)})
		default:
			name := fmt.Sprintf("h%d", k)
			fmt.Fprintf(&b, "\nfunc %s(l *loop.Loop, c *Conn) {\n%s}\n", name, g.body())
			cases = append(cases, fmt.Sprintf("loop.Post(l, %s, c)", name))
			p.Handlers = append(p.Handlers, Handler{Case: k, Short: name, Frame: name})
			named = append(named, name)
		}
	}
	if shapes {
		// A stream pointing back to its connection, and a timer inside
		// the connection, posted as contexts of their own: from Schedule,
		// so that they run in every mode, and from handlers.
		g := &gen{r: r2, r2: r2, style: p.Style, depth: 1}
		fmt.Fprintf(&b, "\nfunc hStream(l *loop.Loop, st *Stream) {\n%s}\n", g.streamBody())
		g = &gen{r: r2, r2: r2, style: p.Style, depth: 1}
		fmt.Fprintf(&b, "\nfunc hTimer(l *loop.Loop, t *Timer) {\n%s}\n", g.timerBody())
		cases = append(cases, "loop.Post(l, hStream, &Stream{Conn: c})", "loop.Post(l, hTimer, &c.Timer)")
		p.Handlers = append(p.Handlers, Handler{Case: n, Short: "hStream", Frame: "hStream"}, Handler{Case: n + 1, Short: "hTimer", Frame: "hTimer"})
		n += 2
	}
	if kept != nil {
		b.WriteString(kept.decls())
		cases = append(cases, "loop.Post(l, hSweep, c)")
		p.Handlers = append(p.Handlers, Handler{Case: n, Short: "hSweep", Frame: "hSweep"})
		n++
	}
	fmt.Fprintf(&b, "\n// Handlers is how many cases Schedule has.\nconst Handlers = %d\n", n)
	b.WriteString("\n// Schedule posts handler k on c: the registrations the analysis finds.\nfunc Schedule(l *loop.Loop, k int, c *Conn) {\n\tswitch k {\n")
	for k, c := range cases {
		fmt.Fprintf(&b, "\tcase %d:\n\t\t%s\n", k, c)
	}
	b.WriteString("\t}\n}\n")
	if r5 != nil {
		b.WriteString(libDecls)
	}
	if r6 != nil {
		b.WriteString(gorDecls)
	}
	if r7 != nil {
		b.WriteString(cloDecls)
	}
	if r8 != nil {
		b.WriteString(holdDecls)
	}
	if r9 != nil {
		b.WriteString(varsDecls)
	}
	if rw != nil {
		src, hs := webHandlers(rw)
		b.WriteString(webDecls)
		b.WriteString(src)
		p.Handlers = append(p.Handlers, hs...)
		p.Web = true
	}
	if r10 != nil {
		b.WriteString(cubbyDecls)
	}
	if r11 != nil {
		b.WriteString(relDecls)
	}
	// The publishing shapes use the published-holder shapes' types.
	if r12 != nil || r13 != nil {
		b.WriteString(heldDecls)
	}
	if r13 != nil {
		b.WriteString(pubsDecls)
	}
	p.Source = b.String()
	return p
}

// Files are the program's sources by their path in its directory.
func (p *Program) Files() map[string]string {
	f := map[string]string{"prog.go": p.Source}
	if p.State != "" {
		f["state/state.go"] = p.State
	}
	return f
}

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// gen writes one handler body. Locks are never nested (inside a locked
// region no other lock is taken, not even by a helper), so no program can
// deadlock, whatever runs in parallel.
type gen struct {
	r           *rand.Rand
	b           strings.Builder
	depth       int
	locked      bool // a lock is held here
	lockedToEnd bool // by a deferred Unlock: to the end of the handler
	method      bool // sv is the receiver
	style       Style
	vars        int
	r2          *rand.Rand // the ownership shapes' stream; nil: none
	posts       []string   // handlers this one may post on a new connection
	st          *statePkg  // the state package; nil: none
	r4          *rand.Rand // the truncated shapes' stream; nil: none
	r5          *rand.Rand // the library shapes' stream; nil: none
	r6          *rand.Rand // the goroutine shapes' stream; nil: none
	r7          *rand.Rand // the closure shapes' stream; nil: none
	r8          *rand.Rand // the holder shapes' stream; nil: none
	r9          *rand.Rand // the context-container shapes' stream; nil: none
	r10         *rand.Rand // the found-object lock shapes' stream; nil: none
	r11         *rand.Rand // the release shapes' stream; nil: none
	r12         *rand.Rand // the published-holder shapes' stream; nil: none
	heldVars    int        // their variables (heldVar)
	r13         *rand.Rand // the publishing shapes' stream; nil: none
	pubsVars    int        // their variables (pubsVar)
}

func (g *gen) line(format string, args ...any) {
	g.b.WriteString(strings.Repeat("\t", g.depth))
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteString("\n")
}

func (g *gen) fresh(prefix string) string {
	g.vars++
	return fmt.Sprintf("%s%d", prefix, g.vars)
}

func (g *gen) pick(s ...string) string { return pick(g.r, s...) }

func (g *gen) body() string {
	g.line("s := c.ID")
	// A partner of the published-holder shapes first, before any lock
	// this invocation takes, and a holder last, after every lock it let
	// go: a lock taken by both would order another invocation's write
	// before the read, and the race detector would see no race.
	if g.heldOn() && g.r12.IntN(2) == 0 {
		g.heldPartner()
	}
	if g.pubsOn() && g.r13.IntN(2) == 0 {
		g.pubsPartner()
	}
	for n := 1 + g.r.IntN(5); n > 0; n-- {
		if g.r2 != nil && g.r2.IntN(2) == 0 {
			g.shape()
		}
		if g.st != nil && g.st.r.IntN(2) == 0 {
			g.cross()
		}
		if g.r4 != nil && g.r4.IntN(2) == 0 {
			g.deep()
		}
		if g.r4 != nil && !g.locked && g.r4.IntN(4) == 0 {
			g.srvLocked()
		}
		if g.r5 != nil && g.r5.IntN(2) == 0 {
			g.lib()
		}
		if g.r6 != nil && !g.locked && g.r6.IntN(2) == 0 {
			g.gor()
		}
		if g.r7 != nil && !g.locked && g.r7.IntN(2) == 0 {
			g.clo()
		}
		if g.r8 != nil && g.r8.IntN(2) == 0 {
			g.hold()
		}
		if g.r9 != nil && g.r9.IntN(2) == 0 {
			g.ctxVars()
		}
		// (Not in the contextual style, whose handlers touch the
		// context alone: shared state under locks there gives handlers
		// hues in common, and the nocolor mode, which only context
		// conflicts make race, then saw none.)
		if g.r10 != nil && !g.locked && g.style != Contextual && g.r10.IntN(2) == 0 {
			g.cubby()
		}
		if g.r11 != nil && !g.locked && g.style != Contextual && g.r11.IntN(2) == 0 {
			g.rel()
		}
		if g.heldOn() && !g.locked && g.r12.IntN(2) == 0 {
			g.held()
		}
		g.stmt(true)
		if g.r.IntN(3) == 0 {
			g.line("s += spin(%d)", 10000+g.r.IntN(30000))
		}
	}
	if g.heldOn() && !g.locked && g.r12.IntN(2) == 0 {
		g.heldPub()
	}
	if g.pubsOn() && !g.locked && g.r13.IntN(3) != 0 {
		g.pubsHolder()
	}
	g.line("keep(s)")
	return g.b.String()
}

func (g *gen) idx4() string { return g.pick("0", "1", "2", "c.ID&3", "s&3") }
func (g *gen) idx8() string { return g.pick("0", "5", "c.ID&7", "s&7") }

// lvalue is an int-valued place a statement reads or writes.
type lvalue struct {
	expr string
	addr bool // addressable (not a map entry)
}

func (g *gen) shared() lvalue {
	if g.method && g.r.IntN(3) == 0 {
		return lvalue{expr: g.pick("sv.n", "sv.hits["+g.idx4()+"]"), addr: true}
	}
	switch g.r.IntN(13) {
	case 0:
		return lvalue{expr: "tbl[" + g.idx4() + "]"}
	case 1:
		return lvalue{expr: "srv.n", addr: true}
	}
	return lvalue{expr: g.pick("g0", "g1", "st.A", "st.B", "st.Hist["+g.idx4()+"]", "arr["+g.idx8()+"]",
		"sp.A", "sp.Hist["+g.idx4()+"]", "sl["+g.idx4()+"]", "gin.X", "*pg"), addr: true}
}

func (g *gen) context() lvalue {
	if g.r.IntN(6) == 0 {
		return lvalue{expr: "c.M[" + g.idx4() + "]"}
	}
	return lvalue{expr: g.pick("c.N", "c.In.X", "c.In.Y", "c.P.X", "c.Buf["+g.idx4()+"]"), addr: true}
}

// stmt writes one statement; top: at the handler's top level, where locks,
// defers and compound statements may go.
func (g *gen) stmt(top bool) {
	switch g.style {
	case Disciplined:
		g.disciplinedStmt(top)
		return
	case Contextual:
		g.contextualStmt(top)
		return
	}
	switch n := g.r.IntN(100); {
	case n < 35:
		if g.r.IntN(3) == 0 {
			g.access(g.context(), top)
		} else {
			g.access(g.shared(), top)
		}
	case n < 45:
		g.helper()
	case n < 50:
		g.iface()
	case n < 53:
		g.line("s += next()")
	case n < 60:
		g.atomic()
	case n < 65:
		g.publish()
	case n < 69:
		g.copyStruct()
	case n < 72:
		g.mapOp()
	case n < 75:
		g.local()
	case n < 90 && top && !g.locked:
		g.region()
	case n < 95 && top:
		v := g.fresh("j")
		if g.r.IntN(2) == 0 {
			g.line("if c.ID&1 == %d {", g.r.IntN(2))
		} else {
			g.line("for %s := 0; %s < 2; %s++ {", v, v, v)
		}
		g.depth++
		g.stmt(false)
		g.depth--
		g.line("}")
	default:
		g.access(g.shared(), top)
	}
}

// disciplinedStmt: shared state only under mu or through atomics, the
// context only under its own mutex. Shared state is named directly (no
// pointer the analysis cannot follow), and no closure is handed to a
// helper (which may call any closure of its type), so that the analysis
// can prove these programs conflict-free.
func (g *gen) disciplinedStmt(top bool) {
	switch n := g.r.IntN(10); {
	case n < 2:
		g.atomic0(false)
	case n < 3:
		g.local()
	case n < 6 && top && !g.locked:
		g.line("mu.Lock()")
		if g.r.IntN(4) == 0 {
			// Held to the end: a call deferred after this runs before
			// the Unlock, under mu.
			g.line("defer mu.Unlock()")
			g.locked, g.lockedToEnd = true, true
			for n := 1 + g.r.IntN(3); n > 0; n-- {
				g.access(g.preciseShared(), g.r.IntN(2) == 0)
			}
			return
		}
		g.locked = true
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			g.access(g.preciseShared(), false)
		}
		g.locked = false
		g.line("mu.Unlock()")
	case top && !g.locked:
		g.line("c.Mu.Lock()")
		g.locked = true
		g.access(g.context(), false)
		g.locked = false
		g.line("c.Mu.Unlock()")
	default:
		g.local()
	}
}

// contextualStmt: the context, freely; shared state through atomics, or
// read where nothing writes it.
func (g *gen) contextualStmt(top bool) {
	// Little synchronization: a mutex or an atomic orders the invocations
	// that use it, and hides from the race detector the races that the
	// loop's colors must prevent.
	switch n := g.r.IntN(20); {
	case n < 14:
		g.access(g.context(), top)
	case n < 15:
		g.atomic0(false)
	case n < 17:
		g.local()
	case n < 19:
		if g.r.IntN(2) == 0 {
			g.line("c.S.Put(%s, s)", g.idx4())
		} else {
			g.line("s += c.S.Get(%s)", g.idx4())
		}
	default:
		if top && !g.locked {
			g.line("c.Mu.Lock()")
			g.locked = true
			g.access(g.context(), false)
			g.locked = false
			g.line("c.Mu.Unlock()")
			return
		}
		g.line("s += limit")
	}
}

func (g *gen) preciseShared() lvalue {
	if g.r.IntN(8) == 0 {
		return lvalue{expr: "tbl[" + g.idx4() + "]"}
	}
	return lvalue{expr: g.pick("g0", "g1", "st.A", "st.B", "st.Hist["+g.idx4()+"]", "arr["+g.idx8()+"]",
		"sl["+g.idx4()+"]", "gin.X"), addr: true}
}

// access reads or writes l, directly or through helpers, closures and
// function values.
func (g *gen) access(l lvalue, top bool) {
	ops := 7
	if l.addr {
		ops = 13
	}
	op := g.r.IntN(ops)
	if op >= 4 && op <= 6 && g.style != Mixed && (strings.Contains(l.expr, "c.") || strings.Contains(l.expr, "s&")) {
		// A closure that captures the context (or any variable) makes the
		// analysis lose track of it: what the captured variable points to
		// is then any memory of its type, and the conflicts are global.
		// Only mixed programs, which conflict anyway, do that.
		op = 3
	}
	switch op {
	case 0, 1:
		g.line("s += %s", l.expr)
	case 2:
		g.line("%s = s", l.expr)
	case 3:
		g.line("%s++", l.expr)
	case 4:
		f := g.fresh("f")
		g.line("%s := func() { %s += 2 }", f, l.expr)
		g.line("%s()", f)
	case 5:
		if g.style == Mixed {
			g.line("apply(func() { %s-- })", l.expr)
		} else {
			g.line("%s -= s", l.expr)
		}
	case 6:
		if top {
			// Runs when the handler returns: after the end of the region
			// it is in, before a deferred Unlock.
			g.line("defer func() { %s++ }()", l.expr)
		} else {
			g.line("%s += 3", l.expr)
		}
	case 7:
		g.line("bump(&%s)", l.expr)
	case 8:
		g.line("s += get(&%s)", l.expr)
	case 9:
		g.line("hook(&%s)", l.expr)
	case 10:
		g.line("walk(2, &%s)", l.expr)
	case 11:
		if !g.locked && g.style == Mixed {
			g.line("incLocked(&%s)", l.expr)
		} else {
			g.line("bump(&%s)", l.expr)
		}
	case 12:
		p := g.fresh("p")
		g.line("%s := &%s", p, l.expr)
		g.line("*%s += s", p)
	}
}

func (g *gen) helper() {
	switch g.r.IntN(12) {
	case 0:
		g.line("addAll(&st, s)")
	case 1:
		g.line("addAll(sp, s)")
	case 2:
		g.line("s += readAll(%s)", g.pick("&st", "sp"))
	case 3:
		g.line("touch(%s)", g.pick("&gin", "&c.In", "c.P"))
	case 4:
		g.line("fill(%s, s)", g.pick("sl", "c.Buf", "arr[:]", "sl[2:4]"))
	case 5:
		g.line("s += sum(%s)", g.pick("sl", "c.Buf", "arr[:]", "st.Hist[:]"))
	case 6:
		g.line("put(%s, %s, s)", g.pick("tbl", "c.M"), g.idx4())
	case 7:
		g.line("copy(%s, %s)", g.pick("sl", "c.Buf", "arr[2:]"), g.pick("sl[2:]", "c.Buf", "arr[:3]"))
	case 8:
		// The two may share a backing array from then on.
		g.line("%s = append(%s[:3], s)", g.pick("sl", "c.Buf"), g.pick("sl", "c.Buf"))
	case 9:
		// A pointer kept in a local and used later.
		p := g.fresh("q")
		if g.r.IntN(2) == 0 {
			g.line("%s := %s", p, g.pick("&st", "sp"))
			g.line("%s.B += s", p)
		} else {
			g.line("%s := %s", p, g.pick("&gin", "c.P", "&c.In"))
			g.line("s += %s.Y", p)
		}
	case 10:
		// The context keeps a pointer to its own memory, to fresh
		// memory, or to shared memory.
		g.line("c.P = %s", g.pick("&c.In", "&Inner{X: s}", "&gin"))
	default:
		g.line("s += len(%s)", g.pick("tbl", "c.M", "sl"))
	}
}

func (g *gen) iface() {
	recv := g.pick("store", "c.S", "store", "c.S")
	if g.r.IntN(2) == 0 {
		g.line("%s.Put(%s, s)", recv, g.idx4())
	} else {
		g.line("s += %s.Get(%s)", recv, g.idx4())
	}
}

func (g *gen) atomic() { g.atomic0(true) }

// atomic0: sync/atomic operations; plain: also plain accesses of the same
// variables, which race with the atomic ones.
func (g *gen) atomic0(plain bool) {
	n := 4
	if plain {
		n = 6
	}
	switch g.r.IntN(n) {
	case 0:
		g.line("atomic.AddInt64(&ctr, 1)")
	case 1:
		g.line("s += int(atomic.LoadInt64(&ctr))")
	case 2:
		g.line("%s.Hits.Add(1)", g.pick("st", "sp"))
	case 3:
		g.line("s += int(%s.Hits.Load())", g.pick("st", "sp"))
	case 4:
		g.line("ctr++")
	case 5:
		g.line("s += int(ctr)")
	}
}

// publish: contexts stored in shared state are reached by other
// invocations: their memory is no longer the invocation's own.
func (g *gen) publish() {
	switch g.r.IntN(3) {
	case 0:
		g.line("conns[c.ID&3] = c")
	case 1:
		x := g.fresh("x")
		g.line("for _, %s := range conns {", x)
		g.line("\tif %s != nil {", x)
		g.line("\t\ts += %s.%s", x, g.pick("N", "In.X", "P.X", "Buf[0]"))
		g.line("\t}")
		g.line("}")
	default:
		x := g.fresh("x")
		g.line("if %s := conns[%s]; %s != nil {", x, g.idx4(), x)
		g.line("\t%s.%s++", x, g.pick("N", "In.Y", "P.X", "Buf[1]"))
		g.line("}")
	}
}

func (g *gen) copyStruct() {
	switch g.r.IntN(4) {
	case 0:
		v := g.fresh("cp")
		if g.r.IntN(2) == 0 {
			g.line("%s := *sp", v)
			g.line("s += %s.A", v)
		} else {
			g.line("%s := %s", v, g.pick("gin", "c.In"))
			g.line("s += %s.X", v)
		}
	case 1:
		g.line("gin = Inner{X: s}")
	case 2:
		g.line("c.In = %s", g.pick("gin", "Inner{Y: s}", "*c.P"))
	default:
		g.line("s += %s.Hist[%s]", g.pick("st", "sp"), g.idx4())
	}
}

func (g *gen) mapOp() {
	m := g.pick("tbl", "c.M")
	switch g.r.IntN(3) {
	case 0:
		k, v := g.fresh("k"), g.fresh("v")
		g.line("for %s, %s := range %s {", k, v, m)
		g.line("\ts += %s + %s", k, v)
		g.line("}")
	case 1:
		g.line("delete(%s, %s)", m, g.idx4())
	default:
		g.line("s += len(%s)", m)
	}
}

// local: memory of this invocation only: never a conflict.
func (g *gen) local() {
	switch g.r.IntN(3) {
	case 0:
		v := g.fresh("in")
		g.line("%s := Inner{X: s}", v)
		g.line("touch(&%s)", v)
		g.line("s += %s.X", v)
	case 1:
		v := g.fresh("b")
		g.line("%s := make([]int, 4)", v)
		g.line("fill(%s, s)", v)
		g.line("s += sum(%s)", v)
	default:
		v := g.fresh("x")
		g.line("%s := 0", v)
		if g.style == Mixed {
			g.line("apply(func() { %s += s })", v)
		} else {
			f := g.fresh("f")
			g.line("%s := func() { %s += s }", f, v)
			g.line("%s()", f)
		}
		g.line("s += %s", v)
	}
}

// region: statements under a lock, released at the end of the region or,
// with a deferred Unlock, when the handler returns.
func (g *gen) region() {
	lock, unlock := "mu.Lock()", "mu.Unlock()"
	switch g.r.IntN(5) {
	case 1:
		lock, unlock = "rw.RLock()", "rw.RUnlock()" // writes under it are not protected
	case 2:
		lock, unlock = "rw.Lock()", "rw.Unlock()"
	case 3:
		lock, unlock = "c.Mu.Lock()", "c.Mu.Unlock()"
	}
	g.line("%s", lock)
	deferred := g.r.IntN(4) == 0
	if deferred {
		g.line("defer %s", unlock)
		g.lockedToEnd = true
	}
	g.locked = true
	for n := 1 + g.r.IntN(3); n > 0; n-- {
		if strings.HasPrefix(lock, "c.") && g.r.IntN(2) == 0 {
			g.access(g.context(), true)
		} else {
			g.stmt(true)
		}
	}
	if deferred {
		return // locked to the end of the handler
	}
	g.locked = false
	g.line("%s", unlock)
}
