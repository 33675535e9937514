package loop

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"path"
	"runtime"
	"sync"
)

// Constraint is what the analysis proved about one handler.
type Constraint struct {
	// Hue 0: the handler conflicts with no handler on shared (global)
	// state. Hue ≥ 1: invocations of handlers with the same hue never
	// overlap. A negative hue makes the handler exclusive (safels gen
	// writes one for a generic handler whose instantiations, which the
	// runtime cannot tell apart, have different hues).
	Hue int
	// Colored: invocations on the same context (the same color) never
	// overlap each other or other colored invocations on that context.
	Colored bool
	// Pos, for a closure, is where its function literal lies in the
	// sources the table embeds: "file.go:12-15", a path of Table.Files and
	// its first and last line. When the compiler inlines the function that
	// makes a closure, it renames the closure's copy after the caller
	// ("main.main.schedule.func2" for "main.schedule.func1"); the loop
	// finds the entry of such a copy by the name of the function that
	// makes it, its depth of nesting and where its code lies. Empty: the
	// handler is matched by name only.
	Pos string
}

// Table is what `safels gen` writes into zz_safels_constraints.go and
// registers from an init function.
type Table struct {
	// Hash is HashSources(Sources, Files) when the table was generated.
	Hash string
	// Files are paths inside Sources, in hashing order.
	Files []string
	// Sources are the analysed sources, usually an embed.FS; nil: the table
	// cannot be verified and is ignored.
	Sources fs.FS
	// Handlers maps the runtime name of each handler's function,
	// runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name(), e.g.
	// "main.handleSend", "example.com/x/p.Handle", "main.main.func1",
	// "main.(*T).m-fm", "main.handle[...]" (every instantiation of a
	// generic function), to what the analysis proved about it. A test
	// binary names package main by its import path
	// ("example.com/x.handleSend"): safels gen writes both names.
	Handlers map[string]Constraint

	// dir is the directory of the file that called Register (the
	// package's, as the runtime names files), where Files are: closures
	// renamed by inlining are matched against files there. Empty (a
	// table given WithTable): against any file whose path ends in the
	// entry's.
	dir string
}

var registry struct {
	sync.Mutex
	table *Table
}

// Register installs the program's constraint table: loops created by New
// afterwards use it (unless given WithTable or Serial). Generated code
// calls it from an init function; it may be called from any goroutine. A
// program has at most one table, so a second call panics.
func Register(t Table) {
	registry.Lock()
	defer registry.Unlock()
	if registry.table != nil {
		panic("loop: Register called twice: a program has at most one constraint table (zz_safels_constraints.go); " +
			"tests and programs with several tables use loop.WithTable")
	}
	if _, file, _, ok := runtime.Caller(1); ok {
		t.dir = path.Dir(file) // the runtime writes paths with slashes
	}
	registry.table = &t
}

// HashSources is the hash that makes a table verifiable: sha256 over, for
// each file in order, its name, NUL, its content, NUL; hex-encoded. `safels
// gen` and the loop both use it. It may be called from any goroutine.
func HashSources(fsys fs.FS, files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return "", err
		}
		h.Write([]byte(f))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var (
	// ErrStaleTable is returned, with WithStrictTable, by Run and Post
	// when the loop has no table it can use: none registered or given, or
	// one whose sources changed since `safels gen` (or cannot be read).
	ErrStaleTable = errors.New("loop: no usable constraint table")
	// ErrNotInTable is returned, with WithStrictTable, by Post of a
	// handler that the table does not name (wrapped, with the handler's
	// runtime name).
	ErrNotInTable = errors.New("loop: handler not in the constraint table")
)

// staleMessage is what the loop logs, once per table (per Hash), when it
// ignores a table that it cannot verify against its sources.
const staleMessage = "safels: constraint table is stale (sources changed since `safels gen`); running handlers one at a time. Run `go generate` to refresh."

var reported sync.Map // Table.Hash -> struct{}: stale tables already reported

// unmatchedMessage is what the loop logs, once per registered table (per
// Hash), when the first handler it looks up is not in it: a table that
// names no handler of the program runs every handler alone, as a stale one
// does, and would otherwise say nothing (a table keyed "main.f" in a test
// binary, which names package main by its import path, did just that).
const unmatchedMessage = "safels: handler %s, the first one posted, is not in the constraint table: it runs alone, as does every handler the table does not name. " +
	"If the table was generated for this program, its names are not the ones the runtime gives handlers: run `go generate` with the current safels."

var unmatched sync.Map // Table.Hash -> struct{}: unmatched tables already reported

// tableState is the table as one loop uses it.
type tableState struct {
	cons map[string]Constraint // verified; nil: every handler exclusive
	why  Why                   // why a handler runs alone when cons is nil
	err  error                 // what Run and Post return under WithStrictTable (nil: the table is usable)
	dir  string                // Table.dir
	// registered is the table's hash if it came from Register: a table
	// generated for the program, which names every handler it posts, so
	// that a first lookup that misses is worth a log line.
	registered string
	strict     bool

	closuresOnce sync.Once
	closures     map[closureShape][]closureEntry // by the shape of their names
}

// newTableState verifies t (nil: none) for a loop.
func newTableState(t *Table, serial, explicit, strict bool) *tableState {
	ts := &tableState{strict: strict}
	switch {
	case serial:
		ts.why = WhySerial
	case t == nil:
		ts.why = WhyNoTable
		ts.err = fmt.Errorf("%w: none registered (zz_safels_constraints.go, written by `safels gen`) nor given", ErrStaleTable)
	default:
		h, err := "", errors.New("no sources embedded")
		if t.Sources != nil {
			h, err = HashSources(t.Sources, t.Files)
		}
		if err == nil && h != t.Hash {
			err = errors.New("sources changed since `safels gen`: run `go generate`")
		}
		if err != nil {
			ts.why = WhyStaleTable
			ts.err = fmt.Errorf("%w: %v", ErrStaleTable, err)
			if !strict {
				if _, dup := reported.LoadOrStore(t.Hash, struct{}{}); !dup {
					log.Print(staleMessage)
				}
			}
			break
		}
		ts.cons = t.Handlers
		if ts.cons == nil {
			ts.cons = map[string]Constraint{}
		}
		ts.dir = t.dir
		ts.why = WhyNotInTable
		if !explicit && len(ts.cons) > 0 {
			ts.registered = t.Hash
		}
	}
	return ts
}
