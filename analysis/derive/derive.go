package derive

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// Model is what a call does to what it is handed, in the form of the
// analysis' CallModel (see there): Receiver and Args are "none", "read"
// or "write", Writes the arguments (after the receiver) written, Keeps
// "nothing", "receiver", "result" or "" (anywhere), Result "fresh" or ""
// (what its arguments reach).
type Model struct {
	Receiver string `json:"receiver,omitempty"`
	Args     string `json:"args,omitempty"`
	Writes   []int  `json:"writes,omitempty"`
	Keeps    string `json:"keeps,omitempty"`
	Result   string `json:"result,omitempty"`
	// Partial: some of it was assumed (a call the derivation could not
	// see through), not derived.
	Partial bool `json:"partial,omitempty"`
	// Quiet: it runs no code but its own package's and that of quiet
	// callees: no interface method, no function value, nothing without
	// a model. So it calls nothing of its caller's back. (In a table
	// entry: the package calls nothing back but the functions it is
	// handed.)
	Quiet bool `json:"quiet,omitempty"`
}

// Table gives the hand-written model of a function of another package:
// typ is "T" or "*T" for a method, "" for a function.
type Table func(pkg, typ, name string) *Model

// Version changes whenever the derivation does: cached models of another
// version are not read.
const Version = "derive-4"

// Depth is how many packages deep a derivation follows calls into other
// packages' derived models: the package asked about and, below it, those
// it calls, whose own calls out are then taken conservatively.
const Depth = 1

// Config is what a Deriver needs of the run.
type Config struct {
	// Packages is the run's package graph (go/packages, with files and
	// imports); Exports the export data file of each dependency, by ID.
	Packages []*packages.Package
	Exports  map[string]string
	Table    Table
	// TableKey identifies the table (the project's entries change it).
	TableKey string
	// CacheDir is where derived models are kept; "" keeps none.
	CacheDir string
}

// Stats counts what a Deriver did, for `check -v`.
type Stats struct {
	Derived, Cached, Failed int
}

// A Deriver derives models on demand and keeps them for the run. It is
// not safe for concurrent use.
type Deriver struct {
	cfg     Config
	byPath  map[string]*packages.Package
	fset    *token.FileSet
	imports map[string]*types.Package // export data read for derivations
	done    map[pkgBudget]*pkgModels
	keys    map[string]string // content key of a package's sources
	trimmed bool              // the cache directory was trimmed (cache.go)
	Stats   Stats
}

type pkgBudget struct {
	path   string
	budget int
}

// pkgModels are the derived models of one package, by "T.M", "*T.M" or
// "F", and the packages (with their budget) whose models they used.
type pkgModels struct {
	Models map[string]*Model `json:"models"`
	Deps   map[string]string `json:"deps"` // "path@budget" -> content key
}

// New makes a Deriver for one run.
func New(cfg Config) *Deriver {
	if cfg.Table == nil {
		cfg.Table = func(pkg, typ, name string) *Model { return nil }
	}
	d := &Deriver{cfg: cfg, byPath: map[string]*packages.Package{}, fset: token.NewFileSet(),
		imports: map[string]*types.Package{}, done: map[pkgBudget]*pkgModels{}, keys: map[string]string{}}
	packages.Visit(cfg.Packages, nil, func(p *packages.Package) {
		if _, ok := d.byPath[p.PkgPath]; !ok {
			d.byPath[p.PkgPath] = p
		}
	})
	return d
}

// Lookup is the derived model of pkg's function name (a method of typ,
// "T" or "*T", if typ is not ""), or nil when there is none: the package
// could not be derived, the function is generic or unknown, or the
// derivation fell back to the conservative rule for the whole of it.
func (d *Deriver) Lookup(pkg, typ, name string) *Model {
	return d.lookup(pkg, typ, name, Depth)
}

func (d *Deriver) lookup(pkg, typ, name string, budget int) *Model {
	if d == nil || !derivable(pkg) {
		return nil
	}
	ms := d.models(pkg, budget)
	if ms == nil {
		return nil
	}
	return ms.Models[memberKey(typ, name)]
}

func memberKey(typ, name string) string {
	if typ == "" {
		return name
	}
	return typ + "." + name
}

// derivable: packages whose code is beyond the derivation (the runtime,
// reflection, unsafe, synchronization, system calls) are not loaded.
func derivable(path string) bool {
	switch path {
	case "runtime", "reflect", "unsafe", "sync", "sync/atomic", "syscall", "C", "os/signal", "plugin":
		return false
	}
	return !strings.HasPrefix(path, "internal/") && !strings.Contains(path, "/internal/") &&
		!strings.HasPrefix(path, "runtime/") && !strings.HasPrefix(path, "golang.org/x/sys/")
}

// models derives (or reads from the cache) the models of a package.
func (d *Deriver) models(path string, budget int) *pkgModels {
	k := pkgBudget{path, budget}
	if ms, ok := d.done[k]; ok {
		return ms
	}
	d.done[k] = nil // a cycle (impossible among imports) gets nothing
	p := d.byPath[path]
	if p == nil || len(p.CompiledGoFiles) == 0 {
		return nil
	}
	key := d.key(p, budget)
	if ms := d.readCache(key); ms != nil {
		d.Stats.Cached++
		d.done[k] = ms
		return ms
	}
	ms := d.derive(p, budget)
	if ms == nil {
		d.Stats.Failed++
		// Remembered as nothing: a second run need not try again.
		ms = &pkgModels{Models: map[string]*Model{}, Deps: map[string]string{}}
	} else {
		d.Stats.Derived++
	}
	d.writeCache(key, ms)
	d.done[k] = ms
	return ms
}

// derive loads p from source and summarizes its functions.
func (d *Deriver) derive(p *packages.Package, budget int) *pkgModels {
	var files []*ast.File
	for _, name := range p.CompiledGoFiles {
		f, err := parser.ParseFile(d.fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
		for _, imp := range f.Imports {
			if imp.Path.Value == `"C"` {
				return nil // cgo: beyond the derivation
			}
		}
		files = append(files, f)
	}
	tc := &types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) { return d.importFrom(p, path) }),
		Sizes:    types.SizesFor("gc", runtime.GOARCH),
		Error:    func(error) {},
	}
	pkg := types.NewPackage(p.PkgPath, p.Name)
	spkg, _, err := ssautil.BuildPackage(tc, d.fset, pkg, files, ssa.BuilderMode(0))
	if err != nil {
		return nil
	}
	fl := &flows{d: d, pkg: spkg, budget: budget, sums: map[*ssa.Function]*summary{},
		deps: map[string]string{}}
	fl.run()
	return fl.export()
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// importFrom reads the export data of what `from` imports as path, into
// the Deriver's own map (the analysis' is shared with its type-checkers
// and only read).
func (d *Deriver) importFrom(from *packages.Package, path string) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	imp := from.Imports[path]
	if imp == nil {
		return nil, errNoImport
	}
	if t := d.imports[imp.PkgPath]; t != nil && t.Complete() {
		return t, nil
	}
	file := d.cfg.Exports[imp.ID]
	if file == "" {
		return nil, errNoImport
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	return gcexportdata.Read(r, d.fset, d.imports, imp.PkgPath)
}

type errString string

func (e errString) Error() string { return string(e) }

const errNoImport = errString("no export data for an import")

// export turns the package's summaries into models of its exported
// functions and methods. Generic ones have none.
func (fl *flows) export() *pkgModels {
	out := &pkgModels{Models: map[string]*Model{}, Deps: fl.deps}
	for fn, s := range fl.sums {
		if fn.Pkg != fl.pkg || fn.Synthetic != "" || fn.Parent() != nil || fn.TypeParams().Len() > 0 || s.whole {
			continue
		}
		obj, ok := fn.Object().(*types.Func)
		if !ok || !obj.Exported() {
			continue
		}
		typ := ""
		if recv := fn.Signature.Recv(); recv != nil {
			if named, ptr := recvName(recv.Type()); named != "" {
				typ = named
				if ptr {
					typ = "*" + named
				}
			} else {
				continue
			}
			if _, ok := recv.Type().Underlying().(*types.Interface); ok {
				continue
			}
		}
		out.Models[memberKey(typ, fn.Name())] = s.model(fn)
	}
	return out
}

func recvName(t types.Type) (string, bool) {
	ptr := false
	if p, ok := t.(*types.Pointer); ok {
		t, ptr = p.Elem(), true
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		if n.TypeArgs().Len() > 0 || n.TypeParams().Len() > 0 {
			return "", false
		}
		return n.Obj().Name(), ptr
	}
	return "", false
}

// model is the summary in the table's form.
func (s *summary) model(fn *ssa.Function) *Model {
	m := &Model{Keeps: s.keeps, Result: s.result, Partial: s.partial, Quiet: !s.calls}
	effs := s.eff
	if fn.Signature.Recv() != nil && len(effs) > 0 {
		m.Receiver, effs = effName(effs[0]), effs[1:]
	}
	args := effNone
	for i, e := range effs {
		if e == effWrite {
			m.Writes = append(m.Writes, i)
		} else {
			args = max(args, e)
		}
	}
	m.Args = effName(args)
	slices.Sort(m.Writes)
	return m
}
