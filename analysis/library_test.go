package analysis_test

import (
	"context"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/wanttest"
)

// TestLibrary runs a net/http server whose handlers call the standard
// library as real servers do (issue 14's patterns): a global Regexp
// matched, fresh responses encoded, a global sql.DB and template used, a
// sync.Pool, a context carrying shared memory. Only the true races are
// wanted, among them the write through a global's element that a decoder
// makes (Decode(&req{Order: orders[0]})).
func TestLibrary(t *testing.T) {
	wanttest.Run(t, "testdata/library")
}

// TestByValue: a struct parameter and a value receiver are copies; an
// element of the copy kept in shared memory does not make the copy
// shared (a per-call command, as redcon passes it). Copying a global to
// call a value method still reads all of it.
func TestByValue(t *testing.T) {
	wanttest.Run(t, "testdata/byvalue")
}

// TestGinLibrary: a gin server (testdata/servers, gin and zap at pinned
// versions) rendering gin.H maps and fresh structs, binding requests into
// fresh structs and logging with zap: only the real race on notes is
// found.
func TestGinLibrary(t *testing.T) {
	wanttest.Run(t, "testdata/servers/ginlib")
}

// TestCallback: a closure handed down to functions that only call it
// (sort.Slice, a visitor of the workspace, one handing it on to another)
// keeps what it captures the handler's own; one that is kept, or handed
// to a function that may also call a closure another request made, shares
// it. A fresh object handed to a function that keeps it in a global, or
// appends it to one, is shared, its writes after the call too.
func TestCallback(t *testing.T) {
	wanttest.Run(t, "testdata/callback")
}

// TestModels: errors returned by library calls are new memory, not the
// receiver's (a global template's Execute); gob, io, slices, maps and
// hashes as their models say: a fresh record decoded into, a fresh hash
// written, clones of globals edited, all the handler's own.
func TestModels(t *testing.T) {
	wanttest.Run(t, "testdata/models")
}

// TestLibraryCallbacks: methods the standard library calls back on what
// it is given (fmt's String and Error, json's MarshalJSON on a value it
// reaches, sort.Sort's Less and Swap, an io.Writer's Write) run in the
// handler that made the call, their writes too; a String that keeps its
// receiver publishes the fresh value printed; a fresh value whose String
// only writes it stays the handler's own. The oracle's library shapes
// found both (internal/oracle/lib.go).
func TestLibraryCallbacks(t *testing.T) {
	wanttest.Run(t, "testdata/callbacks")
}

// TestEmbeddedInterface: a method promoted from an embedded interface (a
// test double wrapping the real message) is a compiler-written wrapper
// whose call through the interface reaches the implementers, as any call
// of the workspace does: reading the messages through it writes nothing,
// while a handler that writes a message still races with the reader.
func TestEmbeddedInterface(t *testing.T) {
	checkGlobal(t, "testdata/embedded", []globalCell{
		{"handleList", "handleList", 0, "reading messages through the stub's promoted ID writes nothing"},
		{"handleList", "handleBox", 0, "no message holds the box"},
		{"handleList", "handleSeen", analysis.Global, "handleSeen writes the id handleList reads"},
		{"handleBox", "handleBox", analysis.Global, "both write other.n"},
	})
}

// TestLibraryAround: library code around and inside the handlers, as
// inbucket has it (testdata/servers/libwrap): a middleware around the
// whole gorilla router, a websocket upgraded and closed, a file opened for
// the request and read through a pooled bufio.Reader. Each call was taken
// for a write of everything it may reach, and every handler raced with
// every other; the models say what they do, and only the race on hits is
// left between handlers.
func TestLibraryAround(t *testing.T) {
	checkGlobal(t, "testdata/servers/libwrap", []globalCell{
		{"count", "count", analysis.Global, "both write hits"},
		{"readFile", "count", 0, "the router and the pooled reader touch no counter"},
		{"readFile", "watch", 0, "a file and a websocket of their own"},
		{"watch", "count", 0, "closing a websocket touches no counter"},
	})
}

// TestCallbacksOfBoxedTypes: fmt handed a value from elsewhere (an any
// loaded from a global) may call the String of any type an interface
// value can hold, and only those: a type never made into an interface
// (Never) is not among them, one main boxes (Boxed) is.
func TestCallbacksOfBoxedTypes(t *testing.T) {
	checkGlobal(t, "testdata/boxed", []globalCell{
		{"handlePrint", "handleBoxed", analysis.Global, "fmt may call (*Boxed).String, which writes boxedHits"},
		{"handlePrint", "handleNever", 0, "no interface value holds a Never"},
	})
}

// TestWebsocketKeeps: a websocket.Conn holds the connection Upgrade
// takes over and the Upgrader's buffer pool, and uses them only through
// their methods (followed as callbacks), so its methods change its own
// state only (CallModel.Own), not all it may reach; it keeps nothing of
// the response writer or the request. Before, every call on a Conn was
// taken to call any method of the table on anything (printed and encoded
// raced everywhere) and to write all the global Upgrader reaches. A
// MarshalJSON that writes a global, and a kept connection written by two
// broadcasts, still race.
func TestWebsocketKeeps(t *testing.T) {
	checkGlobal(t, "testdata/servers/wspump", []globalCell{
		{"echo", "echo", 0, "each echo writes a connection of its own"},
		{"echo", "notify", 0, "the Upgrader is read, never written"},
		{"echo", "status", 0, "echo's connection calls no String of the workspace"},
		{"echo", "broadcast", 0, "echo's own connection is not a kept one"},
		{"status", "notify", 0, "WriteJSON encodes an event, not a counter"},
		{"status", "join", 0, "no call on join's Conn calls (*counter).String"},
		{"join", "join", 0, "appending under mu; no callback of a Conn writes printed"},
		{"notify", "notify", analysis.Global, "WriteJSON calls (*event).MarshalJSON, which writes encoded"},
		{"join", "broadcast", analysis.Global, "broadcast reads conns without the lock join holds"},
		{"broadcast", "broadcast", analysis.Global, "two broadcasts set the write deadline of one kept Conn"},
	})
}

// TestGoroutineShared: memory a handler hands to a goroutine it starts,
// which keeps it nowhere, is shared by that invocation and its goroutine
// only (a websocket's write pump): their race is the handler's with
// itself, and the memory is not every object of its type (the global
// idle session another handler resets). Handed to a goroutine that keeps
// it in a global list, it is published: a reader of the list races.
func TestGoroutineShared(t *testing.T) {
	checkGlobal(t, "testdata/gopump", []globalCell{
		{"stream", "stream", analysis.Global, "stream and its pump both write sent"},
		{"stream", "reset", 0, "stream's session is not idle"},
		{"join", "count", analysis.Global, "register writes sent of a session count reads from all"},
		{"reset", "reset", analysis.Global, "both write idle.sent"},
	})
}

// TestLibraryReceivers: nats-server's logger closes its file through an
// interface of its own that only *os.File implements (testdata/logclose).
// That call hands os the file, not any value the interface may hold, and
// os, which cannot walk what it is given (no reflect), calls back no
// (*client).Error: before, the chain reload → (*Logger).Close →
// (*fileLogger).close → (*client).Error → closeConnection raced with every
// reader of a client's flags (96% of nats-server's conflicts went through
// such calls). What library code does call back is still found, and the
// ByteReader case was missed before: a bufio.Reader read through
// io.ByteReader reads the source it holds; an exec.Cmd reads its Stdin, a
// field of its own type; a file reads what ReadFrom is given.
func TestRequestAccessors(t *testing.T) {
	checkGlobal(t, "testdata/reqaccessors", []globalCell{
		{"handleUser", "handleFetch", 0, "a request's accessors call nothing back: not the wrapper of a response's body"},
		{"handleUser", "handleForm", 0, "a request's accessors call nothing back: not the wrapper of another request's body"},
		{"handleForm", "handleForm", analysis.Global, "FormValue reads the Body, whose Read writes reads"},
	})
}

func TestLibraryReceivers(t *testing.T) {
	checkGlobal(t, "testdata/logclose", []globalCell{
		{"reload", "connz", 0, "closing the logger's *os.File calls no client's Error"},
		{"rotate", "stats", analysis.Global, "ReadByte reads the counting source the bufio.Reader holds, which writes readBytes"},
		{"feed", "stats", analysis.Global, "Cmd.Run reads its Stdin, whose Read writes fed"},
		{"copyIn", "stats", analysis.Global, "ReadFrom reads src, whose Read writes copied"},
	})
}

// TestCallbackSignatures: library code calls a method of a table name
// through an interface, so only a method of that interface's signature:
// fmt formatting an error from elsewhere, or walking a struct into its
// any field, calls no (*client).Error(error) nor String(int), as nats's
// client has them (testdata/callsig). Before, every boxed type's method
// of the name was taken to be called, and formatting an error raced with
// every reader of a client's flags. An Error() string and a String()
// string reached the same ways still race, and so does a Value of
// driver.Valuer's signature, which database/sql calls (an interface of a
// library package, not of the table's conventions).
func TestCallbackSignatures(t *testing.T) {
	checkGlobal(t, "testdata/callsig", []globalCell{
		{"report", "connz", 0, "fmt calls no Error(error): a client is no error"},
		{"dump", "connz", 0, "fmt calls no String(int) nor Error(error) of what it walks"},
		{"report", "stats", analysis.Global, "fmt may call (*failure).Error, which writes formatted"},
		{"dump", "stats", analysis.Global, "fmt walks holder into label's String, which writes labelled"},
		{"store", "valuez", analysis.Global, "Exec calls cents' Value, which writes valued"},
	})
}

// TestCallbackUnwrap: net/http's ResponseController unwraps a response
// writer through an interface it does not export (Unwrap() ResponseWriter,
// a convention of callsig.go's table), so a middleware's recorder is still
// unwrapped by Flush, while an Unwrap of another signature is not called.
func TestCallbackUnwrap(t *testing.T) {
	checkGlobal(t, "testdata/callsighttp", []globalCell{
		{"flush", "unwraps", analysis.Global, "Flush calls (*recorder).Unwrap, which writes unwrapped"},
		{"flush", "probes", 0, "no library calls Unwrap(int)"},
	})
}

// TestMadeHere: a closure a helper returns with the memory it writes
// (a counter and its done, a pooled writer and its cancel), called by the
// handler that got it, directly or deferred through a variable, keeps that
// memory the handler's own; sent to another handler it shares it, and so
// does an object sent over a channel, plainly or in a select.
func TestMadeHere(t *testing.T) {
	r := wanttest.Run(t, "testdata/madehere")
	for _, h := range []string{"counted", "pooled"} {
		for _, o := range []string{"counted", "pooled", "handOver", "runOther", "sendAcc", "recvAcc"} {
			if got := cell(t, r, h, o); got != 0 {
				t.Errorf("%s/%s = %02b, want 00: a closure of its own shares nothing", h, o, got)
			}
		}
	}
	for _, p := range [][2]string{{"handOver", "runOther"}, {"sendAcc", "recvAcc"}} {
		if got := cell(t, r, p[0], p[1]); got&analysis.Global == 0 {
			t.Errorf("%s/%s = %02b, want the global bit: memory handed over a channel", p[0], p[1], got)
		}
	}
}

// TestFreshLoad: what a pointer kept in a handler's own object points to
// is what was stored there (a builder's response writer, the handler's
// own memory, a global), once every store is seen: set where it is made,
// by a helper or by a constructor. A struct copied in, an append of
// pointers or a decoder writing the object hide the stores: then it is
// anything of its type, as before. Each shared write still conflicts with
// every other.
func TestFreshLoad(t *testing.T) {
	r := wanttest.Run(t, "testdata/freshload")
	writers := []string{"global", "filled", "constructed", "copied", "appended", "decoded"}
	for _, h := range []string{"built", "own"} {
		for _, o := range append([]string{"built", "own"}, writers...) {
			if got := cell(t, r, h, o); got != 0 {
				t.Errorf("%s/%s = %02b, want 00: it writes only its own memory", h, o, got)
			}
		}
	}
	for _, a := range writers {
		for _, b := range writers {
			if got := cell(t, r, a, b); got&analysis.Global == 0 {
				t.Errorf("%s/%s = %02b, want the global bit: both write shared.x", a, b, got)
			}
		}
	}
}

// TestDerived: library calls no table entry covers, with models derived
// from the library's source (analysis/derive): a read stays a read, new
// memory stays the invocation's own, what a library keeps in a package
// variable or a shared container is shared.
func TestDerived(t *testing.T) {
	wanttest.Run(t, "testdata/derived")
}

// TestQuietLibraryCalls: a library method whose derived model runs no code
// but its own (gnet's c.SetContext only stores the session) calls nothing
// back: OnOpen does not "call" the event handler's other methods that the
// connection's event loop holds. c.Write does call them (on a failed
// write it closes the connection through the handler's OnClose).
func TestQuietLibraryCalls(t *testing.T) {
	r, err := analysis.Run(context.Background(), analysis.Config{Dir: "testdata/servers/gnetctx", Patterns: []string{"."}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"(*server).OnOpen", "(*server).OnOpen", false},
		{"(*server).OnOpen", "(*server).OnClose", false},
		{"(*server).OnOpen", "(*server).OnTraffic", false},
		{"(*server).OnClose", "(*server).OnClose", true},
		{"(*server).OnTraffic", "(*server).OnClose", true},
	} {
		if got := cell(t, r, c.a, c.b) != 0; got != c.want {
			t.Errorf("%s/%s conflict = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestStreams: encoding/json walks what it is handed as any, not the
// reader it decodes from, and an error it returns is formatted without
// calling back the workspace: a handler decoding into its own value does
// not call a workspace type's UnmarshalJSON (miniflux's translations'),
// one decoding into that type does.
func TestStreams(t *testing.T) {
	wanttest.Run(t, "testdata/streams")
}

// TestHeldCallback: a library's callback on a value it holds (flag's
// Values), which what the call is handed does not reach, publishing its
// receiver: the analysis follows it (it stopped with an internal error).
func TestHeldCallback(t *testing.T) {
	wanttest.Run(t, "testdata/heldcb")
}
