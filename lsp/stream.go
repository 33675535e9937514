package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"go.lsp.dev/jsonrpc2"
)

// maxBody bounds a frame's declared length: a larger frame is skipped
// unread, so that a corrupt or hostile header cannot make the server
// allocate gigabytes. Memory for a body is taken as its bytes arrive, not
// as declared.
const maxBody = 256 << 20

// stream is the LSP base protocol (Content-Length framing), made to survive
// what jsonrpc2 v1.0.1 ends the connection for (which would cost the user
// every diagnostic because of one bad message):
//   - a frame whose body is not a JSON-RPC message is answered with a parse
//     error (-32700) or an invalid-request error (-32600) and skipped;
//   - a malformed header, or bytes between frames that are not a header
//     (the rest of a body whose Content-Length was too small, or the start
//     of the next frame swallowed by one whose Content-Length was too
//     large), are skipped up to the next Content-Length header, and logged;
//   - a frame longer than maxBody is skipped and answered with an error.
//
// Only the end of input ends the stream; ended is closed then.
type stream struct {
	in  *bufio.Reader
	out jsonrpc2.Stream // writes only: frames are composed and written whole
	log *slog.Logger

	ended chan struct{} // closed when the input ended
	err   error         // why; set before ended is closed
}

func newStream(in io.Reader, out io.WriteCloser, log *slog.Logger) *stream {
	return &stream{
		in:    bufio.NewReaderSize(in, 64<<10),
		out:   jsonrpc2.NewHeaderStream(writeOnly{out}),
		log:   log,
		ended: make(chan struct{}),
	}
}

// writeOnly gives jsonrpc2 a ReadWriteCloser whose reads are never used:
// stream.Read reads the frames itself.
type writeOnly struct{ io.WriteCloser }

func (writeOnly) Read([]byte) (int, error) { return 0, io.EOF }

// errTooLarge reports a frame skipped for its size.
type errTooLarge int

func (e errTooLarge) Error() string {
	return fmt.Sprintf("a message of %d bytes is larger than the %d MiB safels reads; it was skipped", int(e), maxBody>>20)
}

func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		body, err := s.frame()
		var big errTooLarge
		if errors.As(err, &big) {
			s.log.Warn("skipped a message", "error", err)
			if err := s.reject(ctx, nil, jsonrpc2.InvalidRequest, "safels: "+err.Error()); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err != nil {
			if s.err == nil {
				s.err = err
				close(s.ended)
			}
			return nil, 0, err
		}
		msg, err := jsonrpc2.DecodeMessage(body)
		if err == nil {
			return msg, int64(len(body)), nil
		}
		code, text := jsonrpc2.InvalidRequest, "invalid JSON-RPC message"
		if !json.Valid(body) {
			code, text = jsonrpc2.ParseError, "message body is not valid JSON"
		}
		s.log.Warn("rejected a malformed message", "code", int64(code), "error", err, "body", abbreviate(body))
		if err := s.reject(ctx, body, code, fmt.Sprintf("safels: %s: %v", text, err)); err != nil {
			return nil, 0, err
		}
	}
}

// reject answers a message that will not be handled, with its id where it
// has one, so that a client waiting for the answer stops waiting.
func (s *stream) reject(ctx context.Context, body []byte, code jsonrpc2.Code, msg string) error {
	_, err := s.out.Write(ctx, jsonrpc2.NewResponse(requestID(body), nil, jsonrpc2.NewError(code, msg)))
	return err
}

// frame reads the next frame's body. Bytes that are not a frame are
// skipped up to the next header (see stream).
func (s *stream) frame() ([]byte, error) {
	length := -1      // the header's Content-Length
	inHeader := false // a line of the header was read
	junk := 0         // bytes skipped since the last frame
	skip := func(why string, n int) {
		junk += n
		inHeader, length = false, -1
		s.log.Warn("skipping input that is not a well-formed message", "reason", why)
	}
	for {
		line, n, err := s.line()
		if err != nil {
			if err == io.EOF && (inHeader || junk > 0) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if !inHeader {
			start := headerStart(line)
			if start < 0 {
				if line != "" || junk > 0 {
					junk += n // a blank line between frames is tolerated
				}
				continue
			}
			if junk+start > 0 {
				s.log.Warn("skipped bytes between messages", "bytes", junk+start)
			}
			line, junk, inHeader = line[start:], 0, true
		}
		if line == "" { // the end of the header
			if length >= 0 {
				break
			}
			skip("a header without Content-Length", n)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			skip(fmt.Sprintf("malformed header line %q", abbreviate([]byte(line))), n)
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			v, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || v < 0 {
				skip(fmt.Sprintf("bad Content-Length %q", abbreviate([]byte(value))), n)
				continue
			}
			length = v
		}
	}
	if length > maxBody {
		if _, err := io.CopyN(io.Discard, s.in, int64(length)); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, errTooLarge(length)
	}
	// Owned (decoded requests may alias it), and grown as bytes arrive: a
	// Content-Length larger than what the client sends costs nothing.
	var buf bytes.Buffer
	buf.Grow(min(length, 1<<20))
	if _, err := buf.ReadFrom(io.LimitReader(s.in, int64(length))); err != nil || buf.Len() < length {
		return nil, io.ErrUnexpectedEOF
	}
	return buf.Bytes(), nil
}

// line reads one line, without its line end, and how many bytes it took.
// A line longer than the reader's buffer is no header: only its end is
// kept, where the next frame's header may start after a body whose
// Content-Length was too small.
func (s *stream) line() (string, int, error) {
	b, err := s.in.ReadSlice('\n')
	n := len(b)
	for err == bufio.ErrBufferFull {
		b, err = s.in.ReadSlice('\n')
		n += len(b)
	}
	if err != nil {
		if n > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", n, err
	}
	return strings.TrimRight(string(b), "\r\n"), n, nil
}

// headerStart returns where a header starts in a line read between frames:
// at a Content-Length header, wherever it is in the line (the rest of the
// previous body may come first), or at the line's start if it is a header
// line ("Content-Type: ..."); -1 if the line is not a header.
func headerStart(line string) int {
	if i := strings.Index(strings.ToLower(line), "content-length:"); i >= 0 {
		return i
	}
	name, _, ok := strings.Cut(line, ":")
	if !ok || name == "" {
		return -1
	}
	for _, r := range name {
		if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return -1
		}
	}
	return 0
}

func (s *stream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	return s.out.Write(ctx, msg)
}

func (s *stream) Close() error { return s.out.Close() }

// requestID recovers the id of a request that is valid JSON but not a valid
// message, so that the client can match the error to its request.
func requestID(body []byte) jsonrpc2.ID {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &m) != nil || len(m.ID) == 0 {
		return jsonrpc2.ID{}
	}
	var n int64
	if json.Unmarshal(m.ID, &n) == nil {
		return jsonrpc2.NewNumberID(n)
	}
	var str string
	if json.Unmarshal(m.ID, &str) == nil {
		return jsonrpc2.NewStringID(str)
	}
	return jsonrpc2.ID{}
}

func abbreviate(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}
