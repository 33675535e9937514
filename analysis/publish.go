package analysis

import (
	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// A server's handlers reach millions of accesses, and most share their
// strings and their call chains with many others: a function's names, a
// loc's names and the chain of calls down to it. The publisher makes each
// once. Published accesses are read-only, so they may share them.
type publisher struct {
	fnNames map[*ssa.Function][2]string // full, short
	locs    map[string]*ObjectNames     // by loc key
	vias    map[viaKey][]Call
}

// viaKey is a call chain's first call and the published rest: chains that
// end alike share their tails' slices, so the key identifies the chain.
type viaKey struct {
	call rawCall
	rest *Call // &rest[0], nil for a chain of one call
}

// elided stands for the calls of a long path left out of an access's
// chain (chainTo): "a → b → … → y → z".
const elided = "…"

// publish turns a raw access into its positioned, named form.
func (a *analyzer) publish(r *rawAccess, h int) *Access {
	assumed, inPart := a.assumedAt(r.fn, r.pos)
	return &Access{
		ObjectNames: a.pub.names(r.loc),
		Op:          r.op,
		Atomic:      r.atomic,
		Pos:         a.position(r.pos),
		Func:        a.pub.fnName(r.fn)[0],
		Via:         a.via(r.via),
		Context:     r.loc.Base.Kind == mem.Context,
		Handler:     h,
		Assumed:     assumed,
		InPart:      inPart,
	}
}

func (p *publisher) names(l mem.Loc) *ObjectNames {
	if n, ok := p.locs[l.Key]; ok {
		return n
	}
	if p.locs == nil {
		p.locs = map[string]*ObjectNames{}
	}
	short, full := l.Names()
	n := &ObjectNames{Object: full, Short: short}
	p.locs[l.Key] = n
	return n
}

func (p *publisher) fnName(fn *ssa.Function) [2]string {
	if n, ok := p.fnNames[fn]; ok {
		return n
	}
	if p.fnNames == nil {
		p.fnNames = map[*ssa.Function][2]string{}
	}
	n := [2]string{funcName(fn), shortFuncName(fn)}
	p.fnNames[fn] = n
	return n
}

// via is the published call chain c, first call first; nil for none.
func (a *analyzer) via(c *chain) []Call {
	if c == nil {
		return nil
	}
	rest := a.via(c.next)
	k := viaKey{call: c.call}
	if len(rest) > 0 {
		k.rest = &rest[0]
	}
	if v, ok := a.pub.vias[k]; ok {
		return v
	}
	if a.pub.vias == nil {
		a.pub.vias = map[viaKey][]Call{}
	}
	step := Call{Callee: elided, Short: elided} // calls chainTo left out
	if c.call.callee != nil {
		n := a.pub.fnName(c.call.callee)
		step = Call{Callee: n[0], Short: n[1], Pos: a.position(c.call.pos)}
	}
	v := make([]Call, 0, len(rest)+1)
	v = append(v, step)
	v = append(v, rest...)
	a.pub.vias[k] = v
	return v
}
