package analysis

import (
	"go/types"
	"slices"
	"sort"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// maxPartners bounds the partners kept per access: a message names a few,
// and a hot global shared by hundreds of handlers must not make the result
// quadratic in size.
const maxPartners = 8

// bruteForceAliasing makes imprecise accesses be compared with every
// signature, as a test oracle for the index.
var bruteForceAliasing = false

func allSigs(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

type entry struct {
	h   int
	raw *rawAccess
	pub *Access
}

// conflicts fills in handlers, the conflicts between their accesses, the
// matrix, hues and colors.
func (a *analyzer) conflicts(res *Result, found []found, setup []*ssa.Function) {
	a.sortFound(found)
	accesses, pol := a.gather(found, setup)
	p := newPairer(res, pol, len(found))
	cg := a.place(res, found, accesses, p)
	p.signatures(cg)
	p.compareLoose(p.compareByRoot())
	p.givePartners()
	cg.finish()
	if a.noList {
		p.countConflicts()
	} else {
		p.listConflicts()
	}
	hues(res)
}

// sortFound puts the handlers in source order of the code the user wrote:
// a handler behind middleware is the wrapper's function, the same for all
// of them, so it sorts by what the wrapping holds, then by route, so that
// the output does not depend on the order discovery met them.
func (a *analyzer) sortFound(found []found) {
	sort.SliceStable(found, func(i, j int) bool {
		fi, fj := found[i].inner(), found[j].inner()
		pi, pj := a.position(fi.fn.Pos()), a.position(fj.fn.Pos())
		if pi.Filename != pj.Filename {
			return pi.Filename < pj.Filename
		}
		if pi.Offset != pj.Offset {
			return pi.Offset < pj.Offset
		}
		if ri, rj := strings.Join(found[i].routes, ","), strings.Join(found[j].routes, ","); ri != rj {
			return ri < rj
		}
		return funcName(found[i].fn) < funcName(found[j].fn)
	})
}

// gather collects each handler's accesses, and in a pollution the stores
// of handlers and setup code: the pointers memory may hold.
func (a *analyzer) gather(found []found, setup []*ssa.Function) ([][]*rawAccess, *pollution) {
	accesses := make([][]*rawAccess, len(found))
	pol := newPollution()
	pol.owners = a.owners
	pol.implementers = a.implementers
	pol.inWorkspace = func(p *types.Package) bool { return a.workspace[p] }
	gathered := 0
	stores := make([][]*rawStore, len(found))
	for i, f := range found {
		accesses[i], stores[i] = a.handlerAccesses(f)
		gathered += len(accesses[i])
		a.progress.tick("conflicts: the accesses of %d of %d handlers gathered (%d accesses)", i+1, len(found), gathered)
	}
	var pm paramMemory
	pol.add(a.splitParamStores(&pm, pol, stores))
	stores = nil
	// What concurrent handlers reach from their parameters, once every
	// store into them is known (invocation.go).
	for i := range found {
		accesses[i] = a.placeParams(&pm, i, accesses[i])
		for _, r := range accesses[i] {
			if r.loc.Base.Kind == mem.Context && !slices.ContainsFunc(pol.ctxTypes, func(t types.Type) bool { return types.Identical(t, r.loc.Base.Type) }) {
				pol.ctxTypes = append(pol.ctxTypes, r.loc.Base.Type)
			}
		}
	}
	for _, fn := range setup {
		pol.add(a.setupStores(fn))
	}
	return accesses, pol
}

// place publishes each handler's accesses, one for each loc an access may
// stand for once the pointers kept in memory are followed, puts them in
// their signatures (pairs.go), and groups those below each cut
// (cutgroup.go).
func (a *analyzer) place(res *Result, found []found, accesses [][]*rawAccess, p *pairer) *cutGroups {
	placed := 0
	cg := &cutGroups{}
	pol := p.pol
	for i, f := range found {
		h := &Handler{Name: funcName(f.fn), Short: shortFuncName(f.fn), Pos: a.position(f.fn.Pos()), Model: f.model,
			Accesses: make([]*Access, 0, len(accesses[i]))}
		for _, r := range accesses[i] {
			// Where the access may cross between a context and shared
			// memory, its loc changes, and it may stand for more accesses.
			l, extra, cuts := pol.apply(r.loc)
			cuts = slices.DeleteFunc(cuts, func(c *cutSet) bool {
				if len(c.locs) > groupCutsOver {
					return false
				}
				extra = append(extra, c.locs...)
				return true
			})
			attrs := sigAttrs(r) // the same for each loc it stands for
			var main entry
			for j, x := range append([]mem.Loc{l}, extra...) {
				raw := r
				if j > 0 || x.Base != r.loc.Base || !slices.Equal(x.Path, r.loc.Path) {
					c := *r
					c.loc = x
					raw = &c
				}
				acc := a.publish(raw, i)
				h.Accesses = append(h.Accesses, acc)
				e := entry{h: i, raw: raw, pub: acc}
				p.add(e, attrs)
				placed++
				if j == 0 {
					main = e
				}
			}
			// What it may reach below a cut is shared with every access
			// below the same cut: the access joins the set's group
			// instead of being copied once per loc (cutgroup.go).
			for _, c := range cuts {
				cg.add(c, main, attrs)
			}
		}
		accesses[i] = nil // in their entries now
		res.Handlers = append(res.Handlers, h)
		a.progress.tick("conflicts: the accesses of %d of %d handlers placed (%d, with what they may reach through pointers kept in memory; %d below cuts)", i+1, len(found), placed, cg.members)
	}
	// Its names and chains are all made: what they were looked up by
	// is garbage.
	a.pub = publisher{}
	return cg
}

// hues gives each handler with a global conflict its hue: the transitive
// closure of global conflicts (union-find). A handler with a context
// conflict is colored.
func hues(res *Result) {
	n := len(res.Handlers)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	hasGlobal := make([]bool, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if res.Matrix[i][j]&Global != 0 {
				hasGlobal[i], hasGlobal[j] = true, true
				parent[find(i)] = find(j)
			}
			if res.Matrix[i][j]&Context != 0 {
				res.Handlers[i].Colored = true
			}
		}
	}
	hue := map[int]int{}
	for i := 0; i < n; i++ {
		if !hasGlobal[i] {
			continue
		}
		r := find(i)
		if hue[r] == 0 {
			hue[r] = len(hue) + 1
		}
		res.Handlers[i].Hue = hue[r]
	}
}

// sigKey identifies what decides whether an access conflicts: where, how,
// and under which locks (sigAttrs); not where in the source or from
// which handler.
type sigKey struct {
	loc, attrs string
}

// sigAttrs is how an access touches its loc: its operation, atomicity
// and the locks held.
func sigAttrs(r *rawAccess) string {
	var b strings.Builder
	b.WriteString(r.op.String())
	if r.atomic {
		b.WriteString("|atomic")
	}
	if len(r.locks) > 0 {
		locks := make([]string, len(r.locks))
		for i, l := range r.locks {
			locks[i] = l.loc.Key + "\x00r"
			if l.write {
				locks[i] = l.loc.Key + "\x00w"
			}
			if l.same {
				locks[i] += "="
			}
		}
		sort.Strings(locks)
		b.WriteString("|" + strings.Join(locks, "|"))
	}
	return b.String()
}

// commonLock returns the name of a lock that keeps two accesses apart: one
// both hold, at least one for writing, that is provably one mutex
// (mustAliasLock). A lock inside the context only separates invocations on
// the same context, or accesses of its own object reached through the
// same pointer as it (locks.go).
func commonLock(xa, ya *rawAccess, k Kind) string {
	for _, x := range xa.locks {
		for _, y := range ya.locks {
			if x.loc.Key != y.loc.Key || !x.write && !y.write {
				continue
			}
			if !mustAliasLock(x.loc) {
				if sameObjectLock(xa, ya, x, y) {
					short, _ := x.loc.Names()
					return short
				}
				continue
			}
			if x.loc.Base.Kind == mem.Context {
				// A lock inside the context keeps apart invocations on
				// the same context; one in an object the context points
				// to, only accesses of that object through the same
				// pointer, on any context (locks.go).
				object := x.same && y.same && inLockObject(xa.loc, x.loc) && inLockObject(ya.loc, y.loc)
				if firstDeref(x.loc) >= 0 && !object || k != Context && !object {
					continue
				}
			}
			short, _ := x.loc.Names()
			return short
		}
	}
	return ""
}

// mustAliasLock: every invocation that holds a lock at l holds the same
// mutex as any other that does: not an element of an array, slice or map
// (accounts[i].mu is not accounts[j].mu), nothing reached through a
// pointer of unknown target.
func mustAliasLock(l mem.Loc) bool {
	if l.Base.Kind == mem.Unknown || l.Trunc || l.Imprecise() {
		return false
	}
	for _, e := range l.Path {
		if e.Kind == mem.Index {
			return false
		}
	}
	return true
}

func appendOnce(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
