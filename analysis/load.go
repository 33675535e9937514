package analysis

import (
	"context"
	"crypto/sha256"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
)

// Config says what to analyse.
type Config struct {
	// Dir is the directory in which patterns are resolved (default: current).
	Dir string
	// Patterns are go/packages patterns; default "./...".
	Patterns []string
	// Overlay maps absolute file names to unsaved contents, as
	// packages.Config.Overlay.
	Overlay map[string][]byte
	// Env, if non-nil, replaces the environment of the go command.
	Env []string
	// Cache, if non-nil, carries summaries from one Run to the next: a
	// run then summarizes only the functions whose package or inputs
	// changed since the last run with the same Cache.
	Cache *Cache
	// Progress, if non-nil, is told what the run is doing: each phase as
	// it ends, and on large workspaces how the summaries advance, every
	// few seconds (progress.go). It is called from Run's goroutine.
	Progress func(msg string)
	// LibraryCache is where models derived from the source of library
	// code are kept between runs (analysis/derive): "" the default
	// (derive.CacheDir: $SAFELS_CACHE or the user's cache directory),
	// "-" nowhere. NoDerive turns the derivation off: library calls no
	// table entry covers are then all taken conservatively.
	LibraryCache string
	NoDerive     bool
	// NoConflictList leaves Result.Conflicts nil: a large server's
	// conflicts are millions (miniflux: 5.5 million, a quarter of the
	// run's peak memory), which only a full listing (`check -json`)
	// prints. ConflictCount, the matrix, the handlers' accesses and
	// Partners are the same either way.
	NoConflictList bool
}

// loaded is a type-checked workspace turned into SSA.
type loaded struct {
	fset     *token.FileSet
	prog     *ssa.Program
	all      []*packages.Package // as the go command listed them, dependencies below
	deps     *depState
	listing  *listing            // for the Cache
	roots    []*packages.Package // type-checked without error: their bodies are analysed
	files    []string
	hashes   map[string][sha256.Size]byte // content analysed, per file
	problems []Problem
	phases   []Phase
}

func load(ctx context.Context, cfg Config) (*loaded, error) {
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	fset := token.NewFileSet()
	start := time.Now()
	files := newSources(cfg.Overlay)
	pkgs, listed, prev, spec, err := listPackages(ctx, cfg, patterns, files)
	if err != nil {
		return nil, err
	}
	roots := sourceRoots(pkgs)
	l := &loaded{fset: fset, all: pkgs, listing: listed, hashes: map[string][sha256.Size]byte{}}
	l.phases = append(l.phases, Phase{"list", time.Since(start)})
	harmless := map[*packages.Package][]packages.Error{}
	deps, err := typeCheck(ctx, cfg, files, fset, roots, prev, spec, &l.phases, harmless)
	if err != nil {
		return nil, err
	}
	l.deps = deps
	l.setAside(pkgs, files, harmless)
	if len(l.roots) == 0 {
		switch {
		case noModule(ctx, cfg):
			l.problems = append(l.problems, Problem{Message: fmt.Sprintf("%s is not in a Go module (no go.mod in it or above it): safels analyses modules; run go mod init there first", cfg.Dir)})
		case len(l.problems) == 0:
			l.problems = append(l.problems, Problem{Message: fmt.Sprintf("no Go package with source matches %s (in %s)", strings.Join(patterns, " "), cfg.Dir)})
		}
		return l, nil
	}
	l.buildSSA(pkgs)
	return l, nil
}

// listPackages asks the go command for the packages patterns name and
// their dependencies, or answers as it did last time when the Cache says
// nothing it depends on changed. It also starts the look-up of the last
// run's dependencies' export data (spec), which typeCheck may use, and
// gives the last run's dependencies (prev) when there is a Cache.
func listPackages(ctx context.Context, cfg Config, patterns []string, files *sources) (pkgs []*packages.Package, listed *listing, prev *depState, spec chan exportResult, err error) {
	if c := cfg.Cache; c != nil {
		prev = c.deps
		// Unless a save changed a package's files, imports or build
		// constraints, the go command would answer as it did last time.
		if now, depsSame := c.listing.reusable(cfg, patterns, files); now != nil && prev != nil {
			pkgs, listed = now.answer(), now
			if depsSame {
				spec = make(chan exportResult, 1)
				spec <- exportResult{files: prev.exports}
			}
		}
	}
	if prev != nil && spec == nil {
		// The dependencies of the last run are looked up (their export
		// data files) while the go command lists the packages: they
		// rarely change between two saves.
		spec = make(chan exportResult, 1)
		go func() {
			files, err := exportFiles(ctx, cfg, prev.ids)
			spec <- exportResult{files, err}
		}()
	}
	if pkgs != nil {
		return pkgs, listed, prev, spec, nil
	}
	pkgs, err = packages.Load(&packages.Config{
		Context: ctx,
		Mode:    listMode,
		Dir:     cfg.Dir,
		Overlay: cfg.Overlay,
		Env:     cfg.Env,
		Tests:   false,
	}, patterns...)
	if err != nil {
		if spec != nil {
			<-spec
		}
		return nil, nil, nil, nil, fmt.Errorf("loading %v: %w", patterns, err)
	}
	if c := cfg.Cache; c != nil {
		if c.readOnly == nil {
			c.readOnly = readOnlyRoots(ctx, cfg)
		}
		listed = newListing(cfg, patterns, pkgs, c.readOnly, files)
	}
	return pkgs, listed, prev, spec, nil
}

// sourceRoots: the packages the patterns name are type-checked from
// source; a package listed twice (by two patterns) is one package.
func sourceRoots(pkgs []*packages.Package) []*packages.Package {
	var roots []*packages.Package
	seen := map[*packages.Package]bool{}
	for _, p := range pkgs {
		if !seen[p] && len(p.CompiledGoFiles) > 0 {
			seen[p] = true
			roots = append(roots, p)
		}
	}
	return roots
}

// setAside records every listed package's files and problems, and keeps
// as roots (whose bodies are analysed) the packages with no errors but
// harmless ones.
//
// Broken packages are reported and set aside; the rest is analysed, so
// one file that does not parse does not hide every other finding. A
// package whose only errors are harmless (an unused variable) is
// analysed whole, and its errors reported beside its findings.
func (l *loaded) setAside(pkgs []*packages.Package, files *sources, harmless map[*packages.Package][]packages.Error) {
	done := map[*packages.Package]bool{}
	for _, p := range pkgs {
		if done[p] {
			continue
		}
		done[p] = true
		for _, f := range p.CompiledGoFiles {
			l.files = append(l.files, f)
			// Remember what was analysed, so edits are never made against
			// another version of a file.
			data, _ := files.read(f)
			l.hashes[f] = sha256.Sum256(data)
		}
		for _, e := range harmless[p] {
			l.problems = append(l.problems, Problem{
				Pos:     parsePos(e.Pos),
				Package: p.PkgPath,
				Message: e.Msg,
				Warning: true,
				Soft:    true,
			})
		}
		if len(p.Errors) > 0 {
			for _, e := range p.Errors {
				l.problems = append(l.problems, Problem{
					Pos:     parsePos(e.Pos),
					Package: p.PkgPath,
					Message: e.Msg,
				})
			}
			continue
		}
		if p.Types == nil || len(p.Syntax) == 0 {
			continue
		}
		l.roots = append(l.roots, p)
	}
	sort.Strings(l.files)
}

// buildSSA builds the SSA program: the roots from their syntax, every
// other package from its types.
func (l *loaded) buildSSA(pkgs []*packages.Package) {
	start := time.Now()
	l.prog = ssa.NewProgram(l.fset, ssa.InstantiateGenerics)
	isRoot := make(map[*packages.Package]bool)
	for _, p := range l.roots {
		isRoot[p] = true
	}
	// Dependencies are created from their types only: their bodies are
	// modelled, not analysed (standard-library internals are not user
	// state). Every package the roots' types reach gets one, so that the
	// SSA of a root can refer to any function it calls.
	created := make(map[*types.Package]bool)
	create := func(t *types.Package, p *packages.Package) {
		if t == nil || created[t] {
			return
		}
		created[t] = true
		if p != nil && isRoot[p] {
			l.prog.CreatePackage(t, p.Syntax, p.TypesInfo, true)
		} else {
			l.prog.CreatePackage(t, nil, nil, true)
		}
	}
	for _, p := range l.roots {
		create(p.Types, p)
	}
	paths := make([]string, 0, len(l.deps.imports))
	for path := range l.deps.imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		create(l.deps.imports[path], nil)
	}
	// Broken roots: their types are what their importers were checked
	// against.
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.Types != nil && p.TypesInfo != nil && !isRoot[p] {
			create(p.Types, nil)
		}
	})
	create(types.Unsafe, nil)
	l.prog.Build()
	l.phases = append(l.phases, Phase{"ssa", time.Since(start)})
}

// noModule reports whether the go command finds no module in cfg.Dir.
func noModule(ctx context.Context, cfg Config) bool {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	out, err := cmd.Output()
	gomod := strings.TrimSpace(string(out))
	return err == nil && (gomod == "" || gomod == os.DevNull)
}

// parsePos turns go/packages' "file:line:col" into a Position.
func parsePos(s string) token.Position {
	var p token.Position
	if s == "" || s == "-" {
		return p
	}
	// The file name may contain colons; the last two fields are numbers.
	line, col := 0, 0
	i := len(s)
	nums := []*int{&col, &line}
	for k := 0; k < 2; k++ {
		j := i - 1
		for j >= 0 && s[j] != ':' {
			j--
		}
		if j < 0 {
			break
		}
		n := 0
		ok := j+1 < i
		for _, c := range s[j+1 : i] {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int(c-'0')
		}
		if !ok {
			break
		}
		*nums[k] = n
		i = j
	}
	if line == 0 && col != 0 { // only "file:line"
		line, col = col, 0
	}
	p.Filename = s[:i]
	p.Line = line
	p.Column = col
	return p
}

// funcDecls yields every function declaration of the analysed packages with
// its package, for handler annotations.
func (l *loaded) funcDecls(yield func(*packages.Package, *ast.FuncDecl) bool) {
	for _, p := range l.roots {
		for _, f := range p.Syntax {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok {
					if !yield(p, fd) {
						return
					}
				}
			}
		}
	}
}
