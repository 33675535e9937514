package analysis

import (
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
	if x == y {
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
