package main

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/safels/safels/loop"
)

// request is what handleParse needs of a request header.
type request struct {
	method    string
	path      string // cleaned URL path
	keepAlive bool
	hasBody   bool
}

// headerEnd returns the length of the request header at the front of b,
// blank line included, or -1 if b does not hold a whole one yet.
func headerEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n")) // want "inbuf"
	if i < 0 {
		return -1
	}
	return i + 4
}

// parseRequest parses a request header. It returns a status other than 0
// when the request cannot be served.
func parseRequest(raw string) (req request, status int) {
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n\r\n"), "\r\n")
	parts := strings.Fields(lines[0])
	if len(parts) != 3 {
		return req, 400
	}
	req.method = parts[0]
	target, proto := parts[1], parts[2]
	switch proto {
	case "HTTP/1.1":
		req.keepAlive = true
	case "HTTP/1.0":
	default:
		return req, 505
	}
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return req, 400
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "connection":
			switch strings.ToLower(value) {
			case "close":
				req.keepAlive = false
			case "keep-alive":
				req.keepAlive = true
			}
		case "content-length":
			if n, err := strconv.ParseInt(value, 10, 64); err != nil || n < 0 {
				return req, 400
			} else if n > 0 {
				req.hasBody = true
			}
		case "transfer-encoding":
			req.hasBody = true
		}
	}
	if req.method != "GET" && req.method != "HEAD" {
		return req, 501
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	p, err := url.PathUnescape(target)
	if err != nil || !strings.HasPrefix(p, "/") {
		return req, 400
	}
	// Clean removes "..": nothing outside the document root is reachable.
	req.path = path.Clean(p)
	if strings.HasSuffix(p, "/") {
		req.path = path.Join(req.path, "index.html")
	}
	return req, 0
}

// errorPage returns a small HTML page for an error status.
func errorPage(status int) *file {
	text := statusText(status)
	body := fmt.Appendf(nil, "<html><head><title>%d %s</title></head>\n<body><h1>%d %s</h1></body></html>\n",
		status, text, status, text)
	return &file{data: body, ctype: "text/html; charset=utf-8"}
}

func statusText(status int) string {
	switch status {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 431:
		return "Request Header Fields Too Large"
	case 501:
		return "Not Implemented"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Error"
}

// httpTime is the date format of HTTP headers (RFC 9110, IMF-fixdate).
const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// respond sets c up to send a response and posts handleSend. The body is
// shared with f, which is never written after it is made.
func respond(l *loop.Loop, c *conn, status int, f *file, headOnly bool) {
	h := fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nServer: thttpd-safels\r\nDate: %s\r\n",
		status, statusText(status), time.Now().UTC().Format(httpTime))
	h = fmt.Appendf(h, "Content-Type: %s\r\nContent-Length: %d\r\n", f.ctype, len(f.data))
	if !f.modTime.IsZero() {
		h = fmt.Appendf(h, "Last-Modified: %s\r\n", f.modTime.UTC().Format(httpTime))
	}
	if c.keepAlive { // want "keepAlive"
		h = append(h, "Connection: keep-alive\r\n\r\n"...)
	} else {
		h = append(h, "Connection: close\r\n\r\n"...)
	}
	c.status = status // want "status"
	c.head = h        // want "head"
	c.body = f.data   // want "body"
	if headOnly {
		c.body = nil // want "body"
	}
	c.written = 0          // want "written"
	c.state = stateSending // want "state"
	loop.Post(l, handleSend, c)
}
