package analysis

import (
	"go/token"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// A summary copies from its callees only what depends on the call: the
// accesses and stores relative to the callee's parameters and free
// variables, rewritten in the caller's terms. What a callee does to memory
// it names absolutely (a global, main's locals, memory known only by its
// type) is the same from every caller: it stays in the callee's summary,
// and the call is kept as an edge. A handler's accesses are then its own
// plus what its edges reach, found by walking them once per handler call
// site (each is where the user may defer the call). So a function's
// summary is about the size of its own code and of what depends on its
// parameters, instead of everything below it, and a large recursive
// component no longer keeps one copy of everything it reaches per member.

// An edge is a call whose callee's absolute accesses are reached, not
// copied, with the locks held at the call (none of them relative to the
// caller's parameters: those calls are copied whole).
type edge struct {
	pos    token.Pos
	caller *ssa.Function
	callee *ssa.Function
	locks  []held
}

// callKey identifies a call edge in a summary, and (without pos) a
// function reached under a set of locks.
type callKey struct {
	pos    token.Pos
	callee *ssa.Function
	locks  string
}

func (e *edge) step() rawCall { return rawCall{pos: e.pos, caller: e.caller, callee: e.callee} }

func (sum *summary) addCall(e *edge) {
	k := callKey{e.pos, e.callee, locksKey(e.locks)}
	if _, dup := sum.callSeen[k]; dup {
		return
	}
	if sum.callSeen == nil {
		sum.callSeen = map[callKey]struct{}{}
	}
	sum.callSeen[k] = struct{}{}
	sum.calls = append(sum.calls, e)
}

// relative: the access depends on who calls: its memory or a lock held at
// it is named through a parameter or free variable, or a lock is held in
// the mode a parameter asks for (held.wif).
func (acc *rawAccess) relative() bool {
	return isRelative(acc.loc) || anyRelative(acc.locks) || anyMode(acc.locks)
}

func anyMode(hs []held) bool {
	for _, h := range hs {
		if h.wif != 0 {
			return true
		}
	}
	return false
}

func (st *rawStore) relative() bool { return isRelative(st.dst) || isRelative(st.val) }

func isRelative(l mem.Loc) bool { return l.Base.Kind == mem.Param || l.Base.Kind == mem.Free }

// absoluteLocks: hs without the locks named through the function's
// parameters, which mean nothing outside it.
func absoluteLocks(hs []held) []held {
	if !anyRelative(hs) {
		return hs
	}
	var out []held
	for _, h := range hs {
		if !isRelative(h.loc) {
			out = append(out, h)
		}
	}
	return out
}

func anyRelative(hs []held) bool {
	for _, h := range hs {
		if isRelative(h.loc) {
			return true
		}
	}
	return false
}

// upPath is a walk's call path, kept from its last call up to its first:
// the paths of one walk share their beginnings, so entering a function
// costs one node, not a copy of the path (caddy's walks go thousands of
// calls deep, and copying made them quadratic).
type upPath struct {
	call  rawCall
	up    *upPath
	depth int // calls in the path
}

// calls is the path, first call first.
func (u *upPath) calls() []rawCall {
	if u == nil {
		return nil
	}
	out := make([]rawCall, u.depth)
	for ; u != nil; u = u.up {
		out[u.depth-1] = u.call
	}
	return out
}

// maxShownCalls bounds the calls a handler's access keeps of its path:
// the first shownHead (where the handler calls, where to defer) and the
// last shownTail (what leads to the access), with one elided step (a
// rawCall without callee) between. The path only names the way to an
// access; nothing is decided by it past its first call.
const (
	shownHead     = 4
	shownTail     = 8
	maxShownCalls = shownHead + shownTail
)

// chainTo is the chain of path u followed by tail, at most maxShownCalls
// of u's calls.
func chainTo(u *upPath, tail *chain) *chain {
	long := u != nil && u.depth > maxShownCalls
	for n := 0; u != nil; u, n = u.up, n+1 {
		if long && n == shownTail {
			tail = &chain{next: tail} // the elided calls
			for u.depth > shownHead {
				u = u.up
			}
		}
		tail = &chain{call: u.call, next: tail}
	}
	return tail
}

// reach walks edges and what the callees' edges lead to, and calls emit
// with every absolute access found, the call path from the first edge
// down to the function holding it, and the locks held along that path.
// Each function is visited once per set of locks held.
func (a *analyzer) reach(edges []*edge, outer []held, emit func(acc *rawAccess, path *upPath, locks []held)) {
	a.reachAdmit(edges, outer, nil, emit)
}

// reachAdmit is reach, entering a function only if admit (when not nil)
// agrees. It reports whether it entered one as if no lock were held
// (maxLockSets).
func (a *analyzer) reachAdmit(edges []*edge, outer []held, admit func(callKey) bool, emit func(acc *rawAccess, path *upPath, locks []held)) (lockSetsCut bool) {
	seen := map[callKey]bool{}
	sets := map[*ssa.Function]int{} // lock sets each function was entered under
	var walk func(e *edge, path *upPath, locks []held)
	walk = func(e *edge, path *upPath, locks []held) {
		if a.stopped() {
			return
		}
		locks = unionLocks(locks, e.locks)
		k := callKey{callee: e.callee, locks: locksKey(locks)}
		if seen[k] {
			return
		}
		if len(locks) > 0 && sets[e.callee] >= maxLockSets {
			// Each set of locks held on the way is a walk of all below
			// of its own, and a server holds many: past maxLockSets, the
			// function is entered as if none were held, which can only
			// keep fewer conflicts away.
			locks, k = nil, callKey{callee: e.callee}
			lockSetsCut = true
			if seen[k] {
				return
			}
		}
		seen[k] = true
		sets[e.callee]++
		if admit != nil && !admit(k) {
			return
		}
		sum := a.sumOf(e.callee) // recorded as read, for the cache
		if sum == nil {
			return
		}
		depth := 1
		if path != nil {
			depth = path.depth + 1
		}
		path = &upPath{call: e.step(), up: path, depth: depth}
		for _, acc := range sum.accesses {
			if !acc.relative() {
				emit(acc, path, locks)
			}
		}
		for _, next := range sum.calls {
			walk(next, path, locks)
		}
	}
	for _, e := range edges {
		walk(e, nil, outer)
	}
	return lockSetsCut
}

// stopped reports whether the run was cancelled, looking at its context
// once every 1,024 steps: the walks of the conflicts phase can take
// seconds on one handler (a chain of 20,000 calls), and a server that is
// told to stop must not wait for them. A stopped walk returns early; Run
// then returns the context's error, not what was gathered.
func (a *analyzer) stopped() bool {
	if a.halted || a.ctx == nil {
		return a.halted
	}
	a.polls++
	if a.polls&1023 == 0 && a.ctx.Err() != nil {
		a.halted = true
	}
	return a.halted
}

// reachStores calls emit with every absolute store that edges reach, once.
func (a *analyzer) reachStores(edges []*edge, emit func(st *rawStore)) {
	seen := map[*ssa.Function]bool{}
	var walk func(fn *ssa.Function)
	walk = func(fn *ssa.Function) {
		if seen[fn] || a.stopped() {
			return
		}
		seen[fn] = true
		sum := a.sumOf(fn)
		if sum == nil {
			return
		}
		for _, st := range sum.stores {
			if !st.relative() {
				emit(st)
			}
		}
		for _, e := range sum.calls {
			walk(e.callee)
		}
	}
	for _, e := range edges {
		walk(e.callee)
	}
}

// maxLockSets bounds the sets of locks under which one walk enters one
// function (reachAdmit).
var maxLockSets = 4

// maxHandlerSites bounds how many of a handler's call sites keep their
// own copy of what one function below them does.
const maxHandlerSites = 16

// maxHandlerAccesses: past this many accesses gathered for one handler,
// each function below it is entered from one more call site at most,
// under each set of locks (reachSites).
var maxHandlerAccesses = 100_000

// reachSites walks a handler's call edges one call site at a time: each
// site is a place where the user may defer the call, so each keeps its own
// copy of what it reaches. A function reached under the same locks from
// more than maxHandlerSites of the handler's sites is not entered again: on a
// large server every handler's dozens of calls reach the same thousands
// of functions, and a copy per site was the run's largest cost in time
// and memory. Past maxHandlerAccesses, a function already entered is not
// entered again from another site at all (caddy's handlers reach most of
// the program from each of their calls). What is skipped is already kept
// at an earlier site, so the conflicts are the same; only further places
// to defer go unnamed. It reports which bounds were hit.
func (a *analyzer) reachSites(edges []*edge, emit func(acc *rawAccess, path *upPath, locks []held)) (b walkBounds) {
	visits := map[callKey]int{}
	limit, emitted := maxHandlerSites, 0
	admit := func(k callKey) bool {
		visits[k]++
		if visits[k] > limit {
			b.sites = true
			return false
		}
		return true
	}
	count := func(acc *rawAccess, path *upPath, locks []held) {
		if emitted++; emitted > maxHandlerAccesses && limit > 1 {
			limit, b.narrowed = 1, true
		}
		emit(acc, path, locks)
	}
	for _, e := range edges {
		if a.reachAdmit([]*edge{e}, nil, admit, count) {
			b.lockSets = true
		}
	}
	return b
}

// walkBounds are the bounds a handler's walk hit (reachSites), said at
// the handler (boundNotes).
type walkBounds struct {
	sites    bool // a function reached from more than maxHandlerSites calls
	narrowed bool // past maxHandlerAccesses
	lockSets bool // a function entered under more than maxLockSets lock sets
}

// noteWalk records what a handler's walk hit.
func (sum *summary) noteWalk(b walkBounds) {
	sum.handlerSitesCut = sum.handlerSitesCut || b.sites
	sum.handlerNarrowed = sum.handlerNarrowed || b.narrowed
	sum.handlerLockSetsCut = sum.handlerLockSetsCut || b.lockSets
}
