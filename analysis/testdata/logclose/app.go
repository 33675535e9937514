// A server in the style of nats-server's logger and client (logger/log.go,
// server/log.go, server/client.go). The file logger writes through an
// interface of its own that only *os.File implements here, and setting a
// new logger closes the old one: the interface call reaches
// (*os.File).Close, whose receiver is the file, not any implementer of the
// interface. os cannot walk what it is given (it does not import
// reflect), so it calls no client's Error or Close: reload does not race
// with connz on a client's flags.
//
// What library code really calls back is still found: a bufio.Reader read
// through io.ByteReader reads the source it holds (rotate), an exec.Cmd
// run reads its Stdin (feed), a file reads what ReadFrom is given (copyIn).
package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"sync"

	"github.com/safels/safels/loop"
)

type conn struct{ id int }

// writerAndCloser is what the file logger writes to: an *os.File.
type writerAndCloser interface {
	Write(b []byte) (int, error)
	Close() error
	Name() string
}

type fileLogger struct {
	sync.Mutex
	f      writerAndCloser
	closed bool
}

func (l *fileLogger) close() error {
	l.Lock()
	if l.closed {
		l.Unlock()
		return nil
	}
	l.closed = true
	l.Unlock()
	return l.f.Close()
}

// Logger is the server's logger; Close closes its file.
type Logger struct{ fl *fileLogger }

func (l *Logger) Close() error {
	if l.fl != nil {
		return l.fl.close()
	}
	return nil
}

func newLogger(name string) *Logger {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return &Logger{}
	}
	return &Logger{fl: &fileLogger{f: f}}
}

// client's Error closes the connection, as nats's does: its name is among
// those library code calls back on what it walks.
type client struct {
	flags int
	name  string
}

func (c *client) Error(err error) { c.closeConnection() }

func (c *client) closeConnection() { c.flags |= 1 }

type server struct {
	mu      sync.Mutex
	logger  any
	clients []*client
}

var srv = &server{clients: []*client{{name: "a"}}}

func (s *server) setLogger(l any) {
	s.mu.Lock()
	if old, ok := s.logger.(*Logger); ok {
		old.Close()
	}
	s.logger = l
	s.mu.Unlock()
}

// reload sets a new logger, closing the old one's file.
func reload(l *loop.Loop, c *conn) { srv.setLogger(newLogger("/tmp/log")) }

// connz reads the clients' flags.
func connz(l *loop.Loop, c *conn) {
	n := 0
	for _, cl := range srv.clients {
		n += cl.flags
	}
	c.id = n
}

// counting is a source that counts what is read from it.
type counting struct{}

var readBytes int

func (counting) Read(p []byte) (int, error) {
	readBytes += len(p)
	return len(p), nil
}

// pending is a bufio.Reader on a counting source, made in main.
var pending io.ByteReader

// rotate reads a byte through io.ByteReader, which bufio.Reader implements
// and counting does not: ReadByte reads the source the reader holds.
func rotate(l *loop.Loop, c *conn) { pending.ReadByte() }

// fed counts what the child process was given.
type feeder struct{}

var fed int

func (*feeder) Read(p []byte) (int, error) {
	fed++
	return 0, io.EOF
}

// feed runs a process: the Cmd reads its Stdin, a field of its own type.
func feed(l *loop.Loop, c *conn) {
	cmd := &exec.Cmd{Path: "/bin/true", Stdin: &feeder{}}
	cmd.Run()
}

// copied counts what the file read from src.
type src struct{}

var copied int

func (src) Read(p []byte) (int, error) {
	copied++
	return 0, io.EOF
}

// copyIn has a file read from src.
func copyIn(l *loop.Loop, c *conn) {
	f, err := os.CreateTemp("", "x")
	if err != nil {
		return
	}
	f.ReadFrom(src{})
	f.Close()
}

// stats reads the counters.
func stats(l *loop.Loop, c *conn) { c.id = readBytes + fed + copied }

func main() {
	var boxed any = &client{}
	_ = boxed
	l := loop.New()
	c := &conn{}
	srv.setLogger(newLogger("/tmp/log"))
	pending = bufio.NewReader(counting{})
	loop.Post(l, reload, c)
	loop.Post(l, connz, c)
	loop.Post(l, rotate, c)
	loop.Post(l, feed, c)
	loop.Post(l, copyIn, c)
	loop.Post(l, stats, c)
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among on one context: "connz" "stats" -- both write c.id
// races: "rotate" "rotate" -- ReadByte writes the state of the one bufio.Reader, pending
// races: "rotate" "stats" -- rotate's counting source writes readBytes, stats reads it
// races: "feed" "feed" -- the Cmd's copying goroutine runs feeder's Read, which writes fed
// races: "feed" "stats" -- feeder's Read writes fed, stats reads it
// races: "copyIn" "copyIn" -- ReadFrom runs src's Read, which writes copied
// races: "copyIn" "stats" -- src's Read writes copied, stats reads it
// (reload changes the logger under srv.mu and closes the old one under
// its own lock.)
