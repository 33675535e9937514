package analysis

import (
	"go/token"
	"go/types"
	"slices"
	"strings"

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
		if !pointerLike(arg.Type()) {
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
				}
			}
			continue
		}
		for _, l := range s.deepOrigins(arg) {
			rec(l, Read, false, pos, s.fn, nil, nil)
			if e == EffectWrite {
				rec(l, Write, false, pos, s.fn, nil, nil)
			}
		}
	}
	if s.sum == nil {
		return
	}
	// What the call keeps is a pointer stored (pollution.go): into the
	// container, or into the new memory it returns.
	switch m.Keeps {
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
				dst := []loc{a.freshLoc(v, pointee(t))}
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
	return t, pointerLike(t)
}

// modelResults is what the idx-th result (of type t) of a modelled call
// may point to. Only the first result is ever new memory of the call's
// own: the others (an error, mostly) are taken to point anywhere their
// arguments reach, as for an unmodelled call.
func (s *fnState) modelResults(m *CallModel, call *ssa.Call, idx int, t types.Type, method bool, args []ssa.Value) []loc {
	var out []loc
	// "first" is the built-in append's rule: the result is the first
	// argument's memory, or new memory as untracked as append(nil, x)'s.
	fresh := (m.Result == "fresh" || m.Result == "first") && idx == 0
	if m.Result == "fresh" && idx == 0 {
		out = append(out, s.a.freshLoc(call, pointee(t)))
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
		if !pointerLike(arg.Type()) {
			continue
		}
		if _, ok := arg.Type().Underlying().(*types.Signature); ok {
			continue
		}
		for _, l := range s.origin(arg) {
			out = append(out, l.deep())
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
func (a *analyzer) modelKeptIn(s *fnState, call ssa.CallInstruction) []loc {
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

// poolPutLast: v, handed back to a sync.Pool by put, is used nowhere after
// the Put. Then the next Get's caller, which the Pool synchronizes with
// this one, is the only one to use it, and it stays this invocation's
// memory. It holds when the Put is deferred (it runs last) or when every
// other use of the object comes before it in its block. A use through a
// copy of the pointer kept elsewhere is an access of that other memory,
// which follows its own rules.
func poolPutLast(put ssa.CallInstruction, v ssa.Value) bool {
	for {
		switch x := v.(type) {
		case *ssa.MakeInterface:
			v = x.X
			continue
		case *ssa.ChangeType:
			v = x.X
			continue
		}
		break
	}
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
func (s *fnState) ownOrigins(v ssa.Value) []loc {
	t := pointee(v.Type())
	var out []loc
	for _, l := range s.origin(v) {
		if l.trunc || !identical(l.memType(), t) {
			out = append(out, l.deep())
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
func (s *fnState) deepOrigins(v ssa.Value) []loc {
	var out []loc
	seen := map[*base]bool{}
	anyDone := false
	var add func(ls []loc)
	add = func(ls []loc) {
		for _, l := range ls {
			out = append(out, l.deep())
			if l.base.kind == bFresh && !seen[l.base] {
				seen[l.base] = true
				x := s.storesInto()
				add(x.local[l.base])
				add(x.byDst[l.base])
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

// storedInto is what the pointers stored into the new object b may refer
// to: stores of this function, and those its callees report.
func (s *fnState) storedInto(b *base) []loc {
	x := s.storesInto()
	out := append(append([]loc(nil), x.local[b]...), x.byDst[b]...)
	if b.kind == bFresh {
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
	local   map[*base][]loc // this function's own store instructions
	byDst   map[*base][]loc // stores reported by its summary, by destination
	anyVals []loc           // reported stores merged past a bound (anyBase)
	scanned int             // how many of the summary's stores are indexed
}

func (s *fnState) storesInto() *storeIndex {
	x := s.stIndex
	if x == nil {
		x = &storeIndex{local: map[*base][]loc{}, byDst: map[*base][]loc{}}
		s.stIndex = x
		into := func(addr ssa.Value, vals []ssa.Value) {
			var bases []*base
			for _, l := range s.origin(addr) {
				if !slices.Contains(bases, l.base) {
					bases = append(bases, l.base)
				}
			}
			for _, b := range bases {
				for _, v := range vals {
					if pointerLike(v.Type()) {
						x.local[b] = append(x.local[b], s.origin(v)...)
					}
				}
			}
		}
		for _, blk := range s.fn.Blocks {
			for _, instr := range blk.Instrs {
				switch in := instr.(type) {
				case *ssa.Store:
					if pointerLike(in.Val.Type()) {
						into(in.Addr, []ssa.Value{in.Val})
					}
				case *ssa.MapUpdate:
					into(in.Map, []ssa.Value{in.Key, in.Value})
				}
			}
		}
	}
	if s.sum != nil {
		for _, st := range s.sum.stores[x.scanned:] {
			x.byDst[st.dst.base] = append(x.byDst[st.dst.base], st.val)
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
// then says that its effect was assumed ("(*lib.T).M").
func (a *analyzer) assumedAt(fn *ssa.Function, pos token.Pos) string {
	if fn == nil || a.models == nil {
		return ""
	}
	byPos, ok := a.models.assumed[fn]
	if !ok {
		byPos = a.assumedCalls(fn)
		if a.models.assumed == nil {
			a.models.assumed = map[*ssa.Function]map[token.Pos]string{}
		}
		a.models.assumed[fn] = byPos
	}
	return byPos[pos]
}

func (a *analyzer) assumedCalls(fn *ssa.Function) map[token.Pos]string {
	var out map[token.Pos]string
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
				if a.models.lookup(k) != nil || k.pkg == "sync/atomic" || synchronized(k.pkg) || k.pkg == "time" && !k.method {
					continue
				}
				if out == nil {
					out = map[token.Pos]string{}
				}
				out[instrPos(call)] = k.String()
				break
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
	deep  bool // it walks values: methods of what they reach are called too
	// walkers: only these functions and methods walk the values they are
	// given (their arguments, not their receiver), as deep says for all.
	walkers []string
	// holds: interfaces ("path.Name") of values the package keeps in what
	// it makes and calls later, at any call into it (a websocket.Conn's
	// network connection and buffer pool): every method of theirs on the
	// workspace's implementers is a callback of every call.
	holds []string
}

var libraryCallbacks = map[string]libraryCallback{
	"fmt":            {names: []string{"String", "Error", "Format", "GoString", "Scan", "Write", "Read"}, deep: true},
	"encoding/json":  {names: []string{"MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText", "Write", "Read"}, deep: true},
	"encoding/xml":   {names: []string{"MarshalXML", "UnmarshalXML", "MarshalXMLAttr", "UnmarshalXMLAttr", "MarshalText", "UnmarshalText", "Write", "Read"}, deep: true},
	"encoding/gob":   {names: []string{"GobEncode", "GobDecode", "MarshalBinary", "UnmarshalBinary", "Write", "Read"}, deep: true},
	"text/template":  {names: []string{"String", "Error", "Write"}, deep: true},
	"html/template":  {names: []string{"String", "Error", "Write"}, deep: true},
	"log":            {names: []string{"String", "Error", "Format", "GoString", "Write"}, deep: true},
	"log/slog":       {names: []string{"String", "Error", "LogValue", "MarshalJSON", "MarshalText", "Write", "Handle", "Enabled"}, deep: true},
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
	LoopPkg:          {},
	// A websocket.Conn is made on the connection Upgrade takes over from
	// the response writer (Hijack) and keeps it and the Upgrader's
	// BufferPool, whose methods any later call may use; WriteJSON and
	// ReadJSON encode and decode with encoding/json, which walks the value.
	websocketPkg: {names: []string{"Hijack", "Header", "Write", "WriteHeader", "Flush", "MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText"},
		walkers: []string{"WriteJSON", "ReadJSON"},
		holds:   []string{"net.Conn", websocketPkg + ".BufferPool"}},
}

const websocketPkg = "github.com/gorilla/websocket"

// callbacksOf is what package pkg may call back: its entry, or for a
// package not listed every name of the table, walking values.
func callbacksOf(pkg string) libraryCallback {
	if cb, ok := libraryCallbacks[pkg]; ok {
		return cb
	}
	return anyCallback
}

var anyCallback = func() libraryCallback {
	cb := libraryCallback{deep: true}
	for _, e := range libraryCallbacks {
		for _, n := range e.names {
			if !slices.Contains(cb.names, n) {
				cb.names = append(cb.names, n)
			}
		}
	}
	slices.Sort(cb.names)
	return cb
}()

// callbackTarget is a method a library call may call back, and the value
// its receiver is (nil: memory of unknown origin of its type).
type callbackTarget struct {
	fn   *ssa.Function
	recv ssa.Value
	// src is the value the method is reached from: recv, or the value
	// that holds it (a published receiver publishes src).
	src ssa.Value
}

// libraryPkgs are the packages of the code without a body that call
// reaches, if any.
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
		if fn.Blocks == nil {
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
			if t.fn != nil && t.fn.Blocks != nil && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
		for _, pkg := range pkgs {
			cb := callbacksOf(pkg)
			if len(cb.walkers) > 0 && a.callsNamed(call, pkg, cb.walkers) {
				// A walker walks its arguments; its receiver is the
				// package's own, whose insides are what holds says.
				walk := cb
				walk.deep = true
				for i, arg := range args {
					if i == 0 && c.Signature().Recv() != nil || i == 0 && c.IsInvoke() {
						a.argCallbacks(cb, arg, add)
						continue
					}
					a.argCallbacks(walk, arg, add)
				}
			} else {
				for _, arg := range args {
					a.argCallbacks(cb, arg, add)
				}
			}
			for _, h := range cb.holds {
				if it := a.heldInterface(call, h); it != nil {
					var names []string
					for i := 0; i < it.NumMethods(); i++ {
						names = append(names, it.Method(i).Name())
					}
					a.openCallbacks(names, it, false, add, nil)
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

// argCallbacks finds the methods cb may call on what arg holds.
func (a *analyzer) argCallbacks(cb libraryCallback, arg ssa.Value, add func(callbackTarget)) {
	if _, ok := arg.Type().Underlying().(*types.Signature); ok {
		return // a function value: callFuncArg's
	}
	names := cb.names
	if it, ok := arg.Type().Underlying().(*types.Interface); ok {
		for i := 0; i < it.NumMethods(); i++ {
			if n := it.Method(i).Name(); !slices.Contains(names, n) {
				names = append(slices.Clip(names), n)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	concrete, open := dynamicValues(arg)
	for _, x := range concrete {
		t := x.Type()
		walked := map[string]bool{}
		var walk func(t types.Type, top bool, depth int)
		// The receiver is x where the method is x's type's, or its
		// element's through x (a pointer's method reached by fmt
		// walking from it).
		self := func(fn *ssa.Function, t types.Type, top bool) bool {
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
				// An interface inside: whatever implements it.
				a.openCallbacks(names, it, cb.deep, add, x)
				return
			}
			for _, n := range names {
				for _, fn := range a.methodsNamed(t, n) {
					var recv ssa.Value
					if self(fn, t, top) {
						recv = x
					}
					add(callbackTarget{fn: fn, recv: recv, src: x})
				}
			}
			if !cb.deep {
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
		a.openCallbacks(names, it, cb.deep || it.Empty(), add, v)
	}
}

// openCallbacks: the workspace's methods named names on every type that
// implements it (and, deep, on every type at all: a value inside one),
// their receivers of unknown origin; of those, only the methods of types
// a value of which may sit in an interface (mayBeBoxed): a value the
// library was handed from elsewhere got there through an interface.
func (a *analyzer) openCallbacks(names []string, it *types.Interface, deep bool, add func(callbackTarget), src ssa.Value) {
	for _, n := range names {
		for _, fn := range a.cbIndex()[n] {
			r := recvType(fn)
			if !a.mayBeBoxed(r) {
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
		a.boxed = map[typeKeyT]bool{}
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
		return a.boxed[typeKey(t)] || a.boxed[typeKey(p.Elem())]
	}
	return a.boxed[typeKey(t)] || a.boxed[typeKey(types.NewPointer(t))]
}

// box marks t, and what values of type t hold or point to, as boxed.
// (Named types are marked before their parts are visited, so recursive
// types end the walk.)
func (a *analyzer) box(t types.Type) {
	k := typeKey(t)
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
		a.boxed[typeKey(types.NewPointer(t))] = true
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
