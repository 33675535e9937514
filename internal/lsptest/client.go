// Package lsptest is a small LSP client for tests: it speaks JSON-RPC over a
// process's stdio with encoding/json only, so that it checks the server's
// wire format independently of the library the server is built on.
package lsptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait: analyses of the examples take seconds, but a
// cold build cache on a CI machine is slow.
var Timeout = 3 * time.Minute

// Build compiles cmd/safels into a temporary directory and returns its path.
func Build(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "safels")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/safels")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Message is any JSON-RPC message.
type Message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Error is a JSON-RPC error.
type Error struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Client drives a server over in/out.
type Client struct {
	t   testing.TB
	in  io.WriteCloser
	wmu sync.Mutex

	mu      sync.Mutex
	nextID  int
	pending map[string]chan Message
	notes   []Message     // notifications and requests from the server, in order
	arrived []time.Time   // when each of notes was read
	changed chan struct{} // closed and replaced when notes grows or the stream ends
	closed  bool
	Config  any // answer to workspace/configuration
	Stderr  *bytes.Buffer
	cmd     *exec.Cmd
	silent  map[string]bool // methods of server requests left unanswered
}

// Start runs bin (with args) and returns a client talking to it. The
// process is killed when the test ends.
func Start(t testing.TB, bin string, env []string, args ...string) *Client {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := New(t, in, out)
	c.Stderr = &bytes.Buffer{}
	cmd.Stderr = &lockedWriter{w: c.Stderr, mu: &c.mu}
	c.cmd = cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", c.StderrText())
		}
	})
	return c
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// StderrText returns what the server logged so far.
func (c *Client) StderrText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Stderr == nil {
		return ""
	}
	return c.Stderr.String()
}

// Wait waits for the server process to exit and returns its exit code.
func (c *Client) Wait() int {
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			return -1
		}
		return 0
	case <-time.After(Timeout):
		c.t.Fatal("server did not exit")
		return -1
	}
}

// New returns a client over the given streams.
func New(t testing.TB, in io.WriteCloser, out io.Reader) *Client {
	c := &Client{t: t, in: in, pending: map[string]chan Message{}, changed: make(chan struct{})}
	go c.read(bufio.NewReader(out))
	return c
}

func (c *Client) read(r *bufio.Reader) {
	defer func() {
		c.mu.Lock()
		c.closed = true
		close(c.changed)
		c.changed = make(chan struct{})
		for _, ch := range c.pending {
			close(ch)
		}
		c.pending = map[string]chan Message{}
		c.mu.Unlock()
	}()
	for {
		body, err := ReadFrame(r)
		if err != nil {
			return
		}
		var m Message
		if err := json.Unmarshal(body, &m); err != nil {
			c.t.Errorf("server sent invalid JSON: %v\n%s", err, body)
			return
		}
		switch {
		case m.Method != "" && len(m.ID) > 0: // a request from the server
			c.answer(m)
			c.record(m)
		case m.Method != "":
			c.record(m)
		default:
			c.mu.Lock()
			ch := c.pending[string(m.ID)]
			delete(c.pending, string(m.ID))
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			} else {
				c.record(m) // e.g. a response to a malformed message (id null)
			}
		}
	}
}

func (c *Client) record(m Message) {
	c.mu.Lock()
	c.notes = append(c.notes, m)
	c.arrived = append(c.arrived, time.Now())
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Unanswered makes the client never answer the server's requests of these
// methods, as a broken client would.
func (c *Client) Unanswered(methods ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.silent == nil {
		c.silent = map[string]bool{}
	}
	for _, m := range methods {
		c.silent[m] = true
	}
}

func (c *Client) answer(m Message) {
	c.mu.Lock()
	silent := c.silent[m.Method]
	c.mu.Unlock()
	if silent {
		return
	}
	var result any
	switch m.Method {
	case "workspace/configuration":
		var p struct{ Items []any }
		json.Unmarshal(m.Params, &p)
		res := make([]any, len(p.Items))
		for i := range res {
			res[i] = c.Config
		}
		result = res
	}
	c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
}

// ReadFrame reads one Content-Length framed body.
func ReadFrame(r *bufio.Reader) ([]byte, error) {
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("frame without Content-Length")
	}
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return body, err
}

func (c *Client) send(v any) {
	body, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.Raw(body)
}

// Raw writes body as one frame, whatever it holds.
func (c *Client) Raw(body []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n%s", len(body), body)
}

// Write writes bytes as they are, framed or not.
func (c *Client) Write(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.in.Write(b)
}

// CloseInput closes the server's standard input: the end of input.
func (c *Client) CloseInput() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.in.Close()
}

// Signal sends sig to the server process.
func (c *Client) Signal(sig os.Signal) {
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Closed reports whether the server closed its output.
func (c *Client) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Call sends a request and waits for its response.
func (c *Client) Call(method string, params any) Message {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	ch := make(chan Message, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	c.send(map[string]any{"jsonrpc": "2.0", "id": c.nextID, "method": method, "params": params})
	select {
	case m, ok := <-ch:
		if !ok {
			c.t.Fatalf("%s: the server closed the connection", method)
		}
		return m
	case <-time.After(Timeout):
		c.t.Fatalf("%s: no response", method)
		return Message{}
	}
}

// Result calls and decodes the result into v, failing on an error response.
func (c *Client) Result(method string, params, v any) {
	c.t.Helper()
	m := c.Call(method, params)
	if m.Error != nil {
		c.t.Fatalf("%s: %v", method, m.Error)
	}
	if v != nil {
		if err := json.Unmarshal(m.Result, v); err != nil {
			c.t.Fatalf("%s: decoding %s: %v", method, m.Result, err)
		}
	}
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) {
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// Cursor is a position in the sequence of messages received from the
// server, so that a test can wait for what comes after an action.
type Cursor int

// Now returns the cursor after everything received so far.
func (c *Client) Now() Cursor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Cursor(len(c.notes))
}

// Await waits for a message from the server after cursor for which pred is
// true, and returns it with the cursor after it.
func (c *Client) Await(after Cursor, what string, pred func(Message) bool) (Message, Cursor) {
	c.t.Helper()
	deadline := time.After(Timeout)
	for i := int(after); ; {
		c.mu.Lock()
		for ; i < len(c.notes); i++ {
			if pred(c.notes[i]) {
				m := c.notes[i]
				c.mu.Unlock()
				return m, Cursor(i + 1)
			}
		}
		closed, changed := c.closed, c.changed
		c.mu.Unlock()
		if closed {
			c.t.Fatalf("waiting for %s: the server closed the connection", what)
		}
		select {
		case <-changed:
		case <-deadline:
			c.t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// Arrived returns when the message just before cursor was read: for a
// cursor that Await returned, when the awaited message came, however
// late the test looked at it.
func (c *Client) Arrived(cur Cursor) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.arrived[cur-1]
}

// Pid is the server process's id.
func (c *Client) Pid() int { return c.cmd.Process.Pid }

// Messages returns the messages received after cursor.
func (c *Client) Messages(after Cursor) []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.notes[after:]...)
}

// Diagnostic is the part of an LSP diagnostic tests look at.
type Diagnostic struct {
	Range              Range  `json:"range"`
	Severity           int    `json:"severity"`
	Code               string `json:"code"`
	Source             string `json:"source"`
	Message            string `json:"message"`
	RelatedInformation []struct {
		Location struct {
			URI   string `json:"uri"`
			Range Range  `json:"range"`
		} `json:"location"`
		Message string `json:"message"`
	} `json:"relatedInformation"`
}

// Range and Position are LSP's.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

type Position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// Published is a textDocument/publishDiagnostics notification.
type Published struct {
	URI         string       `json:"uri"`
	Version     *int         `json:"version"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// AwaitDiagnostics waits for diagnostics of uri after cursor that satisfy
// pred.
func (c *Client) AwaitDiagnostics(after Cursor, uri string, pred func(Published) bool) (Published, Cursor) {
	c.t.Helper()
	var got Published
	_, cur := c.Await(after, "diagnostics for "+uri, func(m Message) bool {
		if m.Method != "textDocument/publishDiagnostics" {
			return false
		}
		var p Published
		if json.Unmarshal(m.Params, &p) != nil || p.URI != uri {
			return false
		}
		if pred(p) {
			got = p
			return true
		}
		return false
	})
	return got, cur
}

// FileURI is the file: URI of an absolute path.
func FileURI(path string) string {
	return "file://" + filepath.ToSlash(path)
}
