package loop

import (
	"fmt"
	"log"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Why says why a handler runs the way it does (Schedule.Why).
type Why int

const (
	// WhyInTable: the table names the handler (Schedule.Entry says under
	// which name); it runs as its constraint says, or exclusively if the
	// table makes it so (a negative hue).
	WhyInTable Why = iota
	// WhySerial: the loop was made with Serial: every handler runs alone.
	WhySerial
	// WhyNoTable: no table was registered or given.
	WhyNoTable
	// WhyStaleTable: the table does not match the sources it embeds (or
	// embeds none): it is ignored.
	WhyStaleTable
	// WhyNotInTable: the table does not name the handler.
	WhyNotInTable
)

func (w Why) String() string {
	switch w {
	case WhyInTable:
		return "in the table"
	case WhySerial:
		return "serial loop"
	case WhyNoTable:
		return "no table"
	case WhyStaleTable:
		return "stale table"
	case WhyNotInTable:
		return "not in the table"
	}
	return fmt.Sprintf("Why(%d)", int(w))
}

// Schedule is how a loop runs one handler, and why.
type Schedule struct {
	// Handler is the runtime name of the handler's function.
	Handler string
	// Entry is the name of the table entry it matched (several, space
	// separated, for a closure the compiler inlined that matched
	// closures on one line); empty if none.
	Entry string
	// Constraint is the entry's constraint (merged, for several).
	Constraint Constraint
	// Exclusive: the handler runs alone, as a barrier (see the package
	// doc).
	Exclusive bool
	Why       Why
}

func (s Schedule) String() string {
	switch {
	case s.Exclusive && s.Why == WhyInTable:
		return fmt.Sprintf("%s: exclusive (the table's %s has hue %d)", s.Handler, s.Entry, s.Constraint.Hue)
	case s.Exclusive:
		return fmt.Sprintf("%s: exclusive (%s)", s.Handler, s.Why)
	}
	return fmt.Sprintf("%s: hue %d, colored %t (the table's %s)", s.Handler, s.Constraint.Hue, s.Constraint.Colored, s.Entry)
}

// handlerInfo is what the loop knows of one handler function: looked up
// once, on its first Post, then kept by its code address.
type handlerInfo struct {
	sched     Schedule
	name      string
	hue       int // index in sched.hues; 0: none
	colored   bool
	exclusive bool
	color     colorMode // how to color its context
	ctype     reflect.Type
	pc        uintptr        // its code's address
	ix        uint32         // its index in handlerCache, which invocations hold (≥ 1)
	ctypeWord unsafe.Pointer // typeWord of its context's type
	err       error          // WithStrictTable: Post of it fails with err
	invoke    func(l *Loop, fn unsafe.Pointer, ctx any)
	// slow: an invocation was seen to run longer than slowHandler, and
	// fewer than unslowAfter in a row since ran quicker (fastRuns); a
	// chain that starts with this handler is timed from its start (see
	// runChain).
	slow     atomic.Bool
	fastRuns atomic.Uint32
	// probes counts the times in a row it was timed under quickHandler,
	// alone in a chain or among the handlers between two readings, up
	// to probeFirst (see runChain).
	probes atomic.Uint32
	// quick: it was timed probeFirst times in a row under quickHandler
	// (alone, or among the handlers between two clock readings), and not
	// alone at quickHandler or more since; a chain of quick handlers
	// reads the clock every 32 steps only (see runChain).
	quick atomic.Bool
}

// handlerCache maps a handler's code address to its info. A Post reads
// it first in fast, a small table indexed by the code address (a map
// lookup hashes, and would cost a fast handler's Post a tenth of its
// time); on a miss, in an immutable map, which a new handler copies
// (handlers are few). The instantiations of a generic handler for context
// types of one shape share their code, so an entry is checked against the
// context's type, and others of the same code are kept aside.
//
// Each info has an index, which invocations hold in its place (a 32-bit
// word beside their seq: see inv): the first infoDirect in an array, the
// rest in a slice that a new handler copies.
type handlerCache struct {
	fast   [fastSlots]atomic.Pointer[handlerInfo]
	m      atomic.Pointer[map[uintptr]*handlerInfo]
	mu     sync.Mutex
	shared map[handlerKey]*handlerInfo // code shared with the entry in m
	n      uint32                      // infos indexed, under mu
	direct [infoDirect]atomic.Pointer[handlerInfo]
	more   atomic.Pointer[[]*handlerInfo] // index infoDirect on
}

// infoDirect: the infos a loop finds by index in an array (index 0 is no
// handler's: see inv.hix).
const infoDirect = 256

// at is the info of index ix ≥ 1.
func (c *handlerCache) at(ix uint32) *handlerInfo {
	if ix < infoDirect {
		return c.direct[ix].Load()
	}
	return (*c.more.Load())[ix-infoDirect]
}

// index gives hi the next index, under mu.
func (c *handlerCache) index(hi *handlerInfo) {
	c.n++
	hi.ix = c.n
	if hi.ix < infoDirect {
		c.direct[hi.ix].Store(hi)
		return
	}
	var more []*handlerInfo
	if p := c.more.Load(); p != nil {
		more = *p
	}
	more = append(slices.Clip(more), hi)
	c.more.Store(&more)
}

// infoOf is the info of v's handler (v is no stand-in).
func (s *sched) infoOf(v *inv) *handlerInfo { return s.handlers.at(v.hix) }

type handlerKey struct {
	pc    uintptr
	ctype unsafe.Pointer
}

func (c *handlerCache) add(k handlerKey, hi *handlerInfo) *handlerInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := map[uintptr]*handlerInfo{}
	if m := c.m.Load(); m != nil {
		old = *m
	}
	if got := old[k.pc]; got != nil {
		if got.ctypeWord == k.ctype {
			return got
		}
		if c.shared == nil {
			c.shared = map[handlerKey]*handlerInfo{}
		}
		if got := c.shared[k]; got != nil {
			return got
		}
		c.index(hi)
		c.shared[k] = hi
		return hi
	}
	c.index(hi)
	m := maps.Clone(old)
	m[k.pc] = hi
	c.m.Store(&m)
	return hi
}

// shared1 returns the info kept aside for k, if any.
func (c *handlerCache) shared1(k handlerKey) *handlerInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shared[k]
}

func (c *handlerCache) all() []*handlerInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*handlerInfo
	if m := c.m.Load(); m != nil {
		out = slices.Collect(maps.Values(*m))
	}
	return append(out, slices.Collect(maps.Values(c.shared))...)
}

// codePtr is the address of h's code: a func value points to a record
// whose first word is it (what reflect.Value.Pointer returns for a func,
// read without making a reflect.Value). Closures of one function literal
// share it, as they share a table entry.
func codePtr[C any](h func(*Loop, C)) uintptr {
	return **(**uintptr)(unsafe.Pointer(&h))
}

// typeWord identifies C: the type word of an interface holding a *C.
func typeWord[C any]() unsafe.Pointer {
	x := any((*C)(nil))
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&x))[0]
}

// fastSlots is the size of handlerCache.fast: handlers whose code
// addresses share a slot take turns in it, and look up the map when they
// miss.
const fastBits, fastSlots = 6, 1 << 6

// fastSlot is where pc's info is kept in handlerCache.fast: a multiply
// and a shift, as functions' addresses are aligned.
func fastSlot(pc uintptr) int {
	return int(uint64(pc) * 0x9E3779B97F4A7C15 >> (64 - fastBits))
}

// info returns what the loop knows of h, looking it up the first time.
func info[C any](s *sched, h func(*Loop, C)) *handlerInfo {
	k := handlerKey{codePtr(h), typeWord[C]()}
	slot := &s.handlers.fast[fastSlot(k.pc)]
	if hi := slot.Load(); hi != nil && hi.pc == k.pc && hi.ctypeWord == k.ctype {
		return hi
	}
	hi := infoSlow[C](s, k)
	slot.Store(hi)
	return hi
}

// infoSlow is info on a miss of the fast table.
func infoSlow[C any](s *sched, k handlerKey) *handlerInfo {
	if m := s.handlers.m.Load(); m != nil {
		if hi := (*m)[k.pc]; hi != nil && hi.ctypeWord == k.ctype {
			return hi
		}
	}
	if hi := s.handlers.shared1(k); hi != nil {
		return hi
	}
	hi := s.lookup(k.pc, reflect.TypeFor[C]())
	hi.pc, hi.ctypeWord = k.pc, k.ctype
	hi.invoke = invokeAs[C]
	return s.handlers.add(k, hi)
}

// lookup makes the info of the handler whose code is at pc and whose
// context has type ctype.
func (s *sched) lookup(pc uintptr, ctype reflect.Type) *handlerInfo {
	name, file, line := "?", "", 0
	if f := runtime.FuncForPC(pc); f != nil {
		name = f.Name()
		file, line = f.FileLine(pc)
	}
	ts := s.table
	hi := &handlerInfo{name: name, exclusive: true, color: colorModeOf(ctype), ctype: ctype}
	hi.sched = Schedule{Handler: name, Exclusive: true, Why: ts.why}
	entry, c, ok := ts.match(name, file, line)
	if ok {
		hi.sched = Schedule{Handler: name, Entry: entry, Constraint: c, Exclusive: c.Hue < 0, Why: WhyInTable}
		if c.Hue >= 0 {
			hi.exclusive = false
			hi.hue = s.hueIx[c.Hue]
			hi.colored = c.Colored
		}
		s.matched.Store(true)
	}
	switch {
	case ts.strict && ts.err != nil:
		hi.err = ts.err
	case ts.strict && !ok:
		hi.err = fmt.Errorf("%w: %s", ErrNotInTable, name)
	case !ok && ts.registered != "" && !s.matched.Load():
		// A first lookup racing with one that hits may log this in vain,
		// once: it is true of this handler all the same.
		if _, dup := unmatched.LoadOrStore(ts.registered, struct{}{}); !dup {
			log.Printf(unmatchedMessage, name)
		}
	}
	return hi
}

// ScheduleOf says how l runs h: what its table says of it, or why it runs
// alone. It may be called from any goroutine, at any time.
func ScheduleOf[C any](l *Loop, h func(*Loop, C)) Schedule {
	return info(l.s, h).sched
}

// Schedules says how l runs each handler posted to it so far (or asked
// about with ScheduleOf), sorted by handler name: which ones run
// exclusively, and why. It may be called from any goroutine, at any time.
func (l *Loop) Schedules() []Schedule {
	var out []Schedule
	for _, hi := range l.s.handlers.all() {
		out = append(out, hi.sched)
	}
	slices.SortFunc(out, func(a, b Schedule) int { return strings.Compare(a.Handler, b.Handler) })
	// The instantiations of a generic handler for different shapes of
	// type have code of their own and one name, and one schedule.
	return slices.CompactFunc(out, func(a, b Schedule) bool { return a.Handler == b.Handler })
}
