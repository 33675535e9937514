package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"go/token"
	"go/types"
	"hash"
	"hash/maphash"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
)

// Cache carries function summaries from one Run to the next, so that a
// save in one package does not summarize the rest of the workspace again:
// the language server keeps one for its session (Config.Cache).
//
// It also keeps the go command's last listing of the packages (reused when
// no package's files, imports or build constraints changed: listing.go)
// and the types of the dependencies read from export data (reused while
// the export data files are the same: typecheck.go).
//
// Every Run type-checks the workspace and builds SSA afresh, with new
// objects each time, so a summary is kept in a form tied to the run that
// made it and translated into the next run's objects when it may be
// reused. It may be reused when three things hold:
//
//   - its function's package has the same content, and every package it
//     depends on, directly or not, has the same API (a body edited in a
//     dependency changes no importer's SSA);
//   - every input the summarizer read while computing it reads the same
//     now: the summaries of its callees (by fingerprint), the targets of
//     dynamic calls, and the bindings of closures it calls without knowing
//     them;
//   - every object it names translates: functions by name, globals by
//     package and name, allocations by their place in an unchanged
//     function, types by package and name (those declared in a function
//     by place, instances by their origin and arguments where they hold no
//     struct). Other instances do not, and send the function to be
//     summarized again.
//
// Summarizing a function is a deterministic function of its SSA and of
// what it reads, so a reused summary is the one the summarizer would
// compute; TestCacheReuse and TestCacheMatchesFullRun check it after
// edits of every kind on every example.
//
// A Cache may be used by one Run at a time; Run serializes on it.
type Cache struct {
	mu   sync.Mutex
	prev *generation
	deps *depState // what the last run imported from outside
	// listing: the go command's last answer; readOnly: GOROOT and
	// GOMODCACHE, asked once.
	listing  *listing
	readOnly []string
	seeds    [2]maphash.Seed
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}} }

// generation is what one Run leaves for the next.
type generation struct {
	fset    *token.FileSet
	entries map[string]*cached // by function name
	pkgKeys map[string]string  // by package path
	models  string             // the project's models (models.go) they assumed
}

// cached is one function's summary and what it was computed from.
type cached struct {
	sum    *summary
	fp     fp
	pkgKey string
	reads  *readLog
}

// readLog records what summarizing one function read besides its own SSA.
type readLog struct {
	sums      []sumRead
	sites     []siteRead
	closures  []closureRead
	callbacks []callbackRead
	makes     []makeRead
	// releases: whether a callee may unlock its caller's mutex
	// (locks.go), which depends on all it calls.
	releases []makeRead
}

// makeRead: whether a closure's maker applied it (appliedWhereMade),
// which depends on the calls of it elsewhere.
type makeRead struct {
	fn   *ssa.Function
	name string
	ok   bool
}

// callbackRead: whether a parameter was a callback parameter
// (callback.go), which depends on the function's callers.
type callbackRead struct {
	fn   *ssa.Function
	name string
	idx  int
	ok   bool
}

type sumRead struct {
	name string
	sum  *summary // while recording; fp is filled in afterwards
	fp   fp
}

type siteRead struct {
	site    string // caller name + instruction index
	call    ssa.CallInstruction
	targets string
	// lib: the targets are the methods a library call may call back
	// (library.go), which another package's new method may change.
	lib bool
	// made: the targets are the closures this invocation made that the
	// call may be (madehere.go), which its callees' returns decide.
	made bool
}

type closureRead struct {
	fn     *ssa.Function
	name   string
	idx    int
	result string
}

// verifyTranslation makes the cache check, in tests, that every translated
// summary has the fingerprint of the one it was translated from.
var verifyTranslation = false

// --- package keys

// packageKeys computes, for every analysed package, a key that changes
// when its content or the API of anything it depends on changes.
func packageKeys(all []*packages.Package, roots []*packages.Package, hashes map[string][sha256.Size]byte, exports map[string]string) map[*types.Package]string {
	isRoot := map[*packages.Package]bool{}
	for _, p := range roots {
		isRoot[p] = true
	}
	api := map[*packages.Package]string{} // transitive API key
	var apiKey func(p *packages.Package) string
	apiKey = func(p *packages.Package) string {
		if k, ok := api[p]; ok {
			return k
		}
		api[p] = "cycle"
		h := sha256.New()
		h.Write([]byte(p.PkgPath + "\n"))
		switch file, ok := exports[p.ID]; {
		case ok:
			// Read from export data: the go command names the file after
			// a hash of everything that went into it.
			h.Write([]byte("export " + file + "\n"))
		case p.Types != nil:
			writeAPI(h, p.Types)
		}
		for _, path := range sortedImports(p) {
			h.Write([]byte(apiKey(p.Imports[path]) + "\n"))
		}
		k := hex.EncodeToString(h.Sum(nil))
		api[p] = k
		return k
	}
	keys := map[*types.Package]string{}
	for _, p := range roots {
		h := sha256.New()
		for _, f := range p.CompiledGoFiles {
			sum := hashes[f]
			h.Write([]byte(f + "\n"))
			h.Write(sum[:])
		}
		for _, path := range sortedImports(p) {
			h.Write([]byte(path + " " + apiKey(p.Imports[path]) + "\n"))
		}
		keys[p.Types] = hex.EncodeToString(h.Sum(nil))
	}
	return keys
}

func sortedImports(p *packages.Package) []string {
	paths := make([]string, 0, len(p.Imports))
	for path := range p.Imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	return paths
}

// writeAPI writes what importers of pkg can depend on: every package-level
// object with its type, constant values, and named types' structure and
// methods. Positions are left out on purpose: moving a declaration changes
// no importer's SSA.
func writeAPI(h hash.Hash, pkg *types.Package) {
	qual := func(p *types.Package) string { return p.Path() }
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		h.Write([]byte(types.ObjectString(obj, qual)))
		switch o := obj.(type) {
		case *types.Const:
			h.Write([]byte(" = " + o.Val().ExactString()))
		case *types.TypeName:
			h.Write([]byte(" " + types.TypeString(o.Type().Underlying(), qual)))
			if n, ok := o.Type().(*types.Named); ok {
				for i := 0; i < n.NumMethods(); i++ {
					h.Write([]byte(" " + types.ObjectString(n.Method(i), qual)))
				}
			}
		}
		h.Write([]byte("\n"))
	}
}

// --- fingerprints

// fp is a summary's fingerprint: 128 bits of two seeded hashes of its
// stable description. The seeds belong to the Cache, so fingerprints
// compare within one process, which is all a Cache lives for; the empty
// fp stands for "no summary".
type fp struct{ a, b uint64 }

// fingerprint names a summary in terms that survive from one run to the
// next: equal fingerprints, equal summaries.
func (a *analyzer) fingerprint(s *summary) fp {
	if s == nil {
		return fp{}
	}
	if f, ok := a.fps[s]; ok {
		return f
	}
	var h1, h2 maphash.Hash
	h1.SetSeed(a.seeds[0])
	h2.SetSeed(a.seeds[1])
	w := func(s string) {
		h1.WriteString(s)
		h2.WriteString(s)
	}
	for _, acc := range s.accesses {
		w(a.stableLoc(acc.loc))
		w(acc.op.String())
		if acc.atomic {
			w("|atomic")
		}
		w("|")
		w(a.stablePos(acc.pos))
		w(a.funcName(acc.fn))
		for c := range acc.via.all() {
			w("|>")
			w(a.stablePos(c.pos))
			w(a.funcName(c.caller))
			w(" ")
			w(a.funcName(c.callee))
		}
		for _, l := range acc.locks {
			w("|L")
			w(a.stableLoc(l.loc))
			if l.write {
				w("!")
			}
			if l.same {
				w("=")
			}
			if l.wif > 0 {
				w("?" + strconv.Itoa(l.wif))
			}
		}
		w("\n")
	}
	for _, st := range s.stores {
		w("S")
		w(a.stableLoc(st.dst))
		w("|")
		w(a.stableLoc(st.val))
		w("|")
		w(a.stablePos(st.pos))
		if st.anyBase {
			w("*")
		}
		w("\n")
	}
	for i, p := range s.publishes {
		if p {
			w("P" + itoa(i) + "\n")
		}
	}
	for i, p := range s.publishesHeld {
		if p {
			w("H" + itoa(i) + "\n")
		}
	}
	for _, l := range s.pubFresh {
		w("F" + a.stableLoc(l) + "\n")
	}
	for _, k := range s.keptIn {
		w("K" + itoa(k.idx) + "|")
		w(a.stableLoc(k.dst))
		w("\n")
	}
	for _, l := range s.opaque {
		w("O")
		w(a.stableLoc(l))
		w("\n")
	}
	for _, e := range s.calls {
		w("C")
		w(a.stablePos(e.pos))
		w(a.funcName(e.caller))
		w(" ")
		w(a.funcName(e.callee))
		for _, l := range e.locks {
			w("|L")
			w(a.stableLoc(l.loc))
			if l.write {
				w("!")
			}
		}
		w("\n")
	}
	for i, r := range s.returns {
		w("R" + itoa(i))
		for _, l := range r {
			w("|")
			w(a.stableLoc(l))
		}
		w("\n")
	}
	f := fp{h1.Sum64(), h2.Sum64()}
	if f == (fp{}) {
		f.a = 1 // never the fingerprint of "no summary"
	}
	a.fps[s] = f
	return f
}

func (a *analyzer) funcName(fn *ssa.Function) string {
	if n, ok := a.fnNames[fn]; ok {
		return n
	}
	n := fn.String()
	a.fnNames[fn] = n
	return n
}

// stableLoc is a loc's key with fields named by their struct and index
// rather than by object identity.
func (a *analyzer) stableLoc(l mem.Loc) string {
	if s, ok := a.stable[l.Key]; ok {
		return s
	}
	s := l.Spell(func(sb *strings.Builder, e mem.Elem) {
		sb.WriteString("." + e.Field.Name() + "#" + itoa(fieldIndex(e.Parent, e.Field)) + "@" + types.TypeString(e.Parent, nil))
	})
	a.stable[l.Key] = s
	return s
}

func (a *analyzer) stablePos(p token.Pos) string {
	if s, ok := a.posNames[p]; ok {
		return s
	}
	s := a.fset.Position(p).String()
	a.posNames[p] = s
	return s
}

func fieldIndex(parent types.Type, f *types.Var) int {
	if st, ok := parent.Underlying().(*types.Struct); ok {
		for i := 0; i < st.NumFields(); i++ {
			if st.Field(i) == f {
				return i
			}
		}
	}
	return -1
}

// --- recording reads

func (a *analyzer) sumOf(callee *ssa.Function) *summary {
	s := a.sums[callee]
	if a.reads != nil {
		a.reads.sums = append(a.reads.sums, sumRead{name: callee.String(), sum: s})
	}
	return s
}

func (a *analyzer) sitesOf(call ssa.CallInstruction) []*ssa.Function {
	fns := a.sites[call]
	if a.reads != nil {
		a.reads.sites = append(a.reads.sites, siteRead{call: call, targets: namesOf(fns)})
	}
	return fns
}

func namesOf(fns []*ssa.Function) string {
	names := make([]string, len(fns))
	for i, f := range fns {
		names[i] = f.String()
	}
	return strings.Join(names, ",")
}

// siteID names a call instruction by its function and place in it.
func siteID(call ssa.CallInstruction) string {
	b, i := instrIndex(call)
	return call.Parent().String() + "#" + itoa(b) + "." + itoa(i)
}

func instrIndex(instr ssa.Instruction) (int, int) {
	b := instr.Block()
	for i, x := range b.Instrs {
		if x == instr {
			return b.Index, i
		}
	}
	return b.Index, -1
}

// seal turns a read log's pointers into names and fingerprints, once the
// summaries it read are final.
func (a *analyzer) seal(r *readLog) {
	for i := range r.sums {
		r.sums[i].fp = a.fingerprint(r.sums[i].sum)
		r.sums[i].sum = nil
	}
	for i := range r.sites {
		r.sites[i].site = siteID(r.sites[i].call)
		r.sites[i].call = nil
	}
	for i := range r.closures {
		r.closures[i].name = r.closures[i].fn.String()
		r.closures[i].fn = nil
	}
	for i := range r.callbacks {
		r.callbacks[i].name = r.callbacks[i].fn.String()
		r.callbacks[i].fn = nil
	}
	for i := range r.makes {
		r.makes[i].name = r.makes[i].fn.String()
		r.makes[i].fn = nil
	}
	for i := range r.releases {
		r.releases[i].name = r.releases[i].fn.String()
		r.releases[i].fn = nil
	}
}

// --- reuse

// reuse installs cached summaries for the functions of scc if they may be
// reused, and reports whether it did.
func (a *analyzer) reuse(scc []*ssa.Function) bool {
	prev := a.prev
	if prev == nil {
		return false
	}
	entries := make([]*cached, len(scc))
	inSCC := map[string]*cached{}
	for i, fn := range scc {
		e := prev.entries[fn.String()]
		key, ok := a.pkgKeyOf(fn)
		if e == nil || !ok || e.pkgKey != key || a.byName()[fn.String()] != fn {
			return false
		}
		if e.sum.setupOnly && !a.setupPhase {
			return false // a handler reaches it now: its accesses count
		}
		entries[i] = e
		inSCC[fn.String()] = e
	}
	for _, e := range entries {
		if !a.stillReads(e.reads, inSCC) {
			return false
		}
	}
	tr := a.translator(prev)
	sums := make([]*summary, len(scc))
	for i, e := range entries {
		s, ok := tr.summary(e.sum)
		if !ok {
			return false
		}
		sums[i] = s
	}
	for i, fn := range scc {
		a.sums[fn] = sums[i]
		a.fps[sums[i]] = entries[i].fp
		if verifyTranslation {
			delete(a.fps, sums[i])
			if got := a.fingerprint(sums[i]); got != entries[i].fp {
				panic("safels: translated summary of " + fn.String() + " differs from the cached one")
			}
		}
		key, _ := a.pkgKeyOf(fn)
		a.next.entries[fn.String()] = &cached{sum: sums[i], fp: entries[i].fp, pkgKey: key, reads: entries[i].reads}
	}
	a.reused += len(scc)
	return true
}

// stillReads reports whether summarizing again would read what the cached
// summary was computed from.
func (a *analyzer) stillReads(r *readLog, inSCC map[string]*cached) bool {
	byName := a.byName()
	for _, s := range r.sums {
		if e, ok := inSCC[s.name]; ok {
			if e.fp != s.fp {
				return false
			}
			continue
		}
		fn := byName[s.name]
		if fn == nil || a.fingerprint(a.sums[fn]) != s.fp {
			return false
		}
	}
	for _, s := range r.sites {
		call, ok := a.siteByID(s.site)
		if !ok {
			return false
		}
		if s.lib {
			if callbackNames(a.libraryCallbacksAt(call)) != s.targets {
				return false
			}
			continue
		}
		if s.made {
			if madeNames(a.madeHere(call.Common().Value)) != s.targets {
				return false
			}
			continue
		}
		if namesOf(a.sites[call]) != s.targets {
			return false
		}
	}
	for _, c := range r.closures {
		fn := byName[c.name]
		if fn == nil {
			return false
		}
		saved := a.reads
		a.reads = nil
		got := a.makerBindings(fn, c.idx)
		a.reads = saved
		if a.stableLocs(got) != c.result {
			return false
		}
	}
	for _, c := range r.callbacks {
		fn := byName[c.name]
		if fn == nil || a.callbacks[paramKey{fn, c.idx}] != c.ok {
			return false
		}
	}
	for _, m := range r.makes {
		fn := byName[m.name]
		if fn == nil || a.makerApplies(fn) != m.ok {
			return false
		}
	}
	for _, m := range r.releases {
		fn := byName[m.name]
		if fn == nil || a.releasingOf(fn) != m.ok {
			return false
		}
	}
	return true
}

func (a *analyzer) stableLocs(ls []mem.Loc) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = a.stableLoc(l)
	}
	return strings.Join(parts, ";")
}

// byName maps function names to this run's functions; a name two
// functions share maps to nil, so neither is reused.
func (a *analyzer) byName() map[string]*ssa.Function {
	if a.names != nil {
		return a.names
	}
	a.names = map[string]*ssa.Function{}
	for fn := range a.allFuncs {
		name := fn.String()
		if old, dup := a.names[name]; dup && old != fn {
			a.names[name] = nil
			continue
		}
		a.names[name] = fn
	}
	return a.names
}

func (a *analyzer) siteByID(id string) (ssa.CallInstruction, bool) {
	hash := strings.LastIndexByte(id, '#')
	if hash < 0 {
		return nil, false
	}
	fn := a.byName()[id[:hash]]
	if fn == nil {
		return nil, false
	}
	bs, is, ok := strings.Cut(id[hash+1:], ".")
	b, err1 := strconv.Atoi(bs)
	i, err2 := strconv.Atoi(is)
	if !ok || err1 != nil || err2 != nil || b < 0 || b >= len(fn.Blocks) || i < 0 || i >= len(fn.Blocks[b].Instrs) {
		return nil, false
	}
	call, ok := fn.Blocks[b].Instrs[i].(ssa.CallInstruction)
	return call, ok
}

// pkgKeyOf is the key of the package whose source fn was built from.
// Wrappers (bound methods, thunks) have no package of their own: they are
// built from the method's.
func (a *analyzer) pkgKeyOf(fn *ssa.Function) (string, bool) {
	var p *types.Package
	if fn.Pkg != nil {
		p = fn.Pkg.Pkg
	} else if obj, ok := fn.Object().(*types.Func); ok {
		p = obj.Pkg()
	}
	k, ok := a.pkgKeys[p]
	return k, ok
}

// remember stores a freshly computed summary for the next run.
func (a *analyzer) remember(fn *ssa.Function, s *summary, r *readLog) {
	if a.next == nil || r == nil {
		return
	}
	key, ok := a.pkgKeyOf(fn)
	if !ok {
		return
	}
	a.seal(r)
	a.next.entries[fn.String()] = &cached{sum: s, fp: a.fingerprint(s), pkgKey: key, reads: r}
}
