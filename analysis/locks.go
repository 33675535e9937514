package analysis

import (
	"go/constant"
	"go/token"
	"go/types"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Locks in objects reached through pointers. A mutex inside the context's
// own memory keeps apart only invocations on the same context; one
// reached through a pointer the context keeps (c.srv.mu) is in memory
// other contexts may share, and by its loc alone it is not known to be
// the mutex another invocation holds. But an access of the same object,
// reached through the same pointer, is guarded by it whoever the context
// is: two invocations touching one field of one object (c1.srv.n and
// c2.srv.n at one address) hold its one mutex (c1.srv.mu is c2.srv.mu).
//
// "The same pointer" is proven in the function that takes the lock and
// makes the access: the two addresses are fields (and elements of arrays
// held in place) of one SSA value, or of loads of one address (c.srv read
// twice) with nothing on a path between them that may store a pointer of
// that type or call code that might. Such an access carries its lock
// marked same (held.same), and commonLock lets it guard a global conflict
// when both accesses are marked and lie in place in the lock's object.
// Elements of arrays, slices and maps never qualify as the lock's object
// (mustAliasLock: accounts[i].mu does not guard accounts[j].bal).
//
// The argument holds whatever object the lock's loc names: a box of a
// table (boxes[i].mu), one of unknown origin. Two objects of one struct
// type are one object or apart, so if two invocations touch the same
// field of such objects, each through the pointer it locked, they hold
// one mutex (sameObjectLock). A lock held at a call is marked so for the
// callee's accesses in place in what a pointer argument points to, when
// it was taken through that very pointer (argLocks: mb.Lock(); f(mb)).

// objectPtr is the pointer to the object whose field (or array element
// held in place) addr is: addr with its field and in-place element
// selections taken off.
func objectPtr(addr ssa.Value) ssa.Value {
	for {
		switch x := addr.(type) {
		case *ssa.FieldAddr:
			addr = x.X
			continue
		case *ssa.IndexAddr:
			if _, isArr := mem.Pointee(x.X.Type()).Underlying().(*types.Array); isArr {
				if _, isPtr := x.X.Type().Underlying().(*types.Pointer); isPtr {
					addr = x.X
					continue
				}
			}
		}
		return addr
	}
}

// objectLocks returns the locks held at in, which accesses the memory at
// addr, with those in the same object through the same pointer marked.
func (s *fnState) objectLocks(addr ssa.Value) []held {
	var out []held
	p := objectPtr(addr)
	for i, h := range s.cur {
		if h.ptr == nil || !mustSamePtr(h.ptr, p) {
			continue
		}
		if out == nil {
			out = append([]held(nil), s.cur...)
		}
		out[i].same = true
	}
	return out
}

// mustSamePtr: x and y are one pointer wherever y is used, x having been
// computed before: one value, or loads of one address with no store that
// may change it in between.
func mustSamePtr(x, y ssa.Value) bool {
	if x == y || onceLoaded(x, y) {
		return true
	}
	lx, ok1 := x.(*ssa.UnOp)
	ly, ok2 := y.(*ssa.UnOp)
	if !ok1 || !ok2 || lx.Op != token.MUL || ly.Op != token.MUL || lx.Parent() != ly.Parent() {
		return false
	}
	if !mustSameAddr(lx.X, ly.X) {
		return false
	}
	return !clobbered(lx, ly, lx.Type())
}

// mustSameAddr: x and y are one address: one value, or the same field of
// one pointer.
func mustSameAddr(x, y ssa.Value) bool {
	if x == y {
		return true
	}
	fx, ok1 := x.(*ssa.FieldAddr)
	fy, ok2 := y.(*ssa.FieldAddr)
	return ok1 && ok2 && fx.Field == fy.Field && mustSamePtr(fx.X, fy.X)
}

// clobbered: on some path from instruction x to instruction y (of one
// function) something may store a value of type t (or holding one), or
// call code that may.
func clobbered(x, y ssa.Instruction, t types.Type) bool {
	bx, by := x.Block(), y.Block()
	if bx == nil || by == nil {
		return true
	}
	// fwd: blocks reachable from bx's successors; back: blocks from
	// which by is reachable (by included).
	fwd := map[*ssa.BasicBlock]bool{}
	stack := append([]*ssa.BasicBlock(nil), bx.Succs...)
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fwd[b] {
			fwd[b] = true
			stack = append(stack, b.Succs...)
		}
	}
	back := map[*ssa.BasicBlock]bool{by: true}
	stack = append(stack, by.Preds...)
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !back[b] {
			back[b] = true
			stack = append(stack, b.Preds...)
		}
	}
	ix, iy := indexOf(bx, x), indexOf(by, y)
	if ix < 0 || iy < 0 || bx == by && ix >= iy || bx != by && !bx.Dominates(by) {
		return true // x does not surely come first
	}
	if bx == by && ix < iy && !fwd[bx] {
		return clobbers(bx.Instrs[ix+1:iy], t)
	}
	if clobbers(bx.Instrs[ix+1:], t) || clobbers(by.Instrs[:iy], t) {
		return true
	}
	for _, b := range bx.Parent().Blocks {
		if fwd[b] && back[b] && (b != bx && b != by || fwd[bx] && b == bx || fwd[by] && b == by) {
			if clobbers(b.Instrs, t) {
				return true
			}
		}
	}
	return false
}

func indexOf(b *ssa.BasicBlock, in ssa.Instruction) int {
	for i, x := range b.Instrs {
		if x == in {
			return i
		}
	}
	return -1
}

// clobbers: one of instrs may store a value of type t: a store of it (or
// of a value holding it in place), or a call, other than a mutex's
// methods and len and cap; a goroutine started, which may store while
// this one runs. A deferred call runs after the function's accesses.
func clobbers(instrs []ssa.Instruction, t types.Type) bool {
	for _, in := range instrs {
		switch in := in.(type) {
		case *ssa.Store:
			if mem.TypeContains(in.Val.Type(), t) {
				return true
			}
		case *ssa.Go:
			return true
		case *ssa.Call:
			c := in.Common()
			if mutexOp(c) != 0 {
				continue
			}
			if b, ok := c.Value.(*ssa.Builtin); ok && (b.Name() == "len" || b.Name() == "cap") {
				continue
			}
			return true
		}
	}
	return false
}

// withoutPtrs: hs without the SSA pointers of the function summarized
// (held.ptr), which a summary does not keep.
func withoutPtrs(hs []held) []held {
	for i, h := range hs {
		if h.ptr != nil {
			out := append([]held(nil), hs...)
			for j := i; j < len(out); j++ {
				out[j].ptr = nil
			}
			return out
		}
	}
	return hs
}

// samePtrs: a and b (of one key) hold their locks through the same
// pointers.
func samePtrs(a, b []held) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ptr != b[i].ptr {
			return false
		}
	}
	return true
}

// inLockObject: the access at l lies in place in the object that holds
// the mutex at lock: both paths are one up to the lock's last
// dereference, the lock's goes on by fields only and the access's by no
// dereference.
func inLockObject(l, lock mem.Loc) bool {
	if l.Base.Key != lock.Base.Key {
		return false
	}
	q := 0
	for i, e := range lock.Path {
		if e.Kind == mem.Deref {
			q = i + 1
		}
	}
	for _, e := range lock.Path[q:] {
		if e.Kind != mem.Field {
			return false
		}
	}
	if len(l.Path) < q {
		return false
	}
	for i := 0; i < q; i++ {
		if !mem.SameElem(l.Path[i], lock.Path[i]) {
			return false
		}
	}
	for _, e := range l.Path[q:] {
		if e.Kind == mem.Deref {
			return false
		}
	}
	return !l.Trunc || len(l.Path) > q && !holdsPointers(l.MemType(), 0)
}

// sameObjectLock: x (held at xa) and y (held at ya) are one mutex though
// their loc names many (an element of a map, an object of unknown
// origin): each access lies in place in its lock's object, reached
// through the same pointer as the lock. Two such objects of one type are
// one object or disjoint, so if the accesses touch the same memory, the
// two invocations hold the same mutex.
func sameObjectLock(xa, ya *rawAccess, x, y held) bool {
	return x.same && y.same && !x.loc.Trunc && inLockObject(xa.loc, x.loc) && inLockObject(ya.loc, y.loc)
}

// guardingLocks: hs without the locks that can guard nothing: one whose
// loc names no one mutex and lies in no parameter's memory, held for an
// access other than of its own object (sameObjectLock needs same).
func guardingLocks(hs []held) []held {
	for i, h := range hs {
		if h.same || isRelative(h.loc) || mustAliasLock(h.loc) {
			continue
		}
		out := append([]held(nil), hs[:i]...)
		for _, h := range hs[i+1:] {
			if h.same || isRelative(h.loc) || mustAliasLock(h.loc) {
				out = append(out, h)
			}
		}
		return out
	}
	return hs
}

// argLocks: the locks held here, at a call, in the object whose pointer
// the call hands the callee for the access at l (a loc of the callee's):
// l lies in place in what the parameter points to, and the lock was
// taken through that very pointer (withBox locks b and calls f(b), and f
// writes b.n). They are marked same for l, as if the callee took them.
func (s *fnState) argLocks(l mem.Loc, args []ssa.Value) []held {
	if l.Base.Kind != mem.Param || l.Base.Idx >= len(args) || len(s.cur) == 0 || !inPlace(l) {
		return nil
	}
	arg := args[l.Base.Idx]
	if _, ok := arg.(coveredVar); ok || arg == nil {
		return nil
	}
	if _, ok := arg.Type().Underlying().(*types.Pointer); !ok {
		return nil // a parameter's loc is what it points to (fnState.origin)
	}
	var out []held
	for _, h := range s.cur {
		if h.ptr != nil && mustSamePtr(h.ptr, arg) {
			out = append(out, held{loc: h.loc, write: h.write, same: true, wif: h.wif})
		}
	}
	return out
}

// inPlace: l lies in place in its root's memory: fields and elements of
// arrays held in place only, no pointer followed, no slice's or map's
// elements.
func inPlace(l mem.Loc) bool {
	if l.Trunc {
		return false
	}
	prev := l.Base.Type
	for _, e := range l.Path {
		switch e.Kind {
		case mem.Field:
		case mem.Index:
			if prev == nil {
				return false
			}
			if _, ok := prev.Underlying().(*types.Array); !ok {
				return false
			}
		default:
			return false
		}
		prev = e.Type
	}
	return true
}

// withObjectLocks: locks, plus those of objLocks in whose object l lies
// in place (sameObjectLock checks it again where the accesses meet).
func withObjectLocks(locks, objLocks []held, l mem.Loc) []held {
	out := locks
	for _, h := range objLocks {
		if h.loc.Trunc || h.loc.Base.Kind == mem.Fresh || !inLockObject(l, h.loc) {
			continue
		}
		if len(out) == len(locks) {
			out = append([]held(nil), locks...)
		}
		out = unionLocks(out, []held{h})
	}
	return out
}

// Read or write by an argument: a helper that locks for writing or
// reading as its caller asks (if write { mb.Lock() } else { mb.RLock() },
// then f(mb)) holds the lock, after the branches join, for writing where
// that parameter is true. The join records it (held.wif) and each call
// resolves it: a constant true is a write lock, a parameter of the caller
// passes the question up, anything else leaves a read lock.

// modeJoin refines cur, the locks held at the entry of b (the meet over
// its predecessors' exits out), where a lock is held for writing on the
// ways that pass where a bool parameter is true and for reading on those
// where it is false.
func (s *fnState) modeJoin(b *ssa.BasicBlock, cur []held, out map[*ssa.BasicBlock][]held, visited map[*ssa.BasicBlock]bool) []held {
	if len(b.Preds) < 2 {
		return cur
	}
	for i, h := range cur {
		if h.write || h.wif != 0 {
			continue
		}
		param, w, r := -1, false, false
		for _, p := range b.Preds {
			if !visited[p] {
				continue
			}
			e, ok := heldAs(out[p], h.loc.Key)
			if !ok || e.wif != 0 {
				param = -1
				break
			}
			q, val, ok := branchOf(s.fn, p)
			if !ok || val != e.write || param >= 0 && q != param {
				param = -1
				break
			}
			param, w, r = q, w || e.write, r || !e.write
		}
		if param >= 0 && w && r {
			cur = append([]held(nil), cur...) // cur may be a predecessor's
			cur[i].wif = param + 1
		}
	}
	return cur
}

func heldAs(hs []held, key string) (held, bool) {
	for _, h := range hs {
		if h.loc.Key == key {
			return h, true
		}
	}
	return held{}, false
}

// branchOf: every way to blk passes one edge of a branch on a bool
// parameter of fn: that parameter's index and the edge's value.
func branchOf(fn *ssa.Function, blk *ssa.BasicBlock) (param int, val, ok bool) {
	for d := blk.Idom(); d != nil; d = d.Idom() {
		if len(d.Instrs) == 0 {
			continue
		}
		br, isIf := d.Instrs[len(d.Instrs)-1].(*ssa.If)
		if !isIf {
			continue
		}
		p := paramOf(fn, br.Cond)
		if p == nil {
			continue
		}
		for i, succ := range d.Succs {
			// Entered only from d, along this edge: p had its value.
			if len(succ.Preds) == 1 && succ.Dominates(blk) && d.Succs[0] != d.Succs[1] {
				return paramIndex(p), i == 0, true
			}
		}
	}
	return 0, false, false
}

// paramOf: v is a parameter of fn, or a load of the variable that holds
// one when a closure captures it (defer func() { if write { ... } }()).
func paramOf(fn *ssa.Function, v ssa.Value) *ssa.Parameter {
	if ld, ok := v.(*ssa.UnOp); ok && ld.Op == token.MUL {
		if al, ok := ld.X.(*ssa.Alloc); ok {
			v = onceStored(al)
		}
	}
	if p, ok := v.(*ssa.Parameter); ok && p.Parent() == fn {
		return p
	}
	return nil
}

// onceStored is the one value ever stored in the variable al (one that a
// closure captures, so not an SSA value of its own), if every load of it
// comes after that store: here, or in closures that only load it and are
// made after it. Nil otherwise.
func onceStored(al *ssa.Alloc) ssa.Value {
	refs := al.Referrers()
	if refs == nil || al.Parent() == nil {
		return nil
	}
	var st *ssa.Store
	for _, r := range *refs {
		if s, ok := r.(*ssa.Store); ok {
			if st != nil || s.Addr != al {
				return nil
			}
			st = s
		}
	}
	if st == nil {
		return nil
	}
	for _, r := range *refs {
		switch r := r.(type) {
		case *ssa.Store, *ssa.DebugRef:
			continue
		case *ssa.UnOp:
			if r.Op != token.MUL {
				return nil
			}
		case *ssa.MakeClosure:
			if !onlyLoaded(r, al) {
				return nil
			}
		default:
			return nil
		}
		if !before(st, r) {
			return nil
		}
	}
	return st.Val
}

// before: instruction x comes before y on every way to y.
func before(x, y ssa.Instruction) bool {
	bx, by := x.Block(), y.Block()
	if bx == nil || by == nil {
		return false
	}
	if bx == by {
		ix, iy := indexOf(bx, x), indexOf(by, y)
		return ix >= 0 && ix < iy
	}
	return bx.Dominates(by)
}

// onlyLoaded: the closure mc makes only loads the variable al it captures.
func onlyLoaded(mc *ssa.MakeClosure, al *ssa.Alloc) bool {
	cl, ok := mc.Fn.(*ssa.Function)
	if !ok {
		return false
	}
	for i, b := range mc.Bindings {
		if b != al {
			continue
		}
		fv := cl.FreeVars[i]
		if fv.Referrers() == nil {
			continue
		}
		for _, r := range *fv.Referrers() {
			switch r := r.(type) {
			case *ssa.UnOp:
				if r.Op != token.MUL {
					return false
				}
			case *ssa.DebugRef:
			default:
				return false
			}
		}
	}
	return true
}

// onceLoaded: x and y are loads of one variable that holds one value
// (onceStored): one pointer wherever they are used.
func onceLoaded(x, y ssa.Value) bool {
	lx, ok1 := x.(*ssa.UnOp)
	ly, ok2 := y.(*ssa.UnOp)
	if !ok1 || !ok2 || lx.Op != token.MUL || ly.Op != token.MUL || lx.X != ly.X {
		return false
	}
	al, ok := lx.X.(*ssa.Alloc)
	return ok && onceStored(al) != nil
}

// meetMode is what two ways agree on of a lock's mode by an argument.
func meetMode(x, y held) int {
	switch {
	case x.write && y.write:
		return 0
	case x.write:
		return y.wif
	case y.write:
		return x.wif
	case x.wif == y.wif:
		return x.wif
	}
	return 0
}

// modeAt is h, a lock of the callee's, at a call with args.
func (s *fnState) modeAt(h held, args []ssa.Value) held {
	k := h.wif - 1
	h.wif = 0
	if h.write || k < 0 || k >= len(args) {
		return h
	}
	switch a := args[k].(type) {
	case *ssa.Const:
		if a.Value != nil && a.Value.Kind() == constant.Bool && constant.BoolVal(a.Value) {
			h.write = true
		}
	case *ssa.Parameter:
		if a.Parent() == s.fn {
			h.wif = paramIndex(a) + 1
		}
	}
	return h
}

// edgeLocks: the locks held at a call that its callee's accesses keep
// (reach.go), named absolutely and with their mode decided here.
func edgeLocks(hs []held) []held {
	out := guardingLocks(absoluteLocks(hs))
	for i, h := range out {
		if h.wif != 0 {
			out = append([]held(nil), out...)
			for j := i; j < len(out); j++ {
				out[j].wif = 0
			}
			return out
		}
	}
	return out
}

// releasedBy: an unlock of the mutex at l may release h: h is the same
// loc, or h names many mutexes of l's type, one of which l may be.
func releasedBy(h held, l mem.Loc) bool {
	return h.loc.Key == l.Key || !mustAliasLock(h.loc) && mem.Identical(h.loc.MemType(), l.MemType())
}

// Unlocks in callees. A function may unlock a mutex its caller holds
// (func release() { mu.Unlock() }), or release it for a while
// (mu.Unlock(); slow(); mu.Lock()): after such a call none of the
// caller's locks is taken to be held (lockStep), and none guards what
// the callee does (applySummary). A function releases when it unlocks a
// mutex it did not lock itself before, on every way there, through the
// same pointer (foreignUnlock), or unlocks through an interface
// (sync.Locker), or calls a function that releases.

// releases: fn may unlock a mutex its caller holds.
// It depends on all fn calls: recorded as read, for the cache.
func (a *analyzer) releases(fn *ssa.Function) bool {
	ok := a.releasingOf(fn)
	if a.reads != nil {
		a.reads.releases = append(a.reads.releases, makeRead{fn: fn, ok: ok})
	}
	return ok
}

// releasingOf is releases, not recorded.
func (a *analyzer) releasingOf(fn *ssa.Function) bool {
	if a.releasing == nil {
		saved := a.reads
		a.reads = nil // a search of the whole program, no one function's read
		a.findReleasing()
		a.reads = saved
	}
	return a.releasing[fn]
}

// releasesAt: the call may unlock a mutex its caller holds.
func (a *analyzer) releasesAt(call ssa.CallInstruction) bool {
	for _, t := range a.libraryCallbacksAt(call) {
		if a.releases(t.fn) {
			return true
		}
	}
	if callee := call.Common().StaticCallee(); callee != nil {
		return a.releases(callee)
	}
	if unlockByName(call.Common()) {
		return true
	}
	for _, t := range a.sites[call] {
		if a.releases(t) {
			return true
		}
	}
	return false
}

// unlockByName: an interface call of an Unlock or RUnlock method (a
// sync.Locker's): which mutex it unlocks is not known.
func unlockByName(c *ssa.CallCommon) bool {
	return c.IsInvoke() && (c.Method.Name() == "Unlock" || c.Method.Name() == "RUnlock")
}

// findReleasing computes releasing for every function the workspace's
// functions reach: those with a foreign unlock, and their callers.
func (a *analyzer) findReleasing() {
	a.releasing = map[*ssa.Function]bool{}
	callers := map[*ssa.Function][]*ssa.Function{}
	seen := map[*ssa.Function]bool{}
	var work, all []*ssa.Function
	for _, fn := range a.wsFuncs {
		if !seen[fn] {
			seen[fn] = true
			work = append(work, fn)
		}
	}
	for len(work) > 0 {
		fn := work[len(work)-1]
		work = work[:len(work)-1]
		all = append(all, fn)
		for _, g := range a.edges(fn) {
			callers[g] = append(callers[g], fn)
			if !seen[g] {
				seen[g] = true
				work = append(work, g)
			}
		}
	}
	for _, fn := range all {
		if foreignUnlock(fn) {
			a.releasing[fn] = true
			work = append(work, fn)
		}
	}
	for len(work) > 0 {
		fn := work[len(work)-1]
		work = work[:len(work)-1]
		for _, c := range callers[fn] {
			if !a.releasing[c] {
				a.releasing[c] = true
				work = append(work, c)
			}
		}
	}
}

// foreignUnlock: fn unlocks a mutex it has not surely locked itself
// before, through the same pointer, or one through an interface, or in a
// goroutine it starts.
func foreignUnlock(fn *ssa.Function) bool {
	var locks []*ssa.CallCommon
	var lockAt []ssa.Instruction
	for _, b := range fn.Blocks {
		for _, in := range b.Instrs {
			if c, ok := in.(*ssa.Call); ok && mutexOp(c.Common()) > 0 {
				locks = append(locks, c.Common())
				lockAt = append(lockAt, in)
			}
		}
	}
	for _, b := range fn.Blocks {
		for _, in := range b.Instrs {
			call, ok := in.(ssa.CallInstruction)
			if !ok {
				continue
			}
			c := call.Common()
			if unlockByName(c) {
				return true
			}
			if mutexOp(c) != -1 {
				continue
			}
			if _, isGo := in.(*ssa.Go); isGo {
				return true
			}
			mine := false
			for i, l := range locks {
				if before(lockAt[i], in) && sameMutex(l.Args[0], c.Args[0]) {
					mine = true
					break
				}
			}
			if !mine {
				return true
			}
		}
	}
	return false
}

// sameMutex: x and y, the addresses of mutexes, are one address: the
// same fields of one pointer (mustSamePtr).
func sameMutex(x, y ssa.Value) bool {
	for {
		fx, ok1 := x.(*ssa.FieldAddr)
		fy, ok2 := y.(*ssa.FieldAddr)
		if !ok1 || !ok2 {
			break
		}
		if fx.Field != fy.Field {
			return false
		}
		x, y = fx.X, fy.X
	}
	return mustSamePtr(x, y)
}
