package analysis

import (
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// The signatures library callbacks are called by.
//
// Library code calls a method of the callback table's names (library.go)
// on a value it holds as an interface: the interface of the value's static
// type, or one it asserts to (fmt's Stringer and Formatter, the error
// interface, json.Marshaler, net/http's Flusher). Either way the method it
// calls has that interface's signature; a method of the name and another
// signature is no method of the interface and cannot be called so.
// nats-server's client has Error(err error), which formatting an error
// cannot call. Reflection could call it: text/template and html/template
// call the methods a template names, of any signature, and their entries
// keep names alone (anySig).
//
// A name's signatures are those of the interfaces library code may assert
// to: every interface declared at the top of a package outside the
// workspace that has a method of the name (driver.Valuer's Value as well
// as context.Context's), and callbackConventions, which adds those of the
// standard library's interfaces written inside function bodies or
// unexported, which export data does not show (errors' Unwrap, Is and As,
// net's Timeout, net/http's Unwrap() ResponseWriter).
// A method whose signature is none of them is a callback of the name only
// where the value reaches the library as an interface that has the method
// (argCallbacks' static interface, a held interface), by that interface's
// signature. A name without any signature here stays a callback by name.
// What this assumes, as the table does of names: a module's interface of
// a table name hidden from export data (in a function body, unexported)
// has the signature of one it exports or of the conventions.

// callbackConventions: a name's signatures that no interface declared at
// the top of a library package gives (those libraryInterfaceSigs finds:
// fmt.Stringer, io.Reader, json.Marshaler, context.Context, ...), each an
// interface ("error", whose method of the name it is), a function type of
// the universe's types ("func() []error": errors' Unwrap, written inside
// function bodies) or one without parameters whose one result is a
// package's type ("func() net/http.ResponseWriter": net/http's
// ResponseController unwraps a writer by an unexported interface). A type
// of a package not in the program is no one's here.
var callbackConventions = map[string][]string{
	"Error":      {"error"},
	"Unwrap":     {"func() error", "func() []error", "func() net/http.ResponseWriter"},
	"Is":         {"func(error) bool"},
	"As":         {"func(any) bool"},
	"Flush":      {"func() error"},
	"Timeout":    {"func() bool"},
	"CloseWrite": {"func() error"},
}

// conventionSigs is name's signatures in this program (nil: none known,
// any signature), computed once.
func (a *analyzer) conventionSigs(name string) []*types.Signature {
	if a.cbSigs == nil {
		a.cbSigs = a.libraryInterfaceSigs()
		for n, cs := range callbackConventions {
			for _, c := range cs {
				if sig := a.conventionSig(n, c); sig != nil {
					a.cbSigs[n] = addSig(a.cbSigs[n], sig)
				}
			}
		}
	}
	return a.cbSigs[name]
}

// libraryInterfaceSigs: the signatures of the methods of the interfaces
// declared at the top of the program's packages outside the workspace,
// by name. A generic interface's instances may have any: its names take
// any signature (a nil entry).
func (a *analyzer) libraryInterfaceSigs() map[string][]*types.Signature {
	out := map[string][]*types.Signature{}
	for _, p := range a.prog.AllPackages() {
		if p.Pkg == nil || a.workspace[p.Pkg] {
			continue
		}
		scope := p.Pkg.Scope()
		for _, n := range scope.Names() {
			tn, ok := scope.Lookup(n).(*types.TypeName)
			if !ok {
				continue
			}
			it, ok := tn.Type().Underlying().(*types.Interface)
			if !ok {
				continue
			}
			generic := false
			if nt, ok := tn.Type().(*types.Named); ok && nt.TypeParams().Len() > 0 {
				generic = true
			}
			for i := 0; i < it.NumMethods(); i++ {
				m := it.Method(i)
				sig := m.Type().(*types.Signature)
				if generic {
					sig = nil
				}
				out[m.Name()] = addSig(out[m.Name()], sig)
			}
		}
	}
	return out
}

// conventionSig is the signature convention c gives name, nil if it
// cannot be resolved here.
func (a *analyzer) conventionSig(name, c string) *types.Signature {
	if res, ok := strings.CutPrefix(c, "func() "); ok && strings.Contains(res, ".") {
		tn, ok := a.lookupType(res).(*types.TypeName)
		if !ok {
			return nil
		}
		return types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewParam(token.NoPos, nil, "", tn.Type())), false)
	}
	if strings.HasPrefix(c, "func") {
		tv, err := types.Eval(token.NewFileSet(), nil, token.NoPos, c)
		if err != nil {
			return nil
		}
		sig, _ := tv.Type.(*types.Signature)
		return sig
	}
	tn, ok := a.lookupType(c).(*types.TypeName)
	if !ok {
		return nil
	}
	it, ok := tn.Type().Underlying().(*types.Interface)
	if !ok {
		return nil
	}
	return methodSig(it, name)
}

// addSig adds sig to sigs unless an identical one is there.
func addSig(sigs []*types.Signature, sig *types.Signature) []*types.Signature {
	for _, s := range sigs {
		if s == sig || s != nil && sig != nil && types.Identical(s, sig) {
			return sigs
		}
	}
	return append(sigs, sig)
}

// lookupType finds "error" or "path.Name" in this program (nil: not in
// it).
func (a *analyzer) lookupType(name string) types.Object {
	if name == "error" {
		return types.Universe.Lookup(name)
	}
	i := strings.LastIndexByte(name, '.')
	p := a.prog.ImportedPackage(name[:i])
	if p == nil {
		return nil
	}
	return p.Pkg.Scope().Lookup(name[i+1:])
}

// methodSig is the signature of it's method name, nil if it has none.
func methodSig(it *types.Interface, name string) *types.Signature {
	if it == nil {
		return nil
	}
	for i := 0; i < it.NumMethods(); i++ {
		if m := it.Method(i); m.Name() == name {
			return m.Type().(*types.Signature)
		}
	}
	return nil
}

// callableAs: library code may call fn as a callback of name, where the
// value reaches it as one of the interfaces its (nil: none): fn has the
// signature of a convention of name or of its' method name, or name has
// no convention resolved here. A generic method's signature is not known
// until it is instantiated: it may be called.
func (a *analyzer) callableAs(fn *ssa.Function, name string, its ...*types.Interface) bool {
	if len(fn.TypeArgs()) == 0 && fn.TypeParams().Len() > 0 {
		return true
	}
	for _, it := range its {
		if sig := methodSig(it, name); sig != nil && types.Identical(sig, fn.Signature) {
			return true
		}
	}
	k := callableKey{fn, name}
	if ok, done := a.cbCallable[k]; done {
		return ok
	}
	sigs := a.conventionSigs(name)
	ok := len(sigs) == 0
	for _, sig := range sigs {
		if sig == nil || types.Identical(sig, fn.Signature) {
			ok = true
			break
		}
	}
	if a.cbCallable == nil {
		a.cbCallable = map[callableKey]bool{}
	}
	a.cbCallable[k] = ok
	return ok
}

type callableKey struct {
	fn   *ssa.Function
	name string
}
