package lsp

import (
	"bufio"
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

// maxBody bounds a frame's declared length, so that a corrupt header cannot
// make the server allocate gigabytes.
const maxBody = 256 << 20

// stream is the LSP base protocol (Content-Length framing) with one
// difference from jsonrpc2's own: a frame whose body is not a JSON-RPC
// message is answered with a parse error (-32700) or an invalid-request error
// (-32600) and skipped. jsonrpc2 v1.0.1 closes the whole connection instead,
// which would cost the user every diagnostic because of one bad message.
type stream struct {
	in  *bufio.Reader
	out jsonrpc2.Stream // writes only: frames are composed and written whole
	log *slog.Logger
}

func newStream(in io.Reader, out io.WriteCloser, log *slog.Logger) *stream {
	return &stream{
		in:  bufio.NewReaderSize(in, 64<<10),
		out: jsonrpc2.NewHeaderStream(writeOnly{out}),
		log: log,
	}
}

// writeOnly gives jsonrpc2 a ReadWriteCloser whose reads are never used:
// stream.Read reads the frames itself.
type writeOnly struct{ io.WriteCloser }

func (writeOnly) Read([]byte) (int, error) { return 0, io.EOF }

func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		body, n, err := s.frame()
		if err != nil {
			return nil, 0, err
		}
		msg, err := jsonrpc2.DecodeMessage(body)
		if err == nil {
			return msg, n, nil
		}
		code, text := jsonrpc2.InvalidRequest, "invalid JSON-RPC message"
		if !json.Valid(body) {
			code, text = jsonrpc2.ParseError, "message body is not valid JSON"
		}
		s.log.Warn("rejected a malformed message", "code", int64(code), "error", err, "body", abbreviate(body))
		resp := jsonrpc2.NewResponse(requestID(body), nil, jsonrpc2.NewError(code, fmt.Sprintf("safels: %s: %v", text, err)))
		if _, err := s.out.Write(ctx, resp); err != nil {
			return nil, 0, err
		}
	}
}

// frame reads one Content-Length framed body. Header errors cannot be
// skipped (the next frame's start is unknown), so they end the connection.
func (s *stream) frame() ([]byte, int64, error) {
	length, read := -1, int64(0)
	for {
		line, err := s.in.ReadString('\n')
		read += int64(len(line))
		if err != nil {
			if err == io.EOF && read > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if length < 0 {
				if read <= 2 {
					continue // stray blank line between frames
				}
				return nil, 0, errors.New("safels: LSP header without Content-Length")
			}
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, 0, fmt.Errorf("safels: malformed LSP header line %q", line)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 || n > maxBody {
				return nil, 0, fmt.Errorf("safels: bad Content-Length %q", value)
			}
			length = n
		}
	}
	body := make([]byte, length) // owned: decoded requests may alias it
	if _, err := io.ReadFull(s.in, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	return body, read + int64(length), nil
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
