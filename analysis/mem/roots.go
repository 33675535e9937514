package mem

import (
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// Roots makes the roots of locations, one *Base per key: every loc below
// one memory shares its base, so bases compare by pointer, and the first
// base made of a key keeps its type. Each kind of root has one key scheme,
// here and nowhere else, so that a key names one memory of one type (the
// new memory of a call and the error it returns are two keys, not one key
// whose type depends on which was asked for first).
type Roots struct {
	fset *token.FileSet
	// owner names the function owning a variable, for display ("main").
	owner    func(*ssa.Function) string
	bases    map[string]*Base
	unknowns map[types.Type]Loc // Unknown's, by type
}

// NewRoots returns an empty set of roots for the program of fset; owner
// names the function owning a variable, for display.
func NewRoots(fset *token.FileSet, owner func(*ssa.Function) string) *Roots {
	return &Roots{fset: fset, owner: owner, bases: map[string]*Base{}}
}

func (r *Roots) root(b *Base) Loc {
	if old, ok := r.bases[b.Key]; ok {
		b = old
	} else {
		r.bases[b.Key] = b
	}
	return Loc{Base: b, Key: b.Key}
}

// Root is the loc of base b itself.
func (r *Roots) Root(b *Base) Loc { return r.root(b) }

// Global is the package-level variable g.
func (r *Roots) Global(g *ssa.Global) Loc {
	full := g.Pkg.Pkg.Path() + "." + g.Name()
	t := g.Type()
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	return r.root(&Base{Kind: Global, Global: g, Type: t,
		Key: "g:" + full, Name: g.Name(), Full: full})
}

// Unknown is memory of type t, wherever it is.
func (r *Roots) Unknown(t types.Type) Loc {
	// Asked for at every access of memory known only by its type: spell
	// the type once per types.Type.
	if l, ok := r.unknowns[t]; ok {
		return l
	}
	l := r.root(UnknownOf(t).Base)
	if r.unknowns == nil {
		r.unknowns = map[types.Type]Loc{}
	}
	r.unknowns[t] = l
	return l
}

// UnknownPath is path from Unknown(t). Where t is an interface and path
// starts in a field of its dynamic value (a method of that value's type
// bound to an interface of unknown origin), it starts from unknown memory
// of the value's type instead: the same objects, but spelled through the
// interface an access would get a name and a key of its own for every
// interface it came through (a reader's fields under every io.Reader,
// io.ReadCloser, ...), multiplying conflicts and findings for nothing.
func (r *Roots) UnknownPath(t types.Type, path []Elem, trunc bool) Loc {
	return r.Unknown(ValueType(t, path)).Extend(path, trunc)
}

// ValueType is the type of the memory path starts in, from a root of type
// t: t, or where t is an interface and path starts in a field of its
// dynamic value, that value's struct type.
func ValueType(t types.Type, path []Elem) types.Type {
	if len(path) > 0 && path[0].Kind == Field && path[0].Parent != nil && types.IsInterface(t) && !types.IsInterface(path[0].Parent) {
		return path[0].Parent
	}
	return t
}

// UnknownOf is Unknown(t) with a base of its own, not one of a Roots: for
// comparing with and bounding locs, never for recording an access.
func UnknownOf(t types.Type) Loc {
	// Keyed by KeyOf, not the type's spelling: the same memory is one
	// location whether its type is spelled with aliases or not.
	b := &Base{Kind: Unknown, Type: t, Key: "?:" + string(KeyOf(t)),
		Name: unknownName(t), Full: "(" + types.TypeString(t, nil) + ")"}
	return Loc{Base: b, Key: b.Key}
}

// unknownName is how a finding names memory known by its type: "(*Conn)".
func unknownName(t types.Type) string {
	switch u := types.Unalias(t).(type) {
	case *types.Pointer:
		t = u.Elem()
	case *types.Array:
		t = types.NewSlice(u.Elem()) // its length says nothing here
	}
	return "(*" + types.TypeString(t, func(p *types.Package) string { return p.Name() }) + ")"
}

// Fresh is the memory allocated at site in the current invocation.
func (r *Roots) Fresh(site ssa.Value, t types.Type) Loc {
	return r.root(&Base{Kind: Fresh, Site: site, Type: t, Key: r.freshKey(site)})
}

// FreshResult is new memory a call without a body returns as its idx-th
// result (an error), apart from the memory of its first.
func (r *Roots) FreshResult(site ssa.Value, idx int, t types.Type) Loc {
	return r.root(&Base{Kind: Fresh, Site: site, Type: t,
		Key: r.freshKey(site) + freshResultTag + strconv.Itoa(idx)})
}

const freshResultTag = "#result"

func (r *Roots) freshKey(site ssa.Value) string {
	return "new:" + r.fset.Position(site.Pos()).String() + ":" + site.Name() + "@" + site.Parent().String()
}

// Shared is an allocation made outside the current invocation (a local of
// main captured by a handler closure), named after it: "main.keys".
func (r *Roots) Shared(site ssa.Value, t types.Type) Loc {
	short, full := r.varNames(site)
	return r.root(&Base{Kind: Shared, Site: site, Type: t,
		Key: "s:" + full + "@" + r.fset.Position(site.Pos()).String(), Name: short, Full: full})
}

// GoShared is the fresh memory of b shared by one invocation and the
// goroutines it starts: one root per allocation site, standing for that
// memory of every invocation.
func (r *Roots) GoShared(b *Base) Loc {
	short, full := r.varNames(b.Site)
	return r.root(&Base{Kind: Shared, Site: b.Site, Type: b.Type,
		Key: "go:" + b.Key, Name: short, Full: full})
}

// Registered is an object handed to a framework at registration, named
// after its type: "(*Handler)".
func (r *Roots) Registered(site ssa.Value, t types.Type) Loc {
	p := types.NewPointer(t)
	name := "(" + types.TypeString(p, func(*types.Package) string { return "" }) + ")"
	full := "(" + types.TypeString(p, nil) + ")"
	return r.root(&Base{Kind: Shared, Site: site, Type: t,
		Key: "r:" + full + "@" + r.fset.Position(site.Pos()).String(), Name: name, Full: full})
}

func (r *Roots) varNames(site ssa.Value) (short, full string) {
	fn, name := site.Parent(), site.Name()
	if al, ok := site.(*ssa.Alloc); ok && al.Comment != "" {
		name = al.Comment
	}
	return r.owner(fn) + "." + name, fn.String() + "." + name
}

// Param is the i-th parameter (free: the i-th free variable) of the
// function being summarized, of type t.
func (r *Roots) Param(i int, t types.Type, free bool) Loc {
	tag := "p"
	k := Param
	if free {
		k, tag = Free, "f"
	}
	return r.root(&Base{Kind: k, Idx: i, Type: t, Key: tag + strconv.Itoa(i) + ":" + types.TypeString(t, nil)})
}

// Posted is the context a value becomes when it is posted
// (loop.Post(l, h, v)), as the destination of a store.
func (r *Roots) Posted() Loc {
	return r.root(&Base{Kind: Context, Key: postedKey, Name: "(posted)", Full: "(posted)"})
}

const postedKey = "ctx:posted"

// Posted: b is the root Roots.Posted makes.
func (b *Base) Posted() bool { return b.Key == postedKey }

// NewContext is the context of one handler, its parameter p pointing to
// memory of type t: a root of its own, made for each handler's invocation.
func NewContext(p *ssa.Parameter, t types.Type) *Base {
	return &Base{Kind: Context, Type: t, Key: "ctx:" + types.TypeString(t, nil),
		Name: p.Name(), Full: "context " + p.Name() + " (" + types.TypeString(p.Type(), nil) + ")"}
}

// Again makes b's root anew, by its kind and key scheme, for site and t: a
// root of an earlier run's summary in this run's program. Nil where b's
// scheme is not one of Fresh, FreshResult, GoShared, Registered and Shared; the
// caller compares the keys.
func (r *Roots) Again(b *Base, site ssa.Value, t types.Type) *Base {
	switch {
	case b.Kind == Fresh && strings.Contains(b.Key, freshResultTag):
		i := strings.LastIndex(b.Key, freshResultTag) + len(freshResultTag)
		if idx, err := strconv.Atoi(b.Key[i:]); err == nil {
			return r.FreshResult(site, idx, t).Base
		}
	case b.Kind == Fresh:
		return r.Fresh(site, t).Base
	case b.Kind == Shared && strings.HasPrefix(b.Key, "go:"):
		// GoShared's: the fresh memory it stands for, again.
		if f := r.Again(&Base{Kind: Fresh, Key: b.Key[len("go:"):]}, site, t); f != nil {
			return r.GoShared(f).Base
		}
	case b.Kind == Shared && strings.HasPrefix(b.Key, "r:"):
		return r.Registered(site, t).Base
	case b.Kind == Shared:
		return r.Shared(site, t).Base
	}
	return nil
}
