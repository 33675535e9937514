package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

// Exit codes of check, as `go vet`.
const (
	exitClean     = 0
	exitConflicts = 1
	exitError     = 2
)

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output `format`: text (file:line:col: message), json, sarif (SARIF 2.1.0, for code scanning) or matrix")
	asJSON := fs.Bool("json", false, "print one JSON object: handlers and conflicts (-format json)")
	matrix := fs.Bool("matrix", false, "print the conflict matrix (b1b0 per cell: bit 0 global, bit 1 same context; -format matrix)")
	verbose := fs.Bool("v", false, "report on stderr how many packages and handlers were analysed and where the time went")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the analysis to `file` (for a report of a slow run)")
	memProfile := fs.String("memprofile", "", "write a heap profile taken near the analysis' peak memory to `file` (for a report of a run that needs too much)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: safels check [-format text|json|sarif|matrix] [-v] [patterns...]\n\n"+
			"Reports every reference through which two event handlers may touch the same\n"+
			"memory at once. Exit status: 0 no conflicts, 1 conflicts, 2 errors or no\n"+
			"handler found.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	switch {
	case *asJSON:
		*format = "json"
	case *matrix:
		*format = "matrix"
	}
	switch *format {
	case "text", "json", "sarif", "matrix":
	default:
		fmt.Fprintf(stderr, "safels: unknown -format %q (text, json, sarif or matrix)\n", *format)
		return exitError
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return exitError
		}
		defer stop()
	}
	if *memProfile != "" {
		stop, err := startPeakHeapProfile(*memProfile)
		if err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return exitError
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "safels: heap profile: %v\n", err)
			}
		}()
	}
	wd, _ := os.Getwd()
	// Only -format json prints each conflict; the rest need their count.
	cfg := analysis.Config{Dir: wd, Patterns: fs.Args(), NoConflictList: *format != "json"}
	if *verbose {
		began := time.Now()
		cfg.Progress = func(msg string) {
			fmt.Fprintf(stderr, "safels: %s: %s\n", time.Since(began).Round(100*time.Millisecond), msg)
		}
	}
	res, err := analysis.Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(stderr, "safels: %v\n", err)
		return exitError
	}
	for _, p := range res.Problems {
		if p.Note && !*verbose {
			continue // a bound hit: with -v
		}
		where := p.Package
		if p.Pos.Filename != "" {
			where = rel(wd, p.Pos)
		}
		if where == "" {
			where = "safels"
		}
		kind := ""
		switch {
		case p.Warning:
			kind = "warning: "
		case p.Note:
			kind = "note: "
		}
		fmt.Fprintf(stderr, "%s: %s%s\n", where, kind, p.Message)
	}
	if *verbose {
		var total time.Duration
		var parts []string
		for _, p := range res.Phases {
			total += p.Elapsed
			parts = append(parts, fmt.Sprintf("%s %s", p.Name, p.Elapsed.Round(time.Millisecond)))
		}
		fmt.Fprintf(stderr, "safels: %d packages, %d handlers, %d conflicts in %s (%s)\n",
			res.Packages, len(res.Handlers), res.ConflictCount, total.Round(time.Millisecond), strings.Join(parts, ", "))
		fmt.Fprintf(stderr, "safels: library packages analysed from source: %d derived, %d read from the cache, %d beyond the analysis\n",
			res.Library.Derived, res.Library.Cached, res.Library.Failed)
	}
	if res.Packages == 0 {
		fmt.Fprintln(stderr, "safels: no package could be analysed")
		return exitError
	}
	var err2 error
	switch *format {
	case "json":
		err2 = writeJSON(stdout, wd, res)
	case "sarif":
		err2 = writeSARIF(stdout, wd, res)
	case "matrix":
		writeMatrix(stdout, res)
	default:
		for _, f := range diagnostics.Findings(res) {
			fmt.Fprintf(stdout, "%s: %s\n", rel(wd, f.Pos), f.Message)
		}
	}
	if err2 != nil {
		fmt.Fprintf(stderr, "safels: %v\n", err2)
		return exitError
	}
	if len(res.Handlers) == 0 {
		// Silence would read as "no races".
		fmt.Fprintf(stderr, "safels: no handler found in %d package(s): nothing was checked (see \"What counts as a handler\" in the README; .safels.json declares others)\n", res.Packages)
		return exitError
	}
	if res.ConflictCount > 0 {
		return exitConflicts
	}
	// Code that was not analysed may be what the handlers share (they
	// may call into the broken package): exit 0 would read as "no races".
	if incomplete(res) {
		fmt.Fprintln(stderr, "safels: no conflicts in what was analysed, but not all of it could be (above): fix that, then check again")
		return exitError
	}
	return exitClean
}

// incomplete reports whether an error set code aside: a package that did
// not type-check, a malformed .safels.json, an internal error.
func incomplete(res *analysis.Result) bool {
	for _, p := range res.Problems {
		if !p.Warning && !p.Note {
			return true
		}
	}
	return false
}

// rel prints a position relative to the working directory, as go vet does.
func rel(wd string, p token.Position) string {
	name := p.Filename
	if r, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(r, "..") {
		name = r
	}
	if p.Line == 0 {
		return name
	}
	return fmt.Sprintf("%s:%d:%d", name, p.Line, p.Column)
}

type jsonHandler struct {
	Name    string `json:"name"`
	Pos     string `json:"pos"`
	Model   string `json:"model"`
	Hue     int    `json:"hue"`
	Colored bool   `json:"colored"`
	// Display is the handler as the text and the editor name it: its
	// route, else its function; Route is "" where none is registered.
	Display    string `json:"display"`
	Route      string `json:"route,omitempty"`
	Registered string `json:"registered,omitempty"`
}

type jsonAccess struct {
	Pos    string   `json:"pos"`
	Op     string   `json:"op"`
	Via    []string `json:"via"`
	Atomic bool     `json:"atomic,omitempty"`
	// GuardedBy names locks that kept this access apart from others.
	GuardedBy []string `json:"guarded_by,omitempty"`
	// Assumed names the call outside the workspace, neither analysed nor
	// modelled, whose effect the access was assumed to be.
	Assumed string `json:"assumed,omitempty"`
	// AssumedInPart: Assumed was analysed from its source, in part assumed.
	AssumedInPart bool `json:"assumed_in_part,omitempty"`
}

type jsonConflict struct {
	A       string     `json:"a"`
	B       string     `json:"b"`
	Kind    string     `json:"kind"`
	Object  string     `json:"object"`
	AAccess jsonAccess `json:"a_access"`
	BAccess jsonAccess `json:"b_access"`
	// ADisplay, BDisplay and Short name the two handlers and the object
	// as the text output does.
	ADisplay string `json:"a_display"`
	BDisplay string `json:"b_display"`
	Short    string `json:"object_short"`
}

type jsonReport struct {
	Handlers  []jsonHandler  `json:"handlers"`
	Conflicts []jsonConflict `json:"conflicts"`
	Matrix    [][]string     `json:"matrix"`
	Errors    []string       `json:"errors,omitempty"`
	// Notes explain the notation of object names, where it is used.
	Notes []string `json:"notes,omitempty"`
}

// writeJSON prints the report as one JSON object, indented as
// json.Encoder with SetIndent("", "  ") would print a jsonReport, but
// streamed: each conflict is encoded and written as it comes. Encoded
// whole, a report of millions of conflicts (miniflux: 3.9 million, a
// 4.6 GB document) was held in memory two or three times over (the
// records, the encoding, its indented copy) before a byte was written.
func writeJSON(w io.Writer, wd string, res *analysis.Result) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	s := &jsonStream{w: bw}
	handlers := []jsonHandler{}
	for _, h := range res.Handlers {
		handlers = append(handlers, jsonHandlerOf(wd, h))
	}
	s.field("handlers", handlers)
	deep := false
	s.key("conflicts")
	enc := newConflictEncoder(wd, res)
	for i, c := range res.Conflicts {
		s.elemRaw(i, enc.encode(c))
		deep = deep || strings.HasSuffix(c.Object, "...")
	}
	s.endArray(len(res.Conflicts))
	rep := jsonTail(wd, res, deep)
	s.field("matrix", rep.Matrix)
	if len(rep.Errors) > 0 {
		s.field("errors", rep.Errors)
	}
	if len(rep.Notes) > 0 {
		s.field("notes", rep.Notes)
	}
	s.raw("\n}\n")
	if s.err != nil {
		return s.err
	}
	return bw.Flush()
}

// jsonStream writes the fields of one top-level JSON object, indented by
// two spaces a level, keeping the first error.
type jsonStream struct {
	w      *bufio.Writer
	fields int
	err    error
}

func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(text)
	}
}

func (s *jsonStream) value(prefix string, v any) {
	if s.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		s.err = err
		return
	}
	_, s.err = s.w.Write(b)
}

// key starts the object's next field.
func (s *jsonStream) key(name string) {
	if s.fields == 0 {
		s.raw("{\n  ")
	} else {
		s.raw(",\n  ")
	}
	s.fields++
	s.raw(strconv.Quote(name) + ": ")
}

func (s *jsonStream) field(name string, v any) {
	s.key(name)
	s.value("  ", v)
}

// elem writes the i-th element of the array that is the current field's
// value; endArray closes it after n.
func (s *jsonStream) elem(i int, v any) {
	if i == 0 {
		s.raw("[\n    ")
	} else {
		s.raw(",\n    ")
	}
	s.value("    ", v)
}

// elemRaw is elem of a value already encoded at the array's depth.
func (s *jsonStream) elemRaw(i int, b []byte) {
	if i == 0 {
		s.raw("[\n    ")
	} else {
		s.raw(",\n    ")
	}
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}

func (s *jsonStream) endArray(n int) {
	if n == 0 {
		s.raw("[]")
	} else {
		s.raw("\n  ]")
	}
}

func jsonHandlerOf(wd string, h *analysis.Handler) jsonHandler {
	jh := jsonHandler{Name: h.Name, Pos: rel(wd, h.Pos), Model: string(h.Model), Hue: h.Hue, Colored: h.Colored,
		Display: diagnostics.Name(h), Route: h.Route}
	if h.Registered.IsValid() {
		jh.Registered = rel(wd, h.Registered)
	}
	return jh
}

func jsonAccessOf(wd string, a *analysis.Access) jsonAccess {
	ja := jsonAccess{Pos: rel(wd, a.Pos), Op: a.Op.String(), Via: []string{}, Atomic: a.Atomic, GuardedBy: a.GuardedBy, Assumed: a.Assumed, AssumedInPart: a.InPart}
	for _, c := range a.Via {
		ja.Via = append(ja.Via, c.Callee)
	}
	return ja
}

func jsonConflictOf(wd string, res *analysis.Result, c *analysis.Conflict) jsonConflict {
	return jsonConflict{
		A: res.Handlers[c.A].Name, B: res.Handlers[c.B].Name, Kind: c.Kind.String(),
		Object: c.Object, AAccess: jsonAccessOf(wd, c.AAccess), BAccess: jsonAccessOf(wd, c.BAccess),
		ADisplay: diagnostics.Name(res.Handlers[c.A]), BDisplay: diagnostics.Name(res.Handlers[c.B]), Short: c.Short,
	}
}

// conflictEncoder encodes conflicts as elem would (json.MarshalIndent of
// jsonConflictOf at the conflicts' depth), from the encodings of their
// parts, each made once: miniflux's 5 million conflicts name a few
// thousand accesses, 170 handlers and 911 objects, and encoding each
// conflict whole took most of a -json run.
type conflictEncoder struct {
	wd              string
	names, displays [][]byte // of each handler
	accesses        map[*analysis.Access][]byte
	objects         map[objectName][]byte
	buf             []byte
}

// objectName is an object's full name (short false) or short one.
type objectName struct {
	names *analysis.ObjectNames
	short bool
}

func newConflictEncoder(wd string, res *analysis.Result) *conflictEncoder {
	e := &conflictEncoder{wd: wd, accesses: map[*analysis.Access][]byte{}, objects: map[objectName][]byte{}}
	for _, h := range res.Handlers {
		e.names = append(e.names, jsonString(h.Name))
		e.displays = append(e.displays, jsonString(diagnostics.Name(h)))
	}
	return e
}

// The lines of a conflict's fields, and of its closing brace.
const (
	conflictIndent = "\n      "
	conflictEnd    = "\n    }"
)

// encode returns c's encoding, valid until the next call.
func (e *conflictEncoder) encode(c *analysis.Conflict) []byte {
	b := append(e.buf[:0], '{')
	field := func(name string, v []byte) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, conflictIndent...)
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `": `...)
		b = append(b, v...)
	}
	field("a", e.names[c.A])
	field("b", e.names[c.B])
	field("kind", jsonString(c.Kind.String()))
	field("object", e.object(c, false))
	field("a_access", e.access(c.AAccess))
	field("b_access", e.access(c.BAccess))
	field("a_display", e.displays[c.A])
	field("b_display", e.displays[c.B])
	field("object_short", e.object(c, true))
	b = append(b, conflictEnd...)
	e.buf = b
	return b
}

// object is the encoding of c's object's full name or short one.
func (e *conflictEncoder) object(c *analysis.Conflict, short bool) []byte {
	k := objectName{c.ObjectNames, short}
	v, ok := e.objects[k]
	if !ok {
		name := c.Object
		if short {
			name = c.Short
		}
		v = jsonString(name)
		e.objects[k] = v
	}
	return v
}

// access is the encoding of a at a conflict's fields' depth.
func (e *conflictEncoder) access(a *analysis.Access) []byte {
	v, ok := e.accesses[a]
	if !ok {
		var err error
		if v, err = json.MarshalIndent(jsonAccessOf(e.wd, a), "      ", "  "); err != nil {
			panic(err) // strings, bools and slices of them
		}
		e.accesses[a] = v
	}
	return v
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// jsonTail is the report's fields after the conflicts (deep: an object
// name uses the "..." notation).
func jsonTail(wd string, res *analysis.Result, deep bool) jsonReport {
	out := jsonReport{Matrix: [][]string{}}
	if deep {
		out.Notes = append(out.Notes, diagnostics.DeepNote)
	}
	for _, row := range res.Matrix {
		cells := make([]string, len(row))
		for j, k := range row {
			cells[j] = diagnostics.Cell(k)
		}
		out.Matrix = append(out.Matrix, cells)
	}
	for _, p := range res.Problems {
		if !p.Note {
			out.Errors = append(out.Errors, rel(wd, p.Pos)+": "+p.Message)
		}
	}
	return out
}

func writeMatrix(w io.Writer, res *analysis.Result) {
	width := 7
	for _, h := range res.Handlers {
		width = max(width, len(diagnostics.Name(h)))
	}
	fmt.Fprintf(w, "%-*s", width+2, "")
	for i := range res.Handlers {
		fmt.Fprintf(w, " %4d", i+1)
	}
	fmt.Fprintf(w, "   hue color\n")
	for i, h := range res.Handlers {
		fmt.Fprintf(w, "%2d %-*s", i+1, width, diagnostics.Name(h))
		for j := range res.Handlers {
			fmt.Fprintf(w, " %4s", diagnostics.Cell(res.Matrix[i][j]))
		}
		color := "-"
		if h.Colored {
			color = "ctx"
		}
		hue := "-"
		if h.Hue > 0 {
			hue = fmt.Sprint(h.Hue)
		}
		fmt.Fprintf(w, "   %3s %5s\n", hue, color)
	}
}
