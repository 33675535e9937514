package analysis

import (
	"context"
	"crypto/sha256"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/go/packages"
)

// A listing is the go command's answer to the last run's `go list`, kept
// by a Cache with what it depended on, so that a save that changes no
// package's files, imports or build constraints does not ask again (a
// third to four fifths of a save's time on small workspaces).
//
// What `go list` answers depends on: the patterns, the directory, the
// environment and overlays (one Cache serves one server session: fixed,
// but for the overlay's file names, compared); go.mod, go.sum and go.work
// (the server starts the Cache over when they change); the directories
// the patterns walk; and, in every package directory that is not the
// standard library's or the module cache's (both read-only), the Go files
// and the package clause, imports and build constraints of each. Those
// are compared before the answer is reused.
type listing struct {
	dir      string
	patterns []string
	overlay  []string            // names, sorted
	pkgs     []*packages.Package // as listed, before type-checking
	tree     []string            // directories with Go files under dir, for "./..."
	dirs     map[string]map[string]fileHead
	// deps: packages outside the patterns whose files are tracked (a
	// replaced module in a local directory); their export data changes
	// with their content.
	deps map[string]bool
	// reused: this run took the answer of an earlier one.
	reused bool
}

// fileHead is what `go list` reads of a file, and the file's hash.
type fileHead struct {
	sum  [sha256.Size]byte
	head string
}

// reusable reports whether l still answers cfg's patterns, and whether
// none of the tracked files outside them changed (their export data is
// then the same). It returns the listing with the files' hashes of now, for
// the Cache to keep once the run is done.
func (l *listing) reusable(cfg Config, patterns []string, src *sources) (now *listing, depsSame bool) {
	if l == nil || l.dir != cfg.Dir || !slices.Equal(l.patterns, patterns) || !slices.Equal(l.overlay, overlayNames(cfg)) {
		return nil, false
	}
	if l.tree != nil {
		tree, ok := walkTree(cfg.Dir)
		if !ok || !slices.Equal(tree, l.tree) {
			return nil, false
		}
	}
	n := *l
	n.reused = true
	n.dirs = make(map[string]map[string]fileHead, len(l.dirs))
	depsSame = true
	for dir, files := range l.dirs {
		names, ok := goFiles(dir)
		if !ok || len(names) != len(files) {
			return nil, false
		}
		cur := make(map[string]fileHead, len(files))
		for _, name := range names {
			old, ok := files[name]
			if !ok {
				return nil, false
			}
			data, err := src.read(filepath.Join(dir, name))
			if err != nil {
				return nil, false
			}
			sum := sha256.Sum256(data)
			cur[name] = fileHead{sum: sum, head: old.head}
			if sum == old.sum {
				continue
			}
			if l.deps[dir] {
				depsSame = false
			}
			if header(filepath.Join(dir, name), data) != old.head {
				return nil, false
			}
		}
		n.dirs[dir] = cur
	}
	return &n, depsSame
}

// newListing records what pkgs, just listed, depend on. It returns nil
// where the answer cannot be checked cheaply: patterns other than
// directories and "./...", cgo (its files are generated from the
// preamble), or a directory that cannot be read.
func newListing(cfg Config, patterns []string, pkgs []*packages.Package, readOnly []string, src *sources) *listing {
	l := &listing{dir: cfg.Dir, patterns: patterns, overlay: overlayNames(cfg), dirs: map[string]map[string]fileHead{}, deps: map[string]bool{}}
	for _, pat := range patterns {
		switch {
		case pat == "./...":
			tree, ok := walkTree(cfg.Dir)
			if !ok {
				return nil
			}
			l.tree = tree
		case (pat == "." || strings.HasPrefix(pat, "./") || strings.HasPrefix(pat, "../")) && !strings.Contains(pat, "..."):
		default:
			return nil
		}
	}
	if readOnly == nil {
		return nil
	}
	isRoot := map[*packages.Package]bool{}
	for _, p := range pkgs {
		isRoot[p] = true
	}
	ok := true
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if !ok || len(p.GoFiles) == 0 {
			return
		}
		dir := filepath.Dir(p.GoFiles[0])
		for _, r := range readOnly {
			if strings.HasPrefix(dir, r+string(filepath.Separator)) {
				return
			}
		}
		if len(p.CompiledGoFiles) != len(p.GoFiles) {
			ok = false // cgo: its files are made from the preamble
			return
		}
		files := map[string]fileHead{}
		names, ok2 := goFiles(dir)
		if !ok2 {
			ok = false
			return
		}
		for _, name := range names {
			data, err := src.read(filepath.Join(dir, name))
			if err != nil {
				ok = false
				return
			}
			files[name] = fileHead{sum: sha256.Sum256(data), head: header(filepath.Join(dir, name), data)}
		}
		l.dirs[dir] = files
		if !isRoot[p] {
			l.deps[dir] = true
		}
	})
	if !ok {
		return nil
	}
	l.pkgs = clonePackages(pkgs)
	return l
}

// answer returns a fresh copy of the listed packages, for one run to fill
// in.
func (l *listing) answer() []*packages.Package { return clonePackages(l.pkgs) }

// clonePackages copies what `go list` said of a graph of packages; the
// copies share nothing a run writes.
func clonePackages(pkgs []*packages.Package) []*packages.Package {
	copies := map[*packages.Package]*packages.Package{}
	var clone func(p *packages.Package) *packages.Package
	clone = func(p *packages.Package) *packages.Package {
		if c, ok := copies[p]; ok {
			return c
		}
		c := &packages.Package{
			ID: p.ID, Name: p.Name, PkgPath: p.PkgPath,
			Errors:          slices.Clone(p.Errors),
			GoFiles:         p.GoFiles,
			CompiledGoFiles: p.CompiledGoFiles,
			OtherFiles:      p.OtherFiles,
			IgnoredFiles:    p.IgnoredFiles,
			Module:          p.Module,
			Imports:         map[string]*packages.Package{},
		}
		copies[p] = c
		for path, imp := range p.Imports {
			c.Imports[path] = clone(imp)
		}
		return c
	}
	out := make([]*packages.Package, len(pkgs))
	for i, p := range pkgs {
		out[i] = clone(p)
	}
	return out
}

func overlayNames(cfg Config) []string {
	names := make([]string, 0, len(cfg.Overlay))
	for name := range cfg.Overlay {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// sources reads each file once per run, from the overlay or else the
// disk: the listing's check, the type-checker and the hashes of what was
// analysed all want the same files.
type sources struct {
	overlay map[string][]byte
	mu      sync.Mutex
	files   map[string]sourceFile
}

type sourceFile struct {
	data []byte
	err  error
}

func newSources(overlay map[string][]byte) *sources {
	return &sources{overlay: overlay, files: map[string]sourceFile{}}
}

// read may be called from several goroutines.
func (s *sources) read(name string) ([]byte, error) {
	if src, ok := s.overlay[name]; ok {
		return src, nil
	}
	s.mu.Lock()
	f, ok := s.files[name]
	s.mu.Unlock()
	if !ok {
		f.data, f.err = os.ReadFile(name)
		s.mu.Lock()
		s.files[name] = f
		s.mu.Unlock()
	}
	return f.data, f.err
}

// goFiles lists the non-test Go files of a directory, sorted.
func goFiles(dir string) ([]string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	return names, true
}

// walkTree lists the directories under root that "./..." may match: those
// with Go files, outside testdata, vendor, hidden and _ directories and
// nested modules, as the go command walks.
func walkTree(root string) ([]string, bool) {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != root {
			n := d.Name()
			if n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		if names, ok := goFiles(p); ok && len(names) > 0 {
			dirs = append(dirs, p)
		}
		return nil
	})
	return dirs, err == nil
}

// header is what of a file decides which package it is in and what it
// imports: its build constraints, package clause and imports (a file that
// does not parse that far is its own header, so any change shows).
func header(name string, src []byte) string {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return "unparsed:" + string(src)
	}
	var sb strings.Builder
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") || strings.HasPrefix(c.Text, "// +build") {
				sb.WriteString(c.Text + "\n")
			}
		}
	}
	sb.WriteString("package " + f.Name.Name + "\n")
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		sb.WriteString(path + "\n")
		if path == "C" {
			sb.WriteString(imp.Doc.Text()) // the cgo preamble
		}
	}
	return sb.String()
}

// readOnlyRoots are where the go command keeps what nobody edits: the
// standard library and the module cache.
func readOnlyRoots(ctx context.Context, cfg Config) []string {
	cmd := exec.CommandContext(ctx, "go", "env", "GOROOT", "GOMODCACHE")
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	var roots []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			roots = append(roots, filepath.Clean(line))
		}
	}
	if len(roots) == 0 {
		return nil
	}
	return roots
}
