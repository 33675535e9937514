package derive

import (
	"go/token"
	"go/types"
	"math/bits"
	"sort"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// What a value may refer to, as a set of sources: the function's
// parameters (bit i for the i-th, the receiver first), memory it made
// itself, the library's variables, and memory of unknown origin (what an
// unknown call returned). A value loaded from memory of a source holds
// that source and what was stored into its memory (closure): the taint
// over-approximates what the value reaches.
type taint uint64

const (
	maxParams       = 60
	bitF      taint = 1 << 60 // memory this function (or a fresh callee) made
	bitG      taint = 1 << 61 // package-level variables
	bitU      taint = 1 << 62 // unknown origin
	paramMask taint = 1<<maxParams - 1
)

type eff uint8

const (
	effNone eff = iota
	effRead
	effWrite
)

func effName(e eff) string {
	return [...]string{"none", "read", "write"}[e]
}

func effOf(s string) eff {
	switch s {
	case "none":
		return effNone
	case "read":
		return effRead
	}
	return effWrite
}

// summary is one function's derived behaviour, per parameter.
type summary struct {
	eff    []eff
	keeps  string // "nothing", "receiver", "result" or "" (anywhere)
	result string // "fresh" or ""
	// whole: the derivation gave up on the function (conservative);
	// partial: some call in it was taken conservatively; calls: it may
	// run code the derivation does not know (an interface method, a
	// function value, a call without a model), which may be the caller's.
	whole, partial, calls bool
}

func bottom(n int) *summary {
	return &summary{eff: make([]eff, n), keeps: "nothing", result: "fresh"}
}

func conservative(n int) *summary {
	s := &summary{eff: make([]eff, n), whole: true, partial: true, calls: true}
	for i := range s.eff {
		s.eff[i] = effWrite
	}
	return s
}

func keepRank(k string) int {
	switch k {
	case "nothing":
		return 0
	case "":
		return 2
	}
	return 1
}

// join is the least summary above both: the fixpoint only climbs.
func join(a, b *summary) *summary {
	out := &summary{eff: make([]eff, len(a.eff)), whole: a.whole || b.whole, partial: a.partial || b.partial, calls: a.calls || b.calls}
	for i := range out.eff {
		out.eff[i] = max(a.eff[i], b.eff[i])
	}
	switch ra, rb := keepRank(a.keeps), keepRank(b.keeps); {
	case ra == 1 && rb == 1 && a.keeps != b.keeps:
		out.keeps = ""
	case ra >= rb:
		out.keeps = a.keeps
	default:
		out.keeps = b.keeps
	}
	if a.result == "fresh" && b.result == "fresh" {
		out.result = "fresh"
	}
	return out
}

func (s *summary) equal(o *summary) bool {
	if s.keeps != o.keeps || s.result != o.result || s.whole != o.whole || s.partial != o.partial || s.calls != o.calls {
		return false
	}
	for i := range s.eff {
		if s.eff[i] != o.eff[i] {
			return false
		}
	}
	return true
}

// fromModel is a table's or another package's model as a summary of a
// callee with n parameters (the receiver first if method).
func fromModel(m *Model, n int, method bool) *summary {
	s := &summary{eff: make([]eff, n), keeps: m.Keeps, result: m.Result, partial: m.Partial, calls: !m.Quiet}
	if m.Result == "first" {
		s.result = "first"
	}
	for i := range s.eff {
		j := i
		if method {
			if i == 0 {
				s.eff[i] = effOf(m.Receiver)
				continue
			}
			j--
		}
		s.eff[i] = effOf(m.Args)
		for _, w := range m.Writes {
			if w == j {
				s.eff[i] = effWrite
			}
		}
	}
	return s
}

// flows summarizes the functions of one package to a fixpoint.
type flows struct {
	d      *Deriver
	pkg    *ssa.Package
	budget int
	sums   map[*ssa.Function]*summary
	deps   map[string]string
	order  []*ssa.Function
	// fields: the functions the package's unexported fields of function
	// type may hold (fields.go); nil where the package imports unsafe.
	fields map[*types.Var]*fieldSet
}

func analyzable(fn *ssa.Function) bool {
	return fn.Blocks != nil && len(fn.FreeVars) == 0 && fn.TypeParams().Len() == 0 &&
		len(fn.TypeArgs()) == 0 && len(fn.Params) <= maxParams
}

func (fl *flows) run() {
	for fn := range ssautil.AllFunctions(fl.pkg.Prog) {
		if analyzable(fn) {
			fl.sums[fn] = bottom(len(fn.Params))
			fl.order = append(fl.order, fn)
		}
	}
	sort.Slice(fl.order, func(i, j int) bool { return fl.order[i].String() < fl.order[j].String() })
	fl.fields = fl.fieldFuncs()
	for range 40 {
		changed := false
		for _, fn := range fl.order {
			old := fl.sums[fn]
			s := join(old, fl.analyze(fn))
			if !s.equal(old) {
				fl.sums[fn], changed = s, true
			}
		}
		if !changed {
			return
		}
	}
	// No fixpoint within the bound: nothing derived is trusted.
	for _, fn := range fl.order {
		fl.sums[fn] = conservative(len(fn.Params))
	}
}

// state is one pass over one function.
type state struct {
	fl      *flows
	fn      *ssa.Function
	method  bool
	val     map[ssa.Value]taint
	stored  [63]taint // what was stored into the memory of each source
	changed bool

	reads, writes, keepAny, keepRecv, keepF taint
	res, resAll                             taint
	// fInto: the parameters memory this function made was stored into;
	// fEsc: it went anywhere else.
	fInto                       taint
	fEsc, whole, partial, calls bool
}

func (fl *flows) analyze(fn *ssa.Function) *summary {
	st := &state{fl: fl, fn: fn, method: fn.Signature.Recv() != nil, val: map[ssa.Value]taint{}}
	for i, p := range fn.Params {
		st.set(p, 1<<i)
	}
	for st.changed = true; st.changed && !st.whole; {
		st.changed = false
		for _, b := range fn.Blocks {
			for _, in := range b.Instrs {
				st.instr(in)
			}
		}
	}
	if st.whole {
		return conservative(len(fn.Params))
	}
	return st.summary()
}

func (st *state) summary() *summary {
	s := &summary{eff: make([]eff, len(st.fn.Params)), partial: st.partial, calls: st.calls}
	for i := range s.eff {
		switch {
		case st.writes&(1<<i) != 0:
			s.eff[i] = effWrite
		case st.reads&(1<<i) != 0:
			s.eff[i] = effRead
		}
	}
	keepRes := false
	if st.keepF != 0 {
		if st.fEsc {
			st.keepAny |= st.keepF
		} else {
			st.keptViaF()
			// Kept in a result that is not fresh (F went into a
			// parameter's memory) is kept in what the arguments
			// reach, which is what such a result is taken to be.
			keepRes = st.resAll&bitF != 0 && st.fInto == 0
		}
	}
	switch {
	case st.keepAny != 0, st.keepRecv != 0 && keepRes:
		s.keeps = ""
	case st.keepRecv != 0:
		s.keeps = "receiver"
	case keepRes:
		s.keeps = "result"
	default:
		s.keeps = "nothing"
	}
	// Fresh: every pointer returned first is memory made here, which
	// went nowhere else and holds nothing of the library's variables or
	// of unknown origin (and what it holds of the parameters, Keeps
	// "result" says).
	inF := st.closure(bitF)
	if r := st.fn.Signature.Results(); r.Len() > 0 && mem.PointerLike(r.At(0).Type()) &&
		st.res&^bitF == 0 && !st.fEsc && st.fInto == 0 && inF&(bitG|bitU) == 0 && (inF&paramMask == 0 || s.keeps == "result") {
		s.result = "fresh"
	}
	return s
}

// keptViaF: parameters kept in memory made here, which went only into
// parameters' memory (fInto), are kept in those parameters' memory: in
// the receiver's (Keeps "receiver"), or another's (anywhere). A
// parameter kept only in its own memory is kept nowhere new: a
// multipart.Writer's new part points back to the Writer, which keeps it.
func (st *state) keptViaF() {
	for rest := st.keepF; rest != 0; rest &= rest - 1 {
		k := taint(1) << bits.TrailingZeros64(uint64(rest))
		switch into := st.fInto &^ k; {
		case into == 0:
		case st.method && into == 1:
			st.keepRecv |= k
		default:
			st.keepAny |= k
		}
	}
}

func (st *state) closure(t taint) taint {
	for {
		n := t
		for rest := t; rest != 0; rest &= rest - 1 {
			n |= st.stored[bits.TrailingZeros64(uint64(rest))]
		}
		if n == t {
			return t
		}
		t = n
	}
}

func (st *state) of(v ssa.Value) taint {
	switch v := v.(type) {
	case *ssa.Global:
		return bitG
	case *ssa.FreeVar:
		return bitU
	case *ssa.Const, *ssa.Function, *ssa.Builtin, nil:
		return 0
	default:
		return st.val[v]
	}
}

// set adds t to what v may refer to. A value that holds no pointer (a
// string, a number) refers to nothing: what it was computed from does not
// flow through it.
func (st *state) set(v ssa.Value, t taint) {
	if !holdsPointers(v.Type()) {
		return
	}
	if old := st.val[v]; t&^old != 0 {
		st.val[v] = old | t
		st.changed = true
	}
}

// store: pointers of val (of type typ) are stored into the memory of dst.
func (st *state) store(val taint, typ types.Type, dst taint) {
	if dst&bitG != 0 {
		st.whole = true // the library's own variables written
	}
	st.writes |= dst
	if !holdsPointers(typ) {
		return
	}
	for rest := dst; rest != 0; rest &= rest - 1 {
		i := bits.TrailingZeros64(uint64(rest))
		if val&^st.stored[i] != 0 {
			st.stored[i] |= val
			st.changed = true
		}
	}
	for rest := val & paramMask; rest != 0; rest &= rest - 1 {
		k := taint(1) << bits.TrailingZeros64(uint64(rest))
		other := dst &^ k
		if other&(bitG|bitU) != 0 {
			st.keepAny |= k
		}
		if ps := other & paramMask; ps != 0 {
			if st.method && ps == 1 {
				st.keepRecv |= k
			} else {
				st.keepAny |= k
			}
		}
		if other&bitF != 0 {
			st.keepF |= k
		}
	}
	if val&bitF != 0 {
		if dst&(bitG|bitU) != 0 {
			st.fEsc = true
		}
		st.fInto |= dst & paramMask
	}
}

// escape: what v reaches may be kept anywhere.
func (st *state) escape(t taint) {
	t = st.closure(t)
	st.keepAny |= t & paramMask
	if t&bitF != 0 {
		st.fEsc = true
	}
}

func (st *state) load(v ssa.Value, from ssa.Value) {
	t := st.of(from)
	st.reads |= t
	st.set(v, st.closure(t))
}

func (st *state) instr(in ssa.Instruction) {
	switch in := in.(type) {
	case *ssa.Alloc, *ssa.MakeMap, *ssa.MakeSlice, *ssa.MakeChan:
		st.set(in.(ssa.Value), bitF)
	case *ssa.MakeInterface:
		st.set(in, st.of(in.X)|bitF)
	case *ssa.MakeClosure:
		// Called later, anywhere: what it captures is written and kept.
		var t taint
		for _, b := range in.Bindings {
			t |= st.closure(st.of(b))
		}
		st.reads, st.writes = st.reads|t, st.writes|t
		st.escape(t)
		st.partial = true
		st.set(in, t|bitU)
	case *ssa.UnOp:
		if in.Op == token.MUL || in.Op == token.ARROW {
			st.load(in, in.X)
		} else {
			st.set(in, st.of(in.X))
		}
	case *ssa.Lookup:
		st.load(in, in.X)
	case *ssa.Next:
		st.load(in, in.Iter)
	case *ssa.Convert:
		if isUnsafe(in.Type()) || isUnsafe(in.X.Type()) {
			st.whole = true
		}
		// string to []byte or []rune: new memory.
		st.set(in, st.of(in.X)|bitF)
	case *ssa.MultiConvert:
		st.set(in, st.of(in.X)|bitF)
	case *ssa.FieldAddr, *ssa.IndexAddr, *ssa.Field, *ssa.Index, *ssa.Slice, *ssa.ChangeType,
		*ssa.ChangeInterface, *ssa.SliceToArrayPointer, *ssa.TypeAssert,
		*ssa.Extract, *ssa.Phi, *ssa.Range:
		var t taint
		for _, op := range in.Operands(nil) {
			t |= st.of(*op)
		}
		st.set(in.(ssa.Value), t)
	case *ssa.Select:
		var t taint
		for _, s := range in.States {
			if s.Dir == types.SendOnly {
				st.store(st.of(s.Send), s.Send.Type(), st.of(s.Chan))
				st.escape(st.of(s.Send))
			} else {
				t |= st.of(s.Chan)
			}
		}
		st.reads |= t
		st.set(in, st.closure(t))
	case *ssa.Store:
		st.store(st.of(in.Val), in.Val.Type(), st.of(in.Addr))
	case *ssa.MapUpdate:
		st.store(st.of(in.Key), in.Key.Type(), st.of(in.Map))
		st.store(st.of(in.Value), in.Value.Type(), st.of(in.Map))
	case *ssa.Send:
		st.store(st.of(in.X), in.X.Type(), st.of(in.Chan))
		st.escape(st.of(in.X))
	case *ssa.Panic:
		st.escape(st.of(in.X))
	case *ssa.Return:
		for i, r := range in.Results {
			t := st.of(r)
			if i == 0 {
				st.res |= t
			}
			st.resAll |= t
		}
	case *ssa.Go:
		st.whole = true
	case *ssa.Call:
		st.call(in.Common(), in)
	case *ssa.Defer:
		st.call(in.Common(), nil)
	}
}

func isUnsafe(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.UnsafePointer
}

// holdsPointers: a value of t may hold a pointer (strings, numbers and
// structs of them do not).
func holdsPointers(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	case *types.Struct:
		for i := range u.NumFields() {
			if holdsPointers(u.Field(i).Type()) {
				return true
			}
		}
		return false
	case *types.Array:
		return holdsPointers(u.Elem())
	}
	return true
}
