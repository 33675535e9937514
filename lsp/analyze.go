package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"hash/maphash"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

// snapshot is one analysis of the workspace and everything needed to answer
// requests about it without re-analysing: the findings, and the exact text
// each file had (so that byte positions convert to the UTF-16 positions the
// client saw).
type snapshot struct {
	res      *analysis.Result
	findings []diagnostics.Finding
	overlay  map[string][]byte
	versions map[string]int32 // of the open documents the run saw
	texts    map[string]*text
}

// text returns the content a file had when it was analysed (the overlay, or
// the file on disk).
func (sn *snapshot) text(name string) *text {
	if t, ok := sn.texts[name]; ok {
		return t
	}
	src, ok := sn.overlay[name]
	if !ok {
		src, _ = os.ReadFile(name)
	}
	t := newText(src)
	sn.texts[name] = t
	return t
}

// schedule asks for a new analysis of the current state. It returns at once:
// the analyzer goroutine debounces, and the run in flight, if any, is
// cancelled because its result would be stale.
func (s *server) schedule() {
	s.mu.Lock()
	if s.cancelRun != nil {
		s.cancelRun(errSuperseded)
	}
	s.pending = true
	s.mu.Unlock()
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// analyzer runs analyses one at a time, each after a quiet period, until ctx
// is done.
func (s *server) analyzer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.trigger:
		}
		t := time.NewTimer(s.opts.Debounce)
	quiet:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-s.trigger:
				t.Reset(s.opts.Debounce)
			case <-t.C:
				break quiet
			}
		}
		s.run(ctx)
	}
}

// Why a run was cancelled, besides the server stopping.
var (
	errSuperseded  = errors.New("superseded by a newer change")
	errShutdownRun = errors.New("the client asked for shutdown")
)

// boundError says which bound of the server stopped a run.
type boundError struct{ what string }

func (e boundError) Error() string { return e.what }

func (s *server) run(ctx context.Context) {
	// runCtx is cancelled when a newer change supersedes the run;
	// boundCtx also when a bound of the server is hit. The bounds are on
	// the analysis: once it returns, its result is published however
	// long writing it takes (on miniflux, tens of seconds), not thrown
	// away because the time ran out meanwhile.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	boundCtx, unbound := context.WithCancel(runCtx)
	if s.opts.MaxTime > 0 {
		boundCtx, unbound = context.WithTimeoutCause(runCtx, s.opts.MaxTime,
			boundError{fmt.Sprintf("it took longer than %v (safels serve -max-time)", s.opts.MaxTime)})
	}
	defer unbound()
	s.mu.Lock()
	s.pending = false
	if s.shutdown {
		s.mu.Unlock()
		return
	}
	s.cancelRun, s.inflight = cancel, true
	defer func() {
		s.mu.Lock()
		s.inflight, s.runOverlay = false, nil
		s.mu.Unlock()
	}()
	overlay, versions := s.buffersLocked()
	s.runOverlay = overlay
	root, cache := s.root, s.cache
	s.runs++
	token := fmt.Sprintf("safels/analysis/%d", s.runs)
	s.mu.Unlock()

	go s.watchMemory(boundCtx, cancel)
	go s.reportBounds(ctx, boundCtx, root)
	s.log.Info("analysis started", "root", root, "overlays", len(overlay))
	progress := s.startProgress(ctx, token, "analysing "+root)
	// The bar lasts until the diagnostics are sent: on a workspace with
	// millions of conflicts, writing them takes a good part of the
	// analysis's time, and the user waits for them, not for the analysis.
	endMsg := "stopped: superseded by a newer change"
	defer func() { progress.end(endMsg) }()
	start := time.Now()
	// Where a long analysis is, in the debug log (serve -v): each phase's
	// end and, every 2 seconds, the progress of the one running.
	progressLog := func(msg string) { s.log.Debug("analysis progress", "root", root, "at", msg) }
	res, err := analysis.Run(boundCtx, analysis.Config{Dir: root, Overlay: overlay, Env: s.opts.Env, Cache: cache, Progress: progressLog, NoConflictList: true})
	if boundCtx.Err() != nil {
		s.cancelled(ctx, boundCtx, time.Since(start))
		endMsg = "stopped: " + context.Cause(boundCtx).Error()
		return
	}
	unbound()
	if err != nil {
		endMsg = "failed"
		s.log.Error("analysis failed", "error", err)
		s.client.ShowMessage(ctx, &protocol.ShowMessageParams{Type: protocol.MessageTypeError, Message: "safels: " + err.Error()})
		return
	}
	s.log.Info("analysis", "elapsed", time.Since(start), "handlers", len(res.Handlers), "conflicts", res.ConflictCount, "problems", len(res.Problems),
		"summarized", len(res.Summarized), "reused", res.Reused, "phases", phases(res.Phases))
	if s.log.Enabled(ctx, slog.LevelDebug) { // the list is long on a large workspace
		s.log.Debug("summarized", "functions", strings.Join(res.Summarized, ","))
	}
	progress.say(fmt.Sprintf("writing the diagnostics of %d conflicts in %s", res.ConflictCount, root))
	written := time.Now()
	snap := &snapshot{res: res, findings: diagnostics.Findings(res), overlay: overlay, versions: versions, texts: map[string]*text{}}

	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	if runCtx.Err() != nil { // a save arrived while we finished: its run will publish
		s.mu.Unlock()
		return
	}
	again := s.joinedLocked(snap)
	s.snap = snap
	s.cancelRun = nil
	msgs := s.prepareLocked(snap)
	notes := s.unplacedLocked(res)
	s.mu.Unlock()
	progress.end(fmt.Sprintf("%d handlers in %d packages", len(res.Handlers), res.Packages))
	s.send(ctx, msgs)
	s.log.Info("published", "elapsed", time.Since(written), "files", len(msgs), "findings", len(snap.findings))
	for _, n := range notes {
		s.client.ShowMessage(ctx, &n)
	}
	if again {
		s.schedule()
	}
}

// joinedLocked gives the documents opened while the run was in flight
// (DidOpen let it go on) the version of the text the run saw, so that
// their diagnostics are published for it, and reports whether one of them
// is a workspace file the run saw otherwise (it changed on disk
// meanwhile): another run must follow.
func (s *server) joinedLocked(snap *snapshot) (again bool) {
	var files map[string]bool
	for name, d := range s.docs {
		if _, seen := snap.versions[name]; seen {
			continue
		}
		if snap.res.Analysed(name, d.text) {
			snap.versions[name] = d.version
			continue
		}
		if files == nil {
			files = map[string]bool{}
			for _, f := range snap.res.Files {
				files[f] = true
			}
		}
		again = again || files[name]
	}
	return again
}

// buffersLocked returns the open documents' versions, and the text of
// those that differ from the file on disk. Only those are overlays: the go
// command does not cache what it lists with -overlay, which costs seconds
// per save on large workspaces, and after a save the buffer is the file.
func (s *server) buffersLocked() (overlay map[string][]byte, versions map[string]int32) {
	overlay, versions = map[string][]byte{}, map[string]int32{}
	for name, d := range s.docs {
		versions[name] = d.version
		if disk, err := os.ReadFile(name); err != nil || !bytes.Equal(disk, d.text) {
			overlay[name] = d.text
		}
	}
	return overlay, versions
}

// reportBounds tells the user when a bound of the server stops the run, at
// once, not when the analysis notices: a step of it may take long before
// it looks at its context again.
func (s *server) reportBounds(ctx, runCtx context.Context, root string) {
	<-runCtx.Done()
	var bound boundError
	if cause := context.Cause(runCtx); errors.As(cause, &bound) && ctx.Err() == nil {
		s.giveUp(ctx, root, bound)
	}
}

// cancelled logs why a run stopped.
func (s *server) cancelled(ctx, runCtx context.Context, elapsed time.Duration) {
	cause := context.Cause(runCtx)
	var bound boundError
	switch {
	case ctx.Err() != nil:
		s.log.Info("analysis cancelled", "reason", "the server is stopping", "elapsed", elapsed)
	case errors.As(cause, &bound):
		s.log.Info("analysis stopped after it was given up", "elapsed", elapsed)
	default:
		s.log.Debug("analysis cancelled", "reason", cause, "elapsed", elapsed)
	}
}

// giveUp tells the user that a bound of the server stopped a run: silence
// would leave them with stale diagnostics and no idea why.
func (s *server) giveUp(ctx context.Context, root string, bound boundError) {
	s.log.Warn("analysis given up", "root", root, "reason", bound)
	msg := fmt.Sprintf("safels: the analysis of %s (./...) was given up: %v. The diagnostics shown are those of the last complete analysis, if any; `safels check ./...` in that directory runs it without the language server's bounds.", root, bound)
	s.client.ShowMessage(ctx, &protocol.ShowMessageParams{Type: protocol.MessageTypeWarning, Message: msg})
}

// unplacedLocked returns the window messages for the problems of a run
// that have no file to be shown in (a package the go command could not
// load, an internal error of the analysis), each once while it lasts.
func (s *server) unplacedLocked(res *analysis.Result) []protocol.ShowMessageParams {
	var out []protocol.ShowMessageParams
	now := map[string]bool{}
	for _, p := range res.Problems {
		if p.Pos.Filename != "" {
			continue
		}
		msg := p.Message
		if p.Package != "" && !strings.Contains(msg, p.Package) {
			msg = fmt.Sprintf("package %s: %s", p.Package, msg)
		}
		msg = "safels: " + msg
		now[msg] = true
		if s.shown[msg] {
			continue
		}
		typ := protocol.MessageTypeError
		if p.Warning {
			typ = protocol.MessageTypeWarning
		}
		out = append(out, protocol.ShowMessageParams{Type: typ, Message: msg})
	}
	s.shown = now
	return out
}

// watchMemory cancels the run when the live Go heap, as the last garbage
// collection measured it, grows past MaxMemory. (cmd/safels sets the
// collector's soft limit above that, so that collections come often as the
// heap nears it, and do not thrash below it.)
func (s *server) watchMemory(ctx context.Context, cancel context.CancelCauseFunc) {
	limit := s.opts.MaxMemory
	if limit == 0 {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if used := sample[0].Value.Uint64(); used > limit {
			cancel(boundError{fmt.Sprintf("it needed more than %d MiB of memory (safels serve -max-memory)", limit>>20)})
			return
		}
	}
}

// phases prints where an analysis' time went, for the log.
func phases(ps []analysis.Phase) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + "=" + p.Elapsed.Round(time.Millisecond).String()
	}
	return strings.Join(parts, " ")
}

// progress is the bar of one run: say changes its message, end closes
// it (once; later calls do nothing).
type progress struct {
	msg   atomic.Pointer[string]
	ended chan string
	done  chan struct{} // closed when the bar's goroutine returns
	mu    sync.Mutex
	shown bool // the bar began
	once  sync.Once
}

func (p *progress) say(msg string) { p.msg.Store(&msg) }

// end closes the bar; if it is shown, it returns once the end is sent, so
// that the diagnostics published next come after it, as the user reads
// them: the analysis is done, here is what it found. (A bar the client
// has not acknowledged yet is not waited for.)
func (p *progress) end(msg string) {
	p.once.Do(func() {
		p.ended <- msg
		p.mu.Lock()
		shown := p.shown
		p.mu.Unlock()
		if shown {
			<-p.done
		}
	})
}

// startProgress shows a progress bar for a run, where the client supports
// it, without making the run wait for the client: the bar is created on
// its own goroutine. A client that does not answer the creation in time
// gets no more progress reports this session.
func (s *server) startProgress(ctx context.Context, token, msg string) *progress {
	p := &progress{ended: make(chan string, 1), done: make(chan struct{})}
	p.say(msg)
	s.mu.Lock()
	w := s.caps.Window
	s.mu.Unlock()
	if w == nil || w.WorkDoneProgress == nil || !*w.WorkDoneProgress || s.noProgress.Load() {
		return p
	}
	start := time.Now()
	go func() {
		defer close(p.done)
		cctx, cancel := context.WithTimeout(ctx, s.opts.ReplyTimeout)
		err := s.client.WorkDoneProgressCreate(cctx, &protocol.WorkDoneProgressCreateParams{Token: protocol.String(token)})
		cancel()
		if err != nil {
			if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
				s.noProgress.Store(true)
				s.log.Warn("the client did not answer window/workDoneProgress/create in time; no progress reports this session", "timeout", s.opts.ReplyTimeout)
			} else {
				s.log.Debug("window/workDoneProgress/create", "error", err)
			}
			return
		}
		s.notifyProgress(ctx, token, protocol.WorkDoneProgressBegin{Kind: "begin", Title: "safels", Message: &msg})
		p.mu.Lock()
		p.shown = true
		p.mu.Unlock()
		// A first analysis of a large workspace takes minutes: the bar
		// says how long so far, so that it does not look stuck.
		tick := time.NewTicker(s.opts.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case done := <-p.ended:
				s.notifyProgress(ctx, token, protocol.WorkDoneProgressEnd{Kind: "end", Message: &done})
				return
			case <-tick.C:
				m := fmt.Sprintf("%s (%s)", *p.msg.Load(), time.Since(start).Round(time.Second))
				s.notifyProgress(ctx, token, protocol.WorkDoneProgressReport{Kind: "report", Message: &m})
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

// notifyProgress sends one progress report; failures only cost the bar.
func (s *server) notifyProgress(ctx context.Context, token string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	if err := s.client.Progress(ctx, &protocol.ProgressParams{Token: protocol.String(token), Value: raw}); err != nil {
		s.log.Debug("$/progress", "error", err)
	}
}

// republish sends the diagnostics of the current snapshot again (after a
// configuration change).
func (s *server) republish(ctx context.Context) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	var msgs []protocol.PublishDiagnosticsParams
	if s.snap != nil {
		msgs = s.prepareLocked(s.snap)
	}
	s.mu.Unlock()
	s.send(ctx, msgs)
}

func (s *server) send(ctx context.Context, msgs []protocol.PublishDiagnosticsParams) {
	for i := range msgs {
		if err := s.client.PublishDiagnostics(ctx, &msgs[i]); err != nil {
			s.log.Warn("publishDiagnostics", "error", err)
			return
		}
	}
}

// prepareLocked computes what to publish: every analysed file (an empty list
// clears a fixed file), every file with a load problem, and every file that
// showed diagnostics before; files whose diagnostics did not change are
// skipped. Whether they changed is decided on the findings, before they are
// converted: on a large workspace a save changes the diagnostics of a few
// files out of hundreds, and converting and encoding the rest only to find
// them equal cost more than the analysis of the save.
func (s *server) prepareLocked(snap *snapshot) []protocol.PublishDiagnosticsParams {
	type fileDiags struct {
		findings []diagnostics.Finding
		problems []analysis.Problem
	}
	byFile := map[string]*fileDiags{}
	get := func(name string) *fileDiags {
		fd := byFile[name]
		if fd == nil {
			fd = &fileDiags{}
			byFile[name] = fd
		}
		return fd
	}
	for _, f := range snap.res.Files {
		get(f)
	}
	for name := range s.sent {
		get(name)
	}
	for _, f := range snap.findings {
		fd := get(f.Pos.Filename)
		fd.findings = append(fd.findings, f)
	}
	for _, p := range snap.res.Problems {
		if p.Pos.Filename == "" {
			continue
		}
		fd := get(p.Pos.Filename)
		fd.problems = append(fd.problems, p)
	}
	names := make([]string, 0, len(byFile))
	for n := range byFile {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []protocol.PublishDiagnosticsParams
	for _, name := range names {
		fd := byFile[name]
		h := s.diagHash(snap, fd.findings, fd.problems)
		version, open := snap.versions[name]
		prev, sentBefore := s.sent[name]
		if sentBefore && prev.hash == h && prev.version == version {
			continue
		}
		// Problems first: they say why findings may be missing.
		diags := []protocol.Diagnostic{}
		for _, p := range fd.problems {
			diags = append(diags, s.problem(snap, p))
		}
		for _, f := range fd.findings {
			if len(diags) > maxDiagnostics {
				diags = append(diags, protocol.Diagnostic{}) // only counted
				continue
			}
			diags = append(diags, s.diagnostic(snap, f))
		}
		p := protocol.PublishDiagnosticsParams{URI: uri.File(name), Diagnostics: capDiagnostics(diags)}
		if open {
			p.Version = protocol.NewOptional(version)
		}
		s.sent[name] = sentFile{version: version, hash: h}
		out = append(out, p)
	}
	return out
}

// diagHash stands for the diagnostics of one file: everything they are
// made of, with positions as the ranges the client will see (a range ends
// where the word at its position ends, in the text analysed).
func (s *server) diagHash(snap *snapshot, findings []diagnostics.Finding, problems []analysis.Problem) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	pos := func(p token.Position) {
		h.WriteString(p.Filename)
		if p.Filename != "" {
			r := snap.rangeAt(p.Filename, p.Line, p.Column)
			fmt.Fprintf(&h, ":%d.%d-%d.%d|", r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
		}
	}
	for _, f := range findings {
		pos(f.Pos)
		h.WriteString(f.Code + "|" + strconv.Itoa(int(s.config.severity(f.Code))) + "|" + f.Message + "\n")
		for _, r := range f.Related {
			pos(r.Pos)
			h.WriteString(r.Message + "\n")
		}
	}
	for _, p := range problems {
		pos(p.Pos)
		h.WriteString(p.Package + "|" + p.Message + "|" + strconv.FormatBool(p.Warning) + "\n")
	}
	return h.Sum64()
}

// diagnostic converts a finding into the client's terms, within the caps
// of limits.go.
func (s *server) diagnostic(snap *snapshot, f diagnostics.Finding) protocol.Diagnostic {
	d := protocol.Diagnostic{
		Range:    snap.rangeAt(f.Pos.Filename, f.Pos.Line, f.Pos.Column),
		Severity: s.config.severity(f.Code),
		Code:     protocol.String(f.Code),
		Source:   protocol.NewOptional("safels"),
		Message:  protocol.String(shorten(f.Message, maxMessage)),
	}
	for _, r := range f.Related {
		if r.Pos.Filename == "" {
			continue
		}
		d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{
			Location: protocol.Location{URI: uri.File(r.Pos.Filename), Range: snap.rangeAt(r.Pos.Filename, r.Pos.Line, r.Pos.Column)},
			Message:  r.Message,
		})
	}
	capRelated(&d, protocol.Location{URI: uri.File(f.Pos.Filename), Range: d.Range})
	return d
}

func (s *server) problem(snap *snapshot, p analysis.Problem) protocol.Diagnostic {
	sev, code := protocol.DiagnosticSeverityError, "not-analysed"
	msg := p.Message
	switch {
	case p.Note:
		sev, code = protocol.DiagnosticSeverityInformation, "widened"
	case p.Soft:
		// The compiler's error (gopls shows it too); the package's
		// findings are whole.
		sev, code = protocol.DiagnosticSeverityWarning, "type-error"
		msg += " (safels analysed the package as if it were fixed)"
	case p.Package == "" || strings.Contains(msg, p.Package):
		if p.Warning {
			sev, code = protocol.DiagnosticSeverityWarning, "incomplete"
		}
	case p.Warning:
		sev, code = protocol.DiagnosticSeverityWarning, "incomplete"
		msg = fmt.Sprintf("%s (in package %s: its findings may be incomplete)", msg, p.Package)
	default:
		msg = fmt.Sprintf("package %s was not analysed: %s", p.Package, msg)
	}
	return protocol.Diagnostic{
		Range:    snap.rangeAt(p.Pos.Filename, p.Pos.Line, p.Pos.Column),
		Severity: sev,
		Code:     protocol.String(code),
		Source:   protocol.NewOptional("safels"),
		Message:  protocol.String(shorten(msg, maxMessage)),
	}
}

// rangeAt is the range of the name at a go/token line and column. A call's
// position is its parenthesis; the range is then the callee's name, which is
// what the user reads as "the call".
func (sn *snapshot) rangeAt(name string, line, col int) protocol.Range {
	t := sn.text(name)
	off := t.lineColOffset(line, col)
	if off < len(t.src) && t.src[off] == '(' {
		if start := t.wordStart(off); start < off {
			return protocol.Range{Start: t.position(start), End: t.position(off)}
		}
	}
	return protocol.Range{Start: t.position(off), End: t.position(t.wordEnd(off))}
}

// rel returns a file name relative to the root, for messages, or the
// absolute name if it lies outside.
func (s *server) rel(name string) string {
	if r, err := filepath.Rel(s.root, name); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return name
}
