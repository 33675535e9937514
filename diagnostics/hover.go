package diagnostics

import (
	"fmt"
	"sort"
	"strings"

	"github.com/safels/safels/analysis"
)

// Hover is the markdown an editor shows over handler i: how it runs, whom
// it conflicts with and on what, and what it reads and writes. A loop
// handler's conflicts cost parallelism (hues and colors); a concurrent
// one's (net/http, frameworks) are data races: its hover speaks of races
// and the handlers it races with.
func Hover(r *analysis.Result, i int) string {
	h := r.Handlers[i]
	var b strings.Builder
	concurrent := h.Model == analysis.ModelConcurrent
	kind := "loop model: the safels loop runs it"
	if concurrent {
		kind = "concurrent: it runs at the same time as other requests"
	}
	fmt.Fprintf(&b, "**%s** · safels handler (%s)", Name(h), kind)
	if fn := h.Short; fn != Name(h) {
		fmt.Fprintf(&b, " · function `%s`", fn)
	}
	b.WriteString("\n\n")
	if !concurrent {
		switch {
		case h.Hue == 0:
			b.WriteString("No hue: it conflicts with no handler on shared state.")
		default:
			fmt.Fprintf(&b, "Hue %d: never runs at the same time as another handler of hue %d.", h.Hue, h.Hue)
		}
		if h.Colored {
			b.WriteString(" Colored: never runs at the same time as another colored handler on the same context.")
		}
		b.WriteString("\n\n")
	}
	parts := partnerLines(r, i, concurrent)
	switch {
	case len(parts) == 0 && concurrent:
		b.WriteString("No data race with any handler.\n\n")
	case len(parts) == 0:
		b.WriteString("Conflicts with no handler.\n\n")
	default:
		if concurrent {
			fmt.Fprintf(&b, "May race with %d handler(s) (both may run at once, one writing):\n", len(parts))
		} else {
			fmt.Fprintf(&b, "Conflicts with %d handler(s):\n", len(parts))
		}
		for _, p := range parts {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}
	var reads, writes, ctxReads, ctxWrites []string
	seen := map[string]bool{}
	deep := false
	for _, a := range h.Accesses {
		name := a.Short
		deep = deep || strings.HasSuffix(name, "...")
		if a.Atomic {
			name += " (atomic)"
		}
		k := fmt.Sprint(a.Op, a.Context, name)
		if seen[k] {
			continue
		}
		seen[k] = true
		switch {
		case a.Context && a.Op == analysis.Write:
			ctxWrites = append(ctxWrites, name)
		case a.Context:
			ctxReads = append(ctxReads, name)
		case a.Op == analysis.Write:
			writes = append(writes, name)
		default:
			reads = append(reads, name)
		}
	}
	list := func(title string, xs []string) {
		if len(xs) == 0 {
			return
		}
		sort.Strings(xs)
		const most = 12
		more := ""
		if len(xs) > most {
			more = fmt.Sprintf(" and %d more", len(xs)-most)
			xs = xs[:most]
		}
		fmt.Fprintf(&b, "%s: `%s`%s\n\n", title, strings.Join(xs, "`, `"), more)
	}
	own := "its context"
	if concurrent {
		own = "its request"
	}
	list("Writes shared", writes)
	list("Reads shared", reads)
	list("Writes "+own, ctxWrites)
	list("Reads "+own, ctxReads)
	if deep {
		b.WriteString("_" + DeepNote + "_\n")
	}
	return strings.TrimSpace(b.String())
}

// DeepNote says what a trailing "..." of an object's name means.
const DeepNote = "x... is x and everything reachable from it; [i] is any element of an array, slice or map."

// partnerLines lists, per partner handler, when they conflict and on what.
func partnerLines(r *analysis.Result, i int, concurrent bool) []string {
	type agg struct {
		kind analysis.Kind
		objs []string
	}
	by := map[int]*agg{}
	for _, c := range r.Partners(i) {
		other := c.B
		if c.B == i {
			other = c.A
		}
		a := by[other]
		if a == nil {
			a = &agg{}
			by[other] = a
		}
		a.kind |= c.Kind
		if !contains(a.objs, c.Short) {
			a.objs = append(a.objs, c.Short)
		}
	}
	idx := make([]int, 0, len(by))
	for k := range by {
		idx = append(idx, k)
	}
	sort.Ints(idx)
	var out []string
	for _, k := range idx {
		a := by[k]
		name := Name(r.Handlers[k])
		if k == i {
			name += " (another invocation)"
		}
		sort.Strings(a.objs)
		objs := a.objs
		if len(objs) > 4 {
			objs = append(objs[:4:4], fmt.Sprintf("%d more", len(a.objs)-4))
		}
		if concurrent {
			out = append(out, fmt.Sprintf("%s: %s", name, strings.Join(objs, ", ")))
			continue
		}
		var kinds []string
		if a.kind&analysis.Global != 0 {
			kinds = append(kinds, "always")
		}
		if a.kind&analysis.Context != 0 {
			kinds = append(kinds, "on the same context")
		}
		out = append(out, fmt.Sprintf("%s, %s: %s", name, strings.Join(kinds, " and "), strings.Join(objs, ", ")))
	}
	return out
}
