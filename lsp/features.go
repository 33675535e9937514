package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/codeactions"
	"github.com/safels/safels/diagnostics"
)

// current returns the snapshot and the document's current text, and whether
// the snapshot was computed from exactly that text: positions and edits are
// only valid then.
func (s *server) current(u uri.URI) (snap *snapshot, name string, src []byte, fresh bool) {
	name, ok := filename(u)
	if !ok {
		return nil, "", nil, false
	}
	s.mu.Lock()
	snap = s.snap
	d := s.docs[name]
	if d != nil {
		src = d.text
	}
	s.mu.Unlock()
	if snap == nil {
		return nil, name, nil, false
	}
	if d == nil {
		var err error
		if src, err = os.ReadFile(name); err != nil {
			return snap, name, nil, false
		}
	}
	return snap, name, src, snap.res.Analysed(name, src)
}

// handlerAt returns the handler whose name is at byte offset off of name.
func (sn *snapshot) handlerAt(name string, off int) (int, bool) {
	t := sn.text(name)
	for i, h := range sn.res.Handlers {
		if h.Pos.Filename != name {
			continue
		}
		start := t.lineColOffset(h.Pos.Line, h.Pos.Column)
		if start <= off && off <= t.wordEnd(start) {
			return i, true
		}
	}
	return 0, false
}

func (s *server) Hover(ctx context.Context, params *protocol.HoverParams) (res *protocol.Hover, err error) {
	defer s.guard("textDocument/hover", &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	snap, name, _, fresh := s.current(params.TextDocument.URI)
	if !fresh {
		return nil, nil // positions of a stale analysis would point elsewhere
	}
	t := snap.text(name)
	off, ok := t.offset(params.Position)
	if !ok {
		return nil, nil
	}
	i, ok := snap.handlerAt(name, off)
	if !ok {
		return nil, nil
	}
	h := snap.res.Handlers[i]
	start := t.lineColOffset(h.Pos.Line, h.Pos.Column)
	rng := protocol.Range{Start: t.position(start), End: t.position(t.wordEnd(start))}
	return &protocol.Hover{
		Contents: &protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: s.describe(snap, i)},
		Range:    &rng,
	}, nil
}

// describe is a handler's hover: model, hue, color, partners, and what it
// reads and writes.
func (s *server) describe(snap *snapshot, i int) string {
	r := snap.res
	h := r.Handlers[i]
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · safels handler (%s model)\n\n", h.Short, h.Model)
	switch {
	case h.Hue == 0:
		b.WriteString("No hue: it conflicts with no handler on shared state.")
	default:
		fmt.Fprintf(&b, "Hue %d: never runs at the same time as another handler of hue %d.", h.Hue, h.Hue)
	}
	if h.Colored {
		b.WriteString(" Colored: never runs at the same time as another colored handler on the same context.")
	}
	b.WriteString("\n\n")
	parts := partners(r, i)
	if len(parts) == 0 {
		b.WriteString("Conflicts with no handler.\n\n")
	} else {
		fmt.Fprintf(&b, "Conflicts with %d handler(s):\n", len(parts))
		for _, p := range parts {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}
	var reads, writes, ctxReads, ctxWrites []string
	seen := map[string]bool{}
	for _, a := range h.Accesses {
		name := a.Short
		if a.Atomic {
			name += " (atomic)"
		}
		k := fmt.Sprint(a.Op, a.Context, name)
		if seen[k] {
			continue
		}
		seen[k] = true
		switch {
		case a.Context && a.Op == analysis.Write:
			ctxWrites = append(ctxWrites, name)
		case a.Context:
			ctxReads = append(ctxReads, name)
		case a.Op == analysis.Write:
			writes = append(writes, name)
		default:
			reads = append(reads, name)
		}
	}
	list := func(title string, xs []string) {
		if len(xs) == 0 {
			return
		}
		sort.Strings(xs)
		const most = 12
		more := ""
		if len(xs) > most {
			more = fmt.Sprintf(" and %d more", len(xs)-most)
			xs = xs[:most]
		}
		fmt.Fprintf(&b, "%s: `%s`%s\n\n", title, strings.Join(xs, "`, `"), more)
	}
	list("Writes shared", writes)
	list("Reads shared", reads)
	list("Writes its context", ctxWrites)
	list("Reads its context", ctxReads)
	return strings.TrimSpace(b.String())
}

// partners lists, per partner handler, the kind of conflict and on what.
func partners(r *analysis.Result, i int) []string {
	type agg struct {
		kind analysis.Kind
		objs []string
	}
	by := map[int]*agg{}
	for _, c := range r.Partners(i) {
		other := c.B
		if c.B == i {
			other = c.A
		}
		a := by[other]
		if a == nil {
			a = &agg{}
			by[other] = a
		}
		a.kind |= c.Kind
		if !contains(a.objs, c.Short) {
			a.objs = append(a.objs, c.Short)
		}
	}
	idx := make([]int, 0, len(by))
	for k := range by {
		idx = append(idx, k)
	}
	sort.Ints(idx)
	var out []string
	for _, k := range idx {
		a := by[k]
		name := r.Handlers[k].Short
		if k == i {
			name += " (another invocation)"
		}
		var kinds []string
		if a.kind&analysis.Global != 0 {
			kinds = append(kinds, "always")
		}
		if a.kind&analysis.Context != 0 {
			kinds = append(kinds, "on the same context")
		}
		sort.Strings(a.objs)
		objs := a.objs
		if len(objs) > 4 {
			objs = append(objs[:4:4], fmt.Sprintf("%d more", len(a.objs)-4))
		}
		out = append(out, fmt.Sprintf("%s, %s: %s", name, strings.Join(kinds, " and "), strings.Join(objs, ", ")))
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func (s *server) CodeLens(ctx context.Context, params *protocol.CodeLensParams) (res []protocol.CodeLens, err error) {
	defer s.guard("textDocument/codeLens", &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	snap, name, _, fresh := s.current(params.TextDocument.URI)
	if !fresh {
		return nil, nil
	}
	t := snap.text(name)
	for i, h := range snap.res.Handlers {
		if h.Pos.Filename != name {
			continue
		}
		n := 0 // partners, itself included if it conflicts with itself
		for _, k := range snap.res.Matrix[i] {
			if k != 0 {
				n++
			}
		}
		title := "safels: no conflicts"
		if n > 0 {
			title = fmt.Sprintf("safels: conflicts with %d handler%s", n, plural(n))
		}
		if h.Hue > 0 {
			title += fmt.Sprintf(" · hue %d", h.Hue)
		} else {
			title += " · no hue"
		}
		if h.Colored {
			title += " · colored"
		}
		start := t.lineColOffset(h.Pos.Line, h.Pos.Column)
		pos := t.position(start)
		res = append(res, protocol.CodeLens{
			Range:   protocol.Range{Start: pos, End: pos},
			Command: protocol.Command{Title: title, Command: cmdMatrix},
		})
	}
	return res, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// CodeAction offers the quick fixes of the findings in the requested range.
// They are computed from the stored analysis of exactly the document's
// current text: a document edited since then gets none (its positions would
// be wrong) until the next save re-analyses it.
func (s *server) CodeAction(ctx context.Context, params *protocol.CodeActionParams) (res []protocol.CommandOrCodeAction, err error) {
	defer s.guard("textDocument/codeAction", &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	snap, name, src, fresh := s.current(params.TextDocument.URI)
	if !fresh {
		s.log.Debug("no code actions: the document changed since the analysis", "file", name)
		return nil, nil
	}
	s.mu.Lock()
	version, open := int32(0), false
	if d := s.docs[name]; d != nil {
		version, open = d.version, true
	}
	s.mu.Unlock()
	t := snap.text(name)
	for _, f := range snap.findings {
		if f.Pos.Filename != name {
			continue
		}
		d := s.diagnostic(snap, f)
		if !matches(d, params) {
			continue
		}
		for _, fix := range codeactions.For(snap.res, f, src) {
			var edits []protocol.TextDocumentEditElement
			ok := true
			for _, e := range fix.Edits {
				if e.Filename != name { // fixes edit the finding's file only
					ok = false
					break
				}
				edits = append(edits, &protocol.TextEdit{
					Range:   protocol.Range{Start: t.position(e.Offset), End: t.position(e.End)},
					NewText: e.NewText,
				})
			}
			if !ok || len(edits) == 0 {
				continue
			}
			id := protocol.OptionalVersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: params.TextDocument.URI}}
			if open {
				v := version
				id.Version = &v
			}
			kind := protocol.CodeActionKindQuickFix
			res = append(res, &protocol.CodeAction{
				Title:       fix.Title,
				Kind:        &kind,
				Diagnostics: []protocol.Diagnostic{d},
				Edit:        &protocol.WorkspaceEdit{DocumentChanges: []protocol.DocumentChange{&protocol.TextDocumentEdit{TextDocument: id, Edits: edits}}},
			})
		}
	}
	return res, nil
}

// matches reports whether the request is about d: one of the diagnostics the
// client sent back (same range, code and message), or, when it sent none,
// a diagnostic overlapping the requested range.
func matches(d protocol.Diagnostic, params *protocol.CodeActionParams) bool {
	if len(params.Context.Diagnostics) == 0 {
		return overlaps(d.Range, params.Range)
	}
	for _, c := range params.Context.Diagnostics {
		if c.Range == d.Range && fmt.Sprint(c.Message) == fmt.Sprint(d.Message) && fmt.Sprint(c.Code) == fmt.Sprint(d.Code) {
			return true
		}
	}
	return false
}

func before(a, b protocol.Position) bool {
	return a.Line < b.Line || a.Line == b.Line && a.Character < b.Character
}

func overlaps(a, b protocol.Range) bool {
	return !before(a.End, b.Start) && !before(b.End, a.Start)
}

// matrixReport is the result of the safels.matrix command.
type matrixReport struct {
	Handlers []matrixHandler `json:"handlers"`
	Matrix   [][]string      `json:"matrix"`
}

type matrixHandler struct {
	Name    string `json:"name"`
	Short   string `json:"short"`
	Pos     string `json:"pos"`
	Model   string `json:"model"`
	Hue     int    `json:"hue"`
	Colored bool   `json:"colored"`
}

func (s *server) ExecuteCommand(ctx context.Context, params *protocol.ExecuteCommandParams) (res protocol.LSPAny, err error) {
	defer s.guard("workspace/executeCommand", &err)
	if err := s.ready(); err != nil {
		return nil, err
	}
	switch params.Command {
	case cmdMatrix:
		s.mu.Lock()
		snap := s.snap
		s.mu.Unlock()
		rep := matrixReport{Handlers: []matrixHandler{}, Matrix: [][]string{}}
		if snap != nil {
			r := snap.res
			for _, h := range r.Handlers {
				rep.Handlers = append(rep.Handlers, matrixHandler{
					Name: h.Name, Short: h.Short, Model: string(h.Model), Hue: h.Hue, Colored: h.Colored,
					Pos: fmt.Sprintf("%s:%d:%d", s.rel(h.Pos.Filename), h.Pos.Line, h.Pos.Column),
				})
			}
			for _, row := range r.Matrix {
				cells := make([]string, len(row))
				for j, k := range row {
					cells[j] = diagnostics.Cell(k)
				}
				rep.Matrix = append(rep.Matrix, cells)
			}
		}
		return json.Marshal(rep)
	case cmdDebugPanic:
		if s.opts.Debug {
			panic("safels.debug.panic was executed")
		}
	case cmdDebugStats:
		if s.opts.Debug {
			return json.Marshal(s.debugStats())
		}
	}
	return nil, jsonrpc2.NewError(jsonrpc2.InvalidParams, fmt.Sprintf("safels: unknown command %q", params.Command))
}
