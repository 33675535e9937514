// Package diagnostics turns analysis results into positioned, explained
// findings, shared by `safels check` and the language server. Start at
// Findings; Hover (hover.go) is a handler's summary for the editor. It
// knows nothing of the LSP: positions are token.Position.
package diagnostics

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safels/safels/analysis"
)

// Severity of a finding.
type Severity int

const (
	Error Severity = iota + 1
	Warning
	Information
	Hint
)

// Codes, one per kind of finding.
const (
	CodeGlobal  = "global-conflict"
	CodeContext = "context-conflict"
	CodeRace    = "data-race"
)

// Related points at a partner access or a step of the call chain.
type Related struct {
	Pos     token.Position
	Message string
}

// Finding is one diagnostic: a conflicting reference, or the call inside a
// handler through which a helper's conflicting reference is reached (the
// place where "defer to a new handler" applies).
type Finding struct {
	Pos      token.Position
	Code     string
	Severity Severity
	Message  string
	Handler  string // short name of the handler whose access this is
	Object   string // short name of the object
	Op       analysis.Op
	CallSite bool // true: Pos is a call in the handler, not the reference
	Related  []Related
}

// Findings returns the findings of a result, sorted by position, one per
// (position, object): accesses reached from several handlers are merged.
//
// On a large server a few thousand findings stand for millions of
// accesses (miniflux: 5,618 for 170 handlers), so accesses are merged
// first, by key, and only what a finding shows is formatted, once per
// finding: its representative access, its handlers, its call's objects.
func Findings(r *analysis.Result) []Finding {
	files := map[string]bool{}
	for _, f := range r.Files {
		files[f] = true
	}
	byKey := map[findingKey]*refGroup{}
	calls := map[findingKey]*callGroup{}
	var order []findingKey
	for _, h := range r.Handlers {
		for _, acc := range h.Accesses {
			if acc.NPartners == 0 {
				continue
			}
			code, sev := codeFor(h.Model, acc.Partners)
			pos := userPos(files, h, acc)
			// One finding per line and variable: `todos = append(todos,
			// t)` reads todos, writes it and writes an element of it.
			k := findingKey{pos.Filename, pos.Line, 0, rootOf(acc.Short), false}
			if g := byKey[k]; g != nil {
				g.add(h, acc)
			} else {
				byKey[k] = newRefGroup(h, acc)
				order = append(order, k)
			}
			if len(acc.Via) > 0 && files[acc.Via[0].Pos.Filename] {
				c := acc.Via[0]
				k := findingKey{c.Pos.Filename, c.Pos.Line, c.Pos.Column, "", true}
				g := calls[k]
				if g == nil {
					g = &callGroup{handler: Name(h), callee: c.Short, code: code, sev: sev, pos: c.Pos, index: map[string]int{}}
					calls[k] = g
					order = append(order, k)
				}
				g.add(r, acc, files)
				if code == CodeGlobal || code == CodeRace {
					g.code = code
				}
			}
		}
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		var f Finding
		if k.call {
			g := calls[k]
			f = Finding{Pos: g.pos, Code: g.code, Severity: g.sev, Message: g.message(), Handler: g.handler,
				Object: strings.Join(g.objects, ", "), Op: g.op, CallSite: true, Related: g.related}
		} else {
			f = byKey[k].finding(r, files)
		}
		if strings.Contains(f.Message, "...") {
			f.Message += " (x...: x and all it reaches)"
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// findingKey is where a finding is shown and what it is about.
type findingKey struct {
	file      string
	line, col int
	obj       string
	call      bool
}

// refGroup gathers the accesses shown as one reference finding: the one
// it describes (the first, or the first write after reads: x++ reads and
// writes at one place, and the write is what matters most) and the
// handlers that reach the place, in the order met.
type refGroup struct {
	h        *analysis.Handler
	acc      *analysis.Access
	handlers []string
	seen     map[string]bool
}

func newRefGroup(h *analysis.Handler, acc *analysis.Access) *refGroup {
	n := Name(h)
	return &refGroup{h: h, acc: acc, handlers: []string{n}, seen: map[string]bool{n: true}}
}

func (g *refGroup) add(h *analysis.Handler, acc *analysis.Access) {
	if n := Name(h); !g.seen[n] {
		g.seen[n] = true
		g.handlers = append(g.handlers, n)
	}
	if acc.Op == analysis.Write && g.acc.Op == analysis.Read {
		g.h, g.acc = h, acc
	}
}

func (g *refGroup) finding(r *analysis.Result, files map[string]bool) Finding {
	code, sev := codeFor(g.h.Model, g.acc.Partners)
	msg := describe(r, g.h, g.acc)
	switch {
	case g.acc.Assumed != "" && g.acc.InPart:
		// Analysed from its source, but part of it was beyond sight.
		msg += " (in part assumed: calls " + g.acc.Assumed + ", analysed from its source)"
	case g.acc.Assumed != "":
		// The access is what a call no one analysed might do.
		msg += " (assumed: calls " + g.acc.Assumed + ", not analysed)"
	}
	return Finding{Pos: userPos(files, g.h, g.acc), Code: code, Severity: sev, Message: msg, Handler: strings.Join(g.handlers, ", "),
		Object: g.acc.Short, Op: g.acc.Op, Related: related(r, g.acc, files)}
}

func codeFor(m analysis.Model, ps []analysis.Partner) (string, Severity) {
	global := false
	for _, p := range ps {
		if p.Kind == analysis.Global {
			global = true
		}
	}
	if m == analysis.ModelConcurrent {
		return CodeRace, Warning
	}
	if global {
		return CodeGlobal, Information
	}
	return CodeContext, Information
}

func verb(op analysis.Op) string {
	if op == analysis.Write {
		return "writes"
	}
	return "reads"
}

// describe: "handleSend writes stats.bytesSent; handleSend (another
// invocation) reads it (main.go:120)".
func describe(r *analysis.Result, h *analysis.Handler, acc *analysis.Access) string {
	where := ""
	if len(acc.Via) > 0 {
		where = " via " + chain(acc.Via)
	}
	return fmt.Sprintf("%s %s %s%s; %s", Name(h), verb(acc.Op), acc.Short, where, partnersText(r, acc))
}

func chain(cs []analysis.Call) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Short
	}
	return strings.Join(names, " → ")
}

func partnersText(r *analysis.Result, acc *analysis.Access) string {
	// Group a partner's read and write of one place: "reads and writes it".
	type group struct {
		who, obj, at string
		read, write  bool
		ctx          bool
	}
	var groups []*group
	find := func(who, obj, at string, ctx bool) *group {
		for _, g := range groups {
			if g.who == who && g.obj == obj && g.at == at && g.ctx == ctx {
				return g
			}
		}
		g := &group{who: who, obj: obj, at: at, ctx: ctx}
		groups = append(groups, g)
		return g
	}
	for _, p := range acc.Partners {
		who := Name(r.Handlers[p.Access.Handler])
		if p.Access.Handler == acc.Handler {
			who += " (another invocation)"
		}
		obj := "it"
		if p.Access.Short != acc.Short {
			obj = p.Access.Short
		}
		g := find(who, obj, shortPos(p.Access.Pos), p.Kind == analysis.Context)
		if p.Access.Op == analysis.Write {
			g.write = true
		} else {
			g.read = true
		}
	}
	var parts []string
	for i, g := range groups {
		if i == 3 {
			parts[len(parts)-1] += fmt.Sprintf(", and %d more", len(groups)-3)
			break
		}
		ops := "reads"
		switch {
		case g.read && g.write:
			ops = "reads and writes"
		case g.write:
			ops = "writes"
		}
		s := fmt.Sprintf("%s %s %s (%s)", g.who, ops, g.obj, g.at)
		if g.ctx {
			s += " on the same context"
		}
		parts = append(parts, s)
	}
	if more := acc.NPartners - len(acc.Partners); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d other accesses", more))
	}
	return strings.Join(parts, ", ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// related points at the partners' accesses and along the call chain, in
// the workspace only (a library's positions name files the editor cannot
// open, such as $GOROOT/src/...).
func related(r *analysis.Result, acc *analysis.Access, files map[string]bool) []Related {
	var out []Related
	for _, p := range acc.Partners {
		ph := r.Handlers[p.Access.Handler]
		if !files[p.Access.Pos.Filename] {
			continue
		}
		out = append(out, Related{Pos: p.Access.Pos,
			Message: fmt.Sprintf("%s %s %s here", Name(ph), verb(p.Access.Op), p.Access.Short)})
	}
	for _, c := range acc.Via {
		if !files[c.Pos.Filename] {
			continue
		}
		out = append(out, Related{Pos: c.Pos, Message: "call of " + c.Short})
	}
	return out
}

// rootOf is what an object name refers to before any element: "todos"
// for "todos[i]" and "todos[i].done", "(*Server).items" for
// "(*Server).items[i]".
func rootOf(obj string) string {
	depth := 0
	for i := 0; i < len(obj); i++ {
		switch obj[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '[':
			if depth == 0 && i > 0 {
				return obj[:i]
			}
		}
	}
	return obj
}

// Name is a handler as findings name it: its route, else its function.
func Name(h *analysis.Handler) string {
	if h.Display != "" {
		return h.Display
	}
	return h.Short
}

// userPos places a finding in the user's files: an access in code outside
// the workspace (the standard library) is shown at the deepest call of its
// chain that is in the workspace, else at the handler.
func userPos(files map[string]bool, h *analysis.Handler, acc *analysis.Access) token.Position {
	if files[acc.Pos.Filename] {
		return acc.Pos
	}
	for i := len(acc.Via) - 1; i >= 0; i-- {
		if files[acc.Via[i].Pos.Filename] {
			return acc.Via[i].Pos
		}
	}
	return h.Pos
}

func shortPos(p token.Position) string {
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// callGroup gathers what a handler reaches through one call: one finding
// at the call, the place where deferring the call removes them all.
type callGroup struct {
	handler, callee string
	code            string
	sev             Severity
	pos             token.Position
	op              analysis.Op
	objects         []string
	index           map[string]int // an object's short name -> its place in objects
	ctx             []bool         // objects[i] is reached through the context
	first           string         // partners of the first shared object, as an example
	firstCtx        bool
	related         []Related
}

func (g *callGroup) add(r *analysis.Result, acc *analysis.Access, files map[string]bool) {
	name := verb(acc.Op) + " " + acc.Short
	if i, ok := g.index[acc.Short]; ok {
		if acc.Op == analysis.Write {
			g.objects[i] = name
			g.op = analysis.Write
		}
		return
	}
	if acc.Op == analysis.Write {
		g.op = analysis.Write
	}
	g.index[acc.Short] = len(g.objects)
	g.objects = append(g.objects, name)
	g.ctx = append(g.ctx, acc.Context)
	if g.first == "" || g.firstCtx && !acc.Context {
		g.first, g.firstCtx = acc.Short+": "+partnersText(r, acc), acc.Context
	}
	if len(g.related) < 16 {
		g.related = append(g.related, related(r, acc, files)...)
	}
}

func (g *callGroup) message() string {
	// Shared state first: it is what costs parallelism.
	var objs []string
	for pass := 0; pass < 2; pass++ {
		for i, o := range g.objects {
			if g.ctx[i] == (pass == 1) {
				objs = append(objs, o)
			}
		}
	}
	more := ""
	if len(objs) > 6 {
		more = fmt.Sprintf(" and %d more", len(objs)-6)
		objs = objs[:6]
	}
	return fmt.Sprintf("%s calls %s, which %s%s; %s", g.handler, g.callee, strings.Join(objs, ", "), more, g.first)
}

// Cell prints a matrix cell as the slides do: bit 1 (same context) then
// bit 0 (global).
func Cell(k analysis.Kind) string {
	b := []byte("00")
	if k&analysis.Context != 0 {
		b[0] = '1'
	}
	if k&analysis.Global != 0 {
		b[1] = '1'
	}
	return string(b)
}
