package analysis

import (
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
)

// Calls into code without a body here, as a CallModel describes them
// (models.go): what the call reads and writes, what it keeps, and what its
// results point to. A call that no model covers is externalCall's.

// modelCall records the accesses of a modelled call. Function values
// handed to it may still be called there.
func (a *analyzer) modelCall(s *fnState, m *CallModel, call ssa.CallInstruction, method bool, args []ssa.Value, pos token.Pos, rec recorder) {
	recv := method && len(args) > 0
	for i, arg := range args {
		if _, ok := arg.Type().Underlying().(*types.Signature); ok {
			a.callFuncArg(s, arg, pos, rec)
			continue
		}
		if !mem.PointerLike(arg.Type()) {
			continue
		}
		var e Effect
		switch {
		case recv && i == 0:
			e = m.receiverEffect()
		case recv:
			e = m.argEffect(i - 1)
		default:
			e = m.argEffect(i)
		}
		if e == EffectNone {
			continue
		}
		if recv && i == 0 && m.Own {
			for _, l := range s.ownOrigins(arg) {
				rec(l, Read, false, pos, s.fn, nil, nil)
				if e == EffectWrite {
					rec(l, Write, false, pos, s.fn, nil, nil)
					s.markOpaque(l)
				}
			}
			continue
		}
		reached := s.deepOrigins(arg)
		if zeroAt(arg, call) {
			// The new object alone (zeroAt). A call that keeps nothing
			// leaves it where no one else reaches it: what it does to it
			// is no access of shared memory, as an initializing store is
			// not (initstore.go), though what it set there is unknown.
			reached = s.origin(arg)
			if m.Keeps == "nothing" {
				if e == EffectWrite {
					for _, l := range reached {
						s.markOpaque(l)
					}
				}
				continue
			}
		}
		for _, l := range reached {
			rec(l, Read, false, pos, s.fn, nil, nil)
			if e == EffectWrite {
				rec(l, Write, false, pos, s.fn, nil, nil)
				s.markOpaque(l)
			}
		}
	}
	if s.sum == nil {
		return
	}
	// What the call keeps is a pointer stored (pollution.go): into the
	// container, or into the new memory it returns.
	switch m.Keeps {
	case "":
		s.keepsAmong(args, func(i int) bool {
			switch {
			case recv && i == 0:
				return m.receiverEffect() == EffectWrite
			case recv:
				return m.argEffect(i-1) == EffectWrite
			}
			return m.argEffect(i) == EffectWrite
		})
	case "receiver":
		if len(args) > 1 {
			dsts := s.origin(args[0])
			for _, v := range args[1:] {
				s.storePointer(dsts, v, pos)
			}
		}
	case "result":
		if v, ok := call.(*ssa.Call); ok && m.Result == "fresh" {
			if t, ok := firstResult(v); ok {
				dst := []mem.Loc{a.roots.Fresh(v, mem.Pointee(t))}
				for _, arg := range args {
					s.storePointer(dst, arg, pos)
				}
			}
		}
	}
}

// firstResult is the type of a call's first result, if it is a pointer.
func firstResult(call *ssa.Call) (types.Type, bool) {
	t := call.Type()
	if tup, ok := t.(*types.Tuple); ok {
		if tup.Len() == 0 {
			return nil, false
		}
		t = tup.At(0).Type()
	}
	return t, mem.PointerLike(t)
}

// modelResults is what the idx-th result (of type t) of a modelled call
// may point to. Only the first result is ever new memory of the call's
// own: the others (an error, mostly) are taken to point anywhere their
// arguments reach, as for an unmodelled call.
func (s *fnState) modelResults(m *CallModel, call *ssa.Call, idx int, t types.Type, method bool, args []ssa.Value) []mem.Loc {
	if m.Result == "receiver" && idx == 0 && method && len(args) > 0 {
		return s.origin(args[0]) // the receiver, not all it reaches
	}
	var out []mem.Loc
	// "first" is the built-in append's rule: the result is the first
	// argument's memory, or new memory as untracked as append(nil, x)'s.
	fresh := (m.Result == "fresh" || m.Result == "first") && idx == 0
	if m.Result == "fresh" && idx == 0 {
		out = append(out, s.a.roots.Fresh(call, mem.Pointee(t)))
	}
	first := 0
	if method {
		first = 1
	}
	for i, arg := range args {
		switch {
		case !fresh, m.Keeps == "result":
		case m.Result == "first" && i == first:
		default:
			continue
		}
		if !mem.PointerLike(arg.Type()) {
			continue
		}
		if _, ok := arg.Type().Underlying().(*types.Signature); ok {
			continue
		}
		for _, l := range s.origin(arg) {
			out = append(out, l.Deep())
		}
	}
	return out
}

// modelKeeps says, for a call findEscapes meets, whether a model covers it
// and then which of its arguments it publishes: all of them when it
// keeps them anywhere, those stored into a receiver that is not this
// invocation's own, none when it keeps nothing or keeps them only in its
// result (they are published with the result, whose origin includes
// them). An object handed back to a sync.Pool is published unless the
// Put is its last use (poolPut).
func (a *analyzer) modelKeeps(call ssa.CallInstruction) ([]ssa.Value, bool) {
	c := call.Common()
	var k calleeKey
	args := c.Args
	switch {
	case c.IsInvoke():
		if len(a.sites[call]) > 0 {
			return nil, false
		}
		k = invokeKey(c)
		args = append([]ssa.Value{c.Value}, c.Args...)
	case c.StaticCallee() != nil && c.StaticCallee().Blocks == nil:
		k = keyOf(c.StaticCallee())
	default:
		return nil, false
	}
	if k.pkg == "sync" && k.typ == "*Pool" && k.name == "Put" && len(args) == 2 {
		if poolPutLast(call, args[1]) {
			return nil, true
		}
		return args[1:], true
	}
	m := a.models.lookup(k)
	if m == nil {
		return nil, false
	}
	switch m.Keeps {
	case "":
		return args, true
	case "receiver":
		if len(args) > 1 && !allFresh(a.state(call.Parent()).origin(args[0])) {
			return args[1:], true
		}
	}
	return nil, true
}

// modelKeptIn is where a modelled container call keeps what it is given:
// its receiver's memory (Keeps "receiver"), else nil (anywhere, or
// nowhere). Kept in memory a parameter reaches, the caller decides, as
// for a store (findEscapes).
func (a *analyzer) modelKeptIn(s *fnState, call ssa.CallInstruction) []mem.Loc {
	c := call.Common()
	fn := c.StaticCallee()
	if fn == nil || fn.Blocks != nil || len(c.Args) < 2 {
		return nil
	}
	if m := a.models.lookup(keyOf(fn)); m != nil && m.Keeps == "receiver" {
		return s.origin(c.Args[0])
	}
	return nil
}

// unboxed is v without the conversions that keep its pointer (made into
// an interface, given another type); seen, if not nil, is given each
// value on the way, v and the result included.
func unboxed(v ssa.Value, seen func(ssa.Value)) ssa.Value {
	for {
		if seen != nil {
			seen(v)
		}
		switch x := v.(type) {
		case *ssa.MakeInterface:
			v = x.X
		case *ssa.ChangeType:
			v = x.X
		default:
			return v
		}
	}
}

// poolPutLast: v, handed back to a sync.Pool by put, is used nowhere after
// the Put. Then the next Get's caller, which the Pool synchronizes with
// this one, is the only one to use it, and it stays this invocation's
// memory. It holds when the Put is deferred (it runs last) or when every
// other use of the object comes before it in its block. A use through a
// copy of the pointer kept elsewhere is an access of that other memory,
// which follows its own rules.
func poolPutLast(put ssa.CallInstruction, v ssa.Value) bool {
	v = unboxed(v, nil)
	if _, ok := put.(*ssa.Defer); ok {
		for _, r := range *v.Referrers() {
			if d, ok := r.(*ssa.Defer); ok && d != put {
				return false // another deferred call may run after it
			}
		}
		return true
	}
	b := put.Block()
	before := map[ssa.Instruction]bool{}
	for _, in := range b.Instrs {
		if in == put {
			break
		}
		before[in] = true
	}
	var uses func(v ssa.Value, depth int) bool
	uses = func(v ssa.Value, depth int) bool {
		refs := v.Referrers()
		if refs == nil || depth > 4 {
			return false
		}
		for _, r := range *refs {
			if r == put {
				continue
			}
			if mi, ok := r.(*ssa.MakeInterface); ok && mi.Block() == b {
				if !uses(mi, depth+1) {
					return false
				}
				continue
			}
			if _, ok := r.(*ssa.DebugRef); ok {
				continue
			}
			if !before[r] {
				return false
			}
		}
		return true
	}
	return uses(v, 0)
}

// useModels sets the models for this run: the project's ahead of the
// built-in table. Summaries a previous run computed under other models
// are not reused. Pool.Get's result is the caller's own only if every
// Put in the workspace is its object's last use (poolPutLast): an object
// still used after its Put may be in another invocation's hands.
func (a *analyzer) useModels(extra []CallModel, fns []*ssa.Function) {
	a.models = newModels(extra)
	a.models.poolOK = allPutsLast(fns)
	if a.next != nil {
		a.next.models = a.models.key
	}
	if a.prev != nil && a.prev.models != a.models.key {
		a.prev = nil
	}
}

func allPutsLast(fns []*ssa.Function) bool {
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				call, ok := instr.(ssa.CallInstruction)
				if !ok {
					continue
				}
				c := call.Common()
				callee := c.StaticCallee()
				if callee == nil || callee.Blocks != nil || len(c.Args) != 2 {
					continue
				}
				if k := keyOf(callee); k.pkg == "sync" && k.typ == "*Pool" && k.name == "Put" && !poolPutLast(call, c.Args[1]) {
					return false
				}
			}
		}
	}
	return true
}

// ownOrigins is the memory a method with a model's Own receiver effect
// reaches through its receiver v: each object v may point to, in place
// (its fields, not what they point to: the library's own memory below it
// is reached only through it, and the caller's only through its methods).
// A loc that stands for all below it (a receiver found inside what an
// unmodelled call returned) is taken whole, as deepOrigins does.
func (s *fnState) ownOrigins(v ssa.Value) []mem.Loc {
	t := mem.Pointee(v.Type())
	var out []mem.Loc
	for _, l := range s.origin(v) {
		if l.Trunc || !mem.Identical(l.MemType(), t) {
			out = append(out, l.Deep())
			continue
		}
		out = append(out, l)
	}
	return dedupe(out)
}

// deepOrigins is all the memory a call may reach through v: what v refers
// to and everything below it. Below a new object of this invocation are
// the pointers stored into it here, so those are followed too:
// Decode(&req{Item: items[0]}) writes through items[0].
func (s *fnState) deepOrigins(v ssa.Value) []mem.Loc {
	var out []mem.Loc
	seen := map[*mem.Base]bool{}
	anyDone := false
	var add func(ls []mem.Loc)
	add = func(ls []mem.Loc) {
		for _, l := range ls {
			out = append(out, l.Deep())
			if l.Base.Kind == mem.Fresh && !seen[l.Base] {
				seen[l.Base] = true
				x := s.storesInto()
				add(x.local[l.Base])
				add(x.byDst[l.Base])
				if !anyDone {
					// Stores merged past a bound may be into any new
					// object: once for all of them.
					anyDone = true
					add(x.anyVals)
				}
			}
		}
	}
	add(s.origin(v))
	return dedupe(out)
}

// zeroAt: v is an object made in call's own block and handed straight
// to it, nothing done to it between (dec.Decode(&T{}), converted to an
// interface on the way): at the call it holds its zero value and points
// nowhere, so the call reaches through it only the object itself and
// what the call makes and links into it, no one else's yet. deepOrigins
// would follow every store into the object, also those made after the
// call (m.owner = box), and take the call to touch all they reach.
func zeroAt(v ssa.Value, call ssa.CallInstruction) bool {
	chain := map[ssa.Value]bool{}
	v = unboxed(v, func(x ssa.Value) { chain[x] = true })
	al, ok := v.(*ssa.Alloc)
	if !ok || al.Block() == nil || al.Block() != call.Block() {
		return false
	}
	b := al.Block()
	i, j := indexOf(b, al), indexOf(b, call)
	if i < 0 || j <= i {
		return false
	}
	for _, in := range b.Instrs[i+1 : j] {
		if _, ok := in.(*ssa.DebugRef); ok {
			continue
		}
		if val, ok := in.(ssa.Value); ok && chain[val] {
			continue
		}
		for _, op := range in.Operands(nil) {
			if *op != nil && chain[*op] {
				return false // used before the call: it may not be zero
			}
		}
	}
	return true
}

// storedInto is what the pointers stored into the new object b may refer
// to: stores of this function, and those its callees report.
func (s *fnState) storedInto(b *mem.Base) []mem.Loc {
	x := s.storesInto()
	out := append(append([]mem.Loc(nil), x.local[b]...), x.byDst[b]...)
	if b.Kind == mem.Fresh {
		out = append(out, x.anyVals...)
	}
	return out
}

// storeIndex is storedInto's index of the stores into each object, kept
// per function state: asked at every library call of a function, a scan of
// all its instructions and of all the stores its summary holds took a
// quarter of the time on a server's large recursive component. The
// function's own stores are indexed once (a state lives for one pass, and
// origins do not change within it); those its summary reports grow as
// callees are applied, and are indexed as they come.
type storeIndex struct {
	local   map[*mem.Base][]mem.Loc // this function's own store instructions
	byDst   map[*mem.Base][]mem.Loc // stores reported by its summary, by destination
	anyVals []mem.Loc               // reported stores merged past a bound (anyBase)
	scanned int                     // how many of the summary's stores are indexed
}

func (s *fnState) storesInto() *storeIndex {
	x := s.stIndex
	if x == nil {
		x = &storeIndex{local: map[*mem.Base][]mem.Loc{}, byDst: map[*mem.Base][]mem.Loc{}}
		s.stIndex = x
		into := func(addr ssa.Value, vals []ssa.Value) {
			var bases []*mem.Base
			for _, l := range s.origin(addr) {
				if !slices.Contains(bases, l.Base) {
					bases = append(bases, l.Base)
				}
			}
			for _, b := range bases {
				for _, v := range vals {
					if mem.PointerLike(v.Type()) {
						x.local[b] = append(x.local[b], s.origin(v)...)
					}
				}
			}
		}
		for _, blk := range s.fn.Blocks {
			for _, instr := range blk.Instrs {
				switch in := instr.(type) {
				case *ssa.Store:
					if mem.PointerLike(in.Val.Type()) {
						into(in.Addr, []ssa.Value{in.Val})
					}
				case *ssa.MapUpdate:
					into(in.Map, []ssa.Value{in.Key, in.Value})
				case *ssa.Call:
					// append copies the elements of its second argument
					// into the result's array: it holds what that
					// argument's array holds, as if it held the array.
					if appendsPointers(in.Common()) {
						into(in, []ssa.Value{in.Call.Args[1]})
					}
				}
			}
		}
	}
	if s.sum != nil {
		for _, st := range s.sum.stores[x.scanned:] {
			x.byDst[st.dst.Base] = append(x.byDst[st.dst.Base], st.val)
			if st.anyBase {
				x.anyVals = append(x.anyVals, st.val)
			}
		}
		x.scanned = len(s.sum.stores)
	}
	return x
}

// assumedAt names the call at pos in fn into code that is neither
// analysed nor modelled, if the access there rests on one: the finding
// then says that its effect was assumed ("(*lib.T).M"). inPart: the call
// has a model derived from its source, which assumed part of it.
func (a *analyzer) assumedAt(fn *ssa.Function, pos token.Pos) (name string, inPart bool) {
	if fn == nil || a.models == nil {
		return "", false
	}
	byPos, ok := a.models.assumed[fn]
	if !ok {
		byPos = a.assumedCalls(fn)
		if a.models.assumed == nil {
			a.models.assumed = map[*ssa.Function]map[token.Pos]assumption{}
		}
		a.models.assumed[fn] = byPos
	}
	as := byPos[pos]
	return as.name, as.inPart
}

// assumption is a call whose effect was assumed, wholly or in part.
type assumption struct {
	name   string
	inPart bool
}

func (a *analyzer) assumedCalls(fn *ssa.Function) map[token.Pos]assumption {
	var out map[token.Pos]assumption
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			call, ok := instr.(ssa.CallInstruction)
			if !ok {
				continue
			}
			c := call.Common()
			var keys []calleeKey
			switch {
			case c.StaticCallee() != nil:
				if c.StaticCallee().Blocks == nil {
					keys = append(keys, keyOf(c.StaticCallee()))
				}
			case c.IsInvoke() && len(a.sites[call]) == 0:
				keys = append(keys, invokeKey(c))
			default:
				// A dynamic call: any of its targets may be library code
				// (http.HandlerFunc's ServeHTTP).
				for _, fn := range a.sites[call] {
					if fn.Blocks == nil {
						keys = append(keys, keyOf(fn))
					}
				}
			}
			for _, k := range keys {
				if k.pkg == "sync/atomic" || synchronized(k.pkg) || k.pkg == "time" && !k.method {
					continue
				}
				m := a.models.lookup(k)
				if m != nil && !m.partial {
					continue
				}
				if out == nil {
					out = map[token.Pos]assumption{}
				}
				pos := instrPos(call)
				if _, ok := out[pos]; !ok || m == nil {
					out[pos] = assumption{k.String(), m != nil}
				}
				if m == nil {
					break // wholly assumed: said before one in part
				}
			}
		}
	}
	return out
}

// Library callbacks. Code without a body here calls methods of the values
// it is given: fmt calls String, Error, Format and GoString, encoding/json
// MarshalJSON and UnmarshalJSON, sort.Sort Len, Less and Swap, io.Copy
// Read and Write. Those methods are workspace code; a model or the
// conservative rule for an unmodelled call says what the library itself
// does, and the methods it calls back are followed here as calls made at
// the library call (summary.go's call, findEscapes, run.go's edges).
//
// Which methods: every method of an argument's interface type (sort.Sort's
// sort.Interface, io.Copy's io.Writer, an error), and the methods the
// package finds by type assertion or reflection on any value it is given
// (libraryCallbacks; a package not listed may call any of the table's).
// On which types: the argument's dynamic types where its interface values
// are made in sight (a MakeInterface, through the variadic array of
// fmt.Sprint's arguments); the workspace's methods of the name on every
// type that implements the argument's interface where they are not (a
// parameter, a loaded value: the class hierarchy, as for an interface
// call of the workspace). Packages that walk what they are given (fmt
// formats a struct's fields, json encodes them) also call the methods of
// every type reached from it through fields, pointers and elements.
//
// The receiver is the argument itself where the method's receiver type is
// the argument's dynamic type; a value reached inside it, or one of unknown
// origin, is memory of unknown origin of the receiver's type (sound: it
// overlaps every object of that type).

// libraryCallback is what a package may call on the values it is given.
type libraryCallback struct {
	names []string
	// deep: it walks the values it is given: methods of what they reach
	// are called too. A listed package's own receiver (an Encoder, a
	// Logger) it reads by its fields (own): none of them keeps a value
	// of the caller's to walk later, only writers and readers it calls.
	deep bool
	// anyName: besides names, any name of the table (anyCallback's): a
	// package that asserts to many interfaces (net/http's Flusher,
	// Hijacker, io's, net.Error, fmt's through the errors it formats).
	anyName bool
	// whole: calls of the package that stay as conservative as an
	// unlisted package's (anyCallback), whatever the rest of the entry
	// says (net/http's servers format the values handlers panic with).
	whole []string
	// none: calls of the package that call nothing back (registrations
	// that only store what they are given).
	none []string
	// namesOnly: only names are called on what it reaches, not the other
	// methods of the interface values it finds (errorMethod).
	namesOnly bool
	// walkers: only these functions and methods walk the values they are
	// given (their arguments, not their receiver), as deep says for all.
	walkers []string
	// own: it reads the fields of the types of packages outside the
	// workspace (its own, those it imports), which it names, and calls
	// the methods of the interface values it finds there; not the fields
	// of the workspace's structs, which it names not (deep says it walks
	// those too).
	own bool
	// holds: interfaces ("path.Name") of values the package keeps in what
	// it makes and calls later, at any call into it (a websocket.Conn's
	// network connection and buffer pool): every method of theirs on the
	// workspace's implementers is a callback of every call.
	holds []string
	// holdsGlobal: what holds says is held in the package's global state
	// (flag's CommandLine), used by its functions only; its methods reach
	// what they hold through their receiver.
	holdsGlobal bool
	// anySig: it calls methods of names of any signature (by reflection,
	// as templates do), not only those of the interfaces that have them
	// (callsig.go).
	anySig bool
	// streams: what it is handed as a non-empty interface (an io.Reader
	// to decode from, an io.Writer to print to) it calls methods on but
	// never walks, though deep: it walks only what it is handed as any.
	streams bool
}

// fmt and the encodings read and write only the streams they are handed
// as such (Fprint's io.Writer, NewDecoder's io.Reader: the methods of an
// argument's interface type) or keep in their own structs (an Encoder's
// writer: the methods of the interfaces their fields hold); the values
// they walk are formatted or encoded by the methods below, never read or
// written as streams. Read and Write among them made every value json
// decoded into, down to a map of any, call every Read of the workspace
// (on miniflux, each handler then reached a decompressing reader's Read
// and, through it, an XML outline's decoder).
var libraryCallbacks = map[string]libraryCallback{
	"fmt":            {names: []string{"String", "Error", "Format", "GoString", "Scan", "ReadRune", "UnreadRune"}, deep: true, streams: true},
	"encoding/json":  {names: []string{"MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText"}, deep: true, streams: true},
	"encoding/xml":   {names: []string{"MarshalXML", "UnmarshalXML", "MarshalXMLAttr", "UnmarshalXMLAttr", "MarshalText", "UnmarshalText", "ReadByte"}, deep: true, streams: true},
	"encoding/gob":   {names: []string{"GobEncode", "GobDecode", "MarshalBinary", "UnmarshalBinary", "ReadByte"}, deep: true, streams: true},
	"text/template":  {names: []string{"String", "Error", "Write"}, deep: true, anySig: true, streams: true},
	"html/template":  {names: []string{"String", "Error", "Write"}, deep: true, anySig: true, streams: true},
	"log":            {names: []string{"String", "Error", "Format", "GoString", "Write"}, deep: true, streams: true},
	"log/slog":       {names: []string{"String", "Error", "LogValue", "MarshalJSON", "MarshalText", "Write", "Handle", "Enabled"}, deep: true, streams: true},
	"errors":         {names: []string{"Error", "Unwrap", "Is", "As"}},
	"sort":           {names: []string{"Len", "Less", "Swap"}},
	"container/heap": {names: []string{"Len", "Less", "Swap", "Push", "Pop"}},
	"strings":        {names: []string{"Read", "Write"}},
	"bytes":          {names: []string{"Read", "Write"}},
	"io":             {names: []string{"Read", "Write", "WriteTo", "ReadFrom", "WriteString", "Close", "ReadAt", "WriteAt", "Seek", "ReadByte", "ReadRune"}},
	"bufio":          {names: []string{"Read", "Write", "WriteTo", "ReadFrom"}},
	"sync":           {},
	"sync/atomic":    {},
	"strconv":        {},
	"unicode":        {},
	"unicode/utf8":   {},
	"maps":           {},
	"slices":         {},
	"math":           {},
	"time":           {},
	"context":        {names: []string{"Value", "Done", "Err", "Deadline"}},
	// net/http reads its own types' fields (a response's connection, a
	// server's handler and error log, a client's transport) and calls the
	// methods of the interface values there and of those it is given. It
	// uses reflect on types only (client.go, transfer.go: its own
	// nopCloser's field; h2_error.go copies an error's fields into As's
	// target), never to walk the caller's values; fmt formats its own
	// values and the errors it is handed, whose Error and Format it calls
	// without walking them. The server's loop does format, with %v, the
	// value a handler panicked with, which may be anything: the calls
	// that serve stay conservative (whole).
	// Registering a handler (Handle, HandleFunc, a wrapper's
	// constructor) stores it, parsing the pattern, and calls nothing of it.
	// A request's accessors read its context, pattern match, URL and
	// header, never its Body (FormValue and ParseForm do, and are not
	// among them): every handler calls them, and a Body wrapper anywhere
	// in the workspace (a response body decompressed) was called back
	// from each.
	"net/http": {names: []string{"ServeHTTP", "Hijack", "Flush", "Timeout", "RoundTrip", "Readdir", "Stat", "Seek", "CloseWrite"},
		anyName: true, own: true, whole: []string{"Serve", "ServeTLS", "ListenAndServe", "ListenAndServeTLS"},
		none: []string{"Handle", "HandleFunc", "NewServeMux", "StripPrefix", "TimeoutHandler", "MaxBytesHandler", "AllowQuerySemicolons", "NotFoundHandler", "RedirectHandler", "FileServer", "FileServerFS",
			"Context", "WithContext", "PathValue", "SetPathValue", "Cookie", "Cookies", "CookiesNamed", "UserAgent", "Referer", "BasicAuth", "ProtoAtLeast"}},
	// gorilla/mux formats only its own templates and errors with fmt, and
	// calls the handlers and matchers its routes hold from the router's
	// ServeHTTP and Match (through the receiver: the methods of the
	// interface values it finds there); building routes stores
	// what it is given (middleware and matcher functions are function
	// values, callFuncArg's).
	muxPkg: {names: []string{"Error", "String"}, own: true,
		none: []string{"NewRouter", "HandleFunc", "Handle", "Handler", "HandlerFunc", "Path", "PathPrefix", "Methods", "Name", "Subrouter", "Use", "Host", "Schemes", "Headers", "Queries", "Vars", "CurrentRoute", "SetURLVars", "StrictSlash", "SkipClean", "UseEncodedPath", "NewRoute"}},
	// crypto/tls and crypto/x509 do not import reflect themselves (x509's
	// encoding/asn1 walks the package's own structures); fmt formats
	// their own numbers and the errors they are handed (Error, Format, at
	// the top). Keys they are given as any they assert to crypto.Signer,
	// crypto.Decrypter and their own types.
	"crypto/tls":  {names: []string{"Sign", "Public", "Decrypt", "Get", "Put"}, anyName: true, own: true},
	"crypto/x509": {names: []string{"Sign", "Public"}, anyName: true, own: true},
	// flag reads the Values its FlagSets hold and calls their methods
	// (a FlagSet's methods through their receiver, as an interface's
	// methods; the package functions through the CommandLine set, which
	// holds says); reflect only makes a zero Value of a flag's type to
	// call String on (new memory). It writes usage and errors (a Value's
	// Set's, Error and Format at the top) to the set's output.
	"flag": {names: []string{"String", "Error", "Format", "GoString", "Write"}, own: true,
		holds: []string{"flag.Value", "io.Writer"}, holdsGlobal: true},
	LoopPkg: {},
	// A websocket.Conn is made on the connection Upgrade takes over from
	// the response writer (Hijack) and keeps it and the Upgrader's
	// BufferPool, whose methods any later call may use; WriteJSON and
	// ReadJSON encode and decode with encoding/json, which walks the value.
	websocketPkg: {names: []string{"Hijack", "Header", "Write", "WriteHeader", "Flush", "MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText"},
		walkers: []string{"WriteJSON", "ReadJSON"},
		holds:   []string{"net.Conn", websocketPkg + ".BufferPool"}},
}

const (
	websocketPkg = "github.com/gorilla/websocket"
	muxPkg       = "github.com/gorilla/mux"
)

// callbacksOf is what package pkg may call back: its entry, or for a
// package not listed every name of the table, walking values where it
// may (reflective), else through the fields of types outside the
// workspace only (anyOwnCallback). exact: pkg is the callee's own
// package; not (an interface call no implementation of which is known,
// named by the interface's package), the callee may be anyone's and no
// narrowing applies.
func (a *analyzer) callbacksOf(pkg string, exact bool) libraryCallback {
	if cb, ok := libraryCallbacks[pkg]; ok {
		if cb.anyName {
			cb.names = anyNames(cb.names)
		}
		return cb
	}
	if walks, known := a.walkers[pkg]; exact && known && !walks {
		return anyOwnCallback
	}
	return anyCallback
}

// errorMethod is what the Error method of a library type (an error made
// there, reached through the error interface) calls back: it formats the
// error's fields, calling Error, String, Format and GoString on what
// they hold (the errors it wraps), through its own types' fields. This
// is a model of the convention, as the table is: formatting an error
// does not serve requests or close connections.
var errorMethod = libraryCallback{names: []string{"Error", "String", "Format", "GoString"}, own: true, namesOnly: true}

// isErrorMethod: fn is an Error method of the error interface's signature.
func isErrorMethod(name string, sig *types.Signature) bool {
	if name != "Error" || sig.Params().Len() != 0 || sig.Results().Len() != 1 {
		return false
	}
	b, ok := sig.Results().At(0).Type().(*types.Basic)
	return ok && b.Kind() == types.String
}

// anyCallback's names are those of the table's entries but the ones that
// take any name (anyName: their own additions are theirs).
var anyCallback = func() libraryCallback {
	cb := libraryCallback{deep: true}
	for _, e := range libraryCallbacks {
		if e.anyName {
			continue
		}
		for _, n := range e.names {
			if !slices.Contains(cb.names, n) {
				cb.names = append(cb.names, n)
			}
		}
	}
	slices.Sort(cb.names)
	return cb
}()

// anyNames is names and anyCallback's, sorted.
func anyNames(names []string) []string {
	out := slices.Clone(anyCallback.names)
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// anyOwnCallback is what a package not listed that cannot walk what it is
// given may call back: any name of the table (found by type assertion),
// on the values it is given and on the interface values it reaches
// through its own types' fields (an *os.File's, an http.Request's Body),
// by their static interface (their implementers), not through the fields
// of the workspace's types, which it can neither name nor reflect on.
var anyOwnCallback = libraryCallback{names: anyCallback.names, own: true}

// reflective says, of each package the go command listed (by path),
// whether it may walk the values it is given: look into the fields of a
// workspace type to call the methods of what they hold. Code can read the
// fields of a type it does not name only by reflection: a package is
// taken to walk if it is reflect or imports it, directly or not (fmt does,
// and so does anything that formats with fmt). internal/reflectlite,
// which errors and sort use, has no Field, Index or MapIndex, and generic
// code cannot select a field of a type parameter. Module code that
// imports unsafe counts too: it may read memory at the offsets an
// interface's type descriptor gives, as fast encoders do; the standard
// library's uses of unsafe (system calls, the runtime's own structures)
// walk nothing of the caller's. A package not listed is taken to walk.
func reflective(all []*packages.Package) map[string]bool {
	out := map[string]bool{}
	var visit func(p *packages.Package) bool
	visit = func(p *packages.Package) bool {
		if w, ok := out[p.PkgPath]; ok {
			return w
		}
		out[p.PkgPath] = true // a cycle (none in a valid build) stays conservative
		w := p.PkgPath == "reflect"
		if _, ok := p.Imports["unsafe"]; ok && !standard(p) {
			w = true
		}
		for _, imp := range p.Imports {
			if visit(imp) {
				w = true
			}
		}
		out[p.PkgPath] = w
		return w
	}
	packages.Visit(all, nil, func(p *packages.Package) { visit(p) })
	return out
}

// standard: p is of the standard library (no module, and no dot in its
// first path element).
func standard(p *packages.Package) bool {
	return p.Module == nil && stdPath(p.PkgPath)
}

// callbackTarget is a method a library call may call back, and the value
// its receiver is (nil: memory of unknown origin of its type).
type callbackTarget struct {
	fn   *ssa.Function
	recv ssa.Value
	// src is the value the method is reached from: recv, or the value
	// that holds it (a published receiver publishes src).
	src ssa.Value
}

// quiet: fn, without a body here, runs no code but its own library's,
// by its derived model: it calls nothing back.
func (a *analyzer) quiet(fn *ssa.Function) bool {
	m := a.models.lookup(keyOf(fn))
	return m != nil && m.quiet
}

// libraryPkgs are the packages of the code without a body that call
// reaches and that may call back (not quiet), if any.
func (a *analyzer) libraryPkgs(call ssa.CallInstruction) []string {
	c := call.Common()
	if _, ok := c.Value.(*ssa.Builtin); ok {
		return nil
	}
	var fns []*ssa.Function
	switch {
	case c.StaticCallee() != nil:
		fns = []*ssa.Function{c.StaticCallee()}
	default:
		fns = a.sites[call]
		if len(fns) == 0 && c.IsInvoke() {
			pkg := ""
			if k := invokeKey(c); k.pkg != "" {
				pkg = k.pkg
			}
			return []string{pkg}
		}
	}
	var pkgs []string
	for _, fn := range fns {
		if fn.Blocks == nil && !a.quiet(fn) {
			if p := calleePkg(fn); !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	return pkgs
}

// libraryCallbacksAt is the methods a call into code without a body may
// call back on what it is given, computed once per call.
func (a *analyzer) libraryCallbacksAt(call ssa.CallInstruction) []callbackTarget {
	if ts, ok := a.cbTargets[call]; ok {
		return ts
	}
	var out []callbackTarget
	pkgs := a.libraryPkgs(call)
	if len(pkgs) > 0 {
		c := call.Common()
		args := c.Args
		if c.IsInvoke() {
			args = append([]ssa.Value{c.Value}, c.Args...)
		}
		seen := map[callbackTarget]bool{}
		add := func(t callbackTarget) {
			if t.fn != nil && t.fn.Blocks != nil && !seen[t] && a.sameProgram(call.Parent(), t.fn) {
				seen[t] = true
				out = append(out, t)
			}
		}
		exact := len(a.sites[call]) > 0 || !c.IsInvoke()
		for _, pkg := range pkgs {
			cb := a.callbacksOf(pkg, exact)
			if len(cb.whole) > 0 && a.callsNamed(call, pkg, cb.whole) {
				cb = anyCallback
			}
			if len(cb.none) > 0 && a.callsOnlyNamed(call, pkg, cb.none) {
				continue
			}
			// An error's Error: a library type's, by the convention, also
			// where no implementation reaches the call (no workspace
			// method does, so the error is the library's).
			if (exact || c.IsInvoke() && c.Method.Pkg() == nil) && (c.Signature().Recv() != nil || c.IsInvoke()) && isErrorMethod(a.calleeName(call), c.Signature()) {
				cb = errorMethod
			}
			walk := cb
			if len(cb.walkers) > 0 && a.callsNamed(call, pkg, cb.walkers) {
				// A walker walks its arguments; its receiver is the
				// package's own, whose insides are what holds says.
				walk.deep = true
			}
			for i, arg := range args {
				if i > 0 || c.Signature().Recv() == nil && !c.IsInvoke() {
					a.argCallbacks(walk, arg, nil, add)
					continue
				}
				// The receiver of a method of the package is of one of
				// its types, whose fields its code reads (own): an
				// interface call that reaches it hands it the value of
				// that type the interface holds, not any implementer.
				recv := cb
				recv.own = true
				if _, listed := libraryCallbacks[pkg]; listed && cb.deep {
					// A listed package's receiver is read by its fields
					// (deep's comment); an unlisted one's may hold a
					// value it walks later (a logger's fields).
					recv.deep = false
				}
				if ts := a.libraryRecvTypes(call, pkg); c.IsInvoke() && len(ts) > 0 {
					for _, t := range ts {
						a.argCallbacks(recv, arg, t, add)
					}
					continue
				}
				a.argCallbacks(recv, arg, nil, add)
			}
			for _, h := range cb.holds {
				if cb.holdsGlobal && !a.callsFunc(call, pkg) {
					break
				}
				if it := a.heldInterface(call, h); it != nil {
					a.openCallbacks(methodNames(it), it, false, cb.anySig, add, nil, nil)
				}
			}
		}
	}
	if a.cbTargets == nil {
		a.cbTargets = map[ssa.CallInstruction][]callbackTarget{}
	}
	a.cbTargets[call] = out
	return out
}

// libraryRecvTypes are the receiver types of the methods of pkg without a
// body that the interface call reaches (a.sites): the dynamic types its
// receiver has when the call runs them.
func (a *analyzer) libraryRecvTypes(call ssa.CallInstruction, pkg string) []types.Type {
	var out []types.Type
	for _, fn := range a.sites[call] {
		if fn.Blocks != nil || fn.Signature.Recv() == nil || calleePkg(fn) != pkg {
			continue
		}
		t := recvType(fn)
		if !slices.ContainsFunc(out, func(u types.Type) bool { return types.Identical(t, u) }) {
			out = append(out, t)
		}
	}
	return out
}

// callsFunc: call reaches a function of pkg that is not a method.
func (a *analyzer) callsFunc(call ssa.CallInstruction, pkg string) bool {
	c := call.Common()
	if fn := c.StaticCallee(); fn != nil {
		return calleePkg(fn) == pkg && fn.Signature.Recv() == nil
	}
	for _, fn := range a.sites[call] {
		if fn.Blocks == nil && calleePkg(fn) == pkg && fn.Signature.Recv() == nil {
			return true
		}
	}
	return false
}

// calleeName is the name of the function or method call calls.
func (a *analyzer) calleeName(call ssa.CallInstruction) string {
	c := call.Common()
	if c.IsInvoke() {
		return c.Method.Name()
	}
	if fn := c.StaticCallee(); fn != nil {
		return keyOf(fn).name
	}
	return ""
}

// callsOnlyNamed: every function or method of pkg that call reaches is
// named one of names.
func (a *analyzer) callsOnlyNamed(call ssa.CallInstruction, pkg string, names []string) bool {
	c := call.Common()
	if fn := c.StaticCallee(); fn != nil {
		return slices.Contains(names, keyOf(fn).name)
	}
	found := false
	for _, fn := range a.sites[call] {
		if fn.Blocks == nil && calleePkg(fn) == pkg {
			if !slices.Contains(names, keyOf(fn).name) {
				return false
			}
			found = true
		}
	}
	return found
}

// callsNamed: call reaches a function or method of pkg named one of names.
func (a *analyzer) callsNamed(call ssa.CallInstruction, pkg string, names []string) bool {
	c := call.Common()
	if fn := c.StaticCallee(); fn != nil {
		return calleePkg(fn) == pkg && slices.Contains(names, keyOf(fn).name)
	}
	if c.IsInvoke() && slices.Contains(names, c.Method.Name()) {
		return true
	}
	for _, fn := range a.sites[call] {
		if fn.Blocks == nil && calleePkg(fn) == pkg && slices.Contains(names, keyOf(fn).name) {
			return true
		}
	}
	return false
}

// heldInterface finds the interface named "path.Name" among the types of
// the package call reaches and those it imports.
func (a *analyzer) heldInterface(call ssa.CallInstruction, name string) *types.Interface {
	i := strings.LastIndexByte(name, '.')
	path, tname := name[:i], name[i+1:]
	var pkgs []*types.Package
	c := call.Common()
	if fn := c.StaticCallee(); fn != nil && fn.Object() != nil {
		pkgs = append(pkgs, fn.Object().Pkg())
	} else if c.Method != nil {
		pkgs = append(pkgs, c.Method.Pkg())
	}
	for _, fn := range a.sites[call] {
		if fn.Object() != nil {
			pkgs = append(pkgs, fn.Object().Pkg())
		}
	}
	for _, p := range pkgs {
		if p == nil {
			continue
		}
		for _, q := range append([]*types.Package{p}, p.Imports()...) {
			if q.Path() != path {
				continue
			}
			if obj, ok := q.Scope().Lookup(tname).(*types.TypeName); ok {
				if it, ok := obj.Type().Underlying().(*types.Interface); ok {
					return it
				}
			}
		}
	}
	return nil
}

// argCallbacks finds the methods cb may call on what arg holds; as, if
// not nil, is the one type of the value the callee is handed (a library
// method's receiver, reached through an interface arg holds).
func (a *analyzer) argCallbacks(cb libraryCallback, arg ssa.Value, as types.Type, add func(callbackTarget)) {
	if _, ok := arg.Type().Underlying().(*types.Signature); ok {
		return // a function value: callFuncArg's
	}
	names := cb.names
	// argIt: the interface the library is handed arg as, whose methods
	// it may call by their signatures (callableAs).
	var argIt *types.Interface
	if it, ok := arg.Type().Underlying().(*types.Interface); ok && as == nil {
		argIt = it
		for i := 0; i < it.NumMethods(); i++ {
			if n := it.Method(i).Name(); !slices.Contains(names, n) {
				names = append(slices.Clip(names), n)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	if cb.streams && argIt != nil && !argIt.Empty() {
		// A stream (NewDecoder's io.Reader, Fprint's io.Writer): its
		// methods and the package's names are called on it, it is not
		// walked. What is walked is handed as any.
		cb.deep = false
	}
	concrete, open := dynamicValues(arg)
	if as != nil {
		concrete, open = []ssa.Value{arg}, nil
	}
	open = slices.DeleteFunc(slices.Clip(open), a.libraryMade)
	for _, x := range concrete {
		t := x.Type()
		if as != nil {
			t = as
		}
		walked := map[string]bool{}
		var walk func(t types.Type, top bool, depth int)
		// The receiver is x where the method is x's type's, or its
		// element's through x (a pointer's method reached by fmt
		// walking from it).
		self := func(fn *ssa.Function, t types.Type, top bool) bool {
			if as != nil {
				return false // x is an interface holding t
			}
			r := recvType(fn)
			if top && types.Identical(r, t) {
				return true
			}
			p, ok := x.Type().Underlying().(*types.Pointer)
			return ok && types.Identical(p.Elem(), t) && types.Identical(r, x.Type())
		}
		walk = func(t types.Type, top bool, depth int) {
			key := types.TypeString(t, nil)
			if walked[key] || depth > 6 {
				return
			}
			walked[key] = true
			if it, ok := t.Underlying().(*types.Interface); ok {
				// An interface inside: whatever implements it, its own
				// methods too (the code that reaches it may call them).
				a.openCallbacks(names, it, cb.deep, cb.anySig, add, x, argIt)
				if !top && it.NumMethods() > 0 && !cb.namesOnly {
					a.openCallbacks(methodNames(it), it, false, cb.anySig, add, x, nil)
				}
				return
			}
			for _, n := range names {
				for _, fn := range a.methodsNamed(t, n) {
					if !cb.anySig && !a.callableAs(fn, n, argIt) {
						continue
					}
					var recv ssa.Value
					if self(fn, t, top) {
						recv = x
					}
					add(callbackTarget{fn: fn, recv: recv, src: x})
				}
			}
			if !cb.deep && (!cb.own || a.workspaceStruct(t)) {
				return
			}
			switch u := t.Underlying().(type) {
			case *types.Pointer:
				walk(u.Elem(), false, depth+1)
			case *types.Struct:
				for i := 0; i < u.NumFields(); i++ {
					walk(u.Field(i).Type(), false, depth+1)
				}
			case *types.Slice:
				walk(u.Elem(), false, depth+1)
			case *types.Array:
				walk(u.Elem(), false, depth+1)
			case *types.Map:
				walk(u.Key(), false, depth+1)
				walk(u.Elem(), false, depth+1)
			case *types.Chan:
				walk(u.Elem(), false, depth+1)
			}
		}
		walk(t, true, 0)
	}
	for _, v := range open {
		it, _ := v.Type().Underlying().(*types.Interface)
		if it == nil {
			continue
		}
		a.openCallbacks(names, it, cb.deep || it.Empty(), cb.anySig, add, v, argIt)
	}
}

// libraryMade: v is what a call into code without a body returned as new
// memory of its own that holds nothing it was given (a model's fresh
// result that keeps nothing: sha1.New's hash, an interface value): the
// library's making, of its own types, whose methods are its own code and
// call back nothing of the workspace's on it.
func (a *analyzer) libraryMade(v ssa.Value) bool {
	if ex, ok := v.(*ssa.Extract); ok && ex.Index == 0 {
		v = ex.Tuple
	}
	call, ok := v.(*ssa.Call)
	if !ok {
		return false
	}
	c := &call.Call
	var k calleeKey
	switch {
	case c.IsInvoke():
		if len(a.sites[call]) > 0 {
			return false // workspace implementations may make it
		}
		k = invokeKey(c)
	case c.StaticCallee() != nil && c.StaticCallee().Blocks == nil:
		k = keyOf(c.StaticCallee())
	default:
		return false
	}
	m := a.models.lookup(k)
	return m != nil && m.Result == "fresh" && m.Keeps == "nothing"
}

// methodNames are the names of it's methods.
func methodNames(it *types.Interface) []string {
	names := make([]string, it.NumMethods())
	for i := range names {
		names[i] = it.Method(i).Name()
	}
	return names
}

// workspaceStruct: t is a struct type declared in the workspace, whose
// fields only reflection reaches from outside it.
func (a *analyzer) workspaceStruct(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || !a.workspace[n.Obj().Pkg()] {
		return false
	}
	_, ok = n.Underlying().(*types.Struct)
	return ok
}

// openCallbacks: the workspace's methods named names on every type that
// implements it (and, deep, on every type at all: a value inside one),
// their receivers of unknown origin; of those, only the methods of types
// a value of which may sit in an interface (mayBeBoxed): a value the
// library was handed from elsewhere got there through an interface. And
// only those it may call by their signature (callableAs: through it, also
// or a convention of the name), unless anySig.
func (a *analyzer) openCallbacks(names []string, it *types.Interface, deep, anySig bool, add func(callbackTarget), src ssa.Value, also *types.Interface) {
	for _, n := range names {
		for _, fn := range a.cbIndex()[n] {
			r := recvType(fn)
			if !a.mayBeBoxed(r) || !anySig && !a.callableAs(fn, n, it, also) {
				continue
			}
			if deep || types.Implements(r, it) || types.Implements(types.NewPointer(r), it) {
				add(callbackTarget{fn: fn, src: src})
			}
		}
	}
}

// mayBeBoxed reports whether a value of type t (a method's receiver type,
// T or *T) may be found by library code in, or below, an interface value.
// Only code with a body here makes the program's values into interfaces
// (library code is known by its export data; the one way it could box a
// workspace type unseen is generic code, so every type argument counts),
// and a library that walks what it is given reaches the fields, elements
// and pointees of what was boxed. So: the types made into interfaces, and
// type arguments, and all they hold or point to (the rapid type analysis
// of go/callgraph, applied to what callbacks may reach). An open value
// cannot hold a type never boxed, and with every method of a popular name
// followed for every log call on a large server (miniflux: 91,123 of
// 91,157 callback targets), this is what keeps the run in memory.
func (a *analyzer) mayBeBoxed(t types.Type) bool {
	if a.boxed == nil {
		a.boxed = map[mem.TypeKey]bool{}
		for _, fn := range a.bodies {
			for _, targ := range fn.TypeArgs() {
				a.box(targ)
			}
			for _, b := range fn.Blocks {
				for _, instr := range b.Instrs {
					if mi, ok := instr.(*ssa.MakeInterface); ok {
						a.box(mi.X.Type())
					}
				}
			}
		}
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		return a.boxed[mem.KeyOf(t)] || a.boxed[mem.KeyOf(p.Elem())]
	}
	return a.boxed[mem.KeyOf(t)] || a.boxed[mem.KeyOf(types.NewPointer(t))]
}

// box marks t, and what values of type t hold or point to, as boxed.
// (Named types are marked before their parts are visited, so recursive
// types end the walk.)
func (a *analyzer) box(t types.Type) {
	k := mem.KeyOf(t)
	if a.boxed[k] {
		return
	}
	a.boxed[k] = true
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		a.box(u.Elem())
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			a.box(u.Field(i).Type())
		}
	case *types.Slice:
		a.box(u.Elem())
	case *types.Array:
		a.box(u.Elem())
	case *types.Map:
		a.box(u.Key())
		a.box(u.Elem())
	case *types.Chan:
		a.box(u.Elem())
	}
	// A named type's value is also reached through a pointer to it (a
	// library taking the address of a field it walks).
	if _, ok := t.(*types.Named); ok {
		a.boxed[mem.KeyOf(types.NewPointer(t))] = true
	}
}

// cbIndex indexes the workspace's declared methods by name.
func (a *analyzer) cbIndex() map[string][]*ssa.Function {
	if a.cbMethods != nil {
		return a.cbMethods
	}
	a.cbMethods = map[string][]*ssa.Function{}
	for _, fn := range a.wsFuncs {
		if fn.Signature.Recv() != nil && fn.Object() != nil && fn.Blocks != nil && fn.Pos().IsValid() {
			a.cbMethods[fn.Name()] = append(a.cbMethods[fn.Name()], fn)
		}
	}
	for _, fns := range a.cbMethods {
		slices.SortFunc(fns, func(x, y *ssa.Function) int { return strings.Compare(x.String(), y.String()) })
	}
	return a.cbMethods
}

// methodsNamed: the declared method name of t's method set (t or *t's
// methods, as the library may take the address of what it walks), with a
// body here.
func (a *analyzer) methodsNamed(t types.Type, name string) []*ssa.Function {
	byName, _ := a.named.At(t).(map[string][]*ssa.Function)
	if byName == nil {
		byName = map[string][]*ssa.Function{}
		a.named.Set(t, byName)
	}
	if fns, ok := byName[name]; ok {
		return fns
	}
	fns := a.methodsNamedOf(t, name)
	byName[name] = fns
	return fns
}

func (a *analyzer) methodsNamedOf(t types.Type, name string) []*ssa.Function {
	var out []*ssa.Function
	for _, tt := range []types.Type{t, types.NewPointer(t)} {
		if _, ok := tt.(*types.Pointer); ok {
			if _, ok := tt.(*types.Pointer).Elem().(*types.Pointer); ok {
				continue
			}
		}
		sel := a.prog.MethodSets.MethodSet(tt).Lookup(nil, name)
		if sel == nil {
			// Unexported names never match a library's interface.
			continue
		}
		f, ok := sel.Obj().(*types.Func)
		if !ok {
			continue
		}
		if fn := a.prog.FuncValue(f); fn != nil && fn.Blocks != nil && !slices.Contains(out, fn) {
			out = append(out, fn)
		}
	}
	return out
}

// recvType is a method's receiver type.
func recvType(fn *ssa.Function) types.Type { return fn.Signature.Recv().Type() }

// holdsInPlace: memory of type outer holds a value of type t in place:
// itself, in its fields, or among its elements (a slice's or a map's
// memory is its elements), not behind pointers nor in an interface (a
// value made into one is a copy, elsewhere). A generic t matches its
// every instance, a type parameter any type.
func holdsInPlace(outer, t types.Type) bool {
	return holdsInPlaceDepth(outer, t, 0)
}

func holdsInPlaceDepth(outer, t types.Type, depth int) bool {
	if _, ok := types.Unalias(outer).(*types.TypeParam); ok || depth > 8 {
		return true // beyond what is told apart: maybe
	}
	if types.Identical(outer, t) || sameGeneric(outer, t) {
		return true
	}
	switch u := outer.Underlying().(type) {
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if holdsInPlaceDepth(u.Field(i).Type(), t, depth+1) {
				return true
			}
		}
	case *types.Array:
		return holdsInPlaceDepth(u.Elem(), t, depth+1)
	case *types.Slice:
		return holdsInPlaceDepth(u.Elem(), t, depth+1)
	case *types.Map:
		return holdsInPlaceDepth(u.Key(), t, depth+1) || holdsInPlaceDepth(u.Elem(), t, depth+1)
	}
	return false
}

// sameGeneric: a and b are instances (or the origin) of one generic type.
func sameGeneric(a, b types.Type) bool {
	na, ok := types.Unalias(a).(*types.Named)
	nb, ok2 := types.Unalias(b).(*types.Named)
	return ok && ok2 && (na.TypeParams().Len() > 0 || na.TypeArgs().Len() > 0) && na.Origin() == nb.Origin()
}

// dynamicValues: the values v may hold, concrete (each made into an
// interface in sight, or v itself if its type is concrete), and the
// sources that are not in sight (open: a parameter, a load, a result).
// The variadic array of fmt.Sprint's arguments is looked into.
func dynamicValues(v ssa.Value) (concrete, open []ssa.Value) {
	seen := map[ssa.Value]bool{}
	var visit func(v ssa.Value)
	visit = func(v ssa.Value) {
		if seen[v] {
			return
		}
		seen[v] = true
		switch x := v.(type) {
		case *ssa.Const:
			if types.IsInterface(x.Type()) {
				return // nil
			}
		case *ssa.MakeInterface:
			concrete = append(concrete, x.X)
			return
		case *ssa.ChangeInterface:
			visit(x.X)
			return
		case *ssa.ChangeType:
			visit(x.X)
			return
		case *ssa.Phi:
			for _, e := range x.Edges {
				visit(e)
			}
			return
		case *ssa.Slice:
			if al, ok := x.X.(*ssa.Alloc); ok && elemIsInterface(x.Type()) {
				if vals, ok := arrayElems(al); ok {
					for _, e := range vals {
						visit(e)
					}
					return
				}
			}
		}
		if types.IsInterface(v.Type()) {
			open = append(open, v)
			return
		}
		if et := interfaceElem(v.Type()); et != nil {
			// A slice, array or map of interfaces from elsewhere.
			open = append(open, openOf(et))
			return
		}
		concrete = append(concrete, v)
	}
	visit(v)
	return concrete, open
}

// openOf stands for an interface value of type t from elsewhere.
func openOf(t types.Type) ssa.Value { return ssa.NewConst(nil, t) }

func elemIsInterface(t types.Type) bool { return interfaceElem(t) != nil }

// interfaceElem: the interface element type of a slice, array or pointer
// to array, if it is one.
func interfaceElem(t types.Type) types.Type {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		if types.IsInterface(u.Elem()) {
			return u.Elem()
		}
	case *types.Array:
		if types.IsInterface(u.Elem()) {
			return u.Elem()
		}
	case *types.Pointer:
		return interfaceElem(u.Elem())
	}
	return nil
}

// arrayElems: the values stored into the elements of a local array (the
// variadic array of a call), if it is used only to store into and slice.
func arrayElems(al *ssa.Alloc) ([]ssa.Value, bool) {
	var vals []ssa.Value
	for _, r := range *al.Referrers() {
		switch x := r.(type) {
		case *ssa.IndexAddr:
			for _, rr := range *x.Referrers() {
				st, ok := rr.(*ssa.Store)
				if !ok || st.Addr != x {
					return nil, false
				}
				vals = append(vals, st.Val)
			}
		case *ssa.Slice, *ssa.DebugRef:
		default:
			return nil, false
		}
	}
	return vals, true
}

// callbackNames spells a call's callback targets for the cache: a kept
// summary is reused only if they are the same.
func callbackNames(ts []callbackTarget) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.fn.String())
		if t.recv == nil {
			b.WriteString("?")
		}
		b.WriteString(",")
	}
	return b.String()
}
