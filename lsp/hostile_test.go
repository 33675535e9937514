package lsp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/internal/lsptest"
)

// The hostile-client suite: what broken and hostile clients send. Cases
// that leave the session open run one after the other in one session, each
// followed by a request the server must answer; at the end the server's
// goroutines and live heap must be back near where they were before the
// first. Cases that end the session run in a session each and check how
// the process ends. Add a case to either list.

// frame is body framed as the LSP's base protocol says.
func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

func request(id int, method string, params any) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return string(b)
}

// huge is 50 MB of text.
var huge = strings.Repeat("// 50 MB of a comment, in lines of sixty-four bytes, to be held.\n", 50<<20/64)

// awaitError waits for an error answer with the given id (raw JSON) and
// code after cur.
func awaitError(t *testing.T, c *lsptest.Client, cur lsptest.Cursor, id string, code int64) {
	t.Helper()
	m, _ := c.Await(cur, fmt.Sprintf("error %d for id %s", code, id), func(m lsptest.Message) bool { return m.Error != nil && string(m.ID) == id })
	if m.Error.Code != code {
		t.Errorf("id %s answered with %+v, want code %d", id, m.Error, code)
	}
}

var survivable = []struct {
	name string
	do   func(t *testing.T, c *lsptest.Client, file string)
}{
	{"unknown notifications", func(t *testing.T, c *lsptest.Client, file string) {
		for _, m := range []string{"$/foo", "$/logTrace", "custom/thing", "textDocument/didFrobnicate"} {
			c.Notify(m, map[string]any{"x": 1})
		}
	}},
	{"malformed notifications", func(t *testing.T, c *lsptest.Client, file string) {
		c.Notify("textDocument/didOpen", map[string]any{"textDocument": 5})
		c.Notify("textDocument/didClose", nil)
		c.Notify("$/cancelRequest", map[string]any{})
		c.Notify("$/cancelRequest", map[string]any{"id": []int{1}})
		c.Notify("initialized", "yes")
	}},
	{"malformed requests", func(t *testing.T, c *lsptest.Client, file string) {
		cur := c.Now()
		c.Raw([]byte(`{"jsonrpc":"2.0","id":9001,"method":"textDocument/hover",`))
		c.Raw([]byte(`{"jsonrpc":"2.0","id":9002,"method":12}`))
		c.Raw([]byte(request(9003, "textDocument/codeLens", map[string]any{"textDocument": []int{}})))
		c.Raw([]byte(`[]`))
		awaitError(t, c, cur, "null", -32700)
		awaitError(t, c, cur, "9002", -32600)
		awaitError(t, c, cur, "9003", -32602)
	}},
	{"answers to requests never made, cancels of requests never made", func(t *testing.T, c *lsptest.Client, file string) {
		c.Raw([]byte(`{"jsonrpc":"2.0","id":424242,"result":{"x":1}}`))
		c.Raw([]byte(`{"jsonrpc":"2.0","id":"abc","error":{"code":-1,"message":"no"}}`))
		c.Notify("$/cancelRequest", map[string]any{"id": 77777})
		c.Notify("$/cancelRequest", map[string]any{"id": "zzz"})
	}},
	{"Content-Length larger than the body", func(t *testing.T, c *lsptest.Client, file string) {
		cur := c.Now()
		body := request(9101, "workspace/executeCommand", map[string]any{"command": "safels.matrix"})
		// The frame swallows the start of the next one, which is lost;
		// the server finds the frame after that.
		c.Write([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body)+40, body)))
		c.Write([]byte(frame(request(9102, "workspace/executeCommand", map[string]any{"command": "safels.matrix"}))))
		awaitError(t, c, cur, "null", -32700)
	}},
	{"Content-Length smaller than the body", func(t *testing.T, c *lsptest.Client, file string) {
		cur := c.Now()
		body := request(9201, "workspace/executeCommand", map[string]any{"command": "safels.matrix"})
		c.Write([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body)-10, body)))
		awaitError(t, c, cur, "null", -32700)
	}},
	{"truncated frames and garbage between frames", func(t *testing.T, c *lsptest.Client, file string) {
		c.Write([]byte("hello\r\n\r\n\x00\xff\xfe not a header at all\n"))
		c.Write([]byte("Content-Type: application/vscode-jsonrpc\r\n\r\n{}")) // no Content-Length
		c.Write([]byte("Content-Length: -5\r\n\r\n"))
		c.Write([]byte("Content-Length: many\r\n\r\n"))
		c.Write([]byte("Content-Length: 1\r\nbroken header line\r\n\r\n"))
		c.Write([]byte(strings.Repeat("x", 200<<10) + "\n")) // a "header" line of 200 KB
	}},
	{"50 MB messages", func(t *testing.T, c *lsptest.Client, file string) {
		if m := c.Call("custom/huge", map[string]any{"text": huge}); m.Error == nil || m.Error.Code != -32601 {
			t.Errorf("50 MB request of an unknown method: %+v", m.Error)
		}
		c.Notify("$/huge", map[string]any{"text": huge})
		cur := c.Now()
		c.Raw([]byte(`{"jsonrpc":"2.0","id":9301,"method":"x","params":"` + huge))
		awaitError(t, c, cur, "null", -32700)
		// A 50 MB document, open for a while, then closed.
		uri := lsptest.FileURI(file)
		src, _ := os.ReadFile(file)
		c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": string(src)}})
		c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": string(src) + huge}}})
		c.Notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
	}},
	{"2,000 requests at once", func(t *testing.T, c *lsptest.Client, file string) {
		var b strings.Builder
		for i := 0; i < 2000; i++ {
			b.WriteString(frame(request(10000+i, "textDocument/hover", map[string]any{
				"textDocument": map[string]any{"uri": lsptest.FileURI(file)}, "position": map[string]any{"line": i % 40, "character": 5}})))
		}
		cur := c.Now()
		c.Write([]byte(b.String()))
		// Answers to raw requests are not awaited by Call: count them.
		c.Await(cur, "the last answer", func(m lsptest.Message) bool { return string(m.ID) == "11999" })
	}},
}

func TestHostileClients(t *testing.T) {
	root := abs(t, "../testdata/slides")
	file := filepath.Join(root, "main.go")
	c := start(t, root, nil)
	awaitIdle(t, c)
	base := awaitIdle(t, c)
	for _, tc := range survivable {
		t.Run(tc.name, func(t *testing.T) {
			tc.do(t, c, file)
			var matrix struct{ Handlers []any }
			c.Result("workspace/executeCommand", map[string]any{"command": "safels.matrix"}, &matrix)
			if len(matrix.Handlers) == 0 {
				t.Error("the server lost its analysis")
			}
		})
	}
	after := awaitIdle(t, c)
	t.Logf("before: %+v; after: %+v", base, after)
	if after.Goroutines > base.Goroutines+4 {
		t.Errorf("%d goroutines after the hostile clients, %d before", after.Goroutines, base.Goroutines)
	}
	if after.HeapBytes > base.HeapBytes+16<<20 {
		t.Errorf("%d MiB of live heap after the hostile clients, %d MiB before", after.HeapBytes>>20, base.HeapBytes>>20)
	}
	if after.Documents != 0 {
		t.Errorf("%d documents open, none should be", after.Documents)
	}
	c.Result("shutdown", nil, nil)
	c.Notify("exit", nil)
	if code := c.Wait(); code != 0 {
		t.Errorf("exit code %d after shutdown and exit", code)
	}
}

var terminal = []struct {
	name string
	do   func(t *testing.T, c *lsptest.Client)
	code int
}{
	{"truncated frame, then end of input", func(t *testing.T, c *lsptest.Client) {
		c.Write([]byte("Content-Length: 100\r\n\r\n{\"jsonrpc\":"))
		c.CloseInput()
	}, 1},
	{"truncated header, then end of input", func(t *testing.T, c *lsptest.Client) {
		c.Write([]byte("Content-Len"))
		c.CloseInput()
	}, 1},
	{"Content-Length larger than the rest of the input", func(t *testing.T, c *lsptest.Client) {
		c.Write([]byte("Content-Length: 100000000\r\n\r\n{}"))
		c.CloseInput()
	}, 1},
	{"exit without shutdown", func(t *testing.T, c *lsptest.Client) {
		c.Notify("exit", nil)
	}, 1},
	{"requests after shutdown", func(t *testing.T, c *lsptest.Client) {
		c.Result("shutdown", nil, nil)
		for _, m := range []struct {
			method string
			params any
		}{
			{"textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///x.go"}, "position": map[string]any{"line": 0, "character": 0}}},
			{"workspace/executeCommand", map[string]any{"command": "safels.matrix"}},
			{"initialize", map[string]any{"capabilities": map[string]any{}}},
		} {
			if r := c.Call(m.method, m.params); r.Error == nil || r.Error.Code != -32600 {
				t.Errorf("%s after shutdown: %+v, want invalid request", m.method, r.Error)
			}
		}
		c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": "file:///x.go"}})
		c.Notify("exit", nil)
	}, 0},
}

func TestHostileClientsEndingTheSession(t *testing.T) {
	root := abs(t, "../testdata/slides")
	for _, tc := range terminal {
		t.Run(tc.name, func(t *testing.T) {
			c := start(t, root, nil)
			tc.do(t, c)
			if code := c.Wait(); code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
		})
	}
}
