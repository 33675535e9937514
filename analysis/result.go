package analysis

import (
	"crypto/sha256"
	"go/ast"
	"go/token"
	"go/types"
	"time"

	"github.com/safels/safels/analysis/derive"
	"golang.org/x/tools/go/packages"
)

// Op is what an access does to memory.
type Op uint8

const (
	Read Op = iota
	Write
)

func (o Op) String() string {
	if o == Write {
		return "write"
	}
	return "read"
}

// Model says how a handler's invocations are run, and so what a conflict
// costs: in the loop model the runtime serializes conflicting handlers
// (a conflict costs parallelism); in the concurrent model handlers already
// run in parallel (a conflict is a data race).
type Model string

const (
	ModelLoop       Model = "loop"
	ModelConcurrent Model = "concurrent"
)

// Kind is the kind of a conflict: the two bits of a matrix cell.
type Kind uint8

const (
	// Global conflicts hold whatever the contexts (bit 0).
	Global Kind = 1 << iota
	// Context conflicts hold only when both run on the same context (bit 1).
	Context
)

func (k Kind) String() string {
	switch k {
	case Global:
		return "global"
	case Context:
		return "context"
	}
	return "none"
}

// Call is one step of the call chain from a handler to an access: the call
// site in the caller and the function it calls.
//
// A long chain keeps its first 4 and last 8 calls; one Call whose Callee
// and Short are "…" (and Pos zero) stands for those left out.
type Call struct {
	Callee string         // types.Func.FullName() or SSA name of the callee
	Short  string         // the callee's name as the user wrote it
	Pos    token.Position // the call site
}

// Access is a read or write of shared memory by a handler, with how it gets
// there.
type Access struct {
	// The names of the memory accessed (Object: its full name,
	// "github.com/x/srv.stats.requests"; Short: as the user would write
	// it, "stats.requests"), shared by the accesses of one loc: a large
	// server has millions of accesses.
	*ObjectNames
	Op      Op             //
	Atomic  bool           // through sync/atomic
	Context bool           // rooted at the handler's context
	Pos     token.Position // the reference
	Func    string         // the function holding the reference
	Via     []Call         // call chain from the handler; empty if in the handler itself
	// Assumed names the call into code outside the workspace, neither
	// analysed nor modelled, whose effect this access was assumed to be
	// ("(*lib.T).M"); "" if none.
	Assumed string
	// InPart: the call Assumed names was analysed from its source, but
	// part of what it does could not be seen there and was assumed.
	InPart bool
	// GuardedBy names the locks that removed a conflict of this access.
	GuardedBy []string
	Handler   int // index of the handler in Result.Handlers
	// Partners are the accesses of other invocations this one conflicts
	// with (at most maxPartners; NPartners counts them all).
	Partners  []Partner
	NPartners int
}

// Partner is the other side of a conflict on one access.
type Partner struct {
	Access *Access
	Kind   Kind
}

// Handler is one event handler found in the workspace.
type Handler struct {
	Name  string // types.Func.FullName(), or the SSA name of a closure
	Short string // "handleSend", "(*Server).get", "main$1"
	// Route is where the handler is registered ("GET /articles/{id}",
	// "set"; several joined by ", "), "" if it has none.
	Route string
	// Display is the handler as findings name it: its route, else its
	// function ("handleSend", "(*Server).get"), else what registers it
	// ("Events.Data") or where its func literal is ("func literal at
	// main.go:42").
	Display string
	// Registered is where it is registered, if known.
	Registered token.Position
	Pos        token.Position
	Model      Model
	Hue        int  // 0: no hue (conflicts with nobody on globals); ≥1: hue group
	Colored    bool // must not overlap itself or others on the same context
	// Accesses are the handler's accesses of shared memory, whole call graph
	// included, deduplicated.
	Accesses []*Access
}

// Conflict records that handlers A and B (indexes into Result.Handlers; A==B
// for a self-conflict) may touch Object at once, at least one writing.
// There is one Conflict per (A, B, Kind, Object) with one witness pair.
type Conflict struct {
	A, B int
	Kind Kind
	// The object's names (Object, Short), shared by the conflicts on it:
	// a large server has millions of conflicts on a few thousand objects.
	*ObjectNames
	AAccess *Access
	BAccess *Access
}

// ObjectNames are the names of the memory of an access or a conflict.
type ObjectNames struct {
	Object string // full name
	Short  string
}

// Problem is an error that kept part of the workspace from being analysed,
// or a warning about a handler the analysis could not follow.
type Problem struct {
	Pos     token.Position // may be zero
	Package string
	Message string
	Warning bool // true: analysis went on; the finding may be incomplete
	// Note: not a fault but a bound the analysis hit (a summary widened);
	// the result stays sound and is less precise there. `safels check`
	// prints notes with -v only.
	Note bool
	// Soft: a type error that changes nothing the analysis reads (a
	// variable or import declared and not used); the package was analysed
	// whole. Warning is set too.
	Soft bool
}

// Phase is one step of a run and how long it took.
type Phase struct {
	Name    string
	Elapsed time.Duration
}

// Result is what Run computes.
type Result struct {
	Handlers []*Handler
	// Conflicts lists every conflict (nil under Config.NoConflictList);
	// ConflictCount counts them.
	Conflicts     []*Conflict
	ConflictCount int
	// Matrix[i][j] holds the Kind bits of handlers i and j (symmetric).
	Matrix   [][]Kind
	Problems []Problem
	// Files lists every Go file analysed, so that callers can clear findings
	// in files that have none.
	Files []string
	// Packages is how many packages were analysed.
	Packages int
	// Phases says where the time went, in order (load, ssa, callgraph,
	// handlers, summaries, conflicts), for `safels check -v` and the
	// language server's log.
	Phases []Phase
	// Summarized names the functions summarized by this run; Reused counts
	// those whose summary came from Config.Cache instead.
	Summarized []string
	Reused     int
	// Library counts the library packages whose models were derived
	// from source, read from the cache, or could not be derived.
	Library derive.Stats

	fset   *token.FileSet
	pkgs   []*packages.Package
	hashes map[string][sha256.Size]byte
	// found: the conflicts in the compact form pairing found them in,
	// for Partners where they were not listed.
	found *foundConflicts
}

// Analysed reports whether content is exactly what the result was computed
// from for filename.
func (r *Result) Analysed(filename string, content []byte) bool {
	h, ok := r.hashes[filename]
	return ok && h == sha256.Sum256(content)
}

// Syntax returns the parsed and type-checked file the result was computed
// from, so that edits (quick fixes) are made against exactly that version.
func (r *Result) Syntax(filename string) (*token.FileSet, *ast.File, *types.Package, *types.Info, bool) {
	for _, p := range r.pkgs {
		for i, f := range p.CompiledGoFiles {
			if f == filename && i < len(p.Syntax) {
				return r.fset, p.Syntax[i], p.Types, p.TypesInfo, true
			}
		}
	}
	return nil, nil, nil, nil, false
}

// Partners returns, for handler index h, the conflicts it takes part in,
// in the order of the list.
func (r *Result) Partners(h int) []*Conflict {
	if r.Conflicts == nil && r.found != nil {
		return r.found.partners(h)
	}
	var out []*Conflict
	for _, c := range r.Conflicts {
		if c.A == h || c.B == h {
			out = append(out, c)
		}
	}
	return out
}
