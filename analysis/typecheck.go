package analysis

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// listMode asks the go command for the package graph only: names, files
// and imports, no types. go/packages' own type loading would run
// `go list -export`, which compiles every listed package, the user's
// included: a save would wait for the compiler. Instead the workspace
// packages are type-checked here from source, and only the packages they
// import from outside (the standard library, modules) are read from
// export data, which the go command keeps in its build cache.
const listMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
	packages.NeedImports | packages.NeedDeps | packages.NeedModule

// typeCheck fills in Syntax, Types and TypesInfo of the root packages, and
// Types of the packages they import, read from export data. It returns the
// packages export data created (those the roots import and, in part, what
// those refer to), and where the export data of each dependency is.
//
// Type errors that change nothing the analysis reads (see harmless) are
// not among a package's Errors: they go to harmless, by package, and the
// package is analysed.
func typeCheck(ctx context.Context, cfg Config, files *sources, fset *token.FileSet, roots []*packages.Package, prev *depState, spec chan exportResult, phases *[]Phase, harmless map[*packages.Package][]packages.Error) (*depState, error) {
	start := time.Now()
	source, deps := sourcePackages(roots)
	st, importErrs, err := readDeps(ctx, cfg, fset, source, deps, prev, spec)
	if err != nil {
		return nil, err
	}
	*phases = append(*phases, Phase{"export data", time.Since(start)})
	start = time.Now()
	defer func() { *phases = append(*phases, Phase{"typecheck", time.Since(start)}) }()
	checkSources(ctx, cfg, files, fset, source, importErrs, harmless)
	return st, ctx.Err()
}

// sourcePackages splits the packages the roots reach into those checked
// from source (dependencies first) and the rest, imported from export data.
//
// Checked from source: the roots, and every package between two roots
// (a root imports it and it imports a root, as with `safels check
// ./model ./cmd/server` where server imports store imports model):
// export data of such a package would name the types of another copy
// of the root it imports.
func sourcePackages(roots []*packages.Package) (source, deps []*packages.Package) {
	isRoot := map[*packages.Package]bool{}
	for _, p := range roots {
		isRoot[p] = true
	}
	reaches := map[*packages.Package]bool{}
	var reach func(p *packages.Package) bool
	reach = func(p *packages.Package) bool {
		if r, ok := reaches[p]; ok {
			return r
		}
		reaches[p] = false // import cycles are errors already
		r := isRoot[p]
		for _, imp := range p.Imports {
			if reach(imp) {
				r = true
			}
		}
		reaches[p] = r
		return r
	}
	packages.Visit(roots, nil, func(p *packages.Package) {
		switch {
		case reach(p):
			source = append(source, p)
		case p.PkgPath != "unsafe":
			deps = append(deps, p)
		}
	})
	return source, deps
}

// readDeps reads the types of what the source packages import directly
// from export data, or reuses the last run's (prev). importErrs: the
// packages whose export data could not be read.
func readDeps(ctx context.Context, cfg Config, fset *token.FileSet, source, deps []*packages.Package, prev *depState, spec chan exportResult) (_ *depState, importErrs map[*packages.Package]error, _ error) {
	ids := make([]string, 0, len(deps))
	for _, p := range deps {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	exports, err := exportsOf(ctx, cfg, ids, prev, spec)
	if err != nil {
		return nil, nil, err
	}
	// The export data of what the roots import is read before any
	// type-checking starts: reading fills the shared map, which the
	// type-checkers then only read. Packages further down are created
	// from it as far as the roots can see them.
	direct := directImports(source)
	st := &depState{ids: ids, exports: exports}
	// The last run's types are reused when every export data file is the
	// one they were read from and they hold every package read now: the
	// map is then only read, never written, so results of the last run
	// still in use see no change.
	if prev != nil && maps.Equal(exports, prev.exports) && prev.holds(direct) {
		st.imports, st.files, st.reused = prev.imports, prev.files, true
		// Their positions stay valid: nothing else is in the file set yet.
		fset.AddExistingFiles(prev.files...)
	} else {
		st.imports = map[string]*types.Package{}
	}
	importErrs = map[*packages.Package]error{}
	for _, p := range deps {
		if !direct[p] {
			continue
		}
		if err := readExport(fset, st.imports, p, exports[p.ID]); err != nil {
			importErrs[p] = err
			continue
		}
		p.Types = st.imports[p.PkgPath]
	}
	if !st.reused {
		// Nothing but export data was added to the file set so far.
		fset.Iterate(func(f *token.File) bool {
			st.files = append(st.files, f)
			return true
		})
	}
	return st, importErrs, nil
}

// exportsOf finds the export data file of each of ids: what load looked
// up while the go command listed the packages (spec), if it is of these
// very packages, else the go command's answer now.
func exportsOf(ctx context.Context, cfg Config, ids []string, prev *depState, spec chan exportResult) (map[string]string, error) {
	if spec != nil {
		r := <-spec
		if r.err == nil && slices.Equal(ids, prev.ids) && r.files != nil {
			return r.files, nil
		}
	}
	return exportFiles(ctx, cfg, ids)
}

// directImports: the packages outside source that source imports.
func directImports(source []*packages.Package) map[*packages.Package]bool {
	isSource := map[*packages.Package]bool{}
	for _, p := range source {
		isSource[p] = true
	}
	direct := map[*packages.Package]bool{}
	for _, p := range source {
		for _, imp := range p.Imports {
			if !isSource[imp] && imp.PkgPath != "unsafe" {
				direct[imp] = true
			}
		}
	}
	return direct
}

// holds reports whether d holds complete types of every package of direct.
func (d *depState) holds(direct map[*packages.Package]bool) bool {
	for p := range direct {
		if t := d.imports[p.PkgPath]; t == nil || !t.Complete() {
			return false
		}
	}
	return true
}

// checkSources type-checks the source packages, in parallel, each once
// the roots it imports are checked; their harmless errors go to harmless.
func checkSources(ctx context.Context, cfg Config, files *sources, fset *token.FileSet, source []*packages.Package, importErrs map[*packages.Package]error, harmless map[*packages.Package][]packages.Error) {
	sizes := types.SizesFor("gc", goarch(cfg.Env))
	done := map[*packages.Package]chan struct{}{}
	for _, p := range source {
		done[p] = make(chan struct{})
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var mu sync.Mutex // guards harmless
	var wg sync.WaitGroup
	for _, p := range source {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[p])
			// Wait for the roots p imports: their types are p's input.
			for _, imp := range p.Imports {
				if ch, ok := done[imp]; ok {
					<-ch
				}
			}
			if ctx.Err() != nil {
				return
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			if soft := checkPackage(cfg, files, fset, sizes, p, importErrs); len(soft) > 0 {
				mu.Lock()
				harmless[p] = soft
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// depState is what the packages of a run import from outside: where their
// export data is, the types read from it, and the files its positions
// are in. A Cache keeps it for the next run.
type depState struct {
	ids     []string          // package IDs, sorted
	exports map[string]string // export data file by ID
	imports map[string]*types.Package
	files   []*token.File
	reused  bool
}

type exportResult struct {
	files map[string]string
	err   error
}

// checkPackage parses and type-checks p from source. Its errors go to
// p.Errors, but for the harmless ones, which it returns.
func checkPackage(cfg Config, files *sources, fset *token.FileSet, sizes types.Sizes, p *packages.Package, importErrs map[*packages.Package]error) (soft []packages.Error) {
	p.Fset = fset
	p.TypesSizes = sizes
	for _, name := range p.CompiledGoFiles {
		src, err := files.read(name)
		if err != nil {
			p.Errors = append(p.Errors, packages.Error{Pos: name, Msg: err.Error(), Kind: packages.ParseError})
			continue
		}
		f, err := parser.ParseFile(fset, name, src, parser.AllErrors|parser.ParseComments|parser.SkipObjectResolution)
		if f != nil {
			p.Syntax = append(p.Syntax, f)
		}
		var list scanner.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				p.Errors = append(p.Errors, packages.Error{Pos: e.Pos.String(), Msg: e.Msg, Kind: packages.ParseError})
			}
		} else if err != nil {
			p.Errors = append(p.Errors, packages.Error{Pos: name, Msg: err.Error(), Kind: packages.ParseError})
		}
	}
	p.Types = types.NewPackage(p.PkgPath, p.Name)
	p.TypesInfo = &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Instances:    map[*ast.Ident]types.Instance{},
		Scopes:       map[ast.Node]*types.Scope{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		FileVersions: map[*ast.File]string{},
	}
	tc := &types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if path == "unsafe" {
				return types.Unsafe, nil
			}
			imp := p.Imports[path]
			if imp == nil {
				return nil, fmt.Errorf("no package %s in the go command's listing (was it added since?)", path)
			}
			if err := importErrs[imp]; err != nil {
				return nil, err
			}
			if imp.Types == nil {
				return nil, fmt.Errorf("no type information for %s", path)
			}
			return imp.Types, nil
		}),
		Sizes: sizes,
		Error: func(err error) {
			var te types.Error
			if errors.As(err, &te) {
				e := packages.Error{Pos: fset.Position(te.Pos).String(), Msg: te.Msg, Kind: packages.TypeError}
				if harmless(te) {
					soft = append(soft, e)
				} else {
					p.Errors = append(p.Errors, e)
				}
				return
			}
			p.Errors = append(p.Errors, packages.Error{Pos: "-", Msg: err.Error(), Kind: packages.TypeError})
		},
	}
	if p.Module != nil && p.Module.GoVersion != "" {
		// The language version decides, among others, whether loop
		// variables are per iteration, which the SSA reflects.
		tc.GoVersion = "go" + p.Module.GoVersion
	}
	types.NewChecker(tc, fset, p.Types, p.TypesInfo).Files(p.Syntax)
	for _, imp := range p.Imports {
		if imp.IllTyped {
			p.IllTyped = true
		}
	}
	if len(p.Errors) > 0 {
		p.IllTyped = true
	}
	return soft
}

// harmless reports whether a type error leaves the package's types and
// code exactly what they would be without it: a variable, import or label
// declared and never used. go/types reports these as soft errors and
// completes every type; the code builds to the same SSA as with the
// declaration removed, so the analysis of the package is whole. An editor
// sees such errors at nearly every keystroke (a variable declared before
// its use is typed); setting the package aside for one would blank its
// findings. Other soft errors (a range over a non-iterable value, invalid
// type arguments) leave the code incomplete: the package is set aside, as
// for any error. A wording go/types might change later is then taken as
// an error of that kind: the cost is a package not analysed, never a
// finding lost without a word.
func harmless(te types.Error) bool {
	// "declared and not used: x", "x declared and not used",
	// "label l declared and not used", `"os" imported and not used`,
	// `"os" imported as o and not used`.
	return te.Soft && (strings.HasSuffix(te.Msg, " and not used") || strings.HasPrefix(te.Msg, "declared and not used: "))
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// exportFiles asks the go command where the export data of deps is (it
// builds what is missing from its cache).
func exportFiles(ctx context.Context, cfg Config, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-e", "-export", "-f", "{{.ImportPath}}\t{{.Export}}", "--"}, ids...)...)
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("go list -export: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if id, file, ok := strings.Cut(sc.Text(), "\t"); ok && file != "" {
			out[id] = file
		}
	}
	return out, nil
}

// readExport reads the export data of p into imports, where other
// packages' export data may already have created part of it.
func readExport(fset *token.FileSet, imports map[string]*types.Package, p *packages.Package, file string) error {
	if t := imports[p.PkgPath]; t != nil && t.Complete() {
		return nil
	}
	if file == "" {
		msg := "no export data"
		if len(p.Errors) > 0 {
			msg = p.Errors[0].Msg
		}
		return errors.New(msg)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("reading export data of %s: %v", p.PkgPath, err)
	}
	if _, err := gcexportdata.Read(r, fset, imports, p.PkgPath); err != nil {
		return fmt.Errorf("reading export data of %s: %v", p.PkgPath, err)
	}
	return nil
}

// goarch is the architecture the go command builds for (sizes of types).
func goarch(env []string) string {
	if env == nil {
		env = os.Environ()
	}
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "GOARCH="); ok && v != "" {
			return v
		}
	}
	return runtime.GOARCH
}
