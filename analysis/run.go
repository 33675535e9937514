package analysis

import (
	"cmp"
	"context"
	"fmt"
	"go/token"
	"go/types"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safels/safels/analysis/calls"
	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// Run loads the packages cfg names, finds their handlers and computes their
// conflicts. Packages that do not parse or type-check are reported in
// Result.Problems and left out; the rest is analysed. The error is non-nil
// only when the go command could not be run at all.
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	if cfg.Cache != nil {
		cfg.Cache.mu.Lock()
		defer cfg.Cache.mu.Unlock()
	}
	newProgress(cfg.Progress).say("loading packages (the go command builds what the type-checker needs; the first run takes longest)")
	l, err := load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res = &Result{Problems: l.problems, Files: l.files, Packages: len(l.roots), Phases: l.phases, fset: l.fset, pkgs: l.roots, hashes: l.hashes}
	if l.prog == nil {
		return res, nil
	}
	defer func() {
		// A bug in the analysis must not take the caller down with it.
		if r := recover(); r != nil {
			if cfg.Cache != nil {
				// Whatever went wrong may be in what the cache holds: the
				// next run starts over.
				cfg.Cache.prev, cfg.Cache.deps, cfg.Cache.listing = nil, nil, nil
			}
			// The stack says where, for a report of the bug.
			res.Problems = append(res.Problems, Problem{Message: fmt.Sprintf("internal error in safels analysis: %v\n%s", r, debug.Stack())})
			res.Handlers, res.Conflicts, res.Matrix = nil, nil, nil
			err = nil
		}
	}()
	a := &analyzer{
		prog: l.prog, fset: l.fset, ctx: ctx,
		roots:  mem.NewRoots(l.fset, ownerName),
		sums:   map[*ssa.Function]*summary{},
		states: map[*ssa.Function]*fnState{},
		cells:  map[*ssa.Alloc]cell{},
	}
	rootPkgs := map[*types.Package]bool{}
	for _, p := range l.roots {
		rootPkgs[p.Types] = true
	}
	a.workspace = rootPkgs
	a.walkers = reflective(l.all)
	var fns []*ssa.Function
	all := ssautil.AllFunctions(l.prog)
	for fn := range all {
		if fn.Blocks != nil && fn.Pkg != nil && rootPkgs[fn.Pkg.Pkg] {
			fns = append(fns, fn)
		}
		if fn.Blocks != nil || len(fn.TypeArgs()) > 0 {
			a.bodies = append(a.bodies, fn)
		}
	}
	if cfg.Cache != nil {
		a.prev = cfg.Cache.prev
		a.pkgKeys = packageKeys(l.all, l.roots, l.hashes, l.deps.exports)
		a.next = &generation{fset: l.fset, entries: map[string]*cached{}, pkgKeys: map[string]string{}}
		for p, k := range a.pkgKeys {
			a.next.pkgKeys[p.Path()] = k
		}
		a.allFuncs = all
		a.lastReads = map[*ssa.Function]*readLog{}
		a.fps = map[*summary]fp{}
		a.stable = map[string]string{}
		a.posNames = map[token.Pos]string{}
		a.fnNames = map[*ssa.Function]string{}
		a.seeds = cfg.Cache.seeds
	}
	sortBySource(l.fset, fns)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	a.progress = newProgress(cfg.Progress)
	a.progress.say("loaded %d packages, %d functions in the workspace", len(l.roots), len(fns))
	start := time.Now()
	phase := func(name string) {
		res.Phases = append(res.Phases, Phase{name, time.Since(start)})
		a.progress.say("%s done in %s", name, time.Since(start).Round(time.Millisecond))
		start = time.Now()
	}
	a.wsFuncs = fns
	a.sites, a.closures, a.library = calls.Resolve(a.prog, append(fns[:len(fns):len(fns)], workspaceWrappers(all, rootPkgs)...))
	a.findCallbacks(fns)
	a.findMadeCovered(fns)
	a.unsafeTargets = findUnsafeTargets(fns)

	phase("callgraph")
	spec, prob := loadSpec(cfg.Dir)
	if prob != nil {
		res.Problems = append(res.Problems, *prob)
	}
	a.useModels(spec.Models, fns)
	a.invocationTypes = spec.InvocationTypes
	a.noList = cfg.NoConflictList
	if !cfg.NoDerive {
		a.models.useDerived(l, cfg.LibraryCache)
	}
	found, problems := a.findHandlers(l, fns, spec)
	res.Problems = append(res.Problems, problems...)
	var entry []*ssa.Function
	for _, h := range found {
		entry = append(entry, h.entries()...)
	}
	// main and the initializers too: what they store in contexts before
	// the loop runs is what handlers find there (pollution.go).
	setup := a.entryPoints(l, found, fns)
	entry = append(entry, setup...)
	phase("handlers")
	if err := a.summarizeAll(ctx, entry, len(entry)-len(setup)); err != nil {
		return nil, err
	}
	phase("summaries")
	a.memo.locs = nil // each kept loc is referred to by what keeps it
	res.Summarized, res.Reused = a.summarized, a.reused
	a.owners = a.scanOwnership(fns)
	a.conflicts(res, found, setup)
	// The walks of the conflicts phase stop early once ctx is done
	// (analyzer.stopped): what they gathered is then incomplete.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	nameHandlers(a, res, found)
	// After the conflicts: gathering a handler's accesses has bounds too.
	res.Problems = append(res.Problems, a.boundNotes(l.files)...)
	phase("conflicts")
	res.Library = a.models.derivedStats()
	if cfg.Cache != nil {
		cfg.Cache.prev = a.next
		cfg.Cache.deps = l.deps
		cfg.Cache.listing = l.listing
	}
	return res, nil
}

// workspaceWrappers are the functions the compiler writes for workspace
// types (a method promoted from an embedded field, a method value, a
// method expression): they have no package of their own, so they are not
// among the workspace's functions, yet a handler's call may run them. A
// dynamic call in one (stub embeds an interface, and its promoted method
// calls the embedded value's) is resolved like the workspace code it
// stands for. Left unresolved it was taken for a call into unknown code,
// writing everything its receiver may reach: inbucket's test double for
// storage.Message (pkg/test.MessageStub) made every handler that reads a
// message write all that message may reach.
func workspaceWrappers(all map[*ssa.Function]bool, root map[*types.Package]bool) []*ssa.Function {
	var out []*ssa.Function
	for fn := range all {
		if fn.Blocks == nil || fn.Pkg != nil || fn.Synthetic == "" {
			continue
		}
		// The receiver: of a promoted method's wrapper, the first
		// parameter of a method expression's, the bound value of a
		// method value's.
		var t types.Type
		switch {
		case fn.Signature.Recv() != nil:
			t = fn.Signature.Recv().Type()
		case len(fn.FreeVars) > 0:
			t = fn.FreeVars[0].Type()
		case len(fn.Params) > 0:
			t = fn.Params[0].Type()
		default:
			continue
		}
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && root[n.Obj().Pkg()] {
			out = append(out, fn)
		}
	}
	// Map order is not run order: sorted, a run resolves alike every time.
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// edges lists the functions with bodies that fn may run: calls, closures it
// makes, and functions it hands to other code.
func (a *analyzer) edges(fn *ssa.Function) []*ssa.Function {
	var out []*ssa.Function
	seen := map[*ssa.Function]bool{}
	add := func(f *ssa.Function) {
		if f != nil && f.Blocks != nil && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			if call, ok := instr.(ssa.CallInstruction); ok {
				// Methods library code calls back (library.go).
				for _, t := range a.libraryCallbacksAt(call) {
					add(t.fn)
				}
				c := call.Common()
				if callee := c.StaticCallee(); callee != nil {
					add(callee)
				} else {
					for _, t := range a.sites[call] {
						add(t)
					}
				}
			}
			for _, op := range instr.Operands(nil) {
				switch v := (*op).(type) {
				case *ssa.Function:
					add(v)
				case *ssa.MakeClosure:
					add(v.Fn.(*ssa.Function))
				}
			}
		}
	}
	return out
}

// summarizeAll summarizes every function reachable from the handlers,
// callees first (Tarjan's SCCs come out in that order), iterating each
// recursive cycle to a fixpoint; then those only setup reaches (the last
// entries, from handlers on), without their accesses (setupOnly): on
// nats-server, Start, ConfigureOptions and main held tens of thousands
// each, copied from everything below them.
func (a *analyzer) summarizeAll(ctx context.Context, entry []*ssa.Function, handlers int) error {
	index := map[*ssa.Function]int{}
	low := map[*ssa.Function]int{}
	onStack := map[*ssa.Function]bool{}
	var stack []*ssa.Function
	succ := map[*ssa.Function][]*ssa.Function{}
	next := 0
	var err error
	var strong func(v *ssa.Function)
	strong = func(v *ssa.Function) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		succ[v] = a.edges(v)
		for _, w := range succ[v] {
			if _, ok := index[w]; !ok {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []*ssa.Function
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return
		}
		err = a.summarizeSCC(ctx, scc, succ)
		a.progress.summarized += len(scc)
		a.progress.tick("summaries: %d functions summarized", a.progress.summarized)
	}
	// The handlers' entries first: once they are done, every function a
	// handler reaches has been met (a recursive component with one is
	// met whole), and what the setup entries meet only setup reaches.
	defer func() { a.setupPhase = false }()
	for i, fn := range entry {
		a.setupPhase = i >= handlers
		if _, ok := index[fn]; !ok {
			strong(fn)
		}
	}
	return err
}

func (a *analyzer) summarizeSCC(ctx context.Context, scc []*ssa.Function, succ map[*ssa.Function][]*ssa.Function) error {
	recursive := len(scc) > 1
	if !recursive {
		for _, w := range succ[scc[0]] {
			if w == scc[0] {
				recursive = true
			}
		}
	}
	if a.next != nil && a.reuse(scc) {
		for _, fn := range scc {
			a.indexFreshStores(a.sums[fn])
		}
		return nil
	}
	defer func() {
		for _, fn := range scc {
			a.indexFreshStores(a.sums[fn])
			a.summarized = append(a.summarized, fn.String())
			a.remember(fn, a.sums[fn], a.lastReads[fn])
			if s := a.sums[fn]; s != nil && a.next == nil {
				// No summary is added to once its component is done,
				// nor kept for a later run: what it holds only to be
				// built is garbage now. Kept until every component
				// was done, the indexes of the 3,500 functions below
				// nats-server's largest component waited through its
				// passes. (What each pass applied held 1.6 GB of keys
				// on caddy.)
				s.built()
			} else if s != nil && recursive {
				s.applied = nil
			}
		}
	}()
	if !recursive {
		a.sums[scc[0]] = a.summarize(scc[0])
		return nil
	}
	// callers within the component: whom a changed summary concerns.
	in := map[*ssa.Function]bool{}
	for _, fn := range scc {
		in[fn] = true
		a.sums[fn] = &summary{applied: map[appliedKey]appliedAt{}}
	}
	callers := map[*ssa.Function][]*ssa.Function{}
	for _, fn := range scc {
		for _, w := range succ[fn] {
			if in[w] {
				callers[w] = append(callers[w], fn)
			}
		}
	}
	// Summaries only grow (each pass adds to the last), paths are bounded
	// in length (with) and in width (widen), so this settles. A pass
	// summarizes again only the members one of whose callees in the
	// component grew in the pass before. Past settleBy passes it is
	// forced to: every reference is widened to its base (everything under
	// a parameter, a global, memory of a type), of which there are
	// finitely many, and the component is reported.
	dirty := in
	total := 0 // entries in the component's summaries (detach.go)
	for iter := 0; len(dirty) > 0; iter++ {
		if iter == settleBy {
			for _, fn := range scc {
				a.sums[fn].collapse = true
			}
			a.bounds = append(a.bounds, Problem{Pos: a.fset.Position(scc[0].Pos()), Note: true,
				Message: fmt.Sprintf("the summaries of %s and the %d functions recursive with it did not settle in %d passes: each reference is widened to all the memory under its root", scc[0].Name(), len(scc)-1, settleBy)})
		}
		next := map[*ssa.Function]bool{}
		done := 0
		for _, fn := range scc {
			if !dirty[fn] {
				continue
			}
			a.progress.tick("summaries: %d functions summarized; a recursive component of %d functions (%s), pass %d: %d of %d summarized",
				a.progress.summarized, len(scc), scc[0].Name(), iter+1, done, len(dirty))
			done++
			if err := ctx.Err(); err != nil {
				return err
			}
			before := a.sums[fn].size()
			after := a.summarizeInto(fn, a.sums[fn]).size()
			if after != before || iter == settleBy {
				for _, c := range callers[fn] {
					next[c] = true
				}
			}
			if total += after - before; total > maxComponentEntries && !a.sums[fn].detached {
				a.detachComponent(scc, total)
				total, next = 0, in
				break
			}
		}
		dirty = next
	}
	return nil
}

// rootName names a loc's root as fn's code does: a parameter or a captured
// variable by its name, else as findings do.
func rootName(fn *ssa.Function, l *mem.Loc) string {
	switch b := l.Base; {
	case b.Kind == mem.Param && b.Idx < len(fn.Params):
		return fn.Params[b.Idx].Name()
	case b.Kind == mem.Free && b.Idx < len(fn.FreeVars):
		return fn.FreeVars[b.Idx].Name()
	}
	short, _ := mem.Loc{Base: l.Base}.Names()
	return short
}

// spellIn spells a loc of fn's summary with its root named by rootName.
func spellIn(fn *ssa.Function, l mem.Loc) string {
	root := rootName(fn, &l)
	short, _ := mem.Loc{Base: &mem.Base{Name: root}, Path: l.Path, Trunc: l.Trunc}.Names()
	return short
}

// settleBy is how many passes a recursive component gets before its
// summaries are widened to their roots (summarizeSCC). Components of real
// servers settle in under ten.
const settleBy = 30

// boundNotes are the notes on the bounds the summaries hit: a function
// whose summary was widened, said at its declaration.
func (a *analyzer) boundNotes(files []string) []Problem {
	mine := map[string]bool{}
	for _, f := range files {
		mine[f] = true
	}
	out := a.bounds
	for fn, s := range a.sums {
		if s == nil || !fn.Pos().IsValid() || !mine[a.fset.File(fn.Pos()).Name()] {
			continue
		}
		name := shortFuncName(fn)
		note := func(hit bool, format string, args ...any) {
			if hit {
				out = append(out, Problem{Pos: a.fset.Position(fn.Pos()), Note: true, Message: name + fmt.Sprintf(format, args...)})
			}
		}
		if s.widened != nil {
			note(true, " touches more than %d places under %s at one reference: merged into %s (less precise, not less safe)",
				maxWidth, rootName(fn, s.widened), spellIn(fn, *s.widened))
		}
		note(s.sitesCut, " reaches one access through more than %d of its calls: findings name the first %d as places to defer", maxSites, maxSites)
		note(s.handlerSitesCut, " reaches the same function through more than %d of its calls: findings name the first %d as places to defer (the conflicts are the same)", maxHandlerSites, maxHandlerSites)
		note(s.handlerLockSetsCut, " reaches a function under more than %d sets of locks: past them, it is taken to hold none there (more conflicts, never fewer)", maxLockSets)
		note(s.handlerNarrowed, " reaches more than %d accesses: past them, findings name one place to defer per function it reaches (the conflicts are the same)", maxHandlerAccesses)
		note(s.refsCut, " reaches one access at more than %d places: findings name the first %d (the conflict is the same)", maxRefs, maxRefs)
		note(s.holdersCut, " keeps an object of its own among more than %d others: what it holds is taken to be anything of its type (less precise, not less safe)", maxHolders)
		note(s.heldCut, " reaches memory through more than %d pointers kept in objects of its own, one in the other: past them, anything of its type (less precise, not less safe)", maxHeldSteps)
		note(s.madeCut, " calls a function value followed through more than %d calls and variables: taken to be any function that fits (less precise, not less safe)", maxMadeDepth)
		note(s.storesCut, " stores pointers to more than %d objects, or into more than %d, at one place: they are merged (less precise, not less safe)", maxWidth, maxWidth)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pos.Filename != out[j].Pos.Filename {
			return out[i].Pos.Filename < out[j].Pos.Filename
		}
		if out[i].Pos.Offset != out[j].Pos.Offset {
			return out[i].Pos.Offset < out[j].Pos.Offset
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// handlerAccesses rewrites a handler's summary for an invocation: its
// context parameter becomes the context root; its other parameters are
// unknown; a closure's free variables are what they were bound to.
func (a *analyzer) handlerAccesses(h found) ([]*rawAccess, []*rawStore) {
	if h.wrapped() {
		return a.wrappedAccesses(h)
	}
	sum := a.sums[h.fn]
	if sum == nil {
		return nil, nil
	}
	ci := contextParam(h.fn)
	var ctxBase *mem.Base
	if ci >= 0 {
		p := h.fn.Params[ci]
		t := mem.Pointee(p.Type())
		ctxBase = mem.NewContext(p, t)
	}
	// rebase rewrites a loc of the handler's summary for an invocation.
	rebase := func(l mem.Loc) []mem.Loc {
		var roots []mem.Loc
		switch l.Base.Kind {
		case mem.Param:
			if h.recv != nil && l.Base.Idx == 0 {
				// The value registered as the handler: shared by all
				// invocations, named after its type: (*Handler).items.
				for _, r := range a.state(h.recvFn).origin(h.recv) {
					if r.Base.Kind == mem.Fresh {
						r = a.roots.Registered(r.Base.Site, r.Base.Type)
					}
					roots = append(roots, r)
				}
			} else if h.model == ModelConcurrent {
				// The request and the response writer belong to this
				// invocation alone, but for what is stored there that
				// is not: kept as it is, for placeParams.
				return []mem.Loc{l}
			} else if l.Base.Idx == ci && ctxBase != nil {
				roots = []mem.Loc{{Base: ctxBase, Key: ctxBase.Key}}
			} else if isLoopPtr(h.fn.Params[l.Base.Idx].Type()) {
				return nil // the loop itself is synchronized
			} else {
				roots = []mem.Loc{a.roots.Unknown(l.Base.Type)}
			}
		case mem.Free:
			if h.site != nil && l.Base.Idx < len(h.site.Bindings) {
				cs := a.state(h.site.Parent())
				for _, r := range cs.origin(h.site.Bindings[l.Base.Idx]) {
					if r.Base.Kind == mem.Fresh && isBound(h.fn) {
						r = a.roots.Registered(r.Base.Site, r.Base.Type)
					} else if r.Base.Kind == mem.Fresh {
						r = a.roots.Shared(r.Base.Site, r.Base.Type).Extend(r.Path, r.Trunc)
					}
					roots = append(roots, r)
				}
			} else {
				roots = a.creatorBindings(h.fn, l.Base.Idx, l.Base.Type)
			}
		default:
			return []mem.Loc{l}
		}
		out := make([]mem.Loc, 0, len(roots))
		for _, r := range roots {
			out = append(out, r.Extend(l.Path, l.Trunc))
		}
		return out
	}
	var out []*rawAccess
	seen := map[accessKey]bool{}
	add := func(acc *rawAccess) {
		var locks []held
		for _, hl := range acc.locks {
			if ls := rebase(hl.loc); len(ls) == 1 && (!ls[0].Imprecise() || hl.same) && ls[0].Base.Kind != mem.Param {
				locks = append(locks, held{loc: ls[0], write: hl.write, same: hl.same})
			}
		}
		lk := locksKey(locks)
		for _, n := range rebase(acc.loc) {
			k := newAccessKey(n, acc, lk)
			if seen[k] {
				continue
			}
			seen[k] = true
			c := *acc
			c.loc = n
			c.locks = locks
			if isBound(h.fn) && c.via != nil {
				c.via = c.via.next // the method value's wrapper is not user code
			}
			out = append(out, &c)
		}
	}
	for _, acc := range sum.accesses {
		add(acc)
	}
	// What its calls reach, once per call site: each is a place where
	// the user may defer the call.
	// Accesses met at one visit of a function share their path there: its
	// chain is made once per tail, not once per access (caddy's handlers
	// reach 100,000 accesses each).
	type pathKey struct {
		path *upPath
		tail *chain
	}
	chains := map[pathKey]*chain{}
	bounds := a.reachSites(sum.calls, func(acc *rawAccess, path *upPath, locks []held) {
		c := *acc
		k := pathKey{path, acc.via}
		if c.via = chains[k]; c.via == nil {
			c.via = chainTo(path, acc.via)
			chains[k] = c.via
		}
		c.locks = unionLocks(locks, acc.locks)
		add(&c)
	})
	sum.noteWalk(bounds)
	var stores []*rawStore
	addStore := func(st *rawStore) {
		for _, d := range rebase(st.dst) {
			for _, v := range rebase(st.val) {
				stores = append(stores, &rawStore{dst: d, val: v, pos: st.pos})
			}
		}
	}
	for _, st := range sum.stores {
		addStore(st)
	}
	a.reachStores(sum.calls, addStore)
	return out, stores
}

// accessKey tells apart the accesses of one handler's list: one per loc,
// op, position, locks held and call site it is reached by.
type accessKey struct {
	loc, locks string
	op         Op
	pos, via   token.Pos
}

func newAccessKey(l mem.Loc, acc *rawAccess, locks string) accessKey {
	k := accessKey{loc: l.Key, locks: locks, op: acc.op, pos: acc.pos}
	if acc.via != nil {
		k.via = acc.via.call.pos
	}
	return k
}

// setupStores are the stores of a setup function (main, an initializer)
// and of everything it calls.
func (a *analyzer) setupStores(fn *ssa.Function) []*rawStore {
	sum := a.sums[fn]
	if sum == nil {
		return nil
	}
	stores := append([]*rawStore(nil), sum.stores...)
	a.reachStores(sum.calls, func(st *rawStore) { stores = append(stores, st) })
	return stores
}

func (a *analyzer) position(p token.Pos) token.Position { return a.fset.Position(p) }

// sortBySource orders functions by file name and offset, then name. Not
// by token.Pos: go/packages parses files in parallel, so the base a file
// gets in the FileSet, and the order of positions across files, change
// from run to run; the order of handlers and of summaries follows this
// one, and what the bounds keep depends on it.
func sortBySource(fset *token.FileSet, fns []*ssa.Function) {
	type key struct {
		file string
		off  int
		name string
	}
	keys := make(map[*ssa.Function]key, len(fns))
	for _, fn := range fns {
		k := key{name: fn.String()}
		if fn.Pos().IsValid() {
			p := fset.Position(fn.Pos())
			k.file, k.off = p.Filename, p.Offset
		}
		keys[fn] = k
	}
	slices.SortFunc(fns, func(x, y *ssa.Function) int {
		kx, ky := keys[x], keys[y]
		return cmp.Or(strings.Compare(kx.file, ky.file), cmp.Compare(kx.off, ky.off), strings.Compare(kx.name, ky.name))
	})
}
