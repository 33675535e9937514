package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestServe serves a temporary directory over loopback and fetches from it
// with net/http's client: small and multi-chunk files, keep-alive and
// close, a 404, then shuts down and checks that no goroutine is left.
func TestServe(t *testing.T) {
	before := runtime.NumGoroutine()
	root := t.TempDir()
	small := []byte("hello, safels\n")
	// Several chunks: handleSend writes one per invocation.
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*chunkSize/16+7)
	for name, data := range map[string][]byte{"hello.txt": small, "sub/big.bin": big, "index.html": []byte("<p>home</p>")} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, root) }()

	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	get := func(path string, close bool) (int, []byte) {
		t.Helper()
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer rcancel()
		req, err := http.NewRequestWithContext(rctx, "GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Close = close
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: reading body: %v", path, err)
		}
		return resp.StatusCode, body
	}
	for _, tc := range []struct {
		path   string
		close  bool
		status int
		body   []byte
	}{
		{"/hello.txt", false, 200, small},
		{"/hello.txt", false, 200, small}, // the same connection, kept alive
		{"/sub/big.bin", false, 200, big},
		{"/", true, 200, []byte("<p>home</p>")},
		{"/sub/../hello.txt", true, 200, small},
		{"/missing.txt", false, 404, nil},
	} {
		status, body := get(tc.path, tc.close)
		if status != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, status, tc.status)
		}
		if tc.body != nil && !bytes.Equal(body, tc.body) {
			t.Errorf("GET %s: body of %d bytes, want %d bytes", tc.path, len(body), len(tc.body))
		}
		if tc.status == 404 && !strings.Contains(string(body), "404") {
			t.Errorf("GET %s: body %q does not say 404", tc.path, body)
		}
	}
	// A request we refuse while its body may still be coming: the server
	// answers and lingers rather than resetting the connection.
	resp, err := client.Post(base+"/hello.txt", "text/plain", strings.NewReader("data"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 501 {
		t.Errorf("POST: status %d, want 501", resp.StatusCode)
	}

	pipelined(t, ln.Addr().String())

	tr.CloseIdleConnections()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	// serve closed the listener (dialing its port again could reach
	// another process that has taken the port since).
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(time.Second))
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after serve returned: %v, want net.ErrClosed", err)
	}
	// Every goroutine of serve and of the client ends.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, had %d:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pipelined sends two HTTP/1.0 requests in one write, the first asking to
// be kept alive: handleRead finds the second already buffered once the
// first is answered, and the server closes after it.
func pipelined(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
		"HEAD /missing HTTP/1.0\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c) // to EOF: the server closes after the second
	if err != nil {
		t.Fatal(err)
	}
	first, second, ok := strings.Cut(string(got), "hello, safels\n")
	if !ok || !strings.HasPrefix(first, "HTTP/1.1 200 OK\r\n") || !strings.Contains(first, "Connection: keep-alive") {
		t.Fatalf("first response %q", first)
	}
	if !strings.HasPrefix(second, "HTTP/1.1 404 Not Found\r\n") || !strings.HasSuffix(second, "\r\n\r\n") {
		t.Fatalf("second response (HEAD: no body) %q", second)
	}
}
