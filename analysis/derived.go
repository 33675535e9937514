package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/safels/safels/analysis/derive"
)

// Models derived from the library's source (analysis/derive) where the
// table (models.go) has none: a call of a library function is then
// applied as its derived model says (modelCall), and only what the
// derivation could not see, or a function it gave up on, stays
// externalCall's conservative rule, with the finding saying so.

// derivedModels asks a Deriver and keeps its answers by callee.
type derivedModels struct {
	d    *derive.Deriver
	memo map[calleeKey]*CallModel
}

// useDerived starts the run's derivation: models of the dependencies of
// l, kept in dir (derive.CacheDir() if "", none if "-"), under the
// table's models ms.
func (ms *models) useDerived(l *loaded, dir string) {
	switch dir {
	case "":
		dir = derive.CacheDir()
	case "-":
		dir = ""
	}
	table := func(pkg, typ, name string) *derive.Model {
		m := ms.table(calleeKey{pkg: pkg, typ: typ, name: name, method: typ != ""})
		if m == nil {
			return nil
		}
		return &derive.Model{Receiver: string(m.receiverEffect()), Args: string(cmpEffect(m.Args)),
			Writes: m.Writes, Keeps: m.Keeps, Result: m.Result, Quiet: quietPackage(pkg)}
	}
	ms.derived = &derivedModels{memo: map[calleeKey]*CallModel{}, d: derive.New(derive.Config{
		Packages: l.all, Exports: l.deps.exports, Table: table, TableKey: ms.key + builtinKey(), CacheDir: dir,
	})}
}

// builtinKey identifies the built-in table (and which of its packages are
// quiet): derived models that used an entry of it are derived again when
// it changes.
var builtinKey = sync.OnceValue(func() string {
	h := sha256.New()
	for _, m := range builtinModels {
		fmt.Fprintf(h, "%+v;%v;", m, quietPackage(m.Package))
	}
	return hex.EncodeToString(h.Sum(nil))
})

// quietPackage: the package calls nothing back of what it is handed but
// the functions themselves (libraryCallbacks lists it with nothing).
func quietPackage(pkg string) bool {
	cb, ok := libraryCallbacks[pkg]
	return ok && pkg != LoopPkg && len(cb.names) == 0 && len(cb.holds) == 0 && len(cb.whole) == 0 && !cb.anyName && !cb.deep
}

// lookup is the derived model of a callee, or nil: for what the
// conservative rule treats apart (synchronization, the loop runtime,
// time, containers), for calls through an interface, and where the
// derivation has none.
func (dm *derivedModels) lookup(k calleeKey) *CallModel {
	if dm == nil || k.method && k.typ == "" || k.pkg == "sync/atomic" || synchronized(k.pkg) ||
		k.pkg == "time" && !k.method || keepsArguments(k.pkg, k.name) {
		return nil
	}
	if m, ok := dm.memo[k]; ok {
		return m
	}
	var out *CallModel
	if m := dm.d.Lookup(k.pkg, k.typ, k.name); m != nil {
		out = &CallModel{Package: k.pkg, Type: k.typ, Names: []string{k.name},
			Receiver: Effect(m.Receiver), Args: Effect(m.Args), Writes: slices.Clone(m.Writes),
			Keeps: m.Keeps, Result: m.Result, Why: "derived from its source",
			derived: true, partial: m.Partial, quiet: m.Quiet}
		if k.method && safeReceivers[k.pkg] {
			// As for an unmodelled call: these packages' types are safe
			// for concurrent use through their methods.
			out.Receiver = EffectNone
		}
	}
	dm.memo[k] = out
	return out
}

// derivedStats is what the derivation did, for `check -v`.
func (ms *models) derivedStats() derive.Stats {
	if ms == nil || ms.derived == nil {
		return derive.Stats{}
	}
	return ms.derived.d.Stats
}
