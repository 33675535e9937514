// Package synth generates large synthetic event-driven workspaces for the
// benchmarks of the analysis and the language server.
package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safels/safels/internal/testmod"
)

// Write writes a synthetic event-driven workspace: pkgs packages of
// handlers handlers each. Every handler calls a helper that touches its
// package's state (a struct field through a pointer helper, a mutex-guarded
// counter, a map behind an interface with two implementations, a closure),
// then a chain of context-only steps down through every package below it, so
// call chains go chain packages deep (layers of a server, not one chain
// through the whole program: a handler's accesses grow with the depth of
// its calls, whatever the analysis). Each package has its own context
// type, embedding the one below, as layered servers do. It returns the
// number of lines written.
func Write(b testing.TB, dir string, pkgs, handlers int) int {
	b.Helper()
	const chain = 12
	lines := 0
	write := func(name, src string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		lines += strings.Count(src, "\n")
	}
	testmod.Init(b, dir, "example.com/synth")
	var mainImports, mainPosts strings.Builder
	for p := 0; p < pkgs; p++ {
		var s strings.Builder
		fmt.Fprintf(&s, "package p%d\n\nimport (\n\t\"sync\"\n\n\t\"github.com/safels/safels/loop\"\n", p)
		if p > 0 {
			fmt.Fprintf(&s, "\tprev \"example.com/synth/p%d\"\n", p-1)
		}
		s.WriteString(")\n\n")
		s.WriteString("type Stats struct {\n\tConns, Users, Bytes int\n\tHist  [8]int\n}\n\n")
		if p == 0 {
			s.WriteString("type Conn struct {\n\tID, State, N int\n\tBuf []byte\n}\n\n")
		} else {
			s.WriteString("type Conn struct {\n\tID, State, N int\n\tBuf   []byte\n\tInner prev.Conn\n}\n\n")
		}
		s.WriteString("var (\n\tstats Stats\n\ttable = map[int]*Conn{}\n\tmu    sync.Mutex\n\tguarded int\n\tlimit = 10\n)\n\n")
		// Each package's Store has a method of its own, so that CHA sees
		// two implementations, not two per package: call sites times
		// structurally identical implementations is quadratic for CHA.
		fmt.Fprintf(&s, "type Store interface {\n\tPut(k, v int)\n\tp%d()\n}\n\ntype memStore struct{ m map[int]int }\n\nfunc (s *memStore) Put(k, v int) { s.m[k] = v }\nfunc (*memStore) p%d()            {}\n\ntype nopStore struct{}\n\nfunc (nopStore) Put(k, v int) {}\nfunc (nopStore) p%d()         {}\n\nvar store Store = &memStore{m: map[int]int{}}\n\n", p, p, p)
		s.WriteString("func bump(p *int) { *p++ }\n\n")
		for h := 0; h < handlers; h++ {
			fmt.Fprintf(&s, "func Helper%d(c *Conn, n int) int {\n", h)
			switch h % 4 {
			case 0:
				s.WriteString("\tbump(&stats.Conns)\n\tc.State = n\n")
			case 1:
				s.WriteString("\tmu.Lock()\n\tguarded += n\n\tmu.Unlock()\n\tc.N += limit\n")
			case 2:
				s.WriteString("\tstore.Put(c.ID, n)\n\tstats.Hist[n%8]++\n")
			case 3:
				s.WriteString("\tf := func() { c.Buf = append(c.Buf, byte(n)) }\n\tf()\n")
			}
			fmt.Fprintf(&s, "\treturn Step%d(c, n)\n}\n\n", h)
			// Step touches only the context, all the way down.
			fmt.Fprintf(&s, "func Step%d(c *Conn, n int) int {\n\tc.N += n\n", h)
			if p%chain != 0 {
				fmt.Fprintf(&s, "\treturn prev.Step%d(&c.Inner, n+1)\n}\n\n", h)
			} else {
				s.WriteString("\treturn n\n}\n\n")
			}
			fmt.Fprintf(&s, "func Handle%d(l *loop.Loop, c *Conn) {\n\tn := Helper%d(c, %d)\n\tif n > 100 {\n\t\ttable[c.ID] = c\n\t}\n\tc.State = n\n}\n\n", h, h, h)
		}
		write(fmt.Sprintf("p%d/p%d.go", p, p), s.String())
		fmt.Fprintf(&mainImports, "\t\"example.com/synth/p%d\"\n", p)
		for h := 0; h < handlers; h++ {
			fmt.Fprintf(&mainPosts, "\tloop.Post(l, p%d.Handle%d, &p%d.Conn{})\n", p, h, p)
		}
	}
	write("main.go", "package main\n\nimport (\n\t\"github.com/safels/safels/loop\"\n"+mainImports.String()+")\n\nfunc main() {\n\tl := loop.New()\n"+mainPosts.String()+"}\n")
	return lines
}
