package analysis

import (
	"fmt"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// Models of code without a body here.
//
// Dependencies are loaded from export data, so a call into the standard
// library or a module reaches a function without SSA. Left alone, such a
// call is taken to read and write everything its pointer arguments reach,
// and to keep them where anyone may find them (summary.go, externalCall):
// sound, but a global *regexp.Regexp matched by every request, or a fresh
// response handed to an encoder, then conflicts with everything else of
// its type. A CallModel says instead, for one function or the methods of one
// type, what the call does to its receiver and arguments, whether it keeps
// them, and what its results point to. builtinModels is the table; the
// "models" key of .safels.json adds entries in the same form, ahead of it:
//
//	"models": [{"package": "example.com/cache", "type": "LRU", "names": ["Get"],
//	            "receiver": "none", "args": "read", "keeps": "nothing",
//	            "why": "LRU locks internally and copies what Get returns"}]
//
// Every entry carries its justification. A model may make a call cheaper
// to reason about, never make a write of shared state disappear that the
// library performs: a type is "none" on its receiver only where its
// documentation says it is safe for concurrent use (it synchronizes its
// own state), "read" only where its methods do not modify it. What no
// model covers stays conservative, and findings that rest on such a call
// say so (assumedAt).
type CallModel struct {
	Package string `json:"package"`
	// Type is the receiver's type name (pointer or not; an interface for
	// calls through it), "" for package-level functions.
	Type string `json:"type,omitempty"`
	// Names are the functions or methods covered; empty: all of them but
	// Except.
	Names  []string `json:"names,omitempty"`
	Except []string `json:"except,omitempty"`
	// Receiver is what a method does to the memory its receiver reaches:
	// "write" (the default), "read", or "none" (safe for concurrent use:
	// it synchronizes its own state).
	Receiver Effect `json:"receiver,omitempty"`
	// Own: the receiver's effect is on its own state only: the object and
	// what the library made for it, private to it and reached only
	// through its methods, not what it holds of the caller's (used
	// through their methods, which are followed as callbacks, or kept as
	// Keeps says). A receiver known only as memory below another (an
	// origin that stands for all below it) is still taken whole.
	Own bool `json:"own,omitempty"`
	// Args is what the call does to what its other pointer arguments
	// reach: "write" (the default), "read" or "none". Writes lists
	// arguments (0 = the first after the receiver) written even so.
	Args   Effect `json:"args,omitempty"`
	Writes []int  `json:"writes,omitempty"`
	// Keeps says where the call keeps the pointers it is given: "" (the
	// default: anywhere, they are published), "receiver" (a container:
	// published if the receiver is), "result" (in what it returns: published
	// if that is), "nothing" (used during the call only).
	Keeps string `json:"keeps,omitempty"`
	// Result is what pointers it returns refer to: "" (the default:
	// anything its arguments reach, receiver included), "first" (what its
	// first argument after the receiver reaches, or new memory left
	// untracked as the built-in append's: append-like calls and subslices
	// of their input), "fresh" (new memory of this
	// call, and what it keeps if Keeps is "result"), "receiver" (the
	// receiver itself: a builder's method that returns it to chain).
	Result string `json:"result,omitempty"`
	// Why justifies the model in one line.
	Why string `json:"why"`

	// derived: read from the library's source (derived.go), not written;
	// partial: some of it was assumed there; quiet: it runs no code it
	// was not derived from (derive.Model.Quiet), so calls nothing back.
	derived, partial, quiet bool
}

// Effect is what a call does to memory it is handed.
type Effect string

const (
	EffectWrite Effect = "write"
	EffectRead  Effect = "read"
	EffectNone  Effect = "none"
)

func (m *CallModel) validate() error {
	for _, e := range []Effect{m.Receiver, m.Args} {
		if e != "" && e != EffectWrite && e != EffectRead && e != EffectNone {
			return fmt.Errorf("effect must be \"write\", \"read\" or \"none\", not %q", e)
		}
	}
	switch m.Keeps {
	case "", "receiver", "result", "nothing":
	default:
		return fmt.Errorf("\"keeps\" must be \"receiver\", \"result\" or \"nothing\", not %q", m.Keeps)
	}
	switch m.Result {
	case "", "first", "fresh", "receiver":
	default:
		return fmt.Errorf("\"result\" must be \"first\", \"fresh\" or \"receiver\", not %q", m.Result)
	}
	if m.Result == "receiver" && m.Type == "" {
		return fmt.Errorf("\"result\": \"receiver\" is for methods: set \"type\"")
	}
	if m.Own && m.Type == "" {
		return fmt.Errorf("\"own\" is for methods: set \"type\"")
	}
	if m.Package == "" {
		return fmt.Errorf("\"package\" is required")
	}
	if m.Why == "" {
		return fmt.Errorf("\"why\" is required: say why the model holds")
	}
	return nil
}

func (m *CallModel) covers(typ, name string) bool {
	if m.Type != typ {
		return false
	}
	if len(m.Names) > 0 {
		return slices.Contains(m.Names, name)
	}
	return !slices.Contains(m.Except, name)
}

// receiverEffect and argEffect apply the defaults.
func (m *CallModel) receiverEffect() Effect { return cmpEffect(m.Receiver) }

func (m *CallModel) argEffect(i int) Effect {
	if slices.Contains(m.Writes, i) {
		return EffectWrite
	}
	return cmpEffect(m.Args)
}

func cmpEffect(e Effect) Effect {
	if e == "" {
		return EffectWrite
	}
	return e
}

// models finds the model of a callee: the project's entries first.
type models struct {
	byPkg map[string][]*CallModel
	key   string // identity of the project's entries, for the cache
	// poolOK: every sync.Pool Put is its object's last use (useModels).
	poolOK bool
	// assumed: per function, the unmodelled calls by position (assumedAt).
	assumed map[*ssa.Function]map[token.Pos]assumption
	// derived: models read from the library's source where the table has
	// none (derived.go), memoized by callee.
	derived *derivedModels
}

func newModels(extra []CallModel) *models {
	ms := &models{byPkg: map[string][]*CallModel{}}
	var key strings.Builder
	for i := range extra {
		m := &extra[i]
		ms.byPkg[m.Package] = append(ms.byPkg[m.Package], m)
		fmt.Fprintf(&key, "%+v;", *m)
	}
	for i := range builtinModels {
		m := &builtinModels[i]
		ms.byPkg[m.Package] = append(ms.byPkg[m.Package], m)
	}
	ms.key = key.String()
	return ms
}

func (ms *models) lookup(k calleeKey) *CallModel {
	if ms == nil {
		return nil
	}
	if k.pkg == "sync" && k.typ == "*Pool" && k.name == "Get" && !ms.poolOK {
		return nil
	}
	if m := ms.table(k); m != nil {
		return m
	}
	return ms.derived.lookup(k)
}

// table is the written model of a callee: the project's or the built-in.
func (ms *models) table(k calleeKey) *CallModel {
	for _, m := range ms.byPkg[k.pkg] {
		if m.covers(k.typ, k.name) {
			return m
		}
	}
	return nil
}

// calleeKey names a function without a body: its package, its receiver's
// type name ("" for a function) and its name.
type calleeKey struct {
	pkg, typ, name string
	method         bool
}

func (k calleeKey) String() string {
	switch {
	case k.typ != "" && k.method:
		star, typ := "", k.typ
		if typ[0] == '*' {
			star, typ = "*", typ[1:]
		}
		return "(" + star + shortPkg(k.pkg) + "." + typ + ")." + k.name
	case k.pkg != "":
		return shortPkg(k.pkg) + "." + k.name
	}
	return k.name
}

func shortPkg(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func keyOf(fn *ssa.Function) calleeKey {
	k := calleeKey{pkg: calleePkg(fn), name: fn.Name()}
	if o := fn.Origin(); o != nil {
		k.name = o.Name()
	}
	if recv := fn.Signature.Recv(); recv != nil {
		k.method = true
		k.typ = typeName(recv.Type())
		if _, ptr := recv.Type().(*types.Pointer); ptr && k.typ != "" {
			k.typ = "*" + k.typ
		}
	}
	return k
}

// methodPkg is the package of an interface call's method ("" for the
// universe's error).
func methodPkg(c *ssa.CallCommon) string {
	if c.Method.Pkg() != nil {
		return c.Method.Pkg().Path()
	}
	return ""
}

// invokeKey names the method an interface call reaches when no
// implementation is known: the interface's type name.
func invokeKey(c *ssa.CallCommon) calleeKey {
	k := calleeKey{name: c.Method.Name(), method: true, pkg: methodPkg(c)}
	if n, ok := types.Unalias(c.Value.Type()).(*types.Named); ok && n.Obj().Pkg() != nil {
		k.pkg, k.typ = n.Obj().Pkg().Path(), n.Obj().Name()
	}
	return k
}

func typeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

// The built-in table. Entries for pointer receivers name "*T"; the first
// entry of a package that covers a callee wins, so narrow entries come
// before broad ones. Calls of fmt, json and templates may call methods of
// the values they are given (String, MarshalJSON): those are workspace
// code, followed as calls at the library call whatever the model says
// (library.go, libraryCallbacks).
// The justifications every compressor's models share (gzip, flate, zlib,
// brotli and its matchfinder).
const (
	whyCompressorReset = "points the compressor at a new destination, which it keeps and does not touch until written: writes the compressor only"
	whyCompress        = "compress what they are given into the destination it keeps, during the call (the io.Writer contract)"
	whyNewCompressor   = "a new compressor keeping its destination, untouched until written"
)

var builtinModels = []CallModel{
	// Formatting, parsing and string functions.
	{Package: "fmt", Names: []string{"Fprint", "Fprintf", "Fprintln"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "fresh",
		Why: "writes the io.Writer it is given, reads what it formats, keeps nothing"},
	{Package: "fmt", Names: []string{"Sscan", "Sscanf", "Sscanln", "Scan", "Scanf", "Scanln", "Fscan", "Fscanf", "Fscanln"}, Keeps: "nothing", Result: "fresh",
		Why: "stores through the pointers it is given during the call only"},
	{Package: "fmt", Names: []string{"Append", "Appendf", "Appendln"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "appends to the slice it is given and returns it; reads the rest"},
	{Package: "fmt", Args: EffectRead, Keeps: "nothing",
		Why: "Sprint*, Print*, Errorf format what they are given (Errorf's result may wrap an argument)"},
	{Package: "strconv", Except: []string{"AppendBool", "AppendFloat", "AppendInt", "AppendQuote", "AppendQuoteRune", "AppendQuoteRuneToASCII", "AppendQuoteRuneToGraphic", "AppendQuoteToASCII", "AppendQuoteToGraphic", "AppendUint"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "parses and formats values; returns new strings"},
	{Package: "strconv", Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "Append* append to the slice they are given and return it"},
	{Package: "strings", Args: EffectRead, Keeps: "nothing", Result: "first",
		Why: "functions on strings; a Reader or Builder has methods, not covered here"},
	{Package: "bytes", Args: EffectRead, Keeps: "nothing", Result: "first",
		Why: "functions read the slices they are given and return them, parts of them or new ones"},
	{Package: "bytes", Type: "*Buffer", Names: []string{"ReadFrom", "WriteTo"}, Keeps: "nothing",
		Why: "write the buffer and the reader or writer, during the call"},
	{Package: "bytes", Type: "*Buffer", Args: EffectRead, Keeps: "nothing",
		Why: "write (or read) the buffer, copy what they are given; Bytes returns the buffer's own memory"},
	{Package: "strings", Type: "*Builder", Args: EffectRead, Keeps: "nothing",
		Why: "write the builder, copy what they are given"},
	{Package: "strings", Type: "*Reader", Keeps: "nothing",
		Why: "read the string, write the reader's offset and what they read into"},
	{Package: "bytes", Type: "*Reader", Keeps: "nothing",
		Why: "read the slice, write the reader's offset and what they read into"},
	{Package: "strings", Type: "*Replacer", Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "fresh",
		Why: "a Replacer is documented safe for concurrent use; WriteString writes its writer"},
	{Package: "sort", Names: []string{"Strings", "Ints", "Float64s", "Sort", "Stable", "Slice", "SliceStable"}, Keeps: "nothing",
		Why: "sort the slice they are given in place, during the call"},
	{Package: "sort", Args: EffectRead, Keeps: "nothing",
		Why: "Search*, IsSorted* read what they are given"},
	{Package: "slices", Names: []string{"Contains", "ContainsFunc", "Index", "IndexFunc", "Equal", "EqualFunc", "Compare", "CompareFunc", "BinarySearch", "BinarySearchFunc", "IsSorted", "IsSortedFunc", "Max", "MaxFunc", "Min", "MinFunc"}, Args: EffectRead, Keeps: "nothing",
		Why: "read the slices they are given"},
	{Package: "slices", Names: []string{"Sort", "SortFunc", "SortStableFunc", "Reverse"}, Keeps: "nothing",
		Why: "reorder the slice they are given in place, during the call"},
	{Package: "slices", Names: []string{"Clone"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "copies the slice (the pointers in it still point where they did)"},
	{Package: "unicode/utf8", Names: []string{"AppendRune", "EncodeRune"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "write the rune into the slice they are given"},
	{Package: "unicode/utf8", Args: EffectRead, Keeps: "nothing", Result: "first", Why: "decoding and counting read their input"},
	{Package: "unicode", Args: EffectRead, Keeps: "nothing", Why: "character classes are read-only tables"},
	{Package: "errors", Names: []string{"As"}, Args: EffectRead, Writes: []int{1}, Keeps: "nothing",
		Why: "stores the error found through its target, during the call"},
	{Package: "errors", Args: EffectRead, Keeps: "result",
		Why: "New, Is, Unwrap, Join only read errors; Join keeps them in its result"},
	{Package: "path", Args: EffectRead, Keeps: "nothing", Why: "pure functions of paths"},
	{Package: "path/filepath", Names: []string{"Base", "Clean", "Dir", "Ext", "FromSlash", "IsAbs", "IsLocal", "Join", "Match", "Rel", "Split", "SplitList", "ToSlash", "VolumeName", "Localize", "Abs"}, Args: EffectRead, Keeps: "nothing",
		Why: "functions of paths that read only their arguments"},
	{Package: "html", Args: EffectRead, Keeps: "nothing", Why: "escaping returns new strings"},
	{Package: "net/url", Names: []string{"Parse", "ParseRequestURI", "ParseQuery", "QueryEscape", "QueryUnescape", "PathEscape", "PathUnescape", "JoinPath"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "parse and escape into new values"},
	{Package: "mime", Names: []string{"TypeByExtension", "ExtensionsByType", "FormatMediaType", "ParseMediaType"}, Args: EffectRead, Keeps: "nothing",
		Why: "read the type table under its own lock, or only their arguments"},

	// Encoding.
	{Package: "encoding/json", Names: []string{"Marshal", "MarshalIndent", "Valid"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "reads the value it encodes (calling its MarshalJSON), returns new bytes"},
	{Package: "encoding/json", Names: []string{"Unmarshal"}, Args: EffectRead, Writes: []int{1}, Keeps: "nothing",
		Why: "writes the value it decodes into during the call; copies the input"},
	{Package: "encoding/json", Names: []string{"Compact", "Indent", "HTMLEscape"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing",
		Why: "append to the buffer they are given"},
	{Package: "encoding/json", Names: []string{"NewEncoder", "NewDecoder"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a new encoder or decoder keeping the writer or reader it is given"},
	{Package: "encoding/json", Type: "*Encoder", Names: []string{"Encode"}, Args: EffectRead, Keeps: "nothing",
		Why: "writes the encoder (and its writer), reads the value"},
	{Package: "encoding/json", Type: "*Decoder", Names: []string{"Decode"}, Writes: []int{0}, Keeps: "nothing",
		Why: "writes the decoder (reading its reader) and the value decoded into, during the call"},
	{Package: "encoding/base64", Type: "*Encoding", Names: []string{"EncodeToString", "DecodeString", "EncodedLen", "DecodedLen"}, Receiver: EffectRead, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "an Encoding is read-only after it is made"},
	{Package: "encoding/base64", Type: "*Encoding", Names: []string{"Encode", "Decode", "AppendEncode", "AppendDecode"}, Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "write the destination slice; the Encoding is read-only"},
	{Package: "encoding/hex", Names: []string{"EncodeToString", "DecodeString"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "return new strings or bytes"},

	// Regular expressions.
	{Package: "regexp", Names: []string{"Compile", "MustCompile", "CompilePOSIX", "MustCompilePOSIX", "MatchString", "Match", "QuoteMeta"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "compile or match into new values"},
	{Package: "regexp", Type: "*Regexp", Names: []string{"Longest"}, Receiver: EffectWrite, Keeps: "nothing",
		Why: "changes the Regexp's matching mode: a write"},
	{Package: "regexp", Type: "*Regexp", Names: []string{"FindString", "FindStringIndex", "FindStringSubmatch", "FindStringSubmatchIndex", "FindAllString", "FindAllStringIndex", "FindAllStringSubmatch", "FindAllStringSubmatchIndex", "ReplaceAllString", "ReplaceAllLiteralString", "MatchString", "SubexpNames", "String", "NumSubexp", "SubexpIndex", "LiteralPrefix", "FindIndex", "FindSubmatchIndex", "FindAllIndex", "FindAllSubmatchIndex", "Match", "MatchReader", "FindReaderIndex", "FindReaderSubmatchIndex", "Split", "ReplaceAll", "ReplaceAllLiteral"},
		Receiver: EffectRead, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a Regexp is safe for concurrent use; matching reads it and returns new values"},
	{Package: "regexp", Type: "*Regexp", Receiver: EffectRead, Args: EffectRead, Keeps: "nothing", Result: "first",
		Why: "Find, FindSubmatch and the like return parts of their input; Expand appends to dst"},

	// Templates: execution is safe for concurrent use.
	{Package: "html/template", Type: "*Template", Names: []string{"Execute", "ExecuteTemplate"}, Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing",
		Why: "documented safe for parallel execution (it escapes once, under its lock): a read of the template, as against Parse; writes the writer, reads the data"},
	{Package: "text/template", Type: "*Template", Names: []string{"Execute", "ExecuteTemplate"}, Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing",
		Why: "documented safe for parallel execution; writes the writer, reads the data"},
	{Package: "html/template", Type: "*Template", Names: []string{"Lookup", "Name", "Templates", "DefinedTemplates"}, Receiver: EffectRead, Keeps: "nothing",
		Why: "look up under the template set's lock: a read, as against Parse"},
	{Package: "text/template", Type: "*Template", Names: []string{"Lookup", "Name", "Templates", "DefinedTemplates"}, Receiver: EffectRead, Keeps: "nothing",
		Why: "read the template set"},
	{Package: "html/template", Names: []string{"HTMLEscapeString", "JSEscapeString", "URLQueryEscaper", "HTMLEscaper", "JSEscaper"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "escape into new strings"},

	// Types safe for concurrent use.
	{Package: "database/sql", Type: "*DB", Except: []string{"Driver"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a DB is documented safe for concurrent use; query arguments are converted during the call; results are new"},
	{Package: "database/sql", Type: "*Stmt", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a Stmt is documented safe for concurrent use; results are new"},
	{Package: "database/sql", Type: "*Conn", Receiver: EffectWrite, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "query arguments are converted during the call; results are new"},
	{Package: "database/sql", Type: "*Tx", Receiver: EffectWrite, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "query arguments are converted during the call; results are new"},
	{Package: "database/sql", Type: "*Rows", Keeps: "nothing",
		Why: "Next, Scan, Close write the rows (and Scan its destinations) during the call"},
	{Package: "database/sql", Type: "*Row", Keeps: "nothing",
		Why: "Scan writes the row and its destinations during the call"},
	{Package: "crypto/tls", Type: "*Conn", Names: []string{"Write"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a Conn is a net.Conn, safe for concurrent use (its state under its own locks and atomics); Write reads p and keeps none of it"},
	{Package: "crypto/tls", Type: "*Conn", Names: []string{"Read"}, Receiver: EffectNone, Args: EffectNone, Writes: []int{0}, Keeps: "nothing",
		Why: "a net.Conn, safe for concurrent use; Read writes p and keeps none of it"},
	{Package: "crypto/tls", Type: "*Conn", Names: []string{"Close", "CloseWrite", "SetDeadline", "SetReadDeadline", "SetWriteDeadline", "Handshake", "HandshakeContext", "LocalAddr", "RemoteAddr", "ConnectionState", "NetConn", "OCSPResponse", "VerifyHostname"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a net.Conn, safe for concurrent use: the connection's state is under its own locks (the handshake's under its own mutex)"},
	{Package: "net/http", Type: "ResponseWriter", Names: []string{"Write", "WriteHeader", "Header"}, Own: true, Args: EffectRead, Keeps: "nothing",
		Why: "writes the writer's own state (the request's own, unless the handler published it: invocation.go); Write must not retain p"},
	{Package: "io", Type: "Writer", Names: []string{"Write"}, Args: EffectRead, Keeps: "nothing",
		Why: "the io.Writer contract: Write must not modify or retain p"},
	{Package: "io", Type: "Reader", Names: []string{"Read"}, Keeps: "nothing",
		Why: "the io.Reader contract: Read must not retain p"},
	{Package: "net/http", Type: "*Client", Names: []string{"Do", "Get", "Head", "Post", "PostForm"}, Receiver: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a Client is documented safe for concurrent use; the response keeps the request"},
	{Package: "net/http", Type: "*Request", Names: []string{"WithContext", "Clone"}, Receiver: EffectRead, Args: EffectNone, Keeps: "result",
		Why: "copy the request (Clone deeply) with the context, which they keep and do not touch"},
	{Package: "net/http", Type: "*Request", Names: []string{"Context", "Cookie", "Cookies", "UserAgent", "Referer", "BasicAuth", "ProtoAtLeast", "PathValue"}, Receiver: EffectRead, Args: EffectRead, Keeps: "nothing",
		Why: "read the request"},
	{Package: "net/http", Names: []string{"Error", "NotFound", "Redirect", "SetCookie", "ServeContent", "ServeFile"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing",
		Why: "write the response writer, read the rest"},
	{Package: "context", Names: []string{"WithValue", "WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause", "WithDeadlineCause", "WithoutCancel"}, Args: EffectNone, Keeps: "result",
		Why: "a new context keeping its parent and value, which it never modifies"},
	{Package: "log", Names: []string{"New"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a new Logger keeping its writer"},
	{Package: "log", Names: []string{"SetOutput"}, Args: EffectNone,
		Why: "the standard logger keeps the writer: published"},
	{Package: "log", Type: "*Logger", Names: []string{"SetOutput"}, Receiver: EffectNone, Args: EffectNone, Keeps: "receiver",
		Why: "the Logger keeps the writer, under its lock"},
	{Package: "expvar", Type: "*Int", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "an Int is an atomic integer: Add, Set and Value are safe for concurrent use"},
	{Package: "expvar", Type: "*Float", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a Float is an atomic float: Add, Set and Value are safe for concurrent use"},
	{Package: "expvar", Type: "*String", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a String holds an atomic.Value: Set and Value are safe for concurrent use"},
	{Package: "expvar", Type: "*Map", Names: []string{"Add", "AddFloat", "Delete", "Get", "String", "Init"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a Map synchronizes itself (a sync.Map and a lock for its keys); Add makes new Int or Float values of its own"},
	{Package: "sync", Type: "*Pool", Names: []string{"Get"}, Receiver: EffectNone, Result: "fresh",
		Why: "a Pool hands an object to one Get at a time, until it is Put back (see poolPut)"},
	{Package: "sync", Type: "*Map", Names: []string{"Store", "LoadOrStore", "Swap", "CompareAndSwap"}, Receiver: EffectNone, Args: EffectNone, Keeps: "receiver",
		Why: "a Map synchronizes itself and keeps what is stored in it"},
	{Package: "container/list", Type: "*List", Names: []string{"PushBack", "PushFront", "InsertBefore", "InsertAfter"}, Args: EffectNone, Keeps: "receiver",
		Why: "a list keeps the values pushed into it"},

	// Streams, hashes, containers.
	{Package: "io", Names: []string{"Copy", "CopyN", "CopyBuffer"}, Keeps: "nothing",
		Why: "read the reader and write the writer (and the buffer) during the call"},
	{Package: "io", Names: []string{"ReadAll", "ReadFull", "ReadAtLeast"}, Keeps: "nothing", Result: "fresh",
		Why: "read the reader into the buffer they are given, or into a new one"},
	{Package: "io", Names: []string{"WriteString"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing",
		Why: "writes the string to the writer"},
	{Package: "io", Names: []string{"NopCloser", "LimitReader", "TeeReader", "MultiReader", "MultiWriter", "NewSectionReader", "NewOffsetWriter"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a new wrapper keeping the readers or writers it is given, untouched until used"},
	{Package: "encoding/gob", Names: []string{"NewEncoder", "NewDecoder"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a new encoder or decoder keeping the writer or reader it is given"},
	{Package: "encoding/gob", Type: "*Encoder", Names: []string{"Encode", "EncodeValue"}, Args: EffectRead, Keeps: "nothing",
		Why: "writes the encoder (and its writer), reads the value, during the call"},
	{Package: "encoding/gob", Type: "*Decoder", Names: []string{"Decode", "DecodeValue"}, Keeps: "nothing",
		Why: "writes the decoder (reading its reader) and the value decoded into, during the call"},
	{Package: "slices", Names: []string{"Insert", "Delete", "DeleteFunc", "Replace", "Grow", "Clip", "Compact", "CompactFunc"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "edit the slice they are given in place (or a copy when it grows) and return it; the values inserted are copied in"},
	{Package: "slices", Names: []string{"Concat", "Repeat", "Collect", "Sorted", "SortedFunc", "SortedStableFunc"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a new slice: the elements are copied (the pointers in them still point where they did)"},
	{Package: "slices", Names: []string{"AppendSeq"}, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "appends to the slice it is given and returns it"},
	{Package: "slices", Names: []string{"Values", "All", "Backward", "Chunk"}, Args: EffectRead, Keeps: "result", Result: "fresh",
		Why: "an iterator keeping the slice it is given"},
	{Package: "maps", Names: []string{"Keys", "Values", "All", "Equal", "EqualFunc"}, Args: EffectRead, Keeps: "result", Result: "fresh",
		Why: "iterate over or compare the map they are given"},
	{Package: "maps", Names: []string{"Clone", "Collect"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a new map holding the keys and values (the pointers in them still point where they did)"},
	{Package: "maps", Names: []string{"Copy", "Insert", "DeleteFunc"}, Args: EffectRead, Writes: []int{0}, Keeps: "receiver",
		Why: "write the destination map, which keeps what is copied into it"},
	{Package: "crypto/sha256", Names: []string{"Sum256", "Sum224"}, Args: EffectRead, Keeps: "nothing", Result: "fresh", Why: "hashes the bytes into a new array"},
	{Package: "crypto/sha1", Names: []string{"Sum"}, Args: EffectRead, Keeps: "nothing", Result: "fresh", Why: "hashes the bytes into a new array"},
	{Package: "crypto/md5", Names: []string{"Sum"}, Args: EffectRead, Keeps: "nothing", Result: "fresh", Why: "hashes the bytes into a new array"},
	{Package: "crypto/sha512", Names: []string{"Sum512", "Sum384", "Sum512_224", "Sum512_256"}, Args: EffectRead, Keeps: "nothing", Result: "fresh", Why: "hashes the bytes into a new array"},
	{Package: "crypto/sha256", Names: []string{"New", "New224"}, Keeps: "nothing", Result: "fresh", Why: "a new hash"},
	{Package: "crypto/sha1", Names: []string{"New"}, Keeps: "nothing", Result: "fresh", Why: "a new hash"},
	{Package: "crypto/md5", Names: []string{"New"}, Keeps: "nothing", Result: "fresh", Why: "a new hash"},
	{Package: "crypto/sha512", Names: []string{"New", "New384", "New512_224", "New512_256"}, Keeps: "nothing", Result: "fresh", Why: "a new hash"},
	{Package: "crypto/hmac", Names: []string{"New"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a new MAC: it copies the key; the hash constructor it is given runs during the call"},
	{Package: "crypto/hmac", Names: []string{"Equal"}, Args: EffectRead, Keeps: "nothing", Why: "compares the bytes"},
	{Package: "crypto/subtle", Args: EffectRead, Keeps: "nothing", Why: "constant-time comparisons of the bytes"},
	{Package: "crypto/rand", Names: []string{"Read", "Text"}, Keeps: "nothing", Result: "fresh",
		Why: "fills the slice it is given from the system's source (safe for concurrent use)"},
	{Package: "hash", Type: "Hash", Names: []string{"Write", "Reset"}, Args: EffectRead, Keeps: "nothing",
		Why: "write the hash's own state, read the bytes: a fresh hash is the caller's own"},
	{Package: "hash", Type: "Hash", Names: []string{"Sum"}, Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "first",
		Why: "appends the digest to the slice it is given, reads the hash"},
	{Package: "hash", Type: "Hash", Names: []string{"Size", "BlockSize"}, Receiver: EffectRead, Keeps: "nothing", Why: "constants of the hash"},

	// Files: each Open makes a new File (safe for concurrent use through
	// its methods, safeReceivers).
	{Package: "os", Names: []string{"Open", "OpenFile", "Create", "Stat", "Lstat"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "open a new File or describe one in a new FileInfo; read only the name"},
	// A File's methods: its state is behind its poll.FD's locks and the
	// runtime's (beyond the derivation), and what the runtime keeps of
	// it, a finalizer, runs only once nothing reaches the File.
	{Package: "os", Type: "*File", Names: []string{"Read", "ReadAt"}, Receiver: EffectNone, Args: EffectWrite, Keeps: "nothing",
		Why: "documented safe for concurrent use; fills the slice it is given, keeps nothing"},
	{Package: "os", Type: "*File", Names: []string{"Write", "WriteAt", "WriteString", "Seek", "Close", "Sync", "Truncate", "Chmod", "Chdir", "Name", "Fd",
		"SetDeadline", "SetReadDeadline", "SetWriteDeadline"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "documented safe for concurrent use; reads what it is given during the call, keeps nothing"},
	{Package: "os", Type: "*File", Names: []string{"Stat", "ReadDir", "Readdir", "Readdirnames"}, Receiver: EffectNone, Keeps: "nothing", Result: "fresh",
		Why: "documented safe for concurrent use; describes the file or its directory's entries in new memory"},

	// Buffered readers and writers.
	{Package: "bufio", Type: "*Reader", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: "points the reader at a new source, which it keeps and does not touch until read, and drops what it buffered: writes the reader only"},
	{Package: "bufio", Type: "*Writer", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: "points the writer at a new destination, which it keeps and does not touch until written, and drops what it buffered: writes the writer only"},
	{Package: "bufio", Type: "*Reader", Keeps: "nothing",
		Why: "read from the source it keeps into its buffer and into what they are given, during the call, and keep none of it (the io.Reader contract); results are new or parts of its buffer"},
	{Package: "bufio", Type: "*Writer", Keeps: "nothing",
		Why: "copy what they are given into the buffer and write the destination it keeps, during the call (the io.Writer contract)"},

	// Compressors and decompressors: a stream over the writer or reader it
	// keeps, like bufio's, often taken from a sync.Pool and Reset.
	{Package: "compress/gzip", Type: "*Writer", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: whyCompressorReset},
	{Package: "compress/gzip", Type: "*Writer", Keeps: "nothing",
		Why: whyCompress},
	{Package: "compress/gzip", Type: "*Reader", Keeps: "nothing",
		Why: "read the source it keeps (Reset reads the new one's header) into what they are given, during the call (the io.Reader contract)"},
	{Package: "compress/gzip", Names: []string{"NewWriter", "NewWriterLevel"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: whyNewCompressor},
	{Package: "compress/gzip", Names: []string{"NewReader"}, Keeps: "result", Result: "fresh",
		Why: "a new decompressor keeping its source, whose header it reads now"},
	{Package: "compress/flate", Type: "*Writer", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: whyCompressorReset},
	{Package: "compress/flate", Type: "*Writer", Keeps: "nothing",
		Why: whyCompress},
	{Package: "compress/flate", Names: []string{"NewWriter", "NewWriterDict"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: whyNewCompressor},
	{Package: "compress/flate", Names: []string{"NewReader", "NewReaderDict"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a new decompressor keeping its source, untouched until read"},
	{Package: "compress/zlib", Type: "*Writer", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: whyCompressorReset},
	{Package: "compress/zlib", Type: "*Writer", Keeps: "nothing",
		Why: whyCompress},
	{Package: "compress/zlib", Names: []string{"NewWriter", "NewWriterLevel", "NewWriterLevelDict"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: whyNewCompressor},
	{Package: "github.com/andybalholm/brotli", Type: "*Writer", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: whyCompressorReset},
	{Package: "github.com/andybalholm/brotli", Type: "*Writer", Keeps: "nothing",
		Why: whyCompress},
	{Package: "github.com/andybalholm/brotli", Type: "*Reader", Keeps: "nothing",
		Why: "read the source it keeps into what they are given, during the call (the io.Reader contract)"},
	{Package: "github.com/andybalholm/brotli/matchfinder", Type: "*Writer", Names: []string{"Reset"}, Args: EffectNone, Keeps: "receiver",
		Why: whyCompressorReset},
	{Package: "github.com/andybalholm/brotli/matchfinder", Type: "*Writer", Keeps: "nothing",
		Why: whyCompress},
	{Package: "github.com/andybalholm/brotli", Names: []string{"NewWriter", "NewWriterLevel", "NewWriterOptions", "NewWriterV2", "NewReader"}, Args: EffectNone, Keeps: "result", Result: "fresh",
		Why: "a new compressor or decompressor keeping its destination or source, untouched until used"},

	// Routers: what the route matched runs is a handler of the workspace,
	// found and analysed as one (routes.go); the router's own part reads it.
	{Package: "github.com/gorilla/mux", Type: "*Router", Names: []string{"ServeHTTP"}, Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing",
		Why: "matching reads the routes and middleware registered before serving (the request it hands on is a copy, WithContext); writes the response writer (a redirect); the handler and middleware matched are the workspace's handlers, analysed as such"},

	// Modules: types their documentation calls safe for concurrent use.
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "Counter", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "metrics update themselves atomically"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "Gauge", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "metrics update themselves atomically"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "Histogram", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "metrics update themselves atomically"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "Summary", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "metrics update themselves under their own lock"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "Observer", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "metrics update themselves atomically"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "*CounterVec", Names: []string{"WithLabelValues", "With", "GetMetricWith", "GetMetricWithLabelValues"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a vector finds or makes the child metric under its lock, copying the labels"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "*GaugeVec", Names: []string{"WithLabelValues", "With", "GetMetricWith", "GetMetricWithLabelValues"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a vector finds or makes the child metric under its lock, copying the labels"},
	{Package: "github.com/prometheus/client_golang/prometheus", Type: "*HistogramVec", Names: []string{"WithLabelValues", "With", "GetMetricWith", "GetMetricWithLabelValues"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a vector finds or makes the child metric under its lock, copying the labels"},
	{Package: "go.uber.org/zap", Type: "*Logger", Names: []string{"Debug", "Info", "Warn", "Error", "DPanic", "Panic", "Fatal", "Log", "Sync", "Core", "Level", "Name"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a zap Logger is safe for concurrent use; its core encodes the fields during the call"},
	{Package: "go.uber.org/zap", Type: "*Logger", Names: []string{"With", "Named", "WithOptions", "Sugar"}, Receiver: EffectNone, Args: EffectNone, Keeps: "result",
		Why: "returns a new Logger keeping the receiver's core and the fields"},
	{Package: "go.uber.org/zap", Type: "*SugaredLogger", Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "a SugaredLogger is safe for concurrent use; it formats during the call"},
	{Package: "github.com/gorilla/websocket", Type: "*Conn", Names: []string{"Close", "WriteControl"}, Receiver: EffectNone, Args: EffectRead, Keeps: "nothing",
		Why: "documented: Close and WriteControl may be called concurrently with all other methods"},
	{Package: "github.com/gorilla/websocket", Type: "*Upgrader", Names: []string{"Upgrade"}, Receiver: EffectRead, Args: EffectRead, Writes: []int{0}, Keeps: "nothing", Result: "fresh",
		Why: "documented safe to call concurrently (it reads its settings); the new Conn is made on the HTTP server connection taken over through the response writer (http.Hijacker: the server does nothing more with it) and the Upgrader's WriteBufferPool, both used only through their methods (callbacks: libraryCallbacks' holds); the writer and the request are used during the call only"},
	{Package: "github.com/gorilla/websocket", Type: "*Conn", Names: []string{"WriteMessage", "WriteJSON", "WritePreparedMessage"}, Own: true, Args: EffectRead, Keeps: "nothing",
		Why: "the connection's one writer at a time (documented): writes the connection, copies what it sends into a frame, keeps none of it"},
	{Package: "github.com/gorilla/websocket", Type: "*Conn", Names: []string{"ReadMessage", "ReadJSON", "NextReader", "NextWriter", "SetReadDeadline", "SetWriteDeadline", "SetReadLimit", "EnableWriteCompression", "SetCompressionLevel"}, Own: true, Keeps: "nothing",
		Why: "the connection's one reader or one writer at a time (documented): write the connection (ReadJSON the value decoded into), keep nothing they are given; what they return is new or the connection's"},
	{Package: "github.com/gorilla/websocket", Names: []string{"IsCloseError", "IsUnexpectedCloseError", "IsWebSocketUpgrade", "FormatCloseMessage", "Subprotocols"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "documented to report on the error or request given, or to return a new message or list"},
	{Package: "github.com/gorilla/websocket", Type: "*Conn", Names: []string{"SetPongHandler", "SetPingHandler", "SetCloseHandler"}, Own: true, Args: EffectNone, Keeps: "receiver",
		Why: "documented: the Conn keeps the handler and calls it from its read methods (NextReader, ReadMessage, a message reader's Read): what it captures is reached wherever the Conn is"},
	{Package: "github.com/gorilla/websocket", Type: "*Conn", Names: []string{"RemoteAddr", "LocalAddr", "Subprotocol"}, Receiver: EffectRead, Own: true, Keeps: "nothing", Result: "fresh",
		Why: "documented to return the network addresses and the subprotocol of the connection: values of the network connection's, none of them memory of the caller's"},
	{Package: "github.com/gorilla/websocket", Type: "*Conn", Names: []string{"NetConn", "UnderlyingConn"}, Receiver: EffectRead, Own: true, Keeps: "nothing",
		Why: "return what the connection was made with, unchanged since"},
	{Package: "github.com/rs/zerolog/log", Names: []string{"Trace", "Debug", "Info", "Warn", "Error", "Err", "Fatal", "Panic", "WithLevel", "Log"}, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a new event (from zerolog's pool) of the global logger, which these only read"},
	{Package: "github.com/rs/zerolog/log", Names: []string{"Print", "Printf"}, Args: EffectRead, Keeps: "nothing",
		Why: "format and write an event of the global logger during the call"},
	{Package: "github.com/rs/zerolog", Type: "*Logger", Own: true, Names: []string{"Trace", "Debug", "Info", "Warn", "Error", "Err", "Fatal", "Panic", "WithLevel", "Log"}, Receiver: EffectRead, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a new event (from zerolog's pool) that reads the logger's settings; on its own state: the writer and hooks it holds are the caller's, used through their methods"},
	{Package: "github.com/rs/zerolog", Type: "*Logger", Own: true, Names: []string{"Print", "Printf", "Println", "Write"}, Receiver: EffectRead, Args: EffectRead, Keeps: "nothing",
		Why: "format an event and write it to the logger's writer during the call; on its own state: the writer and hooks it holds are the caller's, used through their methods"},
	{Package: "github.com/rs/zerolog", Type: "*Event", Own: true, Names: []string{"Msg", "Msgf", "MsgFunc", "Send"}, Args: EffectRead, Keeps: "nothing",
		Why: "write the event to its logger's writer and hand it back to zerolog's pool: the event is the caller's until then; on its own state: the writer and hooks it holds are the caller's, used through their methods"},
	{Package: "github.com/rs/zerolog", Type: "*Event", Own: true, Names: []string{"CreateDict", "CreateArray"}, Receiver: EffectRead, Args: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a new event or array (from zerolog's pools) for the caller to fill in"},
	{Package: "github.com/rs/zerolog", Type: "*Event", Own: true, Names: []string{"GetCtx", "Enabled"}, Receiver: EffectRead, Keeps: "nothing",
		Why: "read the event: its context, its level"},
	{Package: "github.com/rs/zerolog", Type: "*Event", Own: true, Args: EffectRead, Keeps: "nothing", Result: "receiver",
		Why: "an event's field methods encode what they are given into its buffer during the call and return the event (or nil); on its own state: the writer and hooks it holds are the caller's, used through their methods"},
	{Package: "github.com/microcosm-cc/bluemonday", Type: "*Policy", Names: []string{"Sanitize", "SanitizeBytes", "SanitizeReader", "SanitizeReaderToWriter"}, Receiver: EffectRead, Keeps: "nothing", Result: "fresh",
		Why: "a Policy is safe for concurrent use once built; sanitizing reads it (and consumes a reader, fills a writer)"},
	{Package: "github.com/gin-gonic/gin", Type: "*Context", Names: []string{"JSON", "IndentedJSON", "SecureJSON", "PureJSON", "AsciiJSON", "JSONP", "XML", "YAML", "TOML", "ProtoBuf", "String", "HTML", "Data", "Render", "AbortWithStatusJSON"}, Args: EffectRead, Keeps: "nothing",
		Why: "renders the value into the response during the call"},
	{Package: "github.com/gin-gonic/gin", Type: "*Context", Names: []string{"Bind", "BindJSON", "BindQuery", "BindUri", "BindHeader", "BindXML", "BindYAML", "ShouldBind", "ShouldBindJSON", "ShouldBindQuery", "ShouldBindUri", "ShouldBindHeader", "ShouldBindXML", "ShouldBindYAML", "ShouldBindWith", "BindWith", "MustBindWith"}, Keeps: "nothing",
		Why: "decodes the request into the value during the call"},
	{Package: "github.com/labstack/echo/v4", Type: "Context", Names: []string{"JSON", "JSONPretty", "JSONBlob", "JSONP", "String", "HTML", "HTMLBlob", "XML", "XMLPretty", "XMLBlob", "Blob", "Stream", "NoContent", "Redirect", "Render"}, Args: EffectRead, Keeps: "nothing",
		Why: "renders the value into the response during the call"},
	{Package: "github.com/labstack/echo/v4", Type: "Context", Names: []string{"Bind"}, Keeps: "nothing",
		Why: "decodes the request into the value during the call"},
	{Package: "github.com/tidwall/redcon", Type: "Conn", Names: []string{"WriteError", "WriteString", "WriteBulk", "WriteBulkString", "WriteInt", "WriteInt64", "WriteUint64", "WriteArray", "WriteNull", "WriteRaw", "WriteAny"}, Own: true, Args: EffectRead, Keeps: "nothing",
		Why: "appends a copy of the value to the connection's own output buffer"},
}
