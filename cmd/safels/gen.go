package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/loop"
)

// genFile is the name of the generated file: zz_ sorts it last, where
// generated code is expected.
const genFile = "zz_safels_constraints.go"

// gen writes the constraint table of the loop handlers of one package
// directory: for each handler, keyed by the names the Go runtime gives its
// function (in the program and in its test binary), its hue and whether it
// is colored. The table embeds the
// analysed sources, so that the runtime can see that they changed since and
// ignore a stale table (running every handler exclusively) instead of
// trusting it.
func gen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the table to `file` (default: "+genFile+" in the package directory)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: safels gen [-o file] [package directory]\n\n"+
			"Analyses the package in the directory (default \".\") and the packages below it,\n"+
			"and writes %s: the hue and color of every loop handler, which the\n"+
			"loop runtime uses to run handlers in parallel where that is safe. Put\n"+
			"//go:generate safels gen in the package and run go generate after changes;\n"+
			"a table older than the sources is ignored at run time (handlers run one at a time).\n\nflags:\n", genFile)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	dir := "."
	switch fs.NArg() {
	case 0:
	case 1:
		dir = fs.Arg(0)
	default:
		fs.Usage()
		return exitError
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintf(stderr, "safels gen: %v\n", err)
		return exitError
	}
	src, warnings, err := generate(context.Background(), dir)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "safels gen: warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "safels gen: %v\n", err)
		return exitError
	}
	target := *out
	if target == "" {
		target = filepath.Join(dir, genFile)
	}
	if err := os.WriteFile(target, src, 0o644); err != nil {
		fmt.Fprintf(stderr, "safels gen: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "safels gen: wrote %s\n", target)
	return exitClean
}

// generate returns the table's source for the package in dir.
func generate(ctx context.Context, dir string) ([]byte, []string, error) {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedFiles, Dir: dir}, ".")
	if err != nil {
		return nil, nil, err
	}
	if len(pkgs) != 1 || pkgs[0].Name == "" {
		return nil, nil, fmt.Errorf("no Go package in %s", dir)
	}
	pkg := pkgs[0]
	if len(pkg.Errors) > 0 {
		return nil, nil, fmt.Errorf("%s: %v", dir, pkg.Errors[0])
	}
	res, err := analysis.Run(ctx, analysis.Config{Dir: dir, Patterns: []string{"./..."}, NoConflictList: true})
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, p := range res.Problems {
		if !p.Warning && !p.Note {
			// A package that was not analysed may hold accesses that a
			// table would then ignore: refuse rather than be unsafe.
			return nil, nil, fmt.Errorf("%s: %s (fix it, then run safels gen again)", p.Pos, p.Message)
		}
	}

	// The sources the table vouches for: every analysed file the package
	// directory holds. Files elsewhere cannot be embedded; say so.
	var files []string
	for _, f := range res.Files {
		r, err := filepath.Rel(dir, f)
		if err != nil || strings.HasPrefix(r, "..") || filepath.IsAbs(r) {
			warnings = append(warnings, fmt.Sprintf("%s is outside %s: a change to it is not detected at run time", f, dir))
			continue
		}
		if filepath.Base(r) == genFile {
			continue
		}
		files = append(files, filepath.ToSlash(r))
	}
	sort.Strings(files)
	// The very function the loop checks the table with.
	hash, err := loop.HashSources(os.DirFS(dir), files)
	if err != nil {
		return nil, nil, err
	}

	mainPath := ""
	if pkg.Name == "main" {
		mainPath = pkg.PkgPath
	}
	// Each analysed handler under each of its runtime names. The
	// instantiations of a generic handler share a runtime name: what the
	// analysis proved of each is merged, as strict as the strictest.
	table := map[string]entry{}
	for _, h := range res.Handlers {
		if h.Model != analysis.ModelLoop {
			continue
		}
		c := loop.Constraint{Hue: h.Hue, Colored: h.Colored, Pos: closurePos(h, dir)}
		for _, name := range runtimeNames(h.Name, mainPath) {
			e, ok := table[name]
			if !ok {
				table[name] = entry{c, []string{h.Short}}
				continue
			}
			e.c = mergeConstraints(e.c, c)
			e.shorts = append(e.shorts, h.Short)
			table[name] = e
		}
	}
	if len(table) == 0 {
		warnings = append(warnings, "no loop handler found: the table is empty and every handler runs one at a time")
	}
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by safels gen; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package %s\n\n", pkg.Name)
	fmt.Fprintf(&b, "import (\n\t\"embed\"\n\n\t\"github.com/safels/safels/loop\"\n)\n\n")
	fmt.Fprintf(&b, "//go:generate safels gen\n\n")
	fmt.Fprintf(&b, "// safelsSources are the sources the table was computed from: the loop\n// ignores the table if they changed since.\n//\n")
	for _, f := range files {
		fmt.Fprintf(&b, "//go:embed %s\n", f)
	}
	fmt.Fprintf(&b, "var safelsSources embed.FS\n\n")
	fmt.Fprintf(&b, "func init() {\n\tloop.Register(loop.Table{\n\t\tHash:    %q,\n\t\tSources: safelsSources,\n\t\tFiles: []string{\n", hash)
	for _, f := range files {
		fmt.Fprintf(&b, "\t\t\t%q,\n", f)
	}
	fmt.Fprintf(&b, "\t\t},\n\t\tHandlers: map[string]loop.Constraint{\n")
	for _, n := range names {
		e := table[n]
		pos := ""
		if e.c.Pos != "" {
			pos = fmt.Sprintf(", Pos: %q", e.c.Pos)
		}
		fmt.Fprintf(&b, "\t\t\t%q: {Hue: %d, Colored: %t%s}, // %s\n", n, e.c.Hue, e.c.Colored, pos, strings.Join(e.shorts, ", "))
	}
	fmt.Fprintf(&b, "\t\t},\n\t})\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("formatting the table: %v", err)
	}
	return src, warnings, nil
}

// entry is a table entry: the constraint and the handlers it is for.
type entry struct {
	c      loop.Constraint
	shorts []string
}

// mergeConstraints is a constraint as strict as a and b: both colors, the
// hue of either if the other has none, and exclusive (a negative hue) if
// they have different hues, which one hue cannot stand for.
func mergeConstraints(a, b loop.Constraint) loop.Constraint {
	m := loop.Constraint{Colored: a.Colored || b.Colored}
	switch {
	case a.Hue < 0 || b.Hue < 0:
		m.Hue = -1
	case a.Hue == b.Hue || b.Hue == 0:
		m.Hue = a.Hue
	case a.Hue == 0:
		m.Hue = b.Hue
	default:
		m.Hue = -1
	}
	if a.Pos == b.Pos {
		m.Pos = a.Pos
	}
	return m
}

// closurePos is Constraint.Pos for a closure handler h in a file under
// dir: "rel/file.go:first-last", the lines of its function literal, by
// which the loop recognises the copy the compiler makes of it when it
// inlines the function that makes it (and renames it). Empty for other
// handlers, and for closures outside dir (the table's files are there).
func closurePos(h *analysis.Handler, dir string) string {
	if !strings.Contains(h.Name, "$") || h.Pos.Filename == "" {
		return ""
	}
	rel, err := filepath.Rel(dir, h.Pos.Filename)
	if err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
		return ""
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, h.Pos.Filename, nil, parser.SkipObjectResolution)
	if err != nil {
		return ""
	}
	last := 0
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok {
			if p := fset.Position(lit.Pos()); p.Line == h.Pos.Line && p.Column == h.Pos.Column {
				last = fset.Position(lit.End()).Line
			}
		}
		return last == 0
	})
	if last == 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d-%d", filepath.ToSlash(rel), h.Pos.Line, last)
}

var closureSuffix = regexp.MustCompile(`\$(\d+)`)

// typeArgs matches the type arguments of an instantiated function or type
// in an analysis name, innermost first ("[int]", "[*example.com/m.conn]").
var typeArgs = regexp.MustCompile(`\[[^\[\]]*\]`)

// genericNames replaces the type arguments in name by the runtime's
// "[...]" (here a placeholder without dots, put back by the caller).
func genericNames(name string) string {
	for {
		next := typeArgs.ReplaceAllString(name, "\x00")
		if next == name {
			return name
		}
		name = next
	}
}

// runtimeNames maps a handler's analysis name (types.Func.FullName, or the
// SSA name of a closure) to the names the Go runtime gives its function
// (runtime.FuncForPC), which is all the loop sees of a handler:
//
//   - a package is named by its import path, escaped as the linker does
//     (a dot in the last element is "%2e": "example.com/srv%2ev2.f");
//   - except package main (mainPath, if the analysed package is a main
//     package), which is "main" in the program but its import path in a
//     test binary: a table keyed by one of the two would apply to no
//     handler in the other, silently, so it is keyed by both;
//   - "(*p.T).m" is "p.(*T).m", and "p.(*T).m-fm" when passed as a method
//     value (h.m);
//   - closures "p.f$1$2" are "p.f.func1.2";
//   - instantiations "p.f[int]", "(*p.T[int]).m" are "p.f[...]",
//     "p.(*T[...]).m", whatever the type arguments.
func runtimeNames(name, mainPath string) []string {
	names := runtimeNames1(genericNames(name), mainPath)
	for i, n := range names {
		names[i] = strings.ReplaceAll(n, "\x00", "[...]")
	}
	return names
}

func runtimeNames1(name, mainPath string) []string {
	var path, rest string
	method := strings.HasPrefix(name, "(")
	if method {
		// "(*p.T).m" or "(p.T).m", maybe with closure suffixes
		end := strings.Index(name, ").")
		if end < 0 {
			return []string{name}
		}
		recv := name[1:end]
		star := strings.HasPrefix(recv, "*")
		recv = strings.TrimPrefix(recv, "*")
		dot := strings.LastIndex(recv, ".")
		if dot < 0 {
			return []string{name}
		}
		path, rest = recv[:dot], recv[dot+1:]
		if star {
			rest = "(*" + rest + ")"
		}
		rest += "." + name[end+2:]
	} else {
		// "p.f", maybe with closure suffixes: identifiers hold no dot, so
		// the path ends at the last one.
		dot := strings.LastIndex(name, ".")
		if dot < 0 {
			return []string{name}
		}
		path, rest = name[:dot], name[dot+1:]
	}
	closure := strings.Contains(rest, "$")
	first := true
	rest = closureSuffix.ReplaceAllStringFunc(rest, func(m string) string {
		if first {
			first = false
			return ".func" + m[1:]
		}
		return "." + m[1:]
	})
	quals := []string{symbolPrefix(path)}
	if mainPath != "" && path == mainPath {
		quals = append(quals, "main")
	}
	var names []string
	for _, q := range quals {
		names = append(names, q+"."+rest)
		if method && !closure {
			names = append(names, q+"."+rest+"-fm")
		}
	}
	return names
}

// symbolPrefix is how the linker writes an import path in symbol names
// (cmd/internal/objabi.PathToPrefix): control characters, space, '%',
// '"', bytes beyond ASCII, and dots in the last path element become %xx.
func symbolPrefix(path string) string {
	slash := strings.LastIndex(path, "/")
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c == '.' && i > slash || c == '%' || c == '"' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
