package oracle

import "math/rand/v2"

// The library shapes: handlers that hand their memory to library code
// (fmt, strings, sort, maps, encoding/json, a fresh bytes.Buffer, sync
// types, a bufio.Reader read through io.ByteReader, mime/multipart's
// Writer). The analysis has no body for the standard library: what a call
// there does is a model's word (analysis/models.go), and the methods the
// library calls back on what it is given (String, Error, MarshalJSON,
// Len/Less/Swap, Write) are workspace code it must follow
// (analysis/library.go, libraryCallbacks). Here the race detector checks
// both: the callbacks write their receivers, globals and what their
// receivers point to, and one publishes its receiver.
//
// Half of the programs have them, drawn from a stream of their own: with
// it off, a program is what it was before.

// libDecls are the library shapes' types, declared after Schedule in the
// programs that have them.
const libDecls = `
// The library shapes (lib.go): methods the library calls back.

// Label's String writes its receiver: fmt calls it.
type Label struct{ N int }

func (l *Label) String() string { l.N++; return "label" }

// Name's String has a value receiver and writes through its pointer.
type Name struct{ P *Inner }

func (n Name) String() string { n.P.X++; return "name" }

// Vec is a sort.Interface whose Swap writes its elements.
type Vec []int

func (v Vec) Len() int           { return len(v) }
func (v Vec) Less(i, j int) bool { return v[i] < v[j] }
func (v Vec) Swap(i, j int)      { v[i], v[j] = v[j], v[i] }

// Rec counts its encodings; encoding/json calls its methods.
type Rec struct{ N, Hits int }

func (r *Rec) MarshalJSON() ([]byte, error) { r.Hits++; return []byte("1"), nil }
func (r *Rec) UnmarshalJSON(b []byte) error { r.N += len(b); return nil }

// Wrap holds a Rec: json calls the method of a value it reaches.
type Wrap struct{ R *Rec }

// Fail is an error whose Error writes its receiver.
type Fail struct{ Seen int }

func (e *Fail) Error() string { e.Seen++; return "fail" }

// Sink is an io.Writer that counts into a global too.
type Sink struct{ N int }

func (w *Sink) Write(p []byte) (int, error) { w.N += len(p); sinkTotal += len(p); return len(p), nil }

// Tag's String publishes its receiver: the next String writes it.
type Tag struct{ N int }

// Hf and Af are function types with the same method: only Hf values are
// Doers, so d.Do runs Hf's method, which runs what the Doer was made of.
type Hf func(s int) int

func (f Hf) Do(s int) int { return f(s) }

type Af func(s int) int

func (f Af) Do(s int) int { return f(s) }

type Doer interface{ Do(s int) int }

var (
	ldoers = []Doer{Hf(func(s int) int { g1 += s; return s })}
	laf    = Af(func(s int) int { return s + 1 })
)

// Mark's MarshalJSON publishes its receiver, as Tag's String does; a
// Marks holds one in place, where json calls it (an addressable field).
type Mark struct{ N int }

func (m *Mark) MarshalJSON() ([]byte, error) {
	if lastMark != nil {
		lastMark.N++
	}
	lastMark = m
	return []byte("1"), nil
}

type Marks struct{ M Mark }

// Pub is filled in where it is made, then published (lpub).
type Pub struct {
	N   int
	Tag string
}

func (t *Tag) String() string {
	if lastTag != nil {
		lastTag.N++
	}
	lastTag = t
	return "tag"
}

// Src counts what is read from it, into itself and a global. A
// bufio.Reader holding one reads it when ReadByte is called through
// io.ByteReader, which Src does not implement: a callback of a library
// method reached through an interface, on what its receiver holds.
type Src struct{ N int }

func (r *Src) Read(p []byte) (int, error) { r.N++; srcTotal += len(p); return len(p), nil }

// Peer has an Error of another signature than the error interface's, as
// nats-server's client has: fmt cannot call it. Its String is a
// fmt.Stringer's, which fmt calls on a Peer it finds in an interface value
// from elsewhere (lpeer), or inside a Box it walks.
type Peer struct{ N, Closed int }

func (p *Peer) Error(err error) { p.Closed++ }
func (p *Peer) String() string  { p.N++; return "peer" }

// Oops is an error whose Error counts into a global.
type Oops struct{}

func (Oops) Error() string { oopsTotal++; return "oops" }

// Via holds a reader set only where it is made: a Read through it runs
// Src's alone (interface calls go by the types that flow to the
// receiver). lsrcs hands a Src to the library, which hands it back as an
// any: a Read on that may run Src's too.
type Via struct{ R io.Reader }

// Cnt is an expvar.Var: expvar.Publish keeps it in the package's
// table, where expvar.Do hands it to every caller.
type Cnt struct{ N int }

func (c *Cnt) String() string { return fmt.Sprint(c.N) }

// Box holds values fmt walks into.
type Box struct {
	V   any
	Err error
}

var (
	lpeer     any   = &Peer{}
	lerr      error = Oops{}
	oopsTotal int
)

var (
	label     = &Label{}
	srcTotal  int
	// readers are made at init: no handler's call hands them their Src.
	readers = [2]io.ByteReader{bufio.NewReader(&Src{}), bufio.NewReader(&Src{})}
	name      = Name{P: &gin}
	vec       = Vec{3, 1, 2}
	rec       = &Rec{}
	fail      = &Fail{}
	sink      = &Sink{}
	sinkTotal int
	lastTag   *Tag
	lastMark  *Mark
	lmap      sync.Map
	lonce     sync.Once
	lbuf      bytes.Buffer
	lhook     atomic.Value // a func(): it comes back from the library
	lnote     string
	lpub      *Pub // published filled in, or filled in after
	lpubs     []*Pub // published with the slice they were appended to
	lpmu      sync.Mutex
	lhooks    = []func(){func() { lnote += "h" }}
	lvia      = &Via{R: &Src{}}
	lsrcs     = func() *atomic.Value { v := new(atomic.Value); v.Store(io.Reader(&Src{})); return v }()
	lring     = cring.New(1) // a ring other rings are linked into
	lseq      atomic.Int64  // names expvar.Publish has not seen
	lmwBuf    bytes.Buffer
	lmw       = multipart.NewWriter(&lmwBuf) // a writer every invocation may add parts to
	lzero, _  = os.Open("/dev/zero")        // a File every invocation reads
	lfbuf     [4]byte                       // what they read it into

	_ = strings.Repeat
	_ = sha256.New
	_ = maps.Clone[map[int]int]
	_ = sort.Sort
	_ = slices.Backward[[]func()]
	_ = json.Marshal
	_ = fmt.Sprint
	_ = lexpvar.Do
)
`

const libImports = "\t\"bufio\"\n\t\"bytes\"\n\tcring \"container/ring\"\n\t\"crypto/sha256\"\n\t\"encoding/json\"\n\tlexpvar \"expvar\"\n\t\"fmt\"\n\t\"io\"\n\t\"maps\"\n\t\"mime/multipart\"\n\t\"os\"\n\t\"slices\"\n\t\"sort\"\n\t\"strings\"\n"

const libFields = "\t// The library shapes' (lib.go).\n\tLab Label\n\tRec Rec\n\tOut bytes.Buffer\n"

// lib writes one statement of the library shapes into a handler: memory
// of this invocation's own in every style, the context's in mixed and
// contextual programs, shared memory in mixed ones.
func (g *gen) lib() {
	r := g.r5
	n := 6
	switch g.style {
	case Contextual:
		n = 12
	case Mixed:
		n = 50
	}
	switch k := r.IntN(n); k {
	// This invocation's own memory.
	case 0:
		v := g.fresh("b")
		g.line("var %s bytes.Buffer", v)
		g.line("fmt.Fprintf(&%s, \"%%d %%v\", s, &Label{N: s})", v)
		g.line("s += %s.Len()", v)
	case 1:
		g.line("s += strings.Count(fmt.Sprint(s), \"1\") + len(strings.Repeat(\"x\", s&3))")
	case 2:
		v := g.fresh("v")
		g.line("%s := Vec{s, 2, 1}", v)
		g.line("sort.Sort(%s)", v)
		g.line("s += %s[0]", v)
	case 3:
		v := g.fresh("m")
		g.line("%s := map[int]int{1: s}", v)
		g.line("maps.Copy(%s, map[int]int{2: s})", v)
		g.line("s += len(maps.Clone(%s))", v)
	case 4:
		v := g.fresh("j")
		g.line("%s, _ := json.Marshal(&Rec{N: s})", v)
		g.line("s += len(%s)", v)
	case 5:
		v := g.fresh("b")
		g.line("%s := new(bytes.Buffer)", v)
		g.line("json.NewEncoder(%s).Encode(&Wrap{R: &Rec{}})", v)
		g.line("s += %s.Len()", v)

	// The context's memory.
	case 6:
		g.line("s += len(fmt.Sprint(&c.Lab))")
	case 7:
		g.line("sort.Sort(Vec(c.Buf))")
	case 8:
		v := g.fresh("j")
		g.line("%s, _ := json.Marshal(&c.Rec)", v)
		g.line("s += len(%s)", v)
	case 9:
		g.line("json.Unmarshal([]byte(\"12\"), &c.Rec)")
	case 10:
		g.line("fmt.Fprintf(&c.Out, \"%%d\", s)")
	case 11:
		g.line("c.%s", pick(r, "Lab.N += s", "Rec.Hits++", "Rec.N = s"))

	// Shared memory.
	case 12:
		g.line("s += len(fmt.%s)", pick(r, "Sprint(label)", "Sprintf(\"%v\", label)", "Sprintln(s, label)"))
	case 13:
		g.line("s += len(fmt.Sprint(name))")
	case 14:
		g.line("sort.Sort(%s)", pick(r, "vec", "Vec(sl)", "Vec(arr[:])"))
	case 15:
		v := g.fresh("j")
		g.line("%s, _ := json.Marshal(%s)", v, pick(r, "rec", "&Wrap{R: rec}"))
		g.line("s += len(%s)", v)
	case 16:
		v := g.fresh("e")
		g.line("%s := fmt.Errorf(\"w: %%w\", fail)", v)
		g.line("s += len(%s.Error())", v)
	case 17:
		g.line("fmt.Fprint(sink, s)")
	case 18:
		if r.IntN(2) == 0 {
			g.line("lmap.Store(s&3, c)")
		} else {
			v := g.fresh("x")
			g.line("if %s, ok := lmap.Load(%s); ok {", v, g.idx4())
			g.line("\t%s.(*Conn).N++", v)
			g.line("}")
		}
	case 19:
		if r.IntN(2) == 0 {
			g.line("maps.Copy(tbl, %s)", pick(r, "c.M", "map[int]int{1: s}"))
		} else {
			g.line("s += len(maps.Clone(tbl))")
		}
	case 20:
		g.line("lonce.Do(func() { g1++ })")
	case 21:
		g.line("lbuf.WriteString(\"x\")")
	case 22:
		// The receiver is published by its String: written after the
		// call, it is memory the next String writes.
		v := g.fresh("tg")
		g.line("%s := &Tag{}", v)
		g.line("s += len(fmt.Sprint(%s))", v)
		g.line("%s.N += s", v)
	case 23:
		g.line("%s", pick(r, "label.N++", "rec.Hits = s", "fail.Seen++", "s += sinkTotal", "vec[s&1] = s"))
	case 24:
		v := g.fresh("r")
		g.line("%s := rec", v)
		g.line("json.Unmarshal([]byte(\"7\"), %s)", v)
	case 25:
		// A bufio.Reader's source read through its ReadByte, called
		// through io.ByteReader: one of the readers made at init, or a
		// fresh one; or the count its Read writes.
		switch r.IntN(3) {
		case 0:
			g.line("readers[s&1].ReadByte()")
		case 1:
			v := g.fresh("br")
			g.line("var %s io.ByteReader = bufio.NewReader(&Src{N: s})", v)
			g.line("%s.ReadByte()", v)
		default:
			g.line("s += srcTotal")
		}
	case 26:
		// A function handed to the library and called where it comes
		// back: the call runs what was stored.
		if r.IntN(2) == 0 {
			g.line("lhook.Store(func() { %s })", pick(r, "g1++", "label.N += 2", "rec.Hits++"))
		} else {
			v := g.fresh("f")
			g.line("if %s, ok := lhook.Load().(func()); ok {", v)
			g.line("\t%s()", v)
			g.line("}")
		}
	case 27:
		// A loop over a library iterator: its body is a function the
		// iterator calls, and so is each hook.
		if r.IntN(2) == 0 {
			v := g.fresh("h")
			g.line("for _, %s := range slices.%s(lhooks) {", v, pick(r, "Backward", "All"))
			g.line("\t%s()", v)
			g.line("}")
		} else {
			g.line("%s", pick(r, "lnote = \"n\"", "s += len(lnote)"))
		}
	case 28:
		// An object filled in where it is made, then published, under
		// lpmu or not; written after it is published; read where found.
		locked := r.IntN(2) == 0
		lock := func() {
			if locked && !g.locked {
				g.line("lpmu.Lock()")
			}
		}
		unlock := func() {
			if locked && !g.locked {
				g.line("lpmu.Unlock()")
			}
		}
		v := g.fresh("p")
		switch r.IntN(3) {
		case 0:
			g.line("%s := &Pub{N: s, Tag: \"t\"}", v)
			lock()
			g.line("lpub = %s", v)
			unlock()
		case 1:
			g.line("%s := &Pub{N: s}", v)
			lock()
			g.line("lpub = %s", v)
			unlock()
			g.line("%s.%s", v, pick(r, "N++", "Tag = \"u\""))
		default:
			lock()
			g.line("%s := lpub", v)
			unlock()
			g.line("if %s != nil {", v)
			g.line("\ts += %s.N + len(%s.Tag)", v, v)
			g.line("}")
		}
	case 29:
		// A method of a function type, through an interface.
		v := g.fresh("d")
		g.line("for _, %s := range ldoers {", v)
		g.line("\ts += %s.Do(s) + laf.Do(s)", v)
		g.line("}")
	case 30:
		// Objects appended to a nil or new slice are the invocation's
		// own until the slice is published (under lpmu or not), and
		// shared after, as is the slice's array: a write of either after
		// publication races with another invocation's read of the slice
		// it replaced, in this same statement.
		locked := r.IntN(2) == 0 && !g.locked
		v, ps, old := g.fresh("p"), g.fresh("ps"), g.fresh("old")
		g.line("%s := &Pub{}", v)
		switch r.IntN(3) {
		case 0:
			g.line("var %s []*Pub", ps)
			g.line("%s = append(%s, %s)", ps, ps, v)
		case 1:
			g.line("%s := make([]*Pub, 0, 1)", ps)
			g.line("%s = append(%s, %s)", ps, ps, v)
		default:
			g.line("%s := append([]*Pub(nil), %s)", ps, v)
		}
		if locked {
			g.line("lpmu.Lock()")
		}
		g.line("%s := lpubs", old)
		if r.IntN(3) != 0 {
			g.line("lpubs = %s", ps)
		} else {
			g.line("_ = %s", ps)
		}
		if locked {
			g.line("lpmu.Unlock()")
		}
		if r.IntN(3) == 0 {
			// The slice itself, written where it was published.
			g.line("%s[0] = &Pub{N: s}", ps)
		} else {
			g.line("%s.%s", v, pick(r, "N = s", "Tag = \"a\""))
		}
		q := g.fresh("q")
		g.line("for _, %s := range %s {", q, old)
		g.line("\ts += %s.N + len(%s.Tag)", q, q)
		g.line("}")
	case 31, 32, 33:
		// fmt handed values from elsewhere, or a Box holding them, calls
		// the String and Error of the interfaces' signatures on what they
		// hold: (*Peer).String and Oops.Error, not (*Peer).Error(error).
		// These two are drawn three times as often as the others: the
		// analysis matches these methods by signature (callsig.go), and
		// a race between two of them must be likely enough to be seen.
		g.line("s += len(fmt.%s)", pick(r, "Sprint(lpeer)", "Sprintf(\"%v\", lerr)", "Sprint(&Box{V: lpeer, Err: lerr})", "Sprintln(Box{lpeer, nil})"))
	case 37, 38:
		// A Read through an interface: a field set where it is made, or
		// what the library hands back. Src.Read writes the shared Src.
		v := g.fresh("n")
		g.line("%s, _ := %s.Read(nil)", v, pick(r, "lvia.R", "lsrcs.Load().(io.Reader)"))
		g.line("s += %s", v)
	case 39, 40:
		// Library code that keeps what it is given, neither in the
		// table nor synchronized for the caller: ring.Link keeps a new
		// ring in the shared one, expvar.Publish a new Var in its
		// package's table (a package variable), and both hand it to
		// another invocation (Next, expvar.Do calling String), which
		// reads what this one writes after.
		v := g.fresh("x")
		switch r.IntN(4) {
		case 0:
			g.line("%s := &cring.Ring{Value: s}", v)
			g.line("lring.Link(%s)", v)
			g.line("%s.Value = s", v)
		case 1:
			g.line("if %s, ok := lring.Next().Value.(int); ok {", v)
			g.line("\ts += %s", v)
			g.line("}")
		case 2:
			g.line("%s := &Cnt{}", v)
			// Named by this program's lseq too: the programs of one
			// runner share expvar's table, which panics on a name
			// published twice.
			g.line("lexpvar.Publish(fmt.Sprintf(\"lv%%p-%%d\", &lseq, lseq.Add(1)), %s)", v)
			g.line("%s.N = s", v)
		default:
			g.line("lexpvar.Do(func(kv lexpvar.KeyValue) { s += len(kv.Value.String()) })")
		}
	case 43, 44, 45:
		// A callback that publishes its receiver, reached from a
		// fresh object handed to the library: the receiver held
		// through an interface (a Tag in a Box, fmt calls its String)
		// is what the object holds, published though the Box is not;
		// one held in place (json calls a Marks' field's MarshalJSON)
		// publishes the object itself. Written after, either is
		// memory the next call writes.
		v := g.fresh("tg")
		switch r.IntN(3) {
		case 0:
			g.line("%s := &Tag{}", v)
			g.line("s += len(fmt.Sprint(&Box{V: %s}))", v)
			g.line("%s.N += s", v)
		case 1:
			g.line("%s := &Marks{}", v)
			g.line("json.Marshal(%s)", v)
			g.line("%s.M.N += s", v)
		default:
			g.line("%s := new(Marks)", v)
			g.line("json.Marshal(&%s.M)", v)
			g.line("%s.M.N = s", v)
		}
	case 46, 47:
		// mime/multipart's Writer, derived from its source: a new one
		// and its parts point to each other only, the invocation's
		// own; parts added to the shared one write it and its buffer.
		// A hash sha256.New makes is written through io.WriteString,
		// which calls no Write of the workspace's (Sink's) on it.
		switch r.IntN(4) {
		case 3:
			h := g.fresh("h")
			g.line("%s := sha256.New()", h)
			g.line("io.WriteString(%s, \"x\")", h)
			g.line("s += len(%s.Sum(nil)) + sink.N", h)
		case 0:
			b, mw, fw := g.fresh("b"), g.fresh("mw"), g.fresh("fw")
			g.line("var %s bytes.Buffer", b)
			g.line("%s := multipart.NewWriter(&%s)", mw, b)
			g.line("%s, _ := %s.CreateFormFile(\"f\", \"a.txt\")", fw, mw)
			g.line("%s.Write([]byte(\"x\"))", fw)
			g.line("%s.Close()", mw)
			g.line("s += %s.Len()", b)
		case 1:
			g.line("lmw.CreateFormField(\"f\")")
		default:
			g.line("s += lmwBuf.Len()")
		}
	case 48, 49:
		// An *os.File (the table's model): one opened here is the
		// invocation's own, as is what its Stat describes; a shared
		// one is safe for concurrent use, but its Read writes the
		// shared slice it is given.
		switch r.IntN(3) {
		case 0:
			f, b := g.fresh("f"), g.fresh("b")
			g.line("if %s, err := os.Open(\"/dev/zero\"); err == nil {", f)
			g.line("\t%s := make([]byte, 2)", b)
			g.line("\t%s.Read(%s)", f, b)
			g.line("\tif fi, err := %s.Stat(); err == nil {", f)
			g.line("\t\ts += len(fi.Name()) + int(%s[0])", b)
			g.line("\t}")
			g.line("\t%s.Close()", f)
			g.line("}")
		case 1:
			g.line("lzero.Read(lfbuf[:])")
		default:
			g.line("s += int(lfbuf[s&3])")
		}
	case 34, 35, 36:
		g.line("%s", pick(r, "lpeer.(*Peer).N++", "s += lpeer.(*Peer).N", "s += oopsTotal", "oopsTotal = s", "lpeer.(*Peer).Error(nil)"))
	default:
		g.line("s += len(%s.Error())", pick(r, "fail", "error(fail)"))
	}
}

// libStream is the library shapes' stream of program index: nil when the
// program has none.
func libStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x6c6962, uint64(index)))
	if r.IntN(2) != 0 {
		return nil
	}
	return r
}
