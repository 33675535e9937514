package analysis_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
	"github.com/safels/safels/internal/wanttest"
)

// cell returns the matrix cell of two handlers named by their short names.
func cell(t *testing.T, r *analysis.Result, a, b string) analysis.Kind {
	t.Helper()
	idx := map[string]int{}
	for i, h := range r.Handlers {
		idx[h.Short] = i
	}
	i, ok := idx[a]
	j, ok2 := idx[b]
	if !ok || !ok2 {
		t.Fatalf("handlers %s, %s not both found among %v", a, b, idx)
	}
	return r.Matrix[i][j]
}

// globalCell is a pair of handlers and whether their matrix cell must have
// the global bit (want: analysis.Global or 0), and why.
type globalCell struct {
	a, b string
	want analysis.Kind
	why  string
}

// checkGlobal runs the analysis on dir (one package) and checks each
// pair's global bit.
func checkGlobal(t *testing.T, dir string, cells []globalCell) {
	t.Helper()
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"."}})
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, r, cells)
}

func checkCells(t *testing.T, r *analysis.Result, cells []globalCell) {
	t.Helper()
	for _, tc := range cells {
		if got := cell(t, r, tc.a, tc.b); got&analysis.Global != tc.want {
			t.Errorf("%s/%s = %02b, want bit 0 = %d: %s", tc.a, tc.b, got, tc.want, tc.why)
		}
	}
}

func TestFields(t *testing.T) {
	r := wanttest.Run(t, "testdata/fields")
	// handleUser touches stats.users, handleConn stats.conns: distinct fields.
	// They conflict only through table[] (indices conflated).
	if got := cell(t, r, "handleConn", "handleUser"); got != analysis.Global {
		t.Errorf("handleConn/handleUser = %b, want 01 (table[] only)", got)
	}
	if got := cell(t, r, "handleUser", "handlePtr"); got != 0 {
		t.Errorf("handleUser/handlePtr = %b, want 00: statsPtr.conns is not stats.users", got)
	}
}

func TestCalls(t *testing.T) {
	r := wanttest.Run(t, "testdata/calls")
	// Interface calls (db.put), closures called through a global slice and
	// recursion are all followed; atomics and read-only state never conflict.
	if got := cell(t, r, "handlePut", "handlePut"); got != analysis.Global {
		t.Errorf("handlePut/handlePut = %b, want 01", got)
	}
	// handleWalk and handleState share only the request: a context conflict.
	if got := cell(t, r, "handleWalk", "handleState"); got != analysis.Context {
		t.Errorf("handleWalk/handleState = %b, want 10", got)
	}
	if got := cell(t, r, "handlePut", "handleState"); got != 0 {
		t.Errorf("handlePut/handleState = %b, want 00 (atomics only)", got)
	}
	for _, h := range r.Handlers {
		if h.Short == "handleState" && (h.Hue != 0 || !h.Colored) {
			t.Errorf("handleState hue %d colored %v, want no hue, colored", h.Hue, h.Colored)
		}
	}
}

func TestLocks(t *testing.T) {
	r := wanttest.Run(t, "testdata/locks")
	// cache is only touched under mu by handleSet and handleGet.
	if got := cell(t, r, "handleSet", "handleGet"); got != analysis.Global {
		t.Errorf("handleSet/handleGet = %b, want 01 (total only)", got)
	}
	// handleRead writes counts[] under rw.Lock: separated from handleCount's
	// RLock; its read under RLock is not separated from handleCount's write.
	if got := cell(t, r, "handleCount", "handleRead"); got != analysis.Global {
		t.Errorf("handleCount/handleRead = %b, want 01", got)
	}
	// c.bytes is guarded by the context's own mutex.
	if got := cell(t, r, "handleWrong", "handleWrong"); got != 0 {
		t.Errorf("handleWrong/handleWrong = %b, want 00", got)
	}
	guarded := false
	for _, h := range r.Handlers {
		for _, a := range h.Accesses {
			if a.Short == "cache[i]" && len(a.GuardedBy) > 0 && a.GuardedBy[0] == "mu" {
				guarded = true
			}
		}
	}
	if !guarded {
		t.Error("no access of cache[i] says it is guarded by mu")
	}
}

func TestNetHTTP(t *testing.T) {
	r := wanttest.Run(t, "testdata/nethttp")
	byName := map[string]*analysis.Handler{}
	for _, h := range r.Handlers {
		byName[h.Short] = h
		if h.Model != analysis.ModelConcurrent {
			t.Errorf("%s: model %s, want concurrent", h.Short, h.Model)
		}
	}
	// Found by registration: HandleFunc of a function, of a method value, of
	// a closure, and Handle of a value whose ServeHTTP is the handler.
	for _, n := range []string{"index", "(*Handler).set", "(*Handler).ServeHTTP", "main$1"} {
		if byName[n] == nil {
			t.Errorf("handler %s not found (have %v)", n, byName)
		}
	}
	if h := byName["(*Handler).set"]; h != nil && h.Name != "(*github.com/safels/safels/analysis/testdata/nethttp.Handler).set" {
		t.Errorf("method value handler named %q", h.Name)
	}
	// The mutex-guarded history and the atomic counter race with nothing.
	if got := cell(t, r, "index", "index"); got != analysis.Global {
		t.Errorf("index/index = %b, want 01 (visits only)", got)
	}
}

// TestFrameworks runs discovery on small servers in the style of each
// framework, written against the real modules at pinned versions
// (testdata/servers/go.mod), and each way Go code wraps handlers: the
// want comments name the handler of each finding by its route.
func TestFrameworks(t *testing.T) {
	for _, tc := range []struct {
		dir   string
		model analysis.Model
		want  []string // handlers, by the name findings give them
	}{
		{"wrapped", analysis.ModelConcurrent, []string{"GET /count", "POST /add", "POST /login", "POST /tally", "POST /done", "maintenance"}},
		{"chiapp", analysis.ModelConcurrent, []string{"GET /articles/{articleID}", "PUT /articles/{articleID}", "POST /admin/purge", "GET /health"}},
		{"ginapp", analysis.ModelConcurrent, []string{"GET /api/items", "POST /api/items"}},
		{"echo4app", analysis.ModelConcurrent, []string{"GET /users/:id", "POST /users/:id"}},
		{"echo5app", analysis.ModelConcurrent, []string{"GET /notes", "POST /notes"}},
		{"muxapp", analysis.ModelConcurrent, []string{"GET /books/{id}", "PUT /api/books/{id}", "DELETE /books/{id}", "GET /books"}},
		{"redconapp", analysis.ModelConcurrent, []string{"set", "get", "ListenAndServe accept", "ListenAndServe closed"}},
		{"evioapp", analysis.ModelConcurrent, []string{"Events.Opened", "Events.Data"}},
		{"gnet1app", analysis.ModelConcurrent, []string{"(*echoServer).React"}},
		{"gnet2app", analysis.ModelConcurrent, []string{"(*server).OnOpen", "(*server).OnTraffic"}},
		{"keys", analysis.ModelLoop, []string{"bus.KeyCtrlC", "bus.KeyEnter", "onBus"}}, // from .safels.json
		// zerolog's events stay each request's own beside a generic
		// listener whose Close publishes its receiver (inbucket's).
		{"zlogapp", analysis.ModelConcurrent, []string{"GET /monitor", "GET /mailbox/{name}", "GET /mailbox/{name}/{id}"}},
		// Each request's *os.File (and its FileInfo) is its own, as is
		// a hash sha1.New makes.
		{"filesrv", analysis.ModelConcurrent, []string{"/favicon.png", "GET /source/{id}", "GET /list", "GET /hash/{name}", "POST /count"}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			r := wanttest.Run(t, filepath.Join("testdata/servers", tc.dir))
			var got []string
			for _, h := range r.Handlers {
				got = append(got, h.Display)
				if h.Model != tc.model {
					t.Errorf("%s: model %s, want %s", h.Display, h.Model, tc.model)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("handlers %q, want %q", got, want)
			}
			for _, p := range r.Problems {
				t.Errorf("unexpected problem: %s: %s", p.Pos, p.Message)
			}
		})
	}
}

// TestSilence: where discovery cannot follow a registration, and where a
// framework is imported but no handler was found through it, the result
// says so at the registration and at the import, instead of silence.
func TestSilence(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: "testdata/servers/silentapp", Patterns: []string{"."}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Handlers) != 0 {
		t.Errorf("handlers %d, want none", len(r.Handlers))
	}
	want := map[string]string{
		"silentapp.go:10:8": "cannot tell which handler is registered here",
		"silentapp.go:5:8":  "imports github.com/labstack/echo/v4 but no handler registered through it was found",
	}
	for _, p := range r.Problems {
		at := fmt.Sprintf("%s:%d:%d", filepath.Base(p.Pos.Filename), p.Pos.Line, p.Pos.Column)
		if w, ok := want[at]; ok && strings.Contains(p.Message, w) && p.Warning {
			delete(want, at)
		}
	}
	for at, w := range want {
		t.Errorf("no warning %q at %s; problems: %v", w, at, r.Problems)
	}
}

func TestMalformedConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("m.go", "package m\n\nvar n int\n\n//safels:handler\nfunc H(c *int) { n++ }\n")
	for _, tc := range []struct{ json, want string }{
		{"{\n  \"registrations\": [\n    {\"package\": \"x\",, }\n  ]\n}\n", ".safels.json:3:"},
		{"{\n  \"funcTypes\": [{\"package\": \"x\", \"name\": \"F\", \"model\": \"fast\"}]\n}\n", `"model" must be "loop" or "concurrent"`},
		{"{\n  \"handlers\": []\n}\n", `unknown field "handlers"`},
		{"{\n  \"invocationTypes\": [{\"package\": \"x\"}]\n}\n", `invocationTypes[0]: "package" and "name" are required`},
	} {
		write(".safels.json", tc.json)
		r, err := analysis.Run(context.Background(), analysis.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, p := range r.Problems {
			msgs = append(msgs, p.Pos.String()+": "+p.Message)
		}
		if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
			t.Errorf("config %q: problems %q, want one containing %q", tc.json, msgs, tc.want)
		}
		// The rest is still analysed with the built-in table.
		if len(r.Handlers) != 1 {
			t.Errorf("handlers %d, want 1", len(r.Handlers))
		}
	}
}

func TestEscape(t *testing.T) {
	r := wanttest.Run(t, "testdata/escape")
	// Contexts stored in the global table alias what handleIdle reaches
	// through it: a global conflict, not a context one.
	if got := cell(t, r, "handleRead", "handleIdle"); got != analysis.Global {
		t.Errorf("handleRead/handleIdle = %b, want 01", got)
	}
	// limit is written only in init and main before the loop: read-only.
	if got := cell(t, r, "handleRead", "handleRead"); got != analysis.Context {
		t.Errorf("handleRead/handleRead = %b, want 10", got)
	}
}

func TestDefers(t *testing.T) {
	r := wanttest.Run(t, "testdata/defers")
	// The deferred closure and the deferred call run after mu.Unlock.
	for _, h := range []string{"handleLate", "handleBump"} {
		if got := cell(t, r, h, h); got != analysis.Global {
			t.Errorf("%s/%s = %b, want 01: its deferred write runs unlocked", h, h, got)
		}
	}
	// mu is released by a call deferred before it, which runs after it.
	if got := cell(t, r, "handleKept", "handleKept"); got != 0 {
		t.Errorf("handleKept/handleKept = %b, want 00", got)
	}
	// The closure runs where it is called, under mu.
	if got := cell(t, r, "handleMade", "handleMadeToo"); got != 0 {
		t.Errorf("handleMade/handleMadeToo = %b, want 00", got)
	}
	// c.mu is each context's own: it does not keep invocations on two
	// contexts apart.
	for _, h := range r.Handlers {
		for _, a := range h.Accesses {
			if a.Short == "boxed" && len(a.GuardedBy) > 0 {
				t.Errorf("boxed at %s said to be guarded by %v", a.Pos, a.GuardedBy)
			}
		}
	}
}

func TestContextPointers(t *testing.T) {
	r := wanttest.Run(t, "testdata/ctxptr")
	// c.cur may point into the context itself, to an inner: c.in.
	if got := cell(t, r, "handleCur", "handleX"); got != analysis.Context {
		t.Errorf("handleCur/handleX = %b, want 10: c.cur.x may be c.in.x", got)
	}
	// Fields still tell memory apart.
	if got := cell(t, r, "handleCur", "handleY"); got != 0 {
		t.Errorf("handleCur/handleY = %b, want 00: c.cur.x is never c.in.y", got)
	}
	// handleReset writes its context's in through a closure that captured
	// the context: on the same context, that is where c.cur points.
	if got := cell(t, r, "handleCur", "handleReset"); got&analysis.Context == 0 {
		t.Errorf("handleCur/handleReset = %b, want 10: c.cur.x may be the in that handleReset writes", got)
	}
}

// TestContextStores: pointers between a context and shared memory, the two
// cases the soundness oracle found the analysis missing.
func TestContextStores(t *testing.T) {
	r := wanttest.Run(t, "testdata/ctxstore")
	checkCells(t, r, []globalCell{
		{"handleBump", "handleCount", analysis.Global, "*c.p is total once handleLink ran"},
		{"handleFill", "handleScan", analysis.Global, "recent and c.buf share an array once handleKeep ran"},
		{"handlePeer", "handleOther", analysis.Global, "main made c.peer point at other"},
		{"handleOwn", "handleFill", 0, "a buffer only ever the connection's own is not shared"},
		{"handleOwn", "handleCount", 0, "c.own is never total"},
		{"handleHalf", "handleLastHalf", analysis.Global, "handleSplit keeps one array in both"},
		{"handleUnbox", "handleBoxed", analysis.Global, "c.box holds &boxed once handleBox ran"},
		{"handleBumpMapped", "handleMapped", analysis.Global, "c.kept (a sync.Map) holds &mapped"},
		{"handleVisit", "handleOwn", analysis.Global, "the registry holds connections"},
	})
}

// TestCapturedContext: a closure that uses the handler's context does not
// make the context anybody's: a deferred undo conflicts only on the same
// context, and a global the closure writes still conflicts always.
func TestCapturedContext(t *testing.T) {
	r := wanttest.Run(t, "testdata/captured")
	if got := cell(t, r, "handleDefer", "handleDefer"); got != analysis.Context {
		t.Errorf("handleDefer/handleDefer = %02b, want 10", got)
	}
	if got := cell(t, r, "handleEach", "handleEach"); got != analysis.Context|analysis.Global {
		t.Errorf("handleEach/handleEach = %02b, want 11 (c.m on the same context, done always)", got)
	}
}

// TestRecursion: recursion over a tree of ten node kinds and a reference
// to ten fields at once end with their summaries widened, each widening
// said as a note at its function, and the widened accesses still conflict.
func TestRecursion(t *testing.T) {
	r := wanttest.Run(t, "testdata/recursion")
	notes := map[string]bool{}
	for _, p := range r.Problems {
		if p.Note {
			notes[strings.Fields(p.Message)[0]] = true
		}
	}
	for _, fn := range []string{"pick", "(*K0).eval", "(*K9).eval"} {
		if !notes[fn] {
			t.Errorf("no note that %s's summary was widened; notes: %v", fn, notes)
		}
	}
	if got := cell(t, r, "handlePick", "handlePick"); got&analysis.Global == 0 {
		t.Errorf("handlePick/handlePick = %b, want the global bit: the widened write of shared still conflicts", got)
	}
	if got := cell(t, r, "handleEval", "handleEval"); got&analysis.Global == 0 {
		t.Errorf("handleEval/handleEval = %b, want the global bit (global.count)", got)
	}
}

// TestOwnership: memory reached through a context is the context's own
// only when allocated for it and stored only into it (issue 13); each
// shape both ways (a stream's own data: its want says same-context only).
func TestOwnership(t *testing.T) {
	r := wanttest.Run(t, "testdata/owned")
	checkCells(t, r, []globalCell{
		{"handleRequest", "handleRequest", analysis.Global, "main's one server is in every connection"},
		{"handleRequest", "handleAccept", 0, "the listener only passes its server on"},
		{"handleOwn", "handleOwn", 0, "a server and a buffer allocated for each connection are its own"},
		{"handleData", "handleStream", analysis.Global, "a stream spends the window of the connection it points back to"},
		{"handleArm", "handleTimer", analysis.Global, "the timer posted is memory inside a connection"},
		{"handleTick", "handleTick", 0, "a tick allocated for its connection and posted whole is the tick's"},
		{"handleTransfer", "handleTransfer", analysis.Global, "accounts[i].mu does not guard accounts[j].bal"},
		{"handleDeposit", "handleDeposit", 0, "one concrete mutex guards bank"},
		{"handleLocked", "handleLocked", 0, "c.srv.mu guards c.srv.locked: one server through one pointer"},
	})
	r = wanttest.Run(t, "testdata/peers")
	if got := cell(t, r, "handlePeer", "handleOut"); got&analysis.Global == 0 {
		t.Errorf("handlePeer/handleOut = %02b, want a global conflict: c.peer.out is the other connection's out", got)
	}
}

// TestTruncatedStores: a pointer stored through a cut path (a node below
// a node) may land in any slot below the cut, and one stored where no
// path is cut may be read back through a cut one (issue 13): the
// connection kept there conflicts globally with whoever reaches it. What
// never holds a connection, and a connection's own deep list, do not.
func TestTruncatedStores(t *testing.T) {
	r := wanttest.Run(t, "testdata/truncated")
	checkCells(t, r, []globalCell{
		{"handleCount", "handlePoke", analysis.Global, "head.next.conn = c lands in second.conn"},
		{"handleCount", "handleScan", analysis.Global, "tail.peer = c is read back as items.next.peer"},
		{"handleCount", "handleStat", 0, "entries never hold a connection"},
		{"handleOwn", "handleOwn", 0, "a box allocated for the connection, deep in its own list, is its own"},
	})
}

// TestCutFreshStores: memory allocated in main and kept below a cut path
// (items.next) as well as in a global of its own (tail) is one item: a
// write through the cut path and one through tail conflict, though no
// pointer to shared memory, only a fresh allocation, was ever stored
// there; the same where append publishes it (chain). Memory of other
// types, and a connection's own, do not.
func TestCutFreshStores(t *testing.T) {
	checkGlobal(t, "testdata/cutfresh", []globalCell{
		{"handleTail", "handleScan", analysis.Global, "tail and items.next are one item"},
		{"handleChain", "handleChain2", analysis.Global, "chain[0] and chain2[0].next are one link, published by append"},
		{"handleBox", "handleScan", 0, "no box is kept below an item"},
		{"handleCount", "handleScan", 0, "no connection is kept below an item"},
		{"handleBox", "handleTail", 0, "a box is not an item"},
	})
}

// TestContextsKeptInMain: main appends each connection to a global slice
// before posting it, so a handler walking the slice writes the connection
// another handler runs on (the new array holds the connection and the
// global the array: a store into shared memory in two steps). A slice main
// keeps to itself shares nothing.
func TestContextsKeptInMain(t *testing.T) {
	checkGlobal(t, "testdata/ctxkept", []globalCell{
		{"handleCount", "handleScan", analysis.Global, "conns holds every connection"},
		{"handleSess", "handleSweep", analysis.Global, "sessions holds every session, as interfaces"},
		{"handleJob", "handleJob", 0, "main's own slice of jobs is never shared"},
		{"handleJob", "handleScan", 0, "a job is not a connection"},
	})
}

// TestContextsKeptByConstructor: handlers in a package that is not a main
// one, whose exported NewConn (called by a main elsewhere) keeps every
// connection in globals: its stores are setup too.
func TestContextsKeptByConstructor(t *testing.T) {
	checkGlobal(t, "testdata/ctxlib", []globalCell{
		{"hCount", "hSweep", analysis.Global, "kept holds every connection NewConn made"},
		{"hCount", "hLast", analysis.Global, "last is the connection NewConn made last"},
		{"hCount", "hBoxed", analysis.Global, "boxed holds every connection, as interfaces"},
		{"hJob", "hJob", 0, "NewJob keeps no job"},
	})
}

// TestLocksThroughPointers: a mutex in the server every connection points
// to guards the server's fields when the lock and the access reach it
// through the same pointer, on any connection; never through another
// pointer, below the server, across a store or a call that may swap it,
// or in another element of an array.
func TestLocksThroughPointers(t *testing.T) {
	r := wanttest.Run(t, "testdata/ptrlocks")
	for _, tc := range []struct {
		h    string
		want analysis.Kind
		why  string
	}{
		{"handleTwice", 0, "c.srv.mu guards c.srv.a, c.srv read twice"},
		{"handleLocal", 0, "s.mu guards s.b and s.hits[i], one pointer value"},
		{"handleAlt", analysis.Global, "c.srv.mu does not guard c.alt.srv.c"},
		{"handleMap", analysis.Global, "two servers may share one map"},
		{"handleMove", analysis.Global, "m.srv is swapped between the lock and the access"},
		{"handleCall", analysis.Global, "a call between may swap c.srv"},
		{"handleTransfer", analysis.Global, "accts[i].mu does not guard accts[j].bal"},
	} {
		if got := cell(t, r, tc.h, tc.h); got&analysis.Global != tc.want {
			t.Errorf("%s/%s = %02b, want bit 0 = %d: %s", tc.h, tc.h, got, tc.want, tc.why)
		}
	}
}

// TestLocksInFoundObjects: a box's own mutex guards the box's fields
// though the box is any of a table's (its loc names no one mutex), when
// the lock and the access go through one pointer: in the pool's methods,
// reached through a global pointer, and in a callback handed the very box
// its caller locked (a store that locks a mailbox and calls f(mb)), also
// where the helper locks for writing or reading as its caller asks; not
// when the callback is handed another box, nor for a write under a read
// lock (also where another box of the same loc is write-locked), nor
// after an unlock of a mutex that may be the box's.
func TestLocksInFoundObjects(t *testing.T) {
	r := wanttest.Run(t, "testdata/boxlocks")
	checkCells(t, r, []globalCell{
		{"handleAdd", "handleAdd", 0, "withBox locks the box it hands the callback, for writing"},
		{"handleAdd", "handleLast", 0, "withRead locks the box it hands the callback"},
		{"handlePool", "handlePool", 0, "the pool's methods lock the pool they update"},
		{"handleFirst", "handleFirst", 0, "withMode locks for writing where its caller passes true"},
		{"handleFirst", "handleReset", 0, "reset passes its own true on to withMode"},
		{"handleMark", "handleMark", analysis.Global, "a write under a read lock"},
		{"handlePeer", "handleAdd", analysis.Global, "withPeer locks one box and hands over the next"},
		{"handlePeer", "handlePeer", analysis.Global, "withPeer locks one box and hands over the next"},
		{"handleBoth", "handleBoth", analysis.Global, "the box written is read-locked, another write-locked"},
		{"handleSpare", "handleAdd", analysis.Global, "spare.Unlock() may unlock the box handleSpare locked"},
	})
}

// TestUnlocksInCallees: a callee that unlocks its caller's mutex, for
// good or for a while, leaves what follows and what it does meanwhile
// unguarded; one that locks a mutex of its own leaves the caller's held.
func TestUnlocksInCallees(t *testing.T) {
	r := wanttest.Run(t, "testdata/unlocks")
	checkCells(t, r, []globalCell{
		{"handleRelease", "handleRelease", analysis.Global, "release unlocked mu before total++"},
		{"handleSlow", "handleSlow", analysis.Global, "slow writes pending with mu unlocked"},
		{"handleLocker", "handleLocker", analysis.Global, "locker.Unlock() unlocks mu"},
		{"handleCount", "handleCount", 0, "count's own mutex leaves mu held"},
	})
}

// TestDecodeIntoNew: a decoder that keeps nothing, handed an object just
// made, writes only that object, which no one else reaches yet: not the
// shared memory the handler links it to afterwards; handed one that
// points at shared memory already, it may write that.
func TestDecodeIntoNew(t *testing.T) {
	r := wanttest.Run(t, "testdata/decodenew")
	checkCells(t, r, []globalCell{
		{"load", "load", 0, "the entry is new when decoded, linked and kept under mu after"},
		{"load", "count", 0, "load's decoder writes its new entry only"},
		{"refill", "count", analysis.Global, "refill's entry points at the shelf when decoded"},
	})
}

// TestPostWrappers: handlers posted through wrappers of loop.Post in
// another package (state.Later, and state.Soon calling it) are found
// through them; a handler passed as a value safels does not follow, and a
// wrapper used as a value, are said where they are lost.
func TestPostWrappers(t *testing.T) {
	r := wanttest.RunPatterns(t, "testdata/later", "./...")
	var names []string
	for _, h := range r.Handlers {
		names = append(names, h.Short)
	}
	slices.Sort(names)
	if want := []string{"handleAgain", "handleCount"}; !slices.Equal(names, want) {
		t.Errorf("handlers %v, want %v (handleTabled is posted only from a table)", names, want)
	}
	var warnings []string
	for _, p := range r.Problems {
		if p.Warning {
			warnings = append(warnings, fmt.Sprintf("%s:%d: %s", filepath.Base(p.Pos.Filename), p.Pos.Line, p.Message))
		}
	}
	for _, want := range []string{
		"later.go:36: the handler passed to Later (which posts it at state.go:7) is not a function known here: a handler posted only this way is not in the table, and runs exclusively",
		"state.go:10: the handler passed to Later (which posts it at state.go:7) is Soon's parameter h, and Soon is also used as a value",
	} {
		if !slices.ContainsFunc(warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("no warning %q; warnings: %q", want, warnings)
		}
	}
	if len(warnings) != 2 {
		t.Errorf("warnings %q, want the two above", warnings)
	}
}

// TestRegistry: forty modules' objects through one loader. The store into
// whichever module the loader is given, and the write each module's Setup
// makes, are each bounded in the loader's summary (storebound.go, newRef);
// the result says so, and the write still conflicts.
func TestRegistry(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: "testdata/registry", Patterns: []string{"."}})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, p := range r.Problems {
		if p.Note {
			notes = append(notes, p.Message)
		}
	}
	for _, want := range []string{"load reaches one access at more than", "load stores pointers to more than"} {
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Errorf("no note %q; notes: %q", want, notes)
		}
	}
	if got := cell(t, r, "handleLoad", "handleReset"); got&analysis.Global == 0 {
		t.Errorf("handleLoad/handleReset = %b, want the global bit: every module's Setup writes global.count", got)
	}
	setups := 0
	for _, f := range diagnostics.Findings(r) {
		if strings.Contains(f.Message, "handleReset writes global.count") {
			setups++
		}
	}
	if setups == 0 {
		t.Errorf("no finding at handleReset's write of global.count")
	}
}

func TestLibraryFuncs(t *testing.T) {
	r := wanttest.Run(t, "testdata/libfuncs")
	// What comes back from the library may be setHits, handed to it.
	if got := cell(t, r, "handleHook", "handleHits"); got != analysis.Global {
		t.Errorf("handleHook/handleHits = %b, want 01: hooks.Load() may return setHits", got)
	}
	if got := cell(t, r, "handleClean", "handleLog"); got != analysis.Global {
		t.Errorf("handleClean/handleLog = %b, want 01: the cleanup runs flushLog", got)
	}
	// The body of a loop over slices.Backward runs note.
	if got := cell(t, r, "handleRange", "handleNote"); got != analysis.Global {
		t.Errorf("handleRange/handleNote = %b, want 01: the loop's body calls note", got)
	}
	// bumpOther was never handed to a library: nothing that comes back
	// from one runs it.
	for _, h := range []string{"handleHook", "handleClean"} {
		if got := cell(t, r, h, "handleOther"); got != 0 {
			t.Errorf("%s/handleOther = %b, want 00", h, got)
		}
	}
}

func TestInitStores(t *testing.T) {
	r := wanttest.Run(t, "testdata/initstores")
	// The box's fields are filled before it is published under mu.
	if got := cell(t, r, "handleOpen", "handleRead"); got != 0 {
		t.Errorf("handleOpen/handleRead = %b, want 00: the fields were set before the box was published", got)
	}
	// n is written after the box is published.
	if got := cell(t, r, "handleBump", "handleRead"); got != analysis.Global {
		t.Errorf("handleBump/handleRead = %b, want 01: n is written once the box is in the map", got)
	}
}

func TestAppendedFresh(t *testing.T) {
	r := wanttest.Run(t, "testdata/appends")
	// query's entries are kept in the new array of its result, which no
	// one else reaches.
	if got := cell(t, r, "handleList", "handleShow"); got != 0 {
		t.Errorf("handleList/handleShow = %b, want 00: the entries are each invocation's own", got)
	}
	if got := cell(t, r, "handleList", "handleList"); got != 0 {
		t.Errorf("handleList/handleList = %b, want 00: the entries are each invocation's own", got)
	}
	// handlePublish's entry is shared once its slice is in recent.
	if got := cell(t, r, "handlePublish", "handleRecent"); got != analysis.Global {
		t.Errorf("handlePublish/handleRecent = %b, want 01: the text is written after the slice is published", got)
	}
	// The array append made from nil is what counts publishes.
	if got := cell(t, r, "handleCounts", "handleTotal"); got != analysis.Global {
		t.Errorf("handleCounts/handleTotal = %b, want 01: an element is written after the slice is published", got)
	}
}

func TestFuncTypeMethods(t *testing.T) {
	r := wanttest.Run(t, "testdata/functypes")
	// No AdminFunc is ever a Handler: h.Serve runs HandlerFunc's method.
	if got := cell(t, r, "handleRequest", "handleReset"); got != 0 {
		t.Errorf("handleRequest/handleReset = %b, want 00: no admin handler is a route", got)
	}
	if got := cell(t, r, "handleAdmin", "handleReset"); got != analysis.Global {
		t.Errorf("handleAdmin/handleReset = %b, want 01: adminLoad writes admins", got)
	}
}

// TestNoConflictList: without the list of conflicts, a run counts the
// same conflicts, fills the same matrix, and answers Partners with the
// conflicts the list holds for each handler, in its order, witnessed by
// the same accesses.
func TestNoConflictList(t *testing.T) {
	for _, dir := range []string{"testdata/servers/chiapp", "testdata/servers/gnetctx", "testdata/callbacks"} {
		t.Run(dir, func(t *testing.T) {
			full, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"."}})
			if err != nil {
				t.Fatal(err)
			}
			lean, err := analysis.Run(context.Background(), analysis.Config{Dir: dir, Patterns: []string{"."}, NoConflictList: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(full.Conflicts) == 0 || full.ConflictCount != len(full.Conflicts) {
				t.Fatalf("listed: %d conflicts, count %d; want some, counted", len(full.Conflicts), full.ConflictCount)
			}
			if lean.Conflicts != nil || lean.ConflictCount != full.ConflictCount {
				t.Errorf("unlisted: %d listed, count %d; want none listed, count %d", len(lean.Conflicts), lean.ConflictCount, full.ConflictCount)
			}
			if fmt.Sprint(lean.Matrix) != fmt.Sprint(full.Matrix) {
				t.Errorf("matrix %v, listed %v", lean.Matrix, full.Matrix)
			}
			spell := func(cs []*analysis.Conflict) string {
				var b strings.Builder
				for _, c := range cs {
					fmt.Fprintf(&b, "%d %d %v %s %v %v %v %v\n", c.A, c.B, c.Kind, c.Object, c.AAccess.Pos, c.AAccess.Op, c.BAccess.Pos, c.BAccess.Op)
				}
				return b.String()
			}
			for h := range full.Handlers {
				if got, want := spell(lean.Partners(h)), spell(full.Partners(h)); got != want {
					t.Errorf("partners of %s:\n%s\nlisted:\n%s", full.Handlers[h].Short, got, want)
				}
			}
		})
	}
}
