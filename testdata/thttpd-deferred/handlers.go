package main

import (
	"errors"
	"log"
	"net"
	"os"
	"time"

	"github.com/safels/safels/loop"
)

// connState is where a connection is in its life.
type connState int

const (
	stateFree      connState = iota // not in the table: refused, or closed
	stateReading                    // waiting for (the rest of) a request header
	stateSending                    // writing a response
	stateLingering                  // response sent, draining what the client still sends
)

// conn is the context of every per-connection handler. handleIdle reaches
// the table's pointers but never what they point to, so only the handlers
// of a connection touch its conn: they conflict through it only when
// invoked on the same connection.
type conn struct {
	nc       net.Conn
	client   string // remote address, the key of perClient
	slot     int    // index in connTable
	state    connState
	activeAt time.Time // last progress, for handleExpire

	rbuf  [4096]byte // what one read returns
	inbuf []byte     // request bytes read and not yet parsed

	status    int
	head      []byte // status line and header fields of the response
	body      []byte // response body: a cache entry, never written
	written   int    // bytes of head and body written so far
	keepAlive bool   // read another request when this response is sent
	linger    bool   // the client may still be sending: drain before closing

	lingerUntil time.Time
	bytesSent   int64 // on this connection; added to stats.bytes when it closes
}

// handleAccept enters a new connection in the table and starts reading.
func handleAccept(l *loop.Loop, c *conn) {
	stats.connections++                                                       // want "stats\\.connections"
	if numConnects >= len(connTable) || perClient[c.client] >= maxPerClient { // want "numConnects" "perClient\\[i\\]"
		stats.refused++ // want "stats\\.refused"
		c.nc.Close()
		return
	}
	// numConnects < len(connTable): there is a free slot at or after firstFree.
	slot := firstFree            // want "firstFree"
	for connTable[slot] != nil { // want "connTable\\[i\\]"
		slot++
	}
	connTable[slot] = c                   // want "connTable\\[i\\]"
	firstFree = slot + 1                  // want "firstFree"
	numConnects++                         // want "numConnects"
	perClient[c.client]++                 // want "perClient\\[i\\]"
	if numConnects > stats.simultaneous { // want "numConnects" "stats\\.simultaneous"
		stats.simultaneous = numConnects // want "stats\\.simultaneous" "numConnects"
	}
	c.slot = slot           // want "slot"
	c.state = stateReading  // want "state"
	c.activeAt = time.Now() // want "activeAt"
	loop.Post(l, handleRead, c)
}

// handleRead reads what the client has sent, waiting at most ioPoll, and
// posts handleParse once a whole request header is in, or itself to wait
// for more.
func handleRead(l *loop.Loop, c *conn) {
	if c.state != stateReading { // want "state"
		return // cleared while this invocation was queued
	}
	if headerEnd(c.inbuf) >= 0 { // want "inbuf" "headerEnd"
		// A pipelined request, read with the previous one.
		loop.Post(l, handleParse, c)
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(ioPoll))
	n, err := c.nc.Read(c.rbuf[:]) // want "rbuf"
	if n > 0 {
		c.inbuf = append(c.inbuf, c.rbuf[:n]...) // want "inbuf" "rbuf"
		c.activeAt = time.Now()                  // want "activeAt"
	}
	switch {
	case headerEnd(c.inbuf) >= 0: // want "inbuf" "headerEnd"
		loop.Post(l, handleParse, c)
	case len(c.inbuf) > maxHeader: // want "inbuf"
		// Refuse it; the client is still sending, so linger after the
		// response or it may see a reset instead.
		c.keepAlive, c.linger = false, true       // want "keepAlive" "linger"
		respond(l, c, 431, errorPage(431), false) // want "respond"
	case err == nil || isTimeout(err):
		loop.Post(l, handleRead, c)
	default:
		clearConnection(c, "read: "+err.Error()) // want "clearConnection"
	}
}

// handleParse parses the request header at the front of c.inbuf and posts
// handleSend with the response.
func handleParse(l *loop.Loop, c *conn) {
	if c.state != stateReading { // want "state"
		return
	}
	end := headerEnd(c.inbuf)    // want "inbuf" "headerEnd"
	raw := string(c.inbuf[:end]) // want "inbuf"
	// Keep what follows: the next pipelined request, or a body we refuse.
	c.inbuf = append(c.inbuf[:0], c.inbuf[end:]...) // want "inbuf"
	stats.requests++                                // want "stats\\.requests"

	req, status := parseRequest(raw)
	c.keepAlive = status == 0 && req.keepAlive && !req.hasBody // want "keepAlive"
	// Bodies are not read: close after the response, draining the body.
	c.linger = status != 0 || req.hasBody // want "linger"
	if status != 0 {
		respond(l, c, status, errorPage(status), false) // want "respond"
		return
	}
	f := cache[req.path]
	if f == nil {
		respond(l, c, 404, errorPage(404), req.method == "HEAD") // want "respond"
		return
	}
	respond(l, c, 200, f, req.method == "HEAD") // want "respond"
}

// handleSend writes the next chunk of the response, at most chunkSize bytes
// and waiting at most ioPoll, and posts itself until the response is out.
// Then it reads the next request, lingers, or closes the connection.
func handleSend(l *loop.Loop, c *conn) {
	if c.state != stateSending { // want "state"
		return
	}
	chunk := nextChunk(c) // want "nextChunk"
	c.nc.SetWriteDeadline(time.Now().Add(ioPoll))
	n, err := c.nc.Write(chunk)
	c.written += n          // want "written"
	c.bytesSent += int64(n) // want "bytesSent"
	switch {
	case err != nil && !isTimeout(err):
		// The client is gone: no next request, nothing to drain.
		c.keepAlive, c.linger = false, false // want "keepAlive" "linger"
	case c.written < len(c.head)+len(c.body): // want "written" "head" "body"
		if n > 0 {
			c.activeAt = time.Now() // want "activeAt"
		}
		loop.Post(l, handleSend, c)
		return
	default:
		loop.Post(l, deferCountResponse, c.status) // want "status"
	}
	if c.keepAlive { // want "keepAlive"
		c.state = stateReading                  // want "state"
		c.head, c.body, c.written = nil, nil, 0 // want "head" "body" "written"
		c.activeAt = time.Now()                 // want "activeAt"
		loop.Post(l, handleRead, c)
		return
	}
	if c.linger { // want "linger"
		startLinger(l, c) // want "startLinger"
		return
	}
	loop.Post(l, deferClearConnection, c)
}

// deferClearConnection closes c for handleSend, which posts it instead of
// calling reallyClearConnection: the writes of the table and the statistics
// move out of handleSend, which no longer conflicts with itself on them.
func deferClearConnection(l *loop.Loop, c *conn) {
	reallyClearConnection(c) // want "reallyClearConnection"
}

// deferCountResponse counts a response for handleSend, which posts it with
// the status rather than updating the counter itself.
func deferCountResponse(l *loop.Loop, status int) {
	stats.responses[status/100]++ // want "stats\\.responses"
}

// nextChunk returns what handleSend writes next: the rest of the header,
// or up to chunkSize bytes of the body.
func nextChunk(c *conn) []byte {
	if c.written < len(c.head) { // want "written" "head"
		return c.head[c.written:] // want "head" "written"
	}
	off := c.written - len(c.head)                     // want "written" "head"
	return c.body[off:min(off+chunkSize, len(c.body))] // want "body"
}

// startLinger half-closes c so that the client sees the end of our
// response, and drains what it still sends for a while (handleLinger)
// before closing: closing with unread input makes the kernel send a reset,
// which may destroy the response before the client reads it.
func startLinger(l *loop.Loop, c *conn) {
	c.state = stateLingering                   // want "state"
	c.lingerUntil = time.Now().Add(lingerTime) // want "lingerUntil"
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	loop.Post(l, handleLinger, c)
}

// handleLinger discards input until the client closes or lingerTime has
// passed, then closes the connection.
func handleLinger(l *loop.Loop, c *conn) {
	if c.state != stateLingering { // want "state"
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(ioPoll))
	_, err := c.nc.Read(c.rbuf[:])                                          // want "rbuf"
	if (err == nil || isTimeout(err)) && time.Now().Before(c.lingerUntil) { // want "lingerUntil"
		loop.Post(l, handleLinger, c)
		return
	}
	reallyClearConnection(c) // want "reallyClearConnection"
}

// handleIdle runs every idleTick: it has each open connection check its own
// idle time (handleExpire) rather than reading connections through the
// table, which would make it conflict with every handler of every
// connection.
func handleIdle(l *loop.Loop, now time.Time) {
	for _, c := range connTable { // want "connTable\\[i\\]"
		if c != nil {
			loop.Post(l, handleExpire, c)
		}
	}
	if verbose && now.Second() == 0 { // about once a minute
		log.Printf("thttpd: %d open, %d accepted, %d refused, %d most at once, %d requests, %d bytes sent",
			numConnects,        // want "numConnects"
			stats.connections,  // want "stats\\.connections"
			stats.refused,      // want "stats\\.refused"
			stats.simultaneous, // want "stats\\.simultaneous"
			stats.requests,     // want "stats\\.requests"
			stats.bytes)        // want "stats\\.bytes"
	}
}

// handleExpire closes c if its client has been idle too long.
func handleExpire(l *loop.Loop, c *conn) {
	limit := idleReadLimit
	switch c.state { // want "state"
	case stateReading:
	case stateSending:
		limit = idleSendLimit
	default:
		return // lingering ends by itself; free is done
	}
	if time.Since(c.activeAt) > limit { // want "activeAt"
		clearConnection(c, "idle timeout") // want "clearConnection"
	}
}

// handleShutdown stops the loop; acceptLoop posts it last.
func handleShutdown(l *loop.Loop, _ struct{}) {
	l.Stop()
}

// clearConnection closes c before its exchange ended (the client closed,
// failed or fell idle), saying why with -v.
func clearConnection(c *conn, why string) {
	if verbose {
		log.Printf("thttpd: %s: closed: %s", c.client, why)
	}
	reallyClearConnection(c)
}

// reallyClearConnection closes c and frees its slot in the table. Every
// handler that ends a connection comes here: its writes of the table and the
// statistics make all of them conflict with each other. handleSend reaches
// it only through deferClearConnection.
func reallyClearConnection(c *conn) {
	if c.state == stateFree { // want "state"
		return // closed already, by a handler queued before
	}
	stats.bytes += c.bytesSent // want "stats\\.bytes" "bytesSent"
	c.nc.Close()
	c.state = stateFree     // want "state"
	connTable[c.slot] = nil // want "connTable\\[i\\]" "slot"
	if c.slot < firstFree { // want "firstFree" "slot"
		firstFree = c.slot // want "firstFree" "slot"
	}
	numConnects--                        // want "numConnects"
	if n := perClient[c.client]; n > 1 { // want "perClient\\[i\\]"
		perClient[c.client] = n - 1 // want "perClient\\[i\\]"
	} else {
		delete(perClient, c.client) // want "perClient\\[i\\]"
	}
}

// isTimeout says whether err is a deadline expiring: not an error here, the
// I/O continues in the next invocation.
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
