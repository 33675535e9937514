package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/safels/safels/analysis"
)

// Options configure Serve.
type Options struct {
	// Log receives the server's log; never stdout, which is the protocol.
	// Default: discard.
	Log *slog.Logger
	// Debounce is how long a save waits for more saves before the analysis
	// starts. Default 150ms.
	Debounce time.Duration
	// ReplyTimeout bounds the wait for the client's answer to a request of
	// the server (progress, configuration, file watchers): a client that
	// never answers must not hold up diagnostics. Default 5s.
	ReplyTimeout time.Duration
	// ProgressEvery is how often the progress bar of a running analysis
	// is updated with the time it took so far. Default 1s.
	ProgressEvery time.Duration
	// MaxTime and MaxMemory bound one analysis: past either, the run is
	// cancelled and the user told so. Zero: no bound.
	MaxTime   time.Duration
	MaxMemory uint64 // bytes of Go heap
	// Env, if non-nil, replaces the environment of the go command.
	Env []string
	// Debug enables the commands "safels.debug.panic", which tests use to
	// check that a panicking request does not take the server down, and
	// "safels.debug.stats", the server's goroutines and heap.
	Debug bool
	// Version is reported in serverInfo.
	Version string
}

// stopWait is how long Serve waits, once it is told to stop, for the
// analysis in flight to notice its cancellation. The process exits then
// anyway: the analysis checks for cancellation between steps, and one step
// on a large workspace can take longer.
const stopWait = 3 * time.Second

// Serve runs a language server over in and out until the client sends exit,
// closes in, or ctx is done (the process got SIGTERM or SIGINT). The
// analysis in flight is cancelled. Serve returns nil if the client asked for
// shutdown before, and an error saying why the session ended otherwise: the
// LSP's exit code is 0 after shutdown and 1 without.
//
// Serve may return while a goroutine still reads in (a blocking read of
// stdin cannot be interrupted); the process is meant to exit then.
func Serve(ctx context.Context, in io.Reader, out io.WriteCloser, opts Options) error {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce == 0 {
		opts.Debounce = 150 * time.Millisecond
	}
	if opts.ReplyTimeout == 0 {
		opts.ReplyTimeout = 5 * time.Second
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &server{
		opts:    opts,
		log:     opts.Log,
		docs:    map[string]*document{},
		trigger: make(chan struct{}, 1),
		exited:  make(chan struct{}),
		sent:    map[string]sentFile{},
		seed:    maphash.MakeSeed(),
		config:  defaultConfig(),
		ctx:     ctx,
		cache:   analysis.NewCache(),
	}
	st := newStream(in, out, opts.Log)
	conn := jsonrpc2.NewConn(st, jsonrpc2.WithCodec(codec{}))
	s.conn, s.client = conn, protocol.ClientDispatcher(conn)
	conn.Go(ctx, s.newHandler())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.analyzer(ctx)
	}()
	select {
	case <-st.ended:
	case <-conn.Done(): // after the end of input, or a failed write
	case <-s.exited:
	case <-ctx.Done():
	}
	why := s.why(ctx, st, conn)
	s.mu.Lock()
	shutdown, running := s.shutdown, s.inflight
	s.mu.Unlock()
	s.log.Info("stopping", "reason", why, "after shutdown", shutdown, "analysis in flight", running)
	cancel()
	select {
	case <-done:
	case <-time.After(stopWait):
		s.log.Warn("the analysis in flight did not stop in time; exiting without it", "waited", stopWait)
	}
	if shutdown {
		return nil
	}
	return fmt.Errorf("%v without shutdown", why)
}

// why says why the session ended, for the log and Serve's error.
func (s *server) why(ctx context.Context, st *stream, conn jsonrpc2.Conn) error {
	select {
	case <-s.exited:
		return errors.New("safels: exit")
	default:
	}
	select {
	case <-st.ended:
		if errors.Is(st.err, io.EOF) {
			return errors.New("safels: end of input")
		}
		return fmt.Errorf("safels: the input ended: %v", st.err)
	default:
	}
	if ctx.Err() != nil {
		return fmt.Errorf("safels: stopped: %v", context.Cause(ctx))
	}
	return fmt.Errorf("safels: the connection ended: %v", conn.Err())
}

// server holds the session state, under mu: notifications are handled one
// at a time on the read loop (conn.go), requests concurrently, the analysis
// on its own goroutine. Handlers never wait for an analysis.
type server struct {
	protocol.UnimplementedServer
	opts   Options
	log    *slog.Logger
	ctx    context.Context // the connection's: requests to the client outlive handlers
	conn   jsonrpc2.Conn
	client protocol.Client

	pubMu       sync.Mutex // serializes publishing, so that an older result never lands last
	mu          sync.Mutex
	initialized bool
	shutdown    bool
	root        string
	docs        map[string]*document // by absolute file name
	config      config
	caps        protocol.ClientCapabilities
	snap        *snapshot               // latest published analysis
	sent        map[string]sentFile     // what the client shows, per file
	seed        maphash.Seed            // of sentFile.hash
	cancelRun   context.CancelCauseFunc // cancels the analysis in flight
	shown       map[string]bool         // window messages about the last run's problems
	pending     bool                    // an analysis is scheduled and not started
	inflight    bool                    // an analysis runs
	runOverlay  map[string][]byte       // the buffers the analysis in flight reads instead of files
	runs        int                     // analyses started (for progress tokens)
	// cache carries summaries from one analysis to the next, so that a
	// save re-summarizes only what it can have changed.
	cache *analysis.Cache

	trigger chan struct{} // one token: "the workspace changed"
	exited  chan struct{}
	exitMu  sync.Once

	requests   requests    // answered concurrently, for $/cancelRequest
	ignored    sync.Map    // notification methods already logged as not handled
	noProgress atomic.Bool // the client did not answer a progress request in time
}

// document is an open buffer.
type document struct {
	version int32
	text    []byte
}

type sentFile struct {
	version int32
	hash    uint64 // of the findings sent (diagHash), to skip republishing the same
}

// guard turns a panic in a request into an error response: one bad request
// must not take down the session (jsonrpc2 would close the connection).
func (s *server) guard(method string, err *error) {
	if r := recover(); r != nil {
		s.log.Error("panic in request", "method", method, "panic", r, "stack", string(debug.Stack()))
		*err = jsonrpc2.NewError(jsonrpc2.InternalError, fmt.Sprintf("safels: internal error in %s: %v (the server goes on; please report this)", method, r))
	}
}

var errNotInitialized = jsonrpc2.NewError(jsonrpc2.Code(protocol.ErrorCodesServerNotInitialized), "safels: the server is not initialized: send initialize first")

var errShutdown = jsonrpc2.NewError(jsonrpc2.InvalidRequest, "safels: the server is shutting down")

// ready reports whether a request may be served now.
func (s *server) ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.initialized:
		return errNotInitialized
	case s.shutdown:
		return errShutdown
	}
	return nil
}

// Commands the server executes.
const (
	cmdMatrix     = "safels.matrix"
	cmdDebugPanic = "safels.debug.panic"
	cmdDebugStats = "safels.debug.stats"
)

func (s *server) Initialize(ctx context.Context, params *protocol.InitializeParams) (res *protocol.InitializeResult, err error) {
	defer s.guard("initialize", &err)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.initialized {
		return nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "safels: initialize was already received")
	}
	root := ""
	if params.RootURI != nil {
		root, _ = filename(*params.RootURI)
	}
	if root == "" {
		folders, _ := params.WorkspaceFolders.Get()
		for _, f := range folders {
			if root, _ = filename(f.URI); root != "" {
				break
			}
		}
	}
	if root == "" {
		if p, ok := params.RootPath.Get(); ok {
			root = p
		}
	}
	if root == "" {
		root, _ = os.Getwd()
	}
	s.root = filepath.Clean(root)
	s.caps = params.Capabilities
	if len(params.InitializationOptions) > 0 {
		if err := s.config.apply(params.InitializationOptions); err != nil {
			s.log.Warn("ignoring initializationOptions", "error", err)
		}
	}
	s.initialized = true
	s.log.Info("initialize", "root", s.root, "client", params.ClientInfo.Name)

	full := protocol.TextDocumentSyncKindFull
	yes := true
	info := protocol.ServerInfo{Name: "safels"}
	if s.opts.Version != "" {
		info.Version = protocol.NewOptional(s.opts.Version)
	}
	cmds := []string{cmdMatrix}
	if s.opts.Debug {
		cmds = append(cmds, cmdDebugPanic, cmdDebugStats)
	}
	return &protocol.InitializeResult{
		ServerInfo: info,
		Capabilities: protocol.ServerCapabilities{
			PositionEncoding: protocol.PositionEncodingKindUTF16,
			TextDocumentSync: &protocol.TextDocumentSyncOptions{
				OpenClose: &yes,
				Change:    &full,
				Save:      &protocol.SaveOptions{},
			},
			HoverProvider:          protocol.Boolean(true),
			CodeActionProvider:     &protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{protocol.CodeActionKindQuickFix}},
			CodeLensProvider:       &protocol.CodeLensOptions{},
			ExecuteCommandProvider: protocol.ExecuteCommandOptions{Commands: cmds},
		},
	}, nil
}

func (s *server) Initialized(ctx context.Context, params *protocol.InitializedParams) (err error) {
	defer s.guard("initialized", &err)
	if err := s.ready(); err != nil {
		return nil // a notification has no answer; drop it
	}
	s.mu.Lock()
	caps := s.caps
	s.pending = true // the first analysis, once the configuration is known
	s.mu.Unlock()
	// Requests to the client must not run on the read loop: their answers
	// are read by it. Each is bounded by ReplyTimeout: a client that never
	// answers delays the first analysis by that much, once.
	if ws := caps.Workspace; ws != nil && ws.DidChangeWatchedFiles != nil && ws.DidChangeWatchedFiles.DynamicRegistration != nil && *ws.DidChangeWatchedFiles.DynamicRegistration {
		go s.registerWatchers(s.ctx)
	}
	go func() {
		s.fetchConfiguration(s.ctx)
		s.schedule()
	}()
	return nil
}

// replyLost logs a request to the client that got no answer.
func (s *server) replyLost(ctx, cctx context.Context, method string, err error, then string) {
	switch {
	case ctx.Err() != nil: // the server is stopping
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		s.log.Warn("the client did not answer "+method+" in time; "+then, "timeout", s.opts.ReplyTimeout)
	default:
		s.log.Warn(method, "error", err)
	}
}

func (s *server) registerWatchers(ctx context.Context) {
	var watchers []protocol.FileSystemWatcher
	for _, g := range []string{"**/go.mod", "**/go.sum", "**/go.work", "**/.safels.json", "**/*.go"} {
		watchers = append(watchers, protocol.FileSystemWatcher{GlobPattern: protocol.Pattern(g)})
	}
	opts, err := protocol.Marshal(protocol.DidChangeWatchedFilesRegistrationOptions{Watchers: watchers})
	if err != nil {
		s.log.Error("watchers", "error", err)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.ReplyTimeout)
	defer cancel()
	err = s.client.RegisterCapability(cctx, &protocol.RegistrationParams{Registrations: []protocol.Registration{{
		ID: "safels-watch", Method: "workspace/didChangeWatchedFiles", RegisterOptions: opts,
	}}})
	if err != nil {
		s.replyLost(ctx, cctx, "client/registerCapability", err, "files changed outside the editor are seen at the next save")
	}
}

// fetchConfiguration asks the client for the "safels" section, where the
// client supports it, and republishes if the severities changed.
func (s *server) fetchConfiguration(ctx context.Context) {
	s.mu.Lock()
	ws := s.caps.Workspace
	s.mu.Unlock()
	if ws == nil || ws.Configuration == nil || !*ws.Configuration {
		return
	}
	section := "safels"
	cctx, cancel := context.WithTimeout(ctx, s.opts.ReplyTimeout)
	defer cancel()
	vals, err := s.client.Configuration(cctx, &protocol.ConfigurationParams{Items: []protocol.ConfigurationItem{{Section: &section}}})
	if err != nil || len(vals) == 0 {
		if err != nil {
			s.replyLost(ctx, cctx, "workspace/configuration", err, "going on with the settings it has")
		}
		return
	}
	s.mu.Lock()
	before := s.config
	err = s.config.apply(vals[0])
	changed := s.config != before
	s.mu.Unlock()
	if err != nil {
		s.log.Warn("ignoring configuration", "error", err)
		return
	}
	if changed {
		s.republish(s.ctx)
	}
}

func (s *server) DidChangeConfiguration(ctx context.Context, params *protocol.DidChangeConfigurationParams) (err error) {
	defer s.guard("workspace/didChangeConfiguration", &err)
	if s.ready() != nil {
		return nil
	}
	// Settings may come pushed ({"safels": {...}}) or be fetched.
	var pushed struct {
		Safels json.RawMessage `json:"safels"`
	}
	if len(params.Settings) > 0 && json.Unmarshal(params.Settings, &pushed) == nil && len(pushed.Safels) > 0 {
		s.mu.Lock()
		err := s.config.apply(pushed.Safels)
		s.mu.Unlock()
		if err != nil {
			s.log.Warn("ignoring settings", "error", err)
			return nil
		}
		go s.republish(s.ctx)
		return nil
	}
	go s.fetchConfiguration(s.ctx)
	return nil
}

func (s *server) Shutdown(ctx context.Context) (err error) {
	defer s.guard("shutdown", &err)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.initialized {
		return errNotInitialized
	}
	s.shutdown = true
	if s.cancelRun != nil {
		s.cancelRun(errShutdownRun)
	}
	return nil
}

func (s *server) Exit(ctx context.Context) error {
	s.exitMu.Do(func() { close(s.exited) })
	return nil
}

func (s *server) SetTrace(ctx context.Context, params *protocol.SetTraceParams) error { return nil }

// filename returns the file name of a file: URI; other schemes (untitled:,
// git:, ...) are not files safels can analyse.
func filename(u uri.URI) (string, bool) {
	if !strings.HasPrefix(string(u), "file:") {
		return "", false
	}
	p := u.FsPath()
	if p == "" {
		return "", false
	}
	return filepath.Clean(p), true
}

func (s *server) DidOpen(ctx context.Context, params *protocol.DidOpenTextDocumentParams) (err error) {
	defer s.guard("textDocument/didOpen", &err)
	name, ok := filename(params.TextDocument.URI)
	if !ok || s.ready() != nil {
		return nil
	}
	text := []byte(params.TextDocument.Text)
	disk, err := os.ReadFile(name)
	onDisk := err == nil && bytes.Equal(disk, text)
	s.mu.Lock()
	s.docs[name] = &document{version: params.TextDocument.Version, text: text}
	analysed := s.snap != nil && s.snap.res.Analysed(name, text)
	// A file opened as it is on disk while an analysis runs (the first
	// one, on a large workspace, takes minutes, and a user opens files
	// meanwhile) is read by that run: starting over would publish
	// nothing until the user stops opening files. The run gives the
	// document its version if it saw this text, and runs again if not.
	reading := s.inflight && !s.pending && onDisk && s.runOverlay[name] == nil
	s.mu.Unlock()
	if !analysed && !reading {
		s.schedule()
	}
	return nil
}

func (s *server) DidChange(ctx context.Context, params *protocol.DidChangeTextDocumentParams) (err error) {
	defer s.guard("textDocument/didChange", &err)
	name, ok := filename(params.TextDocument.URI)
	if !ok || s.ready() != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[name]
	if d == nil {
		// The LSP says a change comes after didOpen. Taking it as the
		// whole text would make a ranged change empty the file for the
		// analysis; the file on disk stays the truth instead.
		s.log.Warn("ignoring didChange of a document that is not open", "file", name)
		return nil
	}
	for _, ch := range params.ContentChanges {
		switch ch := ch.(type) {
		case *protocol.TextDocumentContentChangeWholeDocument:
			d.text = []byte(ch.Text)
		case *protocol.TextDocumentContentChangePartial:
			// Full sync is advertised; accept ranges from clients that send
			// them anyway.
			t := newText(d.text)
			from, ok1 := t.offset(ch.Range.Start)
			to, ok2 := t.offset(ch.Range.End)
			if !ok1 || !ok2 || from > to {
				s.log.Warn("didChange range outside the document; keeping the old text until the next save", "file", name)
				continue
			}
			d.text = append(append(append([]byte(nil), d.text[:from]...), ch.Text...), d.text[to:]...)
		}
	}
	d.version = params.TextDocument.Version
	// No analysis: safels reruns on save, when the code is meant to be whole.
	return nil
}

func (s *server) DidSave(ctx context.Context, params *protocol.DidSaveTextDocumentParams) (err error) {
	defer s.guard("textDocument/didSave", &err)
	name, ok := filename(params.TextDocument.URI)
	if !ok || s.ready() != nil {
		return nil
	}
	if params.Text != nil {
		s.mu.Lock()
		if d := s.docs[name]; d != nil {
			d.text = []byte(*params.Text)
		}
		s.mu.Unlock()
	}
	s.schedule()
	return nil
}

func (s *server) DidClose(ctx context.Context, params *protocol.DidCloseTextDocumentParams) (err error) {
	defer s.guard("textDocument/didClose", &err)
	name, ok := filename(params.TextDocument.URI)
	if !ok || s.ready() != nil {
		return nil
	}
	s.mu.Lock()
	d := s.docs[name]
	delete(s.docs, name)
	s.mu.Unlock()
	// The analysis saw the buffer; if it differs from the file on disk, the
	// disk version is now the truth.
	if d != nil {
		if disk, err := os.ReadFile(name); err != nil || string(disk) != string(d.text) {
			s.schedule()
		}
	}
	return nil
}

func (s *server) DidChangeWatchedFiles(ctx context.Context, params *protocol.DidChangeWatchedFilesParams) (err error) {
	defer s.guard("workspace/didChangeWatchedFiles", &err)
	if s.ready() != nil {
		return nil
	}
	changed := false
	for _, ch := range params.Changes {
		name, ok := filename(ch.URI)
		if !ok {
			continue
		}
		switch base := filepath.Base(name); {
		case base == "go.mod", base == "go.sum", base == "go.work", base == ".safels.json", strings.HasSuffix(base, ".go"):
			s.mu.Lock()
			_, open := s.docs[name]
			if base == "go.mod" || base == "go.sum" || base == "go.work" {
				// Other modules, other versions, another toolchain: the
				// go command's answers and every summary may differ.
				s.cache = analysis.NewCache()
			}
			s.mu.Unlock()
			if !open { // open buffers are the truth; their saves trigger runs
				changed = true
			}
		}
	}
	if changed {
		s.schedule()
	}
	return nil
}
