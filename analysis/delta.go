package analysis

import (
	"go/token"
	"hash/maphash"
	"sort"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Passes over a recursive component apply only what is new.
//
// A member of a recursive component is summarized again in every pass one
// of its callees in the component grew, and each time it applied the whole
// summary of every callee again, to find the few entries the last pass
// added: on a server's 224-function component, passes with a dozen dirty
// members took half a minute each, nearly all of it re-deriving entries
// already recorded. Summaries only grow (accesses and stores are appended,
// never changed), so a call site whose callee entries were applied in an
// earlier pass, in the same context, needs only the entries appended
// since.
//
// "The same context" is everything applying an entry reads besides the
// entry and the caller's own summary: the memory each parameter and
// captured variable of the callee stands for at this call (the origins of
// the arguments, a captured variable's assigned values, the closure's
// makers' bindings), the locks held at the call, and which of the caller's
// allocations are published. All of these may grow from pass to pass as
// callees return and publish more; when any differs the call is applied
// whole, as before. The caller's summary keeps, per call site, callee and
// context, how many of the callee's accesses and stores it has applied.
//
// A context is keyed by 128 bits of two seeded hashes of its spelling
// (hash/maphash, seeds of the run's own), not by the spelling: the origins
// of a recursive component's arguments run long, and on caddy the
// spellings of one component's call sites held 0.9 GB at once, more than
// anything else in the run. Two contexts that differ share a key only by
// a collision of both hashes, as two summaries share a fingerprint
// (cache.go). (A SHA-256 digest, as before, took 6% of nats-server's run.)

// wholePasses switches delta passes off (a test compares the two).
var wholePasses = false

// appliedKey is one call site of one callee, in one context.
type appliedKey struct {
	pos    token.Pos
	callee *ssa.Function
	ctx    [2]uint64
}

// ctxSeeds are the seeds of the hashes that key contexts, made at the
// first ask.
func (a *analyzer) ctxSeeds() *[2]maphash.Seed {
	if a.ctxSeed == nil {
		a.ctxSeed = &[2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	}
	return a.ctxSeed
}

// appliedAt is how much of the callee's summary has been applied there.
type appliedAt struct{ acc, st int }

// appliedFrom returns where to resume applying callee's summary sum at this
// call site, and records that it is now applied up to its current end. It
// applies everything (a zero appliedAt) outside recursive components.
func (s *fnState) appliedFrom(pos token.Pos, callee *ssa.Function, sum *summary, args, binds []ssa.Value) appliedAt {
	if s.sum == nil || s.sum.applied == nil || wholePasses {
		return appliedAt{}
	}
	// The buffer is taken while in use: spelling looks up other
	// functions' states, which might spell a context of their own.
	buf := s.a.ctxSpelling
	s.a.ctxSpelling = nil
	buf = s.applyContext(buf[:0], callee, args, binds)
	seeds := s.a.ctxSeeds()
	k := appliedKey{pos: pos, callee: callee, ctx: [2]uint64{maphash.Bytes(seeds[0], buf), maphash.Bytes(seeds[1], buf)}}
	s.a.ctxSpelling = buf
	from := s.sum.applied[k]
	s.sum.applied[k] = appliedAt{acc: len(sum.accesses), st: len(sum.stores)}
	return from
}

// applyContext appends to b the spelling of what applying callee's entries
// at this call reads of the caller: see subst, which it follows root for
// root.
func (s *fnState) applyContext(b []byte, callee *ssa.Function, args, binds []ssa.Value) []byte {
	b = append(b, s.escapedKey()...)
	b = append(b, locksKey(s.cur)...)
	for i := range callee.Params {
		b = append(b, "|p"...)
		if i < len(args) && args[i] != nil && !isCovered(args, i) {
			b = s.writeRoots(b, s.origin(args[i]))
		} else if isCovered(args, i) {
			b = append(b, "covered"...)
		}
	}
	for i, fv := range callee.FreeVars {
		b = append(b, "|f"...)
		switch {
		case binds != nil && i < len(binds) && isCovered(binds, i):
			b = append(b, "covered"...)
		case binds != nil && i < len(binds):
			b = s.writeRoots(b, s.origin(binds[i]))
		default:
			b = s.writeRoots(b, s.a.creatorBindings(callee, i, mem.Pointee(fv.Type())))
		}
	}
	return b
}

// writeRoots appends to b the spelling of roots as subst expands them: a
// captured variable's cell stands for the values assigned to it.
func (s *fnState) writeRoots(b []byte, roots []mem.Loc) []byte {
	for _, r := range roots {
		b = append(b, ',')
		b = append(b, r.Key...)
		if al, ok := r.Base.Site.(*ssa.Alloc); ok && r.Base.Kind == mem.Fresh && len(r.Path) == 0 {
			if vals, ok := s.a.cellValues(al); ok {
				cs := s.a.state(al.Parent())
				b = append(b, "=["...)
				for _, x := range vals {
					for _, o := range cs.origin(x) {
						b = append(b, o.Key...)
						b = append(b, ';')
					}
				}
				b = append(b, ']')
			}
		}
	}
	return b
}

// escapedKey spells which of this invocation's allocations are published
// (escaped, published, goShared), once per pass (findEscapes runs once per pass).
func (s *fnState) escapedKey() string {
	if s.escKey != "" || len(s.escaped) == 0 && len(s.goShared) == 0 {
		return s.escKey
	}
	keys := make([]string, 0, len(s.escaped)+len(s.goShared))
	for b, ok := range s.escaped {
		if ok {
			keys = append(keys, b.Key)
		}
	}
	for b := range s.goShared {
		keys = append(keys, "go:"+b.Key)
	}
	for b := range s.published {
		keys = append(keys, "pub:"+b.Key)
	}
	sort.Strings(keys)
	s.escKey = "e:" + strings.Join(keys, ",") + ";"
	return s.escKey
}
