package analysis

import (
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// A workspace may hold several programs (a server and its client, each
// a main package). A value of a type declared in one main package exists
// only in that program, and code runs in a program only if the program
// links its package, so a method of such a type is no callback of code
// the program does not link: inbucket's web handlers calling fmt on an
// error do not call its client's flag types' String. Unless a program
// loads plugins: a plugin is a main package whose values do reach the
// program that opens it.

// sameProgram reports whether callee may run in a program that runs
// caller: always, unless callee is declared in a main package that does
// not link caller's package.
func (a *analyzer) sameProgram(caller, callee *ssa.Function) bool {
	from, main := codePkg(caller), codePkg(callee)
	if from == nil || main == nil || main.Name() != "main" || from == main || a.prog.ImportedPackage("plugin") != nil {
		return true
	}
	return a.linked(main)[from]
}

// codePkg is the package whose code fn is: a wrapper the compiler writes
// for a method value or an interface call has none of its own, and runs
// where the method's package is linked.
func codePkg(fn *ssa.Function) *types.Package {
	if fn.Pkg != nil {
		return fn.Pkg.Pkg
	}
	if obj := fn.Object(); obj != nil {
		return obj.Pkg()
	}
	return nil
}

// linked is the set of packages main links: itself and all it imports,
// directly or not.
func (a *analyzer) linked(main *types.Package) map[*types.Package]bool {
	if set, ok := a.links[main]; ok {
		return set
	}
	set := map[*types.Package]bool{}
	var visit func(p *types.Package)
	visit = func(p *types.Package) {
		if set[p] {
			return
		}
		set[p] = true
		for _, q := range p.Imports() {
			visit(q)
		}
	}
	visit(main)
	if a.links == nil {
		a.links = map[*types.Package]map[*types.Package]bool{}
	}
	a.links[main] = set
	return set
}
