package analysis

import (
	"cmp"
	"context"
	"go/token"
	"go/types"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/callgraph"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/types/typeutil"
)

// A rawAccess is an access found while summarizing a function, relative to
// that function's parameters and free variables.
type rawAccess struct {
	loc    mem.Loc
	op     Op
	atomic bool
	pos    token.Pos
	fn     *ssa.Function // the function holding the reference
	via    *chain        // from the summarized function down to fn
	locks  []held        // locks held at the access, callers' included
}

// held is a lock held at an access: the mutex's loc and whether it is held
// for writing (Lock) or only for reading (RLock).
type held struct {
	loc   mem.Loc
	write bool
	// same: the access lies in the object holding the mutex, reached
	// through the same pointer (locks.go); ptr: while a function is
	// summarized, that pointer as the Lock call found it.
	same bool
	ptr  ssa.Value
	// wif: held for writing where the summarized function's parameter
	// wif-1 is true, else for reading (modeJoin); 0: write says all.
	wif int
}

func locksKey(hs []held) string {
	if len(hs) == 0 {
		return ""
	}
	keys := make([]string, len(hs))
	for i, h := range hs {
		keys[i] = h.loc.Key
		if h.write {
			keys[i] += "!"
		}
		if h.same {
			keys[i] += "="
		}
		if h.wif > 0 {
			keys[i] += "?" + strconv.Itoa(h.wif)
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// unionLocks adds b to a, a lock held for writing winning over a read lock.
// A loc that names many mutexes may stand for two of them: the one of the
// accessed object (same) keeps its own mode (sameObjectLock).
func unionLocks(a, b []held) []held {
	if len(b) == 0 {
		return a
	}
	out := append([]held(nil), a...)
next:
	for _, h := range b {
		for i, o := range out {
			if o.loc.Key == h.loc.Key {
				if o.same != h.same && !mustAliasLock(o.loc) {
					if h.same {
						out[i] = h
					}
					continue next
				}
				out[i].write = o.write || h.write
				out[i].same = o.same || h.same
				out[i].wif = 0
				if !out[i].write {
					out[i].wif = cmp.Or(o.wif, h.wif) // both hold: either says so
				}
				continue next
			}
		}
		out = append(out, h)
	}
	return out
}

type rawCall struct {
	pos    token.Pos
	caller *ssa.Function
	callee *ssa.Function
}

// chain is a call path, first call first. Paths share their tails: a
// caller's copy of a callee's access prepends one call rather than copying
// the whole path, which in recursive code is long and copied per access.
type chain struct {
	call rawCall
	next *chain
}

// all yields the calls in order.
func (c *chain) all() func(yield func(rawCall) bool) {
	return func(yield func(rawCall) bool) {
		for ; c != nil; c = c.next {
			if !yield(c.call) {
				return
			}
		}
	}
}

// push prepends path to tail.
func push(path []rawCall, tail *chain) *chain {
	for i := len(path) - 1; i >= 0; i-- {
		tail = &chain{call: path[i], next: tail}
	}
	return tail
}

// summary is what a function does to memory that outlives its invocation.
type summary struct {
	accesses []*rawAccess
	returns  [][]mem.Loc // per result: what a returned pointer may point to
	// stores are the pointers it stores (pollution.go).
	stores []*rawStore
	// calls are the calls through which the callee's own accesses of
	// memory named absolutely (globals, shared and unknown memory) are
	// reached rather than copied (reach.go): only accesses relative to
	// the callee's parameters, or under its callers' locks that depend on
	// them, are rewritten into this summary.
	calls []*edge
	// publishes: which parameters it publishes (stores where others may
	// find them, sends, hands to code that may keep them), and past them
	// which of a closure's free variables: a caller's fresh memory passed
	// or captured there is published too (findEscapes).
	publishes []bool
	// publishesHeld: which it publishes what they hold, not themselves
	// (a pointer loaded from one: global = e.Feed), indexed as publishes.
	publishesHeld []bool
	// pubFresh: objects made by it or its callees and published by them
	// (each the loc of the whole object), for callers that find them in
	// their own memory (withShared, applySummary).
	pubFresh     []mem.Loc
	pubFreshSeen map[*mem.Base]bool
	// keptIn: parameters it keeps in memory its other parameters reach.
	keptIn []keptParam
	// opaque: the roots of what it writes where the analysis does not see
	// which pointers (library code, struct copies: freshload.go).
	opaque     []mem.Loc
	opaqueSeen map[string]bool
	// accSeen, callSeen and storeSeen deduplicate accesses, calls and
	// stores as they are added.
	accSeen   map[accKey]struct{}
	callSeen  map[callKey]struct{}
	storeSeen map[[2]string]struct{}
	// storeClasses and storeRel group stores by destination, storesCut
	// says a bound on them was hit (storebound.go).
	storeClasses map[storeClass]*storeGroup
	storeRel     map[string]*storeGroup
	storesCut    bool
	// holdersCut: whether an object of its own is kept in an opaque one
	// was not decided within maxHolders holders (freshload.go).
	holdersCut bool
	// heldCut: a pointer kept in what was kept was followed past
	// maxHeldSteps (freshload.go resolveHeld).
	heldCut bool
	// madeCut: a function value was followed past maxMadeDepth without
	// proving it a closure of this invocation (madehere.go).
	madeCut bool
	// width counts locs per reference and base (widen); widened says what
	// was widened first, for the report of bounds hit; collapse widens
	// every reference to its base (the fallback of a recursive component
	// that did not settle: summarizeSCC).
	width   map[widthKey]*widthGroup
	widened *mem.Loc
	// sites counts the call sites keeping each access (newSite);
	// sitesCut says the bound was hit.
	sites    map[accKey]int
	sitesCut bool
	// handlerSitesCut: as a handler, it reached one function from more
	// than maxHandlerSites of its calls (reachSites).
	handlerSitesCut bool
	// handlerNarrowed: as a handler, it reached more than
	// maxHandlerAccesses, and then each function from one site only.
	handlerNarrowed bool
	// handlerLockSetsCut: as a handler, it entered a function under more
	// than maxLockSets sets of locks, and the rest under none.
	handlerLockSetsCut bool
	// refs counts the places keeping each access (newRef); refsCut says
	// the bound was hit.
	refs     map[accKey]map[refPlace]bool
	refsCut  bool
	collapse bool
	// applied: in a recursive component, how much of each callee's
	// summary has been applied at each call site (delta.go); nil
	// elsewhere.
	applied map[appliedKey]appliedAt
	// detached: what the function does through its parameters is
	// recorded as done to any memory of their types (detach.go).
	detached bool
	// memo: the run's answers about type objects, and its one copy of
	// each loc kept (memo.go), while a walk adds to it; nil else.
	memo *memo
	// setupOnly: no handler reaches the function, only main and the
	// initializers do (summarizeAll): its accesses are never paired, so
	// it keeps none; its stores, calls and what it publishes are what
	// setup is read for (pollution.go).
	setupOnly bool
}

// built drops what s keeps only while it is built: the indexes that
// deduplicate what is added and the counts of its bounds (what they cut
// stays said in its flags), once its component is done (summarizeSCC).
// Kept through the conflicts phase, they took nats-server's peak memory
// from 9.6 to 12.9 GB.
func (s *summary) built() {
	s.accSeen, s.callSeen, s.storeSeen = nil, nil, nil
	s.storeClasses, s.storeRel = nil, nil
	s.width, s.sites, s.refs, s.applied = nil, nil, nil, nil
}

// maxWidth bounds how many locs of one base one reference may touch in a
// summary before they are widened into their common prefix. Recursion over
// data with several child fields (a tree of node kinds) otherwise yields a
// loc per combination of fields walked; the bound on path length keeps that
// finite but still exponential in it.
const maxWidth = 8

// widen returns the loc to record for l in the group g (one reference: its
// op, position, function, call site and locks). Past maxWidth distinct
// locs of l's base in g, it returns the longest prefix l shares with what
// the group was already widened to, truncated: a truncated loc overlaps
// everything below it, so the wider loc stands for every loc it replaces.
// The widened prefix only shortens, so a group holds at most maxWidth plus
// the path length locs.
func (s *summary) widen(l mem.Loc, g refKey) mem.Loc {
	if len(l.Path) == 0 {
		return l
	}
	gk := widthKey{g, l.Base.Key}
	if s.width == nil {
		s.width = map[widthKey]*widthGroup{}
	}
	w := s.width[gk]
	if w == nil {
		w = &widthGroup{}
		s.width[gk] = w
	}
	if w.wide != nil {
		if p := commonPrefix(*w.wide, l); len(p.Path) < len(w.wide.Path) || s.collapse && len(w.wide.Path) > 0 {
			if s.collapse {
				p = mem.Loc{Base: l.Base, Key: l.Base.Key}.Deep()
			}
			w.wide = &p
		}
		return *w.wide
	}
	// (Counted by the group's own record of locs: an access the summary
	// then drops, past another bound, must not count again each pass.)
	if dup := slices.Contains(w.seen, l.Key); !s.collapse && (w.n < maxWidth || dup) {
		if !dup {
			w.seen = append(w.seen, l.Key)
			w.n++
			w.first = l
		}
		return l
	}
	p := commonPrefix(w.first, l)
	if s.collapse {
		p = mem.Loc{Base: l.Base, Key: l.Base.Key}.Deep()
	}
	w.wide = &p
	if s.widened == nil {
		s.widened = &p
	}
	return p
}

// refKey is one reference in a summary: what it does where, in which
// function, reached through which call site of the summarized function,
// under which locks. Accesses are deduplicated by it and their loc.
type refKey struct {
	op     Op
	atomic bool
	pos    token.Pos
	at     *ssa.Function
	locks  string
	site   token.Pos
}

type accKey struct {
	loc string
	ref refKey
}

type widthKey struct {
	ref  refKey
	base string
}

// maxSites bounds the call sites of one function through which one access
// is kept. The copies differ only in where a finding is placed (each call
// site is a place where the user may defer the call); the conflict is the
// same. A function that calls a parser's helpers hundreds of times would
// otherwise keep each helper's accesses once per call.
const maxSites = 4

// newSite: the access of l at g may be kept for g's call site, fewer than
// maxSites sites keeping it so far. Past the bound the summary says so.
func (s *summary) newSite(l mem.Loc, g refKey) bool {
	k := accKey{loc: l.Key, ref: g}
	k.ref.site = token.NoPos
	if s.sites == nil {
		s.sites = map[accKey]int{}
	}
	if s.sites[k] >= maxSites {
		s.sitesCut = true
		return false
	}
	s.sites[k]++
	return true
}

// maxRefs bounds the places (line and function) below a function at which
// one access (its loc, op and locks) is kept. In a large recursive
// component every function reaches every other's accesses, and the same
// field of a parameter is written at thousands of lines: each line is a
// finding's place, but the conflict, and the table, are the same for all.
const maxRefs = 16

// newRef: the access of l at g's place may be kept, fewer than maxRefs
// places keeping the same access so far. Past the bound the summary says
// so.
func (s *summary) newRef(l mem.Loc, g refKey) bool {
	k := accKey{loc: l.Key, ref: refKey{op: g.op, atomic: g.atomic, locks: g.locks}}
	if s.refs == nil {
		s.refs = map[accKey]map[refPlace]bool{}
	}
	places := s.refs[k]
	p := refPlace{g.pos, g.at}
	if places[p] {
		return true
	}
	if len(places) >= maxRefs {
		s.refsCut = true
		return false
	}
	if places == nil {
		places = map[refPlace]bool{}
		s.refs[k] = places
	}
	places[p] = true
	return true
}

type refPlace struct {
	pos token.Pos
	at  *ssa.Function
}

// widthGroup counts the locs of one base one reference touches (widen).
// seen holds their keys: at most maxWidth, so a list, not a map; a
// recursive component's summaries keep millions of groups while it
// settles, most with one loc, and a map each held 0.5 GB of nats-server's
// heap.
type widthGroup struct {
	seen  []string
	n     int
	first mem.Loc
	wide  *mem.Loc
}

// commonPrefix is the longest path a and b (of one base) share, truncated.
func commonPrefix(a, b mem.Loc) mem.Loc {
	n := 0
	for n < len(a.Path) && n < len(b.Path) && mem.SameElem(a.Path[n], b.Path[n]) {
		n++
	}
	p := mem.Loc{Base: a.Base, Path: a.Path[:n:n], Trunc: true}
	p.Key = p.ComputeKey()
	return p
}

func (s *summary) size() int {
	n := len(s.accesses) + len(s.stores) + len(s.calls)
	for _, ps := range [2][]bool{s.publishes, s.publishesHeld} {
		for _, p := range ps {
			if p {
				n++
			}
		}
	}
	// opaque too: a caller makes its own objects opaque by it, so a
	// component whose callee's opaque roots alone grew is not settled.
	n += len(s.keptIn) + len(s.pubFresh) + len(s.opaque)
	for _, r := range s.returns {
		n += len(r)
	}
	return n
}

// analyzer holds the whole-program state of one Run.
type analyzer struct {
	prog     *ssa.Program
	fset     *token.FileSet
	cg       *callgraph.Graph
	sites    map[ssa.CallInstruction][]*ssa.Function // dynamic call targets
	sums     map[*ssa.Function]*summary
	closures map[*ssa.Function][]*ssa.MakeClosure // where each closure is made
	bounds   []Problem                            // recursive components forced to settle
	roots    *mem.Roots                           // every loc's root, one per key
	states   map[*ssa.Function]*fnState
	cells    map[*ssa.Alloc]cell // captured variables (cellValues)
	// library: closures and functions handed to code without a body
	// here, which may call them where no call here shows (calls.Resolve);
	// madeCovered: closures some call covers as made by this very
	// invocation (madehere.go). Their makers apply them.
	library, madeCovered map[*ssa.Function]bool
	// freshStores: stores final summaries made into objects they name
	// absolutely (freshload.go).
	freshStores freshIndex
	opaqueFresh map[*mem.Base]bool
	// setupPhase: summarizeAll has met every function a handler reaches;
	// those it meets now only setup code reaches (summary.setupOnly).
	setupPhase bool
	// callbacks: which parameters only receive closures their callers
	// make and hand down (callback.go).
	callbacks map[paramKey]bool
	models    *models // calls into code without a body (models.go)
	// invocationTypes: the spec's, for perInvocation (invocation.go).
	invocationTypes []TypeRef
	// noList: Config.NoConflictList.
	noList bool

	// Reuse of summaries across runs (cache.go); all nil without a Cache.
	prev      *generation                // what the previous run left
	next      *generation                // what this run leaves
	pkgKeys   map[*types.Package]string  // content and dependencies' API
	allFuncs  map[*ssa.Function]bool     // for names
	names     map[string]*ssa.Function   // built on first use
	reads     *readLog                   // of the summary being computed
	lastReads map[*ssa.Function]*readLog // of each function's latest summary
	progress  *progress
	// ctx is the run's; polls counts the walk steps (stopped), and
	// halted says ctx was found done.
	ctx        context.Context
	polls      int
	halted     bool
	fps        map[*summary]fp
	stable     map[string]string // stableLoc by loc key
	posNames   map[token.Pos]string
	fnNames    map[*ssa.Function]string
	seeds      [2]maphash.Seed
	ctxSeed    *[2]maphash.Seed // of contexts' keys (delta.go)
	tr         *translator
	reused     int
	summarized []string
	owners     *owners // which memory a context owns (owner.go)
	// concrete: the program's concrete types, and impls: those that
	// implement each interface asked about (pollution.implementers).
	concrete []types.Type
	impls    map[*types.Interface][]types.Type
	// workspace: the workspace's packages.
	workspace map[*types.Package]bool
	// unsafeTargets: struct types made from an unsafe.Pointer somewhere,
	// which fitsParam never filters (typefilter.go).
	unsafeTargets map[mem.TypeKey]bool
	memo          memo // keyOf's answers, and the summaries' (memo.go)
	// releasing: the functions that may unlock a mutex their caller
	// holds (locks.go); nil until first asked.
	releasing map[*ssa.Function]bool
	// wsFuncs: the workspace's functions with bodies; cbMethods their
	// methods by name and cbTargets the methods each library call may
	// call back (library.go).
	wsFuncs []*ssa.Function
	// bodies: every function of the program with a body; boxed: the
	// types whose values may sit in an interface (library.go).
	bodies    []*ssa.Function
	boxed     map[mem.TypeKey]bool
	cbMethods map[string][]*ssa.Function
	cbTargets map[ssa.CallInstruction][]callbackTarget
	// named: methodsNamed's answers, by type then name (the method sets
	// of unnamed types are not cached by the program's MethodSets).
	named typeutil.Map
	// links: the packages each main package links (programs.go).
	links map[*types.Package]map[*types.Package]bool
	// cbSigs: the signatures library code calls each name by, and
	// cbCallable which methods it may call by their name (callsig.go).
	cbSigs     map[string][]*types.Signature
	cbCallable map[callableKey]bool
	// walkers: each package the go command listed, and whether it may
	// walk the values it is given (reflective, library.go).
	walkers map[string]bool
	// pub: names and call chains of published accesses, made once each
	// (publish.go).
	pub publisher
	// ctxSpelling: the buffer a call's context is spelled in before it
	// is digested (delta.go), reused from call to call.
	ctxSpelling []byte
}

func shortQual(p *types.Package) string { return p.Name() }

func itoa(i int) string { return strconv.Itoa(i) }

// fnState caches, for one function, what each SSA value points to.
type fnState struct {
	a       *analyzer
	fn      *ssa.Function
	sum     *summary // being computed, while summarize runs
	origins map[ssa.Value][]mem.Loc
	loads   map[ssa.Value][]mem.Loc
	escaped map[*mem.Base]bool
	// published: those of escaped kept beyond memory its callers decide
	// for (withShared).
	published map[*mem.Base]bool
	// goShared: allocations handed to goroutines this function starts,
	// which neither publish them nor are they published otherwise: shared
	// by an invocation and its goroutines only (findEscapes).
	goShared map[*mem.Base]bool
	escKey   string // escaped, published and goShared, spelled (delta.go)
	stIndex  *storeIndex
	cur      []held // while summarizing: the locks held at the instruction visited
	// opaque: this invocation's objects written where the analysis does
	// not see which pointers (freshload.go).
	opaque map[*mem.Base]bool
	// copies: appends of pointers between its own arrays (freshload.go).
	copies []elemCopy
}

func (a *analyzer) state(fn *ssa.Function) *fnState {
	if s, ok := a.states[fn]; ok {
		return s
	}
	return a.newState(fn)
}

// newState starts fn's value cache afresh: inside a recursive cycle the
// callee summaries it depends on grow between iterations.
func (a *analyzer) newState(fn *ssa.Function) *fnState {
	s := &fnState{a: a, fn: fn, origins: map[ssa.Value][]mem.Loc{}, loads: map[ssa.Value][]mem.Loc{}}
	a.states[fn] = s
	return s
}

// origin returns the memory a pointer-like value refers to: for a pointer
// its pointee, for a slice its backing array, for a map its entries.
func (s *fnState) origin(v ssa.Value) []mem.Loc {
	if r, ok := s.origins[v]; ok {
		return r
	}
	s.origins[v] = nil // breaks cycles through φ-nodes
	r := dedupe(s.origin0(v))
	s.origins[v] = r
	return r
}

func (s *fnState) origin0(v ssa.Value) []mem.Loc {
	a := s.a
	switch v := v.(type) {
	case *ssa.Global:
		if cgoInternal(v.Name()) {
			return nil // cgo's own machinery, not the program's state
		}
		return []mem.Loc{a.roots.Global(v)}
	case *ssa.Alloc:
		return []mem.Loc{a.roots.Fresh(v, mem.Pointee(v.Type()))}
	case *ssa.MakeSlice, *ssa.MakeMap, *ssa.MakeChan:
		return []mem.Loc{a.roots.Fresh(v, v.Type())}
	case *ssa.FieldAddr:
		st, ok := mem.Pointee(v.X.Type()).Underlying().(*types.Struct)
		if !ok {
			return nil
		}
		f, parent := st.Field(v.Field), mem.Pointee(v.X.Type())
		return mapLocs(s.origin(v.X), func(l mem.Loc) mem.Loc { return l.Field(f, parent) })
	case *ssa.IndexAddr:
		et := mem.Pointee(v.Type())
		return mapLocs(s.origin(v.X), func(l mem.Loc) mem.Loc { return l.Index(et) })
	case *ssa.Parameter:
		for i, p := range s.fn.Params {
			if p == v {
				return []mem.Loc{a.roots.Param(i, mem.Pointee(v.Type()), false)}
			}
		}
	case *ssa.FreeVar:
		for i, p := range s.fn.FreeVars {
			if p == v {
				return []mem.Loc{a.roots.Param(i, mem.Pointee(v.Type()), true)}
			}
		}
	case *ssa.Phi:
		var out []mem.Loc
		for _, e := range v.Edges {
			out = append(out, s.origin(e)...)
		}
		return out
	case *ssa.Slice:
		if _, ok := v.X.Type().Underlying().(*types.Basic); ok {
			return nil // a string
		}
		return s.origin(v.X)
	case *ssa.MakeInterface:
		return s.origin(v.X)
	case *ssa.ChangeType:
		return s.origin(v.X)
	case *ssa.Convert:
		return s.origin(v.X)
	case *ssa.MultiConvert:
		return s.origin(v.X)
	case *ssa.ChangeInterface:
		return s.origin(v.X)
	case *ssa.TypeAssert:
		return s.origin(v.X)
	case *ssa.SliceToArrayPointer:
		return s.origin(v.X)
	case *ssa.Extract:
		switch t := v.Tuple.(type) {
		case *ssa.Call:
			return s.callResults(t, v.Index)
		case *ssa.TypeAssert:
			if v.Index == 0 {
				return s.origin(t.X)
			}
			return nil
		case *ssa.Lookup, *ssa.UnOp, *ssa.Next:
			if v.Index == 0 || (isNext(t) && v.Index > 0) {
				return s.derefLoaded(v.Tuple, v.Type())
			}
			return nil
		}
	case *ssa.Call:
		if b, ok := v.Call.Value.(*ssa.Builtin); ok && b.Name() == "append" && len(v.Call.Args) > 0 {
			// The result may use the first argument's backing array, or
			// a new one, the invocation's own, which holds what the
			// first held and what was appended (storesInto): published
			// only with it (findEscapes).
			return append(s.origin(v.Call.Args[0]), a.roots.Fresh(v, v.Type()))
		}
		return s.callResults(v, 0)
	case *ssa.UnOp, *ssa.Field, *ssa.Index, *ssa.Lookup:
		if u, ok := v.(*ssa.UnOp); ok && u.Op == token.MUL {
			if al, ok := u.X.(*ssa.Alloc); ok {
				if vals, ok := a.cellValues(al); ok {
					// A variable a closure captured: what was assigned
					// to it, not "anything kept in fresh memory".
					var out []mem.Loc
					for _, x := range vals {
						out = append(out, s.origin(x)...)
					}
					return out
				}
			}
		}
		if !mem.PointerLike(v.Type()) {
			return nil
		}
		return s.derefLoaded(v, v.Type())
	case *ssa.MakeClosure:
		// A closure points to what it captured: whoever holds it may
		// call it and reach that memory, so it is published with the
		// closure (sent, stored, returned and then sent).
		var out []mem.Loc
		for _, b := range v.Bindings {
			out = append(out, s.origin(b)...)
			if al, ok := b.(*ssa.Alloc); ok {
				// A captured variable's loads are what was assigned
				// to it (cellValues), not a pointer kept in it: that
				// memory is reached through the closure as well.
				if vals, ok := a.cellValues(al); ok {
					for _, x := range vals {
						out = append(out, s.origin(x)...)
					}
				}
			}
		}
		return out
	case *ssa.Const, *ssa.Function, *ssa.Builtin, *ssa.BinOp:
		return nil
	}
	if mem.PointerLike(v.Type()) {
		return []mem.Loc{a.roots.Unknown(mem.Pointee(v.Type()))}
	}
	return nil
}

func isPackageInit(fn *ssa.Function) bool {
	return fn.Name() == "init" && fn.Synthetic == "package initializer"
}

// cgoInternal: cgo reserves these prefixes for what it generates (function
// pointers handed to the runtime).
func cgoInternal(name string) bool {
	return strings.HasPrefix(name, "_cgo_") || strings.HasPrefix(name, "_Cgo_") || strings.HasPrefix(name, "__cgofn_")
}

func isNext(v ssa.Value) bool { _, ok := v.(*ssa.Next); return ok }

// derefLoaded: v was loaded from memory; the memory it refers to is the
// dereference of where it was loaded from.
func (s *fnState) derefLoaded(v ssa.Value, t types.Type) []mem.Loc {
	return mapLocs(s.loadedFrom(v), func(l mem.Loc) mem.Loc { return l.Deref(t) })
}

// loadedFrom returns the memory a value was read from, if it was.
func (s *fnState) loadedFrom(v ssa.Value) []mem.Loc {
	if r, ok := s.loads[v]; ok {
		return r
	}
	s.loads[v] = nil
	var r []mem.Loc
	switch v := v.(type) {
	case *ssa.UnOp:
		switch v.Op {
		case token.MUL:
			r = s.origin(v.X)
		case token.ARROW:
			// A value received is read from the channel's slot, where
			// every send stored it (sumWalk's Send).
			r = chanSlots(s.origin(v.X), v.X.Type())
		}
	case *ssa.Field:
		if st, ok := v.X.Type().Underlying().(*types.Struct); ok {
			f := st.Field(v.Field)
			r = mapLocs(s.loadedFrom(v.X), func(l mem.Loc) mem.Loc { return l.Field(f, v.X.Type()) })
		}
	case *ssa.Index:
		if _, ok := v.X.Type().Underlying().(*types.Array); ok {
			r = mapLocs(s.loadedFrom(v.X), func(l mem.Loc) mem.Loc { return l.Index(v.Type()) })
		}
	case *ssa.Lookup:
		if m, ok := v.X.Type().Underlying().(*types.Map); ok {
			r = mapLocs(s.origin(v.X), func(l mem.Loc) mem.Loc { return l.Index(m.Elem()) })
		}
	case *ssa.Next:
		if m, ok := v.Iter.(*ssa.Range); ok {
			if mt, ok := m.X.Type().Underlying().(*types.Map); ok {
				r = mapLocs(s.origin(m.X), func(l mem.Loc) mem.Loc { return l.Index(mt.Elem()) })
			}
		}
	case *ssa.Phi:
		for _, e := range v.Edges {
			r = append(r, s.loadedFrom(e)...)
		}
	case *ssa.Call, *ssa.TypeAssert, *ssa.Extract:
		// An array or struct value a call returns (or an interface
		// held, or one of a call's results): summaries keep what
		// returned pointers point to, not what returned values hold, so
		// it is read from memory of its type. (With nothing, a pointer
		// taken out of it, get().f, pointed nowhere: its accesses were
		// lost.)
		if aggregate(v.Type()) {
			r = []mem.Loc{s.a.roots.Unknown(v.Type())}
		}
	}
	r = dedupe(r)
	s.loads[v] = r
	return r
}

// aggregate: t is an array or struct type, whose values hold what their
// elements or fields do.
func aggregate(t types.Type) bool {
	switch t.Underlying().(type) {
	case *types.Struct, *types.Array:
		return true
	}
	return false
}

// chanSlots is where the channels of chans keep what is sent on them:
// one slot per channel, as a slice's elements are one.
func chanSlots(chans []mem.Loc, t types.Type) []mem.Loc {
	ch, ok := t.Underlying().(*types.Chan)
	if !ok {
		return nil
	}
	return mapLocs(chans, func(l mem.Loc) mem.Loc { return l.Index(ch.Elem()) })
}

func mapLocs(in []mem.Loc, f func(mem.Loc) mem.Loc) []mem.Loc {
	if len(in) == 0 {
		return nil
	}
	out := make([]mem.Loc, 0, len(in))
	for _, l := range in {
		out = append(out, f(l))
	}
	return out
}

func dedupe(in []mem.Loc) []mem.Loc {
	if len(in) < 2 {
		return in
	}
	seen := make(map[string]bool, len(in))
	out := in[:0:0]
	for _, l := range in {
		if !seen[l.Key] {
			seen[l.Key] = true
			out = append(out, l)
		}
	}
	return out
}

// callResults: what the idx-th result of a call may point to.
func (s *fnState) callResults(call *ssa.Call, idx int) []mem.Loc {
	var t types.Type
	if tup, ok := call.Type().(*types.Tuple); ok {
		if idx >= tup.Len() {
			return nil
		}
		t = tup.At(idx).Type()
	} else {
		t = call.Type()
	}
	if !mem.PointerLike(t) {
		return nil
	}
	var out []mem.Loc
	targets, args, binds := s.a.targets(s, call)
	if len(targets) == 0 && call.Call.IsInvoke() {
		// No implementation is known here (an evio.Conn's Context):
		// the method is unknown code of its package, as call0 takes it.
		return s.libraryResults(call, idx, t, invokeKey(&call.Call), methodPkg(&call.Call), true, args)
	}
	for i, callee := range targets {
		if callee.Blocks == nil {
			out = append(out, s.libraryResults(call, idx, t, keyOf(callee), calleePkg(callee), callee.Signature.Recv() != nil, args)...)
			continue
		}
		sum := s.a.sumOf(callee)
		if sum == nil || idx >= len(sum.returns) {
			out = append(out, s.a.roots.Unknown(mem.Pointee(t)))
			continue
		}
		for _, l := range sum.returns[idx] {
			out = append(out, s.subst(l, callee, args, binds[i])...)
		}
	}
	return out
}

// libraryResults is what the idx-th result (of type t) of a call into
// code without a body here may point to: an error is new memory (save
// for the errors it is given), a model says, and unknown code returns
// memory it made, or memory reachable from what it was given
// (strconv.AppendInt, bytes.Buffer.Bytes). Formatting and parsing keep
// nothing: what they return can only be what they were given to append
// to.
func (s *fnState) libraryResults(call *ssa.Call, idx int, t types.Type, k calleeKey, pkg string, method bool, args []ssa.Value) []mem.Loc {
	if isErrorType(t) {
		return s.errorResult(call, idx, t, args)
	}
	if m := s.a.models.lookup(k); m != nil {
		return s.modelResults(m, call, idx, t, method, args)
	}
	var out []mem.Loc
	readOnly := readOnlyPkgs[pkg]
	for _, arg := range args {
		if readOnly && !types.Identical(arg.Type(), t) {
			continue
		}
		if mem.PointerLike(arg.Type()) {
			for _, l := range s.origin(arg) {
				out = append(out, l.Deep())
			}
		}
	}
	return out
}

// errorResult: an error a library call returns is new memory of the
// call's own (an error value is not modified once made), not memory its
// receiver or arguments reach, save for the errors it is given, which it
// may wrap (fmt.Errorf's %w, errors.Join).
func (s *fnState) errorResult(call *ssa.Call, idx int, t types.Type, args []ssa.Value) []mem.Loc {
	a := s.a
	out := []mem.Loc{a.roots.FreshResult(call, idx, mem.Pointee(t))}
	for _, arg := range args {
		if isErrorType(arg.Type()) {
			for _, l := range s.origin(arg) {
				out = append(out, l.Deep())
			}
		}
	}
	return out
}

// isErrorType: t is the error interface.
func isErrorType(t types.Type) bool {
	return types.Identical(t, types.Universe.Lookup("error").Type())
}

// subst rewrites a callee-relative loc in terms of the caller's values.
func (s *fnState) subst(l mem.Loc, callee *ssa.Function, args []ssa.Value, binds []ssa.Value) []mem.Loc {
	var roots []mem.Loc
	switch l.Base.Kind {
	case mem.Param:
		if l.Base.Idx < len(args) && args[l.Base.Idx] != nil && !isCovered(args, l.Base.Idx) {
			roots = s.origin(args[l.Base.Idx])
		} else {
			roots = []mem.Loc{s.a.roots.Unknown(l.Base.Type)}
		}
	case mem.Free:
		if binds != nil && l.Base.Idx < len(binds) && !isCovered(binds, l.Base.Idx) {
			roots = s.origin(binds[l.Base.Idx])
		} else {
			roots = s.a.creatorBindings(callee, l.Base.Idx, l.Base.Type)
		}
	default:
		return []mem.Loc{l}
	}
	out := make([]mem.Loc, 0, len(roots))
	for _, r := range roots {
		if l.Base.Kind == mem.Param {
			r = s.a.unknownAs(r, l)
		}
		if l.Base.Kind == mem.Param && !s.a.fitsParam(r, callee, l.Base.Idx) {
			continue // memory of another type: not what the callee is given
		}
		if al, ok := r.Base.Site.(*ssa.Alloc); ok && r.Base.Kind == mem.Fresh && len(r.Path) == 0 && len(l.Path) > 0 && l.Path[0].Kind == mem.Deref {
			if vals, ok := s.a.cellValues(al); ok {
				// The callee reads a captured variable: what was
				// assigned to it.
				cs := s.a.state(al.Parent())
				for _, x := range vals {
					for _, o := range cs.origin(x) {
						out = append(out, o.Extend(l.Path[1:], l.Trunc))
					}
				}
				continue
			}
		}
		out = append(out, r.Extend(l.Path, l.Trunc))
	}
	return out
}

// unknownAs is r, bound to l's parameter, where r is an interface value of
// unknown origin (one a library calls back on, or that reached a helper
// through such a call) and l uses it as a concrete type, as a receiver or
// through a field of its dynamic value: unknown memory of that type (see
// mem.Roots.UnknownPath).
func (a *analyzer) unknownAs(r, l mem.Loc) mem.Loc {
	if r.Base.Kind != mem.Unknown || r.Trunc || !types.IsInterface(r.MemType()) {
		return r
	}
	if t := mem.ValueType(l.Base.Type, l.Path); !types.IsInterface(t) {
		return a.roots.Unknown(t)
	}
	return r
}

// cellValues returns, for a variable that lives in a cell of its own (a
// closure captured it), the values assigned to it, provided that only its
// own function assigns it and every closure only reads it; ok is false
// otherwise (then it is memory like any other).
func (a *analyzer) cellValues(al *ssa.Alloc) (vals []ssa.Value, ok bool) {
	if c, done := a.cells[al]; done {
		return c.vals, c.ok
	}
	defer func() { a.cells[al] = cell{vals, ok} }()
	if !mem.PointerLike(mem.Pointee(al.Type())) {
		return nil, false
	}
	refs := al.Referrers()
	if refs == nil {
		return nil, false
	}
	for _, r := range *refs {
		switch r := r.(type) {
		case *ssa.Store:
			if r.Addr != al {
				return nil, false
			}
			vals = append(vals, r.Val)
		case *ssa.UnOp:
			if r.Op != token.MUL {
				return nil, false
			}
		case *ssa.DebugRef:
		case *ssa.MakeClosure:
			for i, b := range r.Bindings {
				if b == al && !onlyRead(r.Fn.(*ssa.Function).FreeVars[i], 0) {
					return nil, false
				}
			}
		default:
			return nil, false
		}
	}
	return vals, true
}

type cell struct {
	vals []ssa.Value
	ok   bool
}

// onlyRead: a closure's free variable (a captured cell) is only loaded,
// there and in the closures it makes in turn.
func onlyRead(fv *ssa.FreeVar, depth int) bool {
	refs := fv.Referrers()
	if refs == nil || depth > 8 {
		return false
	}
	for _, r := range *refs {
		switch r := r.(type) {
		case *ssa.UnOp:
			if r.Op != token.MUL {
				return false
			}
		case *ssa.DebugRef:
		case *ssa.MakeClosure:
			for i, b := range r.Bindings {
				if b == fv && !onlyRead(r.Fn.(*ssa.Function).FreeVars[i], depth+1) {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// creatorBindings resolves a closure's free variable where the call site
// does not know the closure: from the places the closure is made. A local of
// the making function is shared by every call of the closure.
func (a *analyzer) creatorBindings(fn *ssa.Function, idx int, t types.Type) []mem.Loc {
	out := a.makerBindings(fn, idx)
	if a.reads != nil {
		a.reads.closures = append(a.reads.closures, closureRead{fn: fn, idx: idx, result: a.stableLocs(out)})
	}
	if len(out) == 0 {
		out = append(out, a.roots.Unknown(t))
	}
	return out
}

// makerBindings is what the idx-th free variable of closure fn is bound to
// where fn is made.
func (a *analyzer) makerBindings(fn *ssa.Function, idx int) []mem.Loc {
	var out []mem.Loc
	for _, mc := range a.closures[fn] {
		if idx >= len(mc.Bindings) {
			continue
		}
		cs := a.state(mc.Parent())
		for _, l := range cs.origin(mc.Bindings[idx]) {
			switch l.Base.Kind {
			case mem.Fresh:
				out = append(out, a.roots.Shared(l.Base.Site, l.Base.Type).Extend(l.Path, l.Trunc))
			case mem.Param, mem.Free:
				out = append(out, a.roots.Unknown(l.Base.Type))
			default:
				out = append(out, l)
			}
		}
	}
	return dedupe(out)
}

// targets resolves a call: the functions it may call, the argument list
// aligned with each callee's parameters, and the closure bindings when the
// call is of a closure made right there.
func (a *analyzer) targets(s *fnState, call ssa.CallInstruction) ([]*ssa.Function, []ssa.Value, [][]ssa.Value) {
	c := call.Common()
	var fns []*ssa.Function
	var binds [][]ssa.Value
	args := c.Args
	switch {
	case c.IsInvoke():
		args = append([]ssa.Value{c.Value}, c.Args...)
		fns = a.sitesOf(call)
	case c.StaticCallee() != nil:
		fns = []*ssa.Function{c.StaticCallee()}
		if mc, ok := c.Value.(*ssa.MakeClosure); ok {
			binds = [][]ssa.Value{mc.Bindings}
		}
	default:
		if _, ok := c.Value.(*ssa.Builtin); ok {
			return nil, nil, nil
		}
		fns = a.sitesOf(call)
	}
	if binds == nil {
		binds = make([][]ssa.Value, len(fns))
	}
	return fns, args, binds
}

// summarize computes fn's summary from scratch, using the current summaries
// of its callees (partial ones inside a recursive cycle).
func (a *analyzer) summarize(fn *ssa.Function) *summary {
	return a.summarizeInto(fn, &summary{})
}

// summarizeInto adds what fn does to sum, which holds what an earlier pass
// over fn found: in a recursive component summaries are joined pass after
// pass, never rebuilt, so that they only grow (widening included) and the
// iteration ends.
func (a *analyzer) summarizeInto(fn *ssa.Function, sum *summary) *summary {
	if a.next != nil {
		log := &readLog{}
		a.reads = log
		a.lastReads[fn] = log
		defer func() { a.reads = nil }()
	}
	s := a.newState(fn)
	if sum.accSeen == nil {
		sum.accSeen = map[accKey]struct{}{}
	}
	s.sum, sum.memo = sum, &a.memo
	defer func() { s.sum, sum.memo = nil, nil }()
	if n := fn.Signature.Results().Len(); n > 0 && len(sum.returns) != n {
		sum.returns = make([][]mem.Loc, fn.Signature.Results().Len())
	}
	s.escaped = s.findEscapes()
	inLocks := s.lockStates()
	if a.setupPhase {
		sum.setupOnly = true
	}
	w := &sumWalk{a: a, s: s, fn: fn, sum: sum, inLocks: inLocks}
	w.rec = w.record
	w.inits = initStores(fn) // no other invocation sees them
	for _, b := range fn.Blocks {
		s.cur = inLocks[b]
		for _, instr := range b.Instrs {
			w.instr(instr)
		}
	}
	w.placeFreshLoads()
	return sum
}

// sumWalk is summarizeInto's state while it walks one function's
// instructions into its summary sum.
type sumWalk struct {
	a       *analyzer
	s       *fnState
	fn      *ssa.Function
	sum     *summary
	rec     recorder // record, made once and handed to every call
	inLocks map[*ssa.BasicBlock][]held
	inits   map[*ssa.Store]bool
	// pending: accesses through pointers kept in this invocation's own
	// memory, placed once the walk has seen every store (freshload.go).
	pending []pendingAccess
}

// record adds one access to the summary, named as others may reach it,
// unless it is of this invocation's own memory, is there already, or
// passes the bounds on call sites and places (newSite, newRef).
func (w *sumWalk) record(l mem.Loc, op Op, atomic bool, pos token.Pos, at *ssa.Function, via *chain, locks []held) {
	sum := w.sum
	if sum.setupOnly {
		return
	}
	locks = withoutPtrs(guardingLocks(unionLocks(w.s.cur, locks)))
	if sum.detached {
		l, locks = w.a.detach(l), edgeLocks(locks)
	}
	if l.Base.Kind == mem.Fresh && w.pendFreshLoad(pendingAccess{l, op, atomic, pos, at, via, locks}) {
		return // named once every store into it is known (freshload.go)
	}
	w.place(l, op, atomic, pos, at, via, locks)
}

// place adds one access, whose locks are final, to the summary.
func (w *sumWalk) place(l mem.Loc, op Op, atomic bool, pos token.Pos, at *ssa.Function, via *chain, locks []held) {
	sum := w.sum
	if l.Base.Kind == mem.Fresh {
		var shared bool
		if l, shared = w.freshLoc(l); !shared {
			return // memory of this invocation only
		}
	}
	g := refKey{op: op, atomic: atomic, pos: pos, at: at, locks: locksKey(locks)}
	if via != nil {
		// Each call site in this function keeps its own copy: each is
		// a place where the user may defer the call.
		g.site = via.call.pos
	}
	l = sum.widen(l, g)
	k := accKey{loc: l.Key, ref: g}
	if _, dup := sum.accSeen[k]; dup {
		return
	}
	l = sum.memo.intern(l)
	k.loc = l.Key // the kept copy's
	if g.site != token.NoPos && !sum.newSite(l, g) {
		return // the access is kept at maxSites call sites already
	}
	if via != nil && !sum.newRef(l, g) {
		return // the same access is kept at maxRefs places already
	}
	sum.accSeen[k] = struct{}{}
	sum.accesses = append(sum.accesses, &rawAccess{loc: l, op: op, atomic: atomic, pos: pos, fn: at, via: via, locks: locks})
}

// withShared: where ls point to fresh memory this function published,
// also memory of its type, as freshLoc names accesses of it here: callers
// do not know which objects of a callee's were published, and took a
// constructor's result kept in a global to be their own. So what it
// returns, and what it keeps in its own fresh memory (which loads from
// that memory resolve to: freshload.go), carry both. (Both: the object
// itself still tells where it is kept, for publication.) What it keeps in
// its parameters' memory its callers learn from the summary's pubFresh.
func (s *fnState) withShared(ls []mem.Loc, callee *summary) []mem.Loc {
	out := ls
	for i, l := range ls {
		if l.Base.Kind != mem.Fresh || !s.published[l.Base] && (callee == nil || !callee.pubFreshSeen[l.Base]) {
			continue
		}
		if len(out) == len(ls) {
			// ls is not appended to: copied once, at the first twin
			// (clipped at each, every twin copied all before it).
			out = append(make([]mem.Loc, 0, len(ls)+len(ls)-i), ls...)
		}
		if d := firstDeref(l); d >= 0 {
			out = append(out, s.a.roots.UnknownPath(l.Path[d].Type, l.Path[d+1:], l.Trunc))
		} else {
			out = append(out, s.a.roots.UnknownPath(l.Base.Type, l.Path, l.Trunc))
		}
	}
	return out
}

// keptVals: the values a store into d records: withShared where d is this
// invocation's own memory, unpublished (vals published here, or by
// callee, whose store it is; loads from a published holder are not
// resolved by what was stored in it, and a twin there would only make
// the holder's slot hold any memory of the type). Into a parameter's or captured variable's memory (a
// loop handler's context among them), the objects themselves: the
// summary's pubFresh tells the callers.
func keptVals(s *fnState, d mem.Loc, vals []mem.Loc, callee *summary) []mem.Loc {
	if d.Base.Kind == mem.Fresh && !s.escaped[d.Base] {
		return s.withShared(vals, callee)
	}
	return vals
}

// freshLoc names an access of fresh memory l as others may reach it;
// shared is false for memory of this invocation only.
func (w *sumWalk) freshLoc(l mem.Loc) (_ mem.Loc, shared bool) {
	a, s := w.a, w.s
	if d := firstDeref(l); d >= 0 {
		// Memory reached through a pointer kept in fresh memory
		// is not fresh: it may be anything of its type.
		return a.roots.UnknownPath(l.Path[d].Type, l.Path[d+1:], l.Trunc), true
	}
	if !s.escaped[l.Base] {
		if !s.goShared[l.Base] {
			return l, false // memory of this invocation only
		}
		// Memory of this invocation that goroutines it started
		// also reach, and no one else: accesses of it race only
		// within the invocation, so it is named by where it was
		// made, not aliased with every object of its type.
		return a.roots.GoShared(l.Base).Extend(l.Path, l.Trunc), true
	}
	// Published fresh memory may be reached by others through
	// where it was stored: alias it by type.
	return a.roots.UnknownPath(l.Base.Type, l.Path, l.Trunc), true
}

// here: accesses in this function of the memory at l, under the locks
// held.
func (w *sumWalk) here(l []mem.Loc, op Op, atomic bool, pos token.Pos) {
	for _, x := range l {
		w.record(x, op, atomic, pos, w.fn, nil, nil)
	}
}

// at: an access of the memory at addr, under the locks of its own
// object marked (locks.go).
func (w *sumWalk) at(l []mem.Loc, op Op, pos token.Pos, addr ssa.Value) {
	locks := w.s.objectLocks(addr)
	for _, x := range l {
		w.record(x, op, false, pos, w.fn, nil, locks)
	}
}

// instr adds what one instruction reads, writes, stores, returns or calls
// to the summary.
func (w *sumWalk) instr(instr ssa.Instruction) {
	a, s, sum := w.a, w.s, w.sum
	pos := instrPos(instr)
	if c, ok := instr.(*ssa.Call); ok {
		s.cur = s.lockStep(s.cur, c)
	}
	switch in := instr.(type) {
	case *ssa.UnOp:
		if in.Op == token.MUL {
			w.at(s.origin(in.X), Read, pos, in.X)
		}
	case *ssa.Store:
		dsts := s.origin(in.Addr)
		if !w.inits[in] {
			w.at(dsts, Write, pos, in.Addr)
		}
		s.storePointer(dsts, in.Val, pos)
		s.markOpaqueStore(dsts, in.Val)
	case *ssa.Send:
		// A channel synchronizes its own operations: a send is no
		// access, but what it carries is stored in the channel's slot,
		// for whoever receives it (pollution.go).
		s.storePointer(chanSlots(s.origin(in.Chan), in.Chan.Type()), in.X, pos)
	case *ssa.Select:
		for _, st := range in.States {
			if st.Dir == types.SendOnly {
				s.storePointer(chanSlots(s.origin(st.Chan), st.Chan.Type()), st.Send, pos)
			}
		}
	case *ssa.MapUpdate:
		m := in.Map.Type().Underlying().(*types.Map)
		dsts := mapLocs(s.origin(in.Map), func(l mem.Loc) mem.Loc { return l.Index(m.Elem()) })
		w.here(dsts, Write, false, pos)
		s.storePointer(dsts, in.Key, pos)
		s.storePointer(dsts, in.Value, pos)
		s.markOpaqueStore(dsts, in.Key)
		s.markOpaqueStore(dsts, in.Value)
	case *ssa.Lookup:
		if m, ok := in.X.Type().Underlying().(*types.Map); ok {
			w.here(mapLocs(s.origin(in.X), func(l mem.Loc) mem.Loc { return l.Index(m.Elem()) }), Read, false, pos)
		}
	case *ssa.Range:
		if m, ok := in.X.Type().Underlying().(*types.Map); ok {
			w.here(mapLocs(s.origin(in.X), func(l mem.Loc) mem.Loc { return l.Index(m.Elem()) }), Read, false, pos)
		}
	case *ssa.Return:
		for i, r := range in.Results {
			if i < len(sum.returns) && mem.PointerLike(r.Type()) {
				sum.returns[i] = dedupe(append(sum.returns[i], s.withShared(s.origin(r), nil)...))
			}
		}
	case *ssa.MakeClosure:
		w.makeClosure(in)
	case *ssa.Defer:
		// A deferred call runs when the function returns, after the
		// locks held here may have been released.
		at := s.cur
		s.cur = s.deferLocks(s.cur, in)
		a.call(s, in, w.rec)
		s.cur = at
	case ssa.CallInstruction:
		a.call(s, in, w.rec)
	}
}

// makeClosure: the closure may run whenever its maker runs (it may be
// called here or handed to code that calls it), under the locks held
// where it runs, not where it is made. Its maker applies it where some
// other call counts on that: a callback's or a call of what this
// invocation made (madehere.go), or code without a body that may call it.
// Any other closure runs only at calls here that name it, which apply it
// themselves; applying it where it is made too put the work of a closure
// sent to a server's own goroutine (an actor's queue of operations) in
// every handler that sent one.
func (w *sumWalk) makeClosure(in *ssa.MakeClosure) {
	a, s := w.a, w.s
	cl := in.Fn.(*ssa.Function)
	pos := cl.Pos() // the func literal
	if !pos.IsValid() {
		pos = instrPos(in)
	}
	back := a.calledBack(in)
	if !back && !a.appliedWhereMade(cl) {
		return
	}
	made := s.cur
	s.cur = s.closureLocks(w.inLocks, in)
	var args []ssa.Value
	if back {
		// Its callers cover what it does to its parameters
		// (callback.go).
		args = covered(len(cl.Params))
	}
	a.applySummary(s, cl, args, in.Bindings, pos, w.rec)
	s.cur = made
}

type recorder func(l mem.Loc, op Op, atomic bool, pos token.Pos, at *ssa.Function, via *chain, locks []held)

// applySummary adds callee's accesses, rewritten for this call, to the
// caller's summary. What the callee does to memory it names absolutely
// (not through its parameters) is the same whoever calls it, so it is not
// copied: the call is kept as an edge and the accesses are reached through
// it (reach.go). Copying them into every caller kept a private copy of
// everything a function reaches in each function above it: quadratic in
// memory on large programs. A lock held at the call that depends on the
// caller's parameters (c.mu) is rewritten with the accesses copied, but
// is not kept on the edge: it names memory only in this function's terms.
// The accesses reached through the edge are taken as not under it (less
// precise, not less safe; such a lock guards memory named absolutely only
// where it resolves to one global mutex). They used to be copied whole,
// edges included, to carry the lock; on a server whose handlers hold
// their connection's lock around most calls every summary then held
// everything below it, and a 925-function component ran out of 12 GB.
func (a *analyzer) applySummary(s *fnState, callee *ssa.Function, args, binds []ssa.Value, pos token.Pos, rec recorder) {
	if isPackageInit(callee) {
		// One package's initializer calls those of the packages it
		// imports; each is an entry point of its own (for its stores:
		// pollution.go) and no handler calls one. Carrying theirs up
		// would make every line moved in a package change every
		// initializer above it.
		return
	}
	sum := a.sumOf(callee)
	if sum == nil {
		return
	}
	step := rawCall{pos: pos, caller: s.fn, callee: callee}
	if len(s.cur) > 0 && a.releases(callee) {
		// What it does after it unlocks a lock held here is not under it.
		at := s.cur
		s.cur = nil
		defer func() { s.cur = at }()
	}
	plain := s.sum != nil
	var from appliedAt
	if plain {
		from = s.appliedFrom(pos, callee, sum, args, binds)
	}
	apply := func(acc *rawAccess, prefix []rawCall) {
		via := &chain{call: step, next: push(prefix, acc.via)}
		var locks, objLocks []held
		for _, h := range acc.locks {
			// A lock reached through a parameter is the caller's lock; one
			// that does not resolve to a single known mutex protects nothing,
			// but the accesses of its own object (sameObjectLock).
			if coveredLoc(h.loc, args, binds) {
				continue
			}
			h = s.modeAt(h, args)
			ls := s.subst(h.loc, callee, args, binds)
			if len(ls) == 1 && !ls[0].Imprecise() && ls[0].Base.Kind != mem.Fresh {
				locks = append(locks, held{loc: ls[0], write: h.write, same: h.same, wif: h.wif})
				continue
			}
			if h.same {
				for _, l := range ls {
					objLocks = append(objLocks, held{loc: l, write: h.write, same: true, wif: h.wif})
				}
			}
		}
		if coveredLoc(acc.loc, args, binds) {
			return // the other end of a callback covers it (callback.go)
		}
		objLocks = append(objLocks, s.argLocks(acc.loc, args)...)
		for _, l := range s.subst(acc.loc, callee, args, binds) {
			rec(l, acc.op, acc.atomic, acc.pos, acc.fn, via, withObjectLocks(locks, objLocks, l))
		}
	}
	for _, acc := range sum.accesses[from.acc:] {
		if plain && !acc.relative() {
			continue // reached through the edge
		}
		apply(acc, nil)
	}
	if plain {
		s.sum.addCall(&edge{pos: pos, caller: s.fn, callee: callee, locks: edgeLocks(s.cur)})
	} else {
		a.reach(sum.calls, nil, func(acc *rawAccess, path *upPath, locks []held) {
			c := *acc
			c.locks = unionLocks(locks, acc.locks)
			apply(&c, path.calls())
		})
	}
	if s.sum != nil {
		s.applyOpaque(sum, callee, args, binds)
		for _, l := range sum.pubFresh {
			s.sum.addPubFresh(l)
		}
		for _, st := range sum.stores[from.st:] {
			if plain && !st.relative() {
				continue // reached through the edge
			}
			vals := s.subst(st.val, callee, args, binds)
			for _, d := range s.subst(st.dst, callee, args, binds) {
				for _, v := range keptVals(s, d, vals, sum) {
					s.sum.addStoreAny(d, v, st.pos, st.anyBase)
				}
			}
		}
		if !plain {
			a.reachStores(sum.calls, func(st *rawStore) { s.sum.addStoreAny(st.dst, st.val, st.pos, st.anyBase) })
		}
	}
}

func (a *analyzer) call(s *fnState, call ssa.CallInstruction, rec recorder) {
	a.call0(s, call, rec)
	// What library code calls back on the values it is given runs
	// during the call (library.go).
	cbs := a.libraryCallbacksAt(call)
	if a.reads != nil && len(a.libraryPkgs(call)) > 0 {
		a.reads.sites = append(a.reads.sites, siteRead{call: call, targets: callbackNames(cbs), lib: true})
	}
	for _, t := range cbs {
		a.applySummary(s, t.fn, []ssa.Value{t.recv}, nil, instrPos(call), rec)
	}
}

func (a *analyzer) call0(s *fnState, call ssa.CallInstruction, rec recorder) {
	c := call.Common()
	pos := instrPos(call)
	if b, ok := c.Value.(*ssa.Builtin); ok {
		a.builtin(s, b, c.Args, pos, rec)
		if !s.appendCopy(call, b, c.Args) {
			s.opaqueBuiltin(call, b, c.Args)
		}
		return
	}
	if isLoopPost(c) && len(c.Args) == 3 && s.sum != nil {
		// The value posted becomes a context: what else holds it may
		// reach a context (pollution.go).
		for _, v := range s.origin(c.Args[2]) {
			s.sum.addStore(a.roots.Posted(), v, pos)
		}
	}
	fns, args, binds := a.targets(s, call)
	a.callbackBinds(s, c, fns, binds)
	a.madeHereBinds(s, call, fns, binds)
	if len(fns) == 0 && c.IsInvoke() {
		// No implementation is known here (net.Conn's live in the standard
		// library): model the method as unknown code of its package.
		if m := a.models.lookup(invokeKey(c)); m != nil {
			a.modelCall(s, m, call, true, args, pos, rec)
			return
		}
		a.externalCall(s, methodPkg(c), c.Method.Name(), true, args, pos, rec)
		return
	}
	for i, fn := range fns {
		if fn.Blocks == nil {
			if m := a.models.lookup(keyOf(fn)); m != nil {
				a.modelCall(s, m, call, fn.Signature.Recv() != nil, args, pos, rec)
				continue
			}
			a.external(s, fn, args, pos, rec)
			continue
		}
		a.applySummary(s, fn, args, binds[i], pos, rec)
	}
}

// safeReceivers are packages whose types are safe for concurrent use
// through their methods: a net.Conn or *os.File may be read and written at
// once; the buffers handed to them are still accessed.
var safeReceivers = map[string]bool{"net": true, "os": true, "net/http": true}

// nonRetaining are packages whose functions keep nothing they are given, so
// passing them fresh memory (variadic argument arrays) publishes nothing.
func nonRetaining(pkg string) bool {
	return readOnlyPkgs[pkg] || synchronized(pkg)
}

func synchronized(pkg string) bool {
	switch pkg {
	case "sync", LoopPkg, "context", "runtime", "log", "log/slog":
		return true
	}
	return false
}

func (a *analyzer) builtin(s *fnState, b *ssa.Builtin, args []ssa.Value, pos token.Pos, rec recorder) {
	elems := func(v ssa.Value) []mem.Loc {
		t := v.Type().Underlying()
		var et types.Type
		switch u := t.(type) {
		case *types.Slice:
			et = u.Elem()
		case *types.Map:
			et = u.Elem()
		default:
			return nil
		}
		return mapLocs(s.origin(v), func(l mem.Loc) mem.Loc { return l.Index(et) })
	}
	do := func(ls []mem.Loc, op Op) {
		for _, l := range ls {
			rec(l, op, false, pos, s.fn, nil, nil)
		}
	}
	switch b.Name() {
	case "append":
		do(elems(args[0]), Write)
		if len(args) > 1 {
			do(elems(args[1]), Read)
		}
	case "copy":
		do(elems(args[0]), Write)
		do(elems(args[1]), Read)
	case "delete", "clear":
		do(elems(args[0]), Write)
	case "len", "cap":
		if _, ok := args[0].Type().Underlying().(*types.Map); ok {
			do(elems(args[0]), Read)
		}
	}
}

// Packages whose functions only read what their pointer arguments refer to.
var readOnlyPkgs = map[string]bool{
	"fmt": true, "strings": true, "strconv": true, "errors": true, "unicode/utf8": true,
	"path": true, "path/filepath": true, "mime": true, "sort": false,
}

// external models a function without a body here (standard library,
// modules): synchronization primitives synchronize; anything else may read
// and write whatever its pointer arguments reach, and call the functions it
// is given.
func (a *analyzer) external(s *fnState, fn *ssa.Function, args []ssa.Value, pos token.Pos, rec recorder) {
	a.externalCall(s, calleePkg(fn), fn.Name(), fn.Signature.Recv() != nil, args, pos, rec)
}

func (a *analyzer) externalCall(s *fnState, pkg, name string, method bool, args []ssa.Value, pos token.Pos, rec recorder) {
	if keepsArguments(pkg, name) && len(args) > 1 {
		// A container outside the workspace keeps what it is given: the
		// pointers stored in it are stores into it (pollution.go).
		dsts := s.origin(args[0])
		for _, v := range args[1:] {
			s.storePointer(dsts, v, pos)
		}
	}
	switch {
	case pkg == "sync/atomic":
		op := Write
		if strings.HasPrefix(name, "Load") {
			op = Read
		}
		if len(args) > 0 {
			for _, l := range s.origin(args[0]) {
				rec(l, op, true, pos, s.fn, nil, nil)
			}
		}
		return
	case synchronized(pkg), pkg == "time" && !method:
		// Synchronized by construction, or the loop runtime itself.
		if name == "Do" && pkg == "sync" && len(args) > 1 {
			a.callFuncArg(s, args[1], pos, rec)
		}
		return
	}
	// Writers read the buffers they are handed; by the io.Writer contract
	// they must not modify them.
	readOnly := readOnlyPkgs[pkg] || method && (name == "Write" || name == "WriteString" || name == "WriteAt")
	for i, arg := range args {
		t := arg.Type()
		if _, ok := t.Underlying().(*types.Signature); ok {
			a.callFuncArg(s, arg, pos, rec)
			continue
		}
		if !mem.PointerLike(t) || i == 0 && method && safeReceivers[pkg] {
			continue
		}
		for _, l := range s.deepOrigins(arg) {
			rec(l, Read, false, pos, s.fn, nil, nil)
			if !readOnly {
				rec(l, Write, false, pos, s.fn, nil, nil)
				s.markOpaque(l)
			}
		}
	}
	if !readOnly {
		s.keepsAmong(args, func(i int) bool { return !(i == 0 && method && safeReceivers[pkg]) })
	}
}

// keepsAmong: code that keeps what it is given anywhere may keep each
// pointer argument in what any other argument it writes reaches (a
// context's SetContext(tally), a container's Set(k, shared)): stores
// (pollution.go), so that memory reached through the written one is not
// taken for its own. Only stores that ownership reads are recorded: this
// invocation's own memory written by such code is opaque already
// (freshload.go), and its own memory kept there is published (findEscapes).
func (s *fnState) keepsAmong(args []ssa.Value, writes func(i int) bool) {
	if s.sum == nil || len(args) < 2 {
		return
	}
	for i, dst := range args {
		if !writes(i) || !mem.PointerLike(dst.Type()) || isFunc(dst.Type()) {
			continue
		}
		var dsts []mem.Loc
		for j, v := range args {
			if j == i || !mem.PointerLike(v.Type()) || isFunc(v.Type()) {
				continue
			}
			if dsts == nil {
				for _, d := range s.deepOrigins(dst) {
					if ownerOf(d) != ownFresh {
						dsts = append(dsts, d)
					}
				}
			}
			for _, val := range s.origin(v) {
				if ownerOf(val) == ownFresh {
					continue
				}
				for _, d := range dsts {
					s.sum.addStore(d, val, token.NoPos)
				}
			}
		}
	}
}

func isFunc(t types.Type) bool {
	_, ok := t.Underlying().(*types.Signature)
	return ok
}

// keepsArguments: functions of the standard library that keep the pointers
// they are given in their first argument (a receiver, or an address).
func keepsArguments(pkg, name string) bool {
	switch pkg {
	case "sync":
		return name == "Store" || name == "LoadOrStore" || name == "Swap" || name == "CompareAndSwap"
	case "sync/atomic":
		return strings.HasPrefix(name, "Store") || strings.HasPrefix(name, "Swap") || strings.HasPrefix(name, "CompareAndSwap")
	case "container/list":
		return strings.HasPrefix(name, "Push") || strings.HasPrefix(name, "Insert")
	}
	return false
}

// callFuncArg: a function value handed to unknown code may be called there.
func (a *analyzer) callFuncArg(s *fnState, v ssa.Value, pos token.Pos, rec recorder) {
	switch f := v.(type) {
	case *ssa.Function:
		if f.Blocks != nil {
			a.applySummary(s, f, nil, nil, pos, rec)
		}
	case *ssa.MakeClosure:
		a.applySummary(s, f.Fn.(*ssa.Function), nil, f.Bindings, pos, rec)
	}
}

// instrPos finds a position for an instruction, falling back to the
// address it uses, then to its block's earlier instructions.
func instrPos(instr ssa.Instruction) token.Pos {
	if p := instr.Pos(); p.IsValid() {
		return p
	}
	switch in := instr.(type) {
	case *ssa.UnOp:
		if p := in.X.Pos(); p.IsValid() {
			if _, ok := in.X.(*ssa.Global); !ok {
				return p
			}
		}
	case *ssa.Store:
		if p := in.Addr.Pos(); p.IsValid() {
			if _, ok := in.Addr.(*ssa.Global); !ok {
				return p
			}
		}
	}
	if b := instr.Block(); b != nil {
		for i := len(b.Instrs) - 1; i >= 0; i-- {
			if b.Instrs[i] == instr {
				for j := i - 1; j >= 0; j-- {
					if p := b.Instrs[j].Pos(); p.IsValid() {
						return p
					}
				}
				break
			}
		}
	}
	if fn := instr.Parent(); fn != nil {
		return fn.Pos()
	}
	return token.NoPos
}

// findEscapes: fresh allocations this function publishes (stores into
// other memory, sends, or hands to unknown code). Their accesses are shared.
func (s *fnState) findEscapes() map[*mem.Base]bool {
	e := &escapes{
		s:   s,
		esc: map[*mem.Base]bool{},
		// edges: fresh memory kept in other fresh memory by a callee; it is
		// published if that memory is.
		edges:    map[*mem.Base][]mem.Loc{},
		goShared: map[*mem.Base]bool{},
		pub:      map[*mem.Base]bool{},
	}
	for _, b := range s.fn.Blocks {
		for _, instr := range b.Instrs {
			e.instr(instr)
		}
	}
	e.closeEdges()
	s.published = e.pub
	if s.sum != nil {
		pub := make([]*mem.Base, 0, len(e.pub))
		for b := range e.pub {
			pub = append(pub, b)
		}
		slices.SortFunc(pub, func(x, y *mem.Base) int { return strings.Compare(x.Key, y.Key) })
		for _, b := range pub {
			s.sum.addPubFresh(s.a.roots.Root(b))
		}
	}
	s.goShared = nil
	for b := range e.goShared {
		if !e.esc[b] {
			if s.goShared == nil {
				s.goShared = map[*mem.Base]bool{}
			}
			s.goShared[b] = true
		}
	}
	return e.esc
}

// escapes is findEscapes's state while it walks one function: what is
// published (esc), fresh memory kept in other fresh memory by a callee
// (edges), and what only goroutines it starts share with it (goShared).
type escapes struct {
	s        *fnState
	esc      map[*mem.Base]bool
	edges    map[*mem.Base][]mem.Loc
	goShared map[*mem.Base]bool
	// pub: those of esc published beyond memory its callers decide for
	// (markLocs' kept), for withShared.
	pub map[*mem.Base]bool
	// held, goHeld: objects whose contents markHeld published, goLocs
	// shared, through a pointer loaded from them.
	held   map[heldKey]bool
	goHeld map[*mem.Base]bool
}

type heldKey struct {
	b        *mem.Base
	anywhere bool
}

// markTo publishes v by keeping it in dsts (nil: anywhere). Kept in
// this invocation's own memory it stays its own; kept in memory its
// parameters reach, the caller decides (keptIn); kept anywhere else it
// is published.
func (e *escapes) markTo(v ssa.Value, dsts []mem.Loc) {
	if v == nil || !mem.PointerLike(v.Type()) {
		return
	}
	if mc := madeClosure(v); mc != nil {
		// A closure published: whoever calls it reaches what it
		// captured.
		for _, b := range mc.Bindings {
			e.markTo(b, dsts)
		}
	}
	e.markLocs(e.s.origin(v), dsts)
}

// mark publishes v: kept anywhere.
func (e *escapes) mark(v ssa.Value) { e.markTo(v, nil) }

// goLocs marks the fresh memory of ls, and what it holds, as shared with
// a goroutine this invocation starts.
func (e *escapes) goLocs(ls []mem.Loc) {
	for _, l := range ls {
		if l.Base.Kind == mem.Fresh && firstDeref(l) >= 0 && !e.goHeld[l.Base] {
			// A pointer loaded from it: what it holds (markHeld).
			if e.goHeld == nil {
				e.goHeld = map[*mem.Base]bool{}
			}
			e.goHeld[l.Base] = true
			e.goLocs(e.s.storedInto(l.Base))
			for _, ls := range e.s.a.freshStores.into(l.Base) {
				e.goLocs(ls)
			}
			e.goLocs(e.edges[l.Base])
		}
		if l.Base.Kind == mem.Fresh && firstDeref(l) < 0 && !e.goShared[l.Base] {
			e.goShared[l.Base] = true
			// What it holds the goroutine reaches too.
			e.goLocs(e.s.storedInto(l.Base))
			e.goLocs(e.edges[l.Base])
		}
	}
}

// markLocs publishes the fresh memory of ls, and what it holds, by keeping
// it in dsts (nil: anywhere); a parameter kept only in memory other
// parameters reach is recorded in the summary as kept there (keep), one
// kept anywhere else as published (publish).
func (e *escapes) markLocs(ls []mem.Loc, dsts []mem.Loc) {
	s := e.s
	rel := dsts != nil
	// kept: only in memory of this invocation or that its parameters or
	// captured variables reach, where its callers decide (not pub).
	kept := dsts != nil
	for _, d := range dsts {
		if d.Base.Kind != mem.Param && (d.Base.Kind != mem.Fresh || firstDeref(d) >= 0) {
			rel = false
		}
		if d.Base.Kind != mem.Param && d.Base.Kind != mem.Free && (d.Base.Kind != mem.Fresh || firstDeref(d) >= 0) {
			kept = false
		}
	}
	for _, l := range ls {
		// A pointer loaded from fresh memory (a struct parameter's
		// copy: cmd.Args[1]) leads elsewhere, not into it: to what was
		// stored there (freshload.go), published with it.
		if l.Base.Kind == mem.Fresh && firstDeref(l) >= 0 {
			e.markHeld(l.Base, dsts)
		}
		if l.Base.Kind == mem.Fresh && firstDeref(l) < 0 && (!e.esc[l.Base] || !kept && !e.pub[l.Base]) {
			e.esc[l.Base] = true
			if !kept {
				e.pub[l.Base] = true
			}
			// What it holds is published with it: the variadic
			// array of append(last, e) holds e.
			e.markLocs(s.storedInto(l.Base), dsts)
			e.markLocs(e.edges[l.Base], dsts)
		}
		// A parameter published, or a pointer loaded from what it
		// reaches (the caller then publishes what it passed, or what
		// that holds); so for a closure's captured variables (indexes
		// past the parameters).
		if l.Base.Kind != mem.Param && l.Base.Kind != mem.Free || s.sum == nil {
			continue
		}
		idx := s.publishIdx(l.Base)
		if firstDeref(l) >= 0 {
			s.sum.publishHeld(idx)
			continue
		}
		if l.Base.Kind == mem.Free {
			s.sum.publish(idx)
			continue
		}
		if !rel {
			s.sum.publish(l.Base.Idx)
			continue
		}
		for _, d := range dsts {
			// Kept in another parameter's memory, or in an object
			// of its own (a constructor's: itemOf(f) keeps f in the
			// item it returns): the caller decides (bodyCall).
			if d.Base.Kind == mem.Param && d.Base.Idx != l.Base.Idx || d.Base.Kind == mem.Fresh {
				s.sum.keep(l.Base.Idx, d)
			}
		}
	}
}

// markHeld publishes what fresh object b holds, not b: a pointer loaded
// from it was kept in dsts. (Any pointer b holds: which slot it was
// loaded from is not told apart here.) What b holds is what was stored
// in it here, by callees relative to their parameters, and by callees
// that made it (the fresh stores of their final summaries).
func (e *escapes) markHeld(b *mem.Base, dsts []mem.Loc) {
	// Once for dsts of each kind (markLocs' kept or not).
	k := heldKey{b, dsts == nil}
	if e.held[k] {
		return
	}
	if e.held == nil {
		e.held = map[heldKey]bool{}
	}
	e.held[k] = true
	e.markLocs(e.s.storedInto(b), dsts)
	for _, ls := range e.s.a.freshStores.into(b) {
		e.markLocs(ls, dsts)
	}
	e.markLocs(e.edges[b], dsts)
}

// instr publishes what one instruction hands to memory, channels,
// goroutines or callees that others may reach.
func (e *escapes) instr(instr ssa.Instruction) {
	s := e.s
	switch in := instr.(type) {
	case *ssa.Store:
		// Storing into this invocation's own memory publishes nothing.
		if dsts := s.origin(in.Addr); !allFresh(dsts) {
			e.markTo(in.Val, dsts)
		} else {
			e.keepInOwn(in.Val, dsts)
		}
	case *ssa.MapUpdate:
		if dsts := s.origin(in.Map); !allFresh(dsts) {
			e.markTo(in.Key, dsts)
			e.markTo(in.Value, dsts)
		} else {
			e.keepInOwn(in.Key, dsts)
			e.keepInOwn(in.Value, dsts)
		}
	case *ssa.Send:
		e.mark(in.X)
	case *ssa.Select:
		for _, st := range in.States {
			if st.Dir == types.SendOnly {
				e.mark(st.Send)
			}
		}
	case *ssa.Go:
		e.goStmt(in)
	case *ssa.MakeClosure:
		// Whoever calls it (a function it is handed to, a library)
		// publishes what it captured where its summary says so.
		if fn, ok := in.Fn.(*ssa.Function); ok {
			if sum := s.a.sumOf(fn); sum != nil {
				e.bindings(in, fn, sum)
			}
		}
	case ssa.CallInstruction:
		c := in.Common()
		if callee := c.StaticCallee(); callee != nil && callee.Blocks != nil {
			e.bodyCall(c, callee)
			return
		}
		e.otherCall(in, c)
	}
}

// goStmt: a goroutine's arguments are shared between it and this
// invocation. Where the goroutine's function (with a body here) does not
// publish one, no other invocation reaches it through the goroutine: it
// is goShared, not published.
func (e *escapes) goStmt(in *ssa.Go) {
	var sum *summary
	if callee := in.Call.StaticCallee(); callee != nil && callee.Blocks != nil {
		sum = e.s.a.sumOf(callee)
	}
	for i, arg := range in.Call.Args {
		if sum == nil || i < len(sum.publishes) && sum.publishes[i] {
			e.mark(arg)
			continue
		}
		if sum.heldPublished(i) {
			e.markHeldOf(arg)
		}
		e.goLocs(e.s.origin(arg))
	}
	if callee := in.Call.StaticCallee(); callee != nil && callee.Blocks != nil {
		e.bindings(in.Call.Value, callee, sum)
	}
}

// bodyCall publishes what a call of a function with a body here
// publishes, by its summary.
func (e *escapes) bodyCall(c *ssa.CallCommon, callee *ssa.Function) {
	s := e.s
	if len(c.Args) == 0 && len(callee.FreeVars) == 0 {
		return // nothing to publish (another package's init)
	}
	// The callee's summary says which of its parameters it
	// publishes, and which it keeps in memory others of its
	// parameters reach; a closure called on the spot
	// publishes what it captures where it publishes it.
	sum := s.a.sumOf(callee)
	for i, arg := range c.Args {
		if sum == nil || i < len(sum.publishes) && sum.publishes[i] {
			e.mark(arg)
		} else if sum.heldPublished(i) {
			e.markHeldOf(arg)
		}
	}
	e.bindings(c.Value, callee, sum)
	if sum == nil {
		return
	}
	for _, k := range sum.keptIn {
		if k.idx >= len(c.Args) {
			continue
		}
		dsts := s.subst(k.dst, callee, c.Args, nil)
		if !allFresh(dsts) {
			e.markTo(c.Args[k.idx], dsts)
			continue
		}
		for _, d := range dsts {
			e.edges[d.Base] = append(e.edges[d.Base], s.origin(c.Args[k.idx])...)
		}
	}
}

// keepInOwn: v, stored in this invocation's own memory dsts, is kept
// there; where v is (or is loaded from) a parameter, the summary says so,
// for its callers (bodyCall: published with that memory, or what it
// holds with what it holds): itemOf(f) keeps f in the item it returns. A
// captured variable kept so is taken as published.
func (e *escapes) keepInOwn(v ssa.Value, dsts []mem.Loc) {
	s := e.s
	if v == nil || s.sum == nil || !mem.PointerLike(v.Type()) {
		return
	}
	for _, l := range s.origin(v) {
		switch l.Base.Kind {
		case mem.Param:
			for _, d := range dsts {
				if firstDeref(d) < 0 {
					s.sum.keep(l.Base.Idx, s.a.roots.Root(d.Base))
				}
			}
		case mem.Free:
			s.sum.publish(s.publishIdx(l.Base))
		}
	}
}

// bindings publishes what a closure called on the spot (v, made here)
// captured, where its summary says it publishes its free variables.
func (e *escapes) bindings(v ssa.Value, callee *ssa.Function, sum *summary) {
	mc, ok := v.(*ssa.MakeClosure)
	if !ok {
		return
	}
	n := len(callee.Params)
	for i, b := range mc.Bindings {
		if sum == nil || n+i < len(sum.publishes) && sum.publishes[n+i] {
			e.mark(b)
		} else if sum.heldPublished(n + i) {
			e.markHeldOf(b)
		}
	}
}

// markHeldOf publishes what the object v points to holds (a captured
// variable's cell: what was assigned to it), not that object itself. (v
// loaded from an object: what v leads to holds is among what that object
// holds, and what they hold, all published with them: markHeld.)
func (e *escapes) markHeldOf(v ssa.Value) {
	s := e.s
	for _, l := range s.origin(v) {
		switch l.Base.Kind {
		case mem.Fresh:
			e.markHeld(l.Base, nil)
		case mem.Param, mem.Free:
			if s.sum != nil {
				s.sum.publishHeld(s.publishIdx(l.Base))
			}
		}
	}
}

// publishIdx is a parameter's or free variable's index in a summary's
// publishes.
func (s *fnState) publishIdx(b *mem.Base) int {
	if b.Kind == mem.Free {
		return len(s.fn.Params) + b.Idx
	}
	return b.Idx
}

// otherCall publishes what a call without a body here may publish:
// loop.Post keeps nothing, library callbacks, dynamic calls, builtins and
// models say what they publish, and unknown code publishes its arguments.
func (e *escapes) otherCall(in ssa.CallInstruction, c *ssa.CallCommon) {
	s := e.s
	if isLoopPost(c) {
		return // becomes the next handler's context
	}
	// A method the library calls back may publish its
	// receiver: the value handed to the library, or what
	// it holds (markCallbackRecv).
	for _, t := range s.a.libraryCallbacksAt(in) {
		if sum := s.a.sumOf(t.fn); sum == nil || len(sum.publishes) > 0 && sum.publishes[0] {
			e.markCallbackRecv(t)
		}
	}
	if c.StaticCallee() == nil && !isBuiltin(c) {
		if pubs, ok := s.a.dynamicPublishes(in); ok {
			for _, arg := range pubs {
				e.mark(arg)
			}
			return
		}
	}
	if _, ok := c.Value.(*ssa.Builtin); ok {
		// append copies elements: only pointers among them
		// publish what they point to, into a slice of
		// another's; into a nil or new slice they are kept in
		// the invocation's own memory, the result's new array,
		// and published with it (storesInto).
		if appendsPointers(c) {
			if to := s.origin(c.Args[0]); len(to) > 0 && !allFresh(to) {
				e.markTo(c.Args[1], to)
			}
		}
		return
	}
	if keeps, ok := s.a.modelKeeps(in); ok {
		into := s.a.modelKeptIn(s, in)
		for _, arg := range keeps {
			e.markTo(arg, into)
		}
		return // a model says what the call keeps
	}
	if callee := c.StaticCallee(); callee != nil && nonRetaining(calleePkg(callee)) {
		return // formatting and parsing keep nothing
	}
	for _, arg := range c.Args {
		if !stdLoopBody(in, arg) {
			e.mark(arg)
		}
	}
}

// markCallbackRecv publishes the receiver of t, a callback that may
// publish it, as found from t.src. Where the receiver is not src itself
// and src's memory cannot hold it in place (no value of the receiver's
// type, or of an instance of its generic type, sits in src's memory, its
// fields or elements), the library reached it through a pointer src
// holds (an event's writer, its hooks): what src holds is published, not
// src. A value receiver is a copy: only what it points to is reached.
func (e *escapes) markCallbackRecv(t callbackTarget) {
	if t.src == nil || t.recv != nil || madeClosure(t.src) != nil {
		// (No src: a method on what the library holds (holds), which
		// what the call was handed does not reach.)
		e.mark(t.src)
		return
	}
	var inPlace types.Type // the receiver's pointee; nil for a value receiver
	if p, ok := types.Unalias(recvType(t.fn)).(*types.Pointer); ok {
		inPlace = p.Elem()
	}
	for _, l := range e.s.origin(t.src) {
		mt := l.MemType()
		switch {
		case l.Base.Kind == mem.Fresh && firstDeref(l) >= 0:
			e.markLocs([]mem.Loc{l}, nil) // what a fresh object holds already
		case types.IsInterface(mt) || inPlace != nil && holdsInPlace(mt, inPlace):
			e.markLocs([]mem.Loc{l}, nil)
		case l.Base.Kind == mem.Fresh:
			// Past the object in place (x... too): what it holds.
			e.markHeld(l.Base, nil)
		case (l.Base.Kind == mem.Param || l.Base.Kind == mem.Free) && !l.Trunc && e.s.sum != nil:
			e.s.sum.publishHeld(e.s.publishIdx(l.Base))
		default:
			e.markLocs([]mem.Loc{l}, nil)
		}
	}
}

// closeEdges publishes memory kept in fresh memory that was published
// later.
func (e *escapes) closeEdges() {
	for done := map[*mem.Base]bool{}; ; {
		more := false
		for b, ls := range e.edges {
			// Published, or what it holds published (markHeld).
			held := e.held[heldKey{b, true}] || e.held[heldKey{b, false}]
			if (e.esc[b] || held) && !done[b] {
				done[b] = true
				more = true
				e.markLocs(ls, nil)
			}
		}
		if !more {
			break
		}
	}
}

// keptParam: a summary's parameter idx is kept in dst, memory another of
// its parameters reaches: published where that memory is not the caller's
// own (findEscapes).
type keptParam struct {
	idx int
	dst mem.Loc
}

func (s *summary) publish(idx int) {
	for len(s.publishes) <= idx {
		s.publishes = append(s.publishes, false)
	}
	s.publishes[idx] = true
}

func (s *summary) addPubFresh(l mem.Loc) {
	if s.pubFreshSeen[l.Base] {
		return
	}
	if s.pubFreshSeen == nil {
		s.pubFreshSeen = map[*mem.Base]bool{}
	}
	s.pubFreshSeen[l.Base] = true
	s.pubFresh = append(s.pubFresh, l)
}

func (s *summary) publishHeld(idx int) {
	for len(s.publishesHeld) <= idx {
		s.publishesHeld = append(s.publishesHeld, false)
	}
	s.publishesHeld[idx] = true
}

// heldPublished: the summary publishes what its parameter (or, past
// them, free variable) idx holds.
func (s *summary) heldPublished(idx int) bool {
	return idx < len(s.publishesHeld) && s.publishesHeld[idx]
}

func (s *summary) keep(idx int, dst mem.Loc) {
	for _, k := range s.keptIn {
		if k.idx == idx && k.dst.Key == dst.Key {
			return
		}
	}
	s.keptIn = append(s.keptIn, keptParam{idx, dst})
}

// madeClosure is the closure v is, through conversions, if it is one.
func madeClosure(v ssa.Value) *ssa.MakeClosure {
	for {
		switch x := v.(type) {
		case *ssa.MakeClosure:
			return x
		case *ssa.MakeInterface:
			v = x.X
		case *ssa.ChangeType:
			v = x.X
		default:
			return nil
		}
	}
}

func firstDeref(l mem.Loc) int {
	for i, e := range l.Path {
		if e.Kind == mem.Deref {
			return i
		}
	}
	return -1
}

// appendsPointers: the call is append(s, x...) and the elements it copies
// hold pointers.
func appendsPointers(c *ssa.CallCommon) bool {
	if b, ok := c.Value.(*ssa.Builtin); !ok || b.Name() != "append" || len(c.Args) < 2 {
		return false
	}
	sl, ok := c.Args[1].Type().Underlying().(*types.Slice)
	return ok && mem.PointerLike(sl.Elem())
}

func allFresh(ls []mem.Loc) bool {
	if len(ls) == 0 {
		return false
	}
	for _, l := range ls {
		if l.Base.Kind != mem.Fresh {
			return false
		}
	}
	return true
}

// mutexOp says whether a call locks or unlocks a sync.Mutex or RWMutex:
// +1 Lock, +2 RLock, -1 Unlock or RUnlock; 0 otherwise.
func mutexOp(c *ssa.CallCommon) int {
	fn := c.StaticCallee()
	if fn == nil || len(c.Args) == 0 {
		return 0
	}
	recv := fn.Signature.Recv()
	if recv == nil {
		return 0
	}
	p, ok := recv.Type().(*types.Pointer)
	if !ok {
		return 0
	}
	n, ok := p.Elem().(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "sync" {
		return 0
	}
	if name := n.Obj().Name(); name != "Mutex" && name != "RWMutex" {
		return 0
	}
	switch fn.Name() {
	case "Lock":
		return 1
	case "RLock":
		return 2
	case "Unlock", "RUnlock":
		return -1
	}
	return 0
}

// lockStep applies a call's effect on the locks held.
func (s *fnState) lockStep(cur []held, c *ssa.Call) []held {
	op := mutexOp(c.Common())
	if op == 0 {
		if len(cur) > 0 && s.a.releasesAt(c) {
			return nil // it may unlock any of them
		}
		return cur
	}
	ls := s.origin(c.Common().Args[0])
	// (A mutex reached through a parameter is judged where the parameter
	// is known: at the call, or as the handler's context.)
	if len(ls) != 1 || ls[0].Imprecise() && !isRelative(ls[0]) && op < 0 || ls[0].Base.Kind == mem.Fresh {
		// Which mutex is not known: it protects nothing, and an unlock of
		// it is taken to release them all (conservative). (One loc that
		// names many mutexes is held: it guards the accesses of its own
		// object through the same pointer, sameObjectLock.) Nor does a mutex
		// in this invocation's own memory, or reached through it (a context
		// captured by a closure lives in a fresh cell): it has one key for
		// every invocation, but is not one they share.
		if op == -1 {
			return nil
		}
		return cur
	}
	l := ls[0]
	out := make([]held, 0, len(cur)+1)
	for _, h := range cur {
		if h.loc.Key != l.Key && !(op < 0 && releasedBy(h, l)) {
			out = append(out, h)
		}
	}
	if op > 0 {
		out = append(out, held{loc: l, write: op == 1, ptr: objectPtr(c.Common().Args[0])})
	}
	return out
}

// lockStates computes the locks surely held at the entry of each block: the
// intersection over its predecessors, to a fixpoint. A deferred Unlock is a
// Defer, not a Call, so the lock stays held to the end of the function.
func (s *fnState) lockStates() map[*ssa.BasicBlock][]held {
	in := map[*ssa.BasicBlock][]held{}
	out := map[*ssa.BasicBlock][]held{}
	visited := map[*ssa.BasicBlock]bool{}
	uses := false
	for _, b := range s.fn.Blocks {
		for _, instr := range b.Instrs {
			if c, ok := instr.(*ssa.Call); ok && mutexOp(c.Common()) != 0 {
				uses = true
			}
		}
	}
	if !uses {
		return in
	}
	for changed, iter := true, 0; changed && iter < 50; iter++ {
		changed = false
		for _, b := range s.fn.Blocks {
			var cur []held
			first := true
			for _, p := range b.Preds {
				if !visited[p] {
					continue
				}
				if first {
					cur = append([]held(nil), out[p]...)
					first = false
					continue
				}
				cur = intersectLocks(cur, out[p])
			}
			cur = s.modeJoin(b, cur, out, visited)
			in[b] = cur
			for _, instr := range b.Instrs {
				if c, ok := instr.(*ssa.Call); ok {
					cur = s.lockStep(cur, c)
				}
			}
			if !visited[b] || locksKey(cur) != locksKey(out[b]) || !samePtrs(cur, out[b]) {
				visited[b] = true
				out[b] = cur
				changed = true
			}
		}
	}
	return in
}

// locksAt returns the locks surely held at instruction at, as summarize
// sees them there.
func (s *fnState) locksAt(in map[*ssa.BasicBlock][]held, at ssa.Instruction) []held {
	cur := in[at.Block()]
	for _, instr := range at.Block().Instrs {
		if c, ok := instr.(*ssa.Call); ok {
			cur = s.lockStep(cur, c)
		}
		if instr == at {
			break
		}
	}
	return cur
}

// closureLocks returns the locks that protect every run of the closure mc
// makes: those held at each call that it is the callee or an argument of
// (for a deferred call, those still held at the return). A closure stored,
// returned or started as a goroutine may run after any lock here is
// released: none protects it.
func (s *fnState) closureLocks(in map[*ssa.BasicBlock][]held, mc *ssa.MakeClosure) []held {
	refs := mc.Referrers()
	if refs == nil || len(*refs) == 0 {
		return nil
	}
	var out []held
	for i, r := range *refs {
		var l []held
		switch r := r.(type) {
		case *ssa.Call:
			l = s.locksAt(in, r)
		case *ssa.Defer:
			l = s.deferLocks(s.locksAt(in, r), r)
		default:
			return nil
		}
		if i == 0 {
			out = l
		} else {
			out = intersectLocks(out, l)
		}
	}
	return out
}

// deferLocks returns the locks of cur, held at d, that still protect the
// call d defers when it runs at the return: the function never releases
// them itself, and no call deferred after d (which runs before it)
// releases them. So "mu.Lock(); defer mu.Unlock(); defer f()" keeps mu
// for f, while "mu.Lock(); defer f(); mu.Unlock()" does not.
func (s *fnState) deferLocks(cur []held, d *ssa.Defer) []held {
	if len(cur) == 0 {
		return nil
	}
	after := runsAfter(d)
	var released []mem.Loc
	for _, b := range s.fn.Blocks {
		for _, instr := range b.Instrs {
			var c *ssa.CallCommon
			switch in := instr.(type) {
			case *ssa.Call:
				c = in.Common()
			case *ssa.Defer:
				if !after(in) {
					continue
				}
				c = in.Common()
			default:
				continue
			}
			if mutexOp(c) == 0 && s.a.releasesAt(instr.(ssa.CallInstruction)) {
				return nil // it may unlock any of them
			}
			if mutexOp(c) != -1 {
				continue
			}
			ls := s.origin(c.Args[0])
			if len(ls) != 1 || ls[0].Imprecise() {
				return nil // which mutex is not known: any
			}
			released = append(released, ls[0])
		}
	}
	var out []held
next:
	for _, h := range cur {
		for _, l := range released {
			if releasedBy(h, l) {
				continue next
			}
		}
		out = append(out, h)
	}
	return out
}

// runsAfter reports whether an instruction may run after d.
func runsAfter(d ssa.Instruction) func(ssa.Instruction) bool {
	home := d.Block()
	seen := map[*ssa.BasicBlock]bool{}
	work := append([]*ssa.BasicBlock(nil), home.Succs...)
	for len(work) > 0 {
		b := work[len(work)-1]
		work = work[:len(work)-1]
		if !seen[b] {
			seen[b] = true
			work = append(work, b.Succs...)
		}
	}
	return func(i ssa.Instruction) bool {
		if seen[i.Block()] {
			return true
		}
		if i.Block() != home {
			return false
		}
		past := false
		for _, x := range home.Instrs {
			if x == i {
				return past
			}
			past = past || x == d
		}
		return false
	}
}

func intersectLocks(a, b []held) []held {
	var out []held
	for _, x := range a {
		for _, y := range b {
			if x.loc.Key == y.loc.Key {
				h := held{loc: x.loc, write: x.write && y.write, same: x.same && y.same, wif: meetMode(x, y)}
				if x.ptr == y.ptr || x.ptr != nil && y.ptr != nil && onceLoaded(x.ptr, y.ptr) {
					h.ptr = x.ptr // the same pointer on both ways
				}
				out = append(out, h)
			}
		}
	}
	return out
}

// calleePkg is the import path of a function's package, "" if none.
func calleePkg(fn *ssa.Function) string {
	if fn.Pkg != nil {
		return fn.Pkg.Pkg.Path()
	}
	if o := fn.Origin(); o != nil && o.Pkg != nil {
		return o.Pkg.Pkg.Path()
	}
	if obj, ok := fn.Object().(*types.Func); ok && obj.Pkg() != nil {
		return obj.Pkg().Path()
	}
	return ""
}
