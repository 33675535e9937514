package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// This file is how messages reach the server's methods. jsonrpc2 ends the
// connection when a notification's handler returns an error or any handler
// panics, and go.lsp.dev/protocol's own chain returns errors for
// notifications it cannot decode (`didOpen` with `"textDocument": 5`,
// `$/cancelRequest` with `{}`). A notification has no answer, so here every
// notification error becomes a log line and the session goes on, as the LSP
// says: notifications a server does not handle are ignored.
//
// Order: notifications and the lifecycle requests run on the read loop, one
// at a time, in the order they arrived (a didChange must not overtake the
// didOpen before it); they only record state and never wait. Other requests
// are answered concurrently, from the latest snapshot.

// newHandler returns the connection's handler for s.
func (s *server) newHandler() jsonrpc2.Handler {
	methods := protocol.ServerHandler(s, jsonrpc2.MethodNotFoundHandler)
	return func(ctx context.Context, req *jsonrpc2.Request) (any, error) {
		method := strings.Clone(req.Method()) // req's memory is reused after Async
		if !req.IsCall() {
			if !served[method] {
				// Once per method: a client may send one on every keystroke.
				if _, seen := s.ignored.LoadOrStore(method, true); !seen {
					s.log.Info("ignoring notifications the server does not handle (logged once per method)", "method", method)
				}
				return nil, nil
			}
			s.notification(ctx, method, req, methods)
			return nil, nil
		}
		if !served[method] {
			// Answered without decoding params that would only be dropped.
			return nil, jsonrpc2.NewError(jsonrpc2.MethodNotFound, fmt.Sprintf("safels: method %q is not served", method))
		}
		if method == protocol.MethodInitialize || method == protocol.MethodShutdown {
			return s.call(ctx, method, req, methods)
		}
		jsonrpc2.Async(ctx)
		// The request's own context is recycled when the handler returns:
		// cancellation hangs off the connection's instead.
		rctx, cancel := context.WithCancel(jsonrpc2.DetachContext(ctx))
		defer s.requests.add(req.ID(), cancel)()
		return s.call(rctx, method, req, methods)
	}
}

// requests are the requests being answered concurrently, for
// $/cancelRequest.
type requests struct {
	mu sync.Mutex
	m  map[jsonrpc2.ID]context.CancelFunc
}

// add records a request being answered; the returned function forgets it.
func (r *requests) add(id jsonrpc2.ID, cancel context.CancelFunc) (done func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[jsonrpc2.ID]context.CancelFunc{}
	}
	r.m[id] = cancel
	return func() {
		r.mu.Lock()
		delete(r.m, id)
		r.mu.Unlock()
		cancel()
	}
}

func (r *requests) cancel(id jsonrpc2.ID) {
	r.mu.Lock()
	cancel := r.m[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// served are the methods the server handles; the rest are answered
// "method not found" (requests) or ignored (notifications) at once.
var served = map[string]bool{
	protocol.MethodInitialize:                      true,
	protocol.MethodShutdown:                        true,
	protocol.MethodTextDocumentHover:               true,
	protocol.MethodTextDocumentCodeAction:          true,
	protocol.MethodTextDocumentCodeLens:            true,
	protocol.MethodWorkspaceExecuteCommand:         true,
	protocol.MethodInitialized:                     true,
	protocol.MethodExit:                            true,
	protocol.MethodSetTrace:                        true,
	protocol.MethodCancelRequest:                   true,
	protocol.MethodTextDocumentDidOpen:             true,
	protocol.MethodTextDocumentDidChange:           true,
	protocol.MethodTextDocumentDidSave:             true,
	protocol.MethodTextDocumentDidClose:            true,
	protocol.MethodWorkspaceDidChangeConfiguration: true,
	protocol.MethodWorkspaceDidChangeWatchedFiles:  true,
}

// call answers a request; a panic becomes an internal error, and params that
// do not decode an invalid-params error (the library says "parse error",
// which JSON-RPC reserves for a body that is not JSON).
func (s *server) call(ctx context.Context, method string, req *jsonrpc2.Request, h jsonrpc2.Handler) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in request", "method", method, "panic", r, "stack", string(debug.Stack()))
			res, err = nil, jsonrpc2.NewError(jsonrpc2.InternalError, fmt.Sprintf("safels: internal error in %s: %v (the server goes on; please report this)", method, r))
		}
	}()
	res, err = h(ctx, req)
	if err != nil && errors.Is(err, jsonrpc2.ErrParse) {
		s.log.Warn("request with malformed params", "method", method, "error", err)
		return nil, jsonrpc2.NewError(jsonrpc2.InvalidParams, fmt.Sprintf("safels: %s: malformed params: %v", method, err))
	}
	return res, err
}

// notification handles a notification; whatever goes wrong is logged and
// the session goes on.
func (s *server) notification(ctx context.Context, method string, req *jsonrpc2.Request, h jsonrpc2.Handler) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in notification", "method", method, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if method == protocol.MethodCancelRequest {
		if id, ok := cancelID(req.Params()); ok {
			s.requests.cancel(id)
		} else {
			s.log.Warn("ignoring a malformed notification", "method", method, "params", abbreviate(req.Params()))
		}
		return
	}
	_, err := h(ctx, req)
	switch {
	case err == nil:
	case errors.Is(err, jsonrpc2.ErrParse):
		s.log.Warn("ignoring a malformed notification", "method", method, "error", err, "params", abbreviate(req.Params()))
	default:
		s.log.Warn("notification failed", "method", method, "error", err)
	}
}

// cancelID reads the id of $/cancelRequest, a number or a string.
func cancelID(params []byte) (jsonrpc2.ID, bool) {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(params, &p) != nil || len(p.ID) == 0 {
		return jsonrpc2.ID{}, false
	}
	var n int64
	if json.Unmarshal(p.ID, &n) == nil {
		return jsonrpc2.NewNumberID(n), true
	}
	var str string
	if json.Unmarshal(p.ID, &str) == nil {
		return jsonrpc2.NewStringID(str), true
	}
	return jsonrpc2.ID{}, false
}

// codec encodes params and results with go.lsp.dev/protocol's encoder, which
// knows its union types; raw JSON passes through.
type codec struct{}

func (codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case jsonrpc2.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	case *jsonrpc2.RawMessage:
		if m == nil || *m == nil {
			return []byte("null"), nil
		}
		return *m, nil
	}
	return protocol.Marshal(v)
}

func (codec) Unmarshal(data []byte, v any) error {
	if p, ok := v.(*jsonrpc2.RawMessage); ok {
		*p = append(jsonrpc2.RawMessage(nil), data...)
		return nil
	}
	return protocol.Unmarshal(data, v)
}
