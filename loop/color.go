package loop

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Colors. The color of an invocation is its context: its address for a
// pointer, channel, map or unsafe.Pointer, the address of its code for a
// func, its value for other comparable types, and its type for the rest
// (one color for all). How to take it is decided once per handler, from
// the type of its context (colorMode); only interface contexts look at
// their dynamic type on each Post.

type colorMode uint8

const (
	colorAddr  colorMode = iota // the word itself: pointer, chan, map, unsafe.Pointer
	colorFunc                   // the code address the func value points to
	colorIface                  // by the dynamic value
	colorValue                  // comparable: the value
	colorType                   // not comparable: one color per type
)

func colorModeOf(t reflect.Type) colorMode {
	switch t.Kind() {
	case reflect.Pointer, reflect.Chan, reflect.Map, reflect.UnsafePointer:
		return colorAddr
	case reflect.Func:
		return colorFunc
	case reflect.Interface:
		return colorIface
	}
	if t.Comparable() {
		return colorValue
	}
	return colorType
}

// colorKey is a color: an address (addr), or a comparable value or a type
// (val).
type colorKey struct {
	addr uintptr
	val  any
}

type typeColor struct{ t reflect.Type }

// colorOf is the color of context c (as an inv holds it: any(C)) of a
// handler with info hi.
func colorOf(hi *handlerInfo, c any) colorKey {
	switch hi.color {
	case colorAddr:
		// c holds a pointer-shaped value in its data word (nil if c is).
		return colorKey{addr: uintptr(dataWord(c))}
	case colorFunc:
		p := dataWord(c) // the func value: a pointer to its code's address
		if p == nil {
			return colorKey{}
		}
		return colorKey{addr: *(*uintptr)(p)}
	case colorIface:
		return ifaceColor(c, hi.ctype)
	case colorValue:
		return valueColor(c)
	}
	return colorKey{val: typeColor{hi.ctype}}
}

// dataWord is the data word of an interface value.
func dataWord(x any) unsafe.Pointer { return (*[2]unsafe.Pointer)(unsafe.Pointer(&x))[1] }

// ifaceColor colors an interface context by its dynamic value, so that a
// handler taking *Conn and one taking net.Conn agree on a connection.
func ifaceColor(x any, static reflect.Type) colorKey {
	if x == nil {
		return colorKey{val: typeColor{static}}
	}
	t := reflect.TypeOf(x)
	switch colorModeOf(t) {
	case colorAddr:
		// An interface holds a pointer-shaped value in its data word.
		return colorKey{addr: uintptr(dataWord(x))}
	case colorFunc:
		return colorKey{addr: reflect.ValueOf(x).Pointer()}
	case colorValue:
		return valueColor(x)
	}
	return colorKey{val: typeColor{t}}
}

func valueColor(x any) colorKey {
	if x != x { // a NaN inside: no map finds it again
		return colorKey{val: typeColor{reflect.TypeOf(x)}}
	}
	return colorKey{val: x}
}

const (
	shardBits = 6
	cacheBits = 3 // entries a shard finds without its lock: 1<<cacheBits
)

// hashOf spreads colors: addresses by a multiplicative hash, integers by
// their value; other values hash to 0 (hashing any value would cost more
// than what it spreads). The top bits pick the shard, the next ones a
// slot of its cache.
func hashOf(k colorKey) uint64 {
	h := uint64(k.addr)
	if k.val != nil {
		switch v := k.val.(type) {
		case int:
			h = uint64(v)
		case int64:
			h = uint64(v)
		case uint64:
			h = v
		case int32:
			h = uint64(v)
		case uint32:
			h = uint64(v)
		case string:
			h = uint64(len(v))
			if len(v) > 0 {
				h = h*31 + uint64(v[0])*7 + uint64(v[len(v)-1])
			}
		default:
			return 0
		}
	}
	return h * 0x9E3779B97F4A7C15
}

func shardOf(h uint64) uint { return uint(h >> (64 - shardBits)) }

func slotOf(h uint64) uint {
	return uint(h>>(64-shardBits-cacheBits)) & (1<<cacheBits - 1)
}

// colorShard holds the colors of one shard that are in use: a color has an
// entry while an invocation holds it or waits for it, and after, until the
// shard holds many (keepIdle). The map is the truth, under mu; cache holds
// recent entries for admission to find without the lock (see lookup).
type colorShard struct {
	mu     sync.Mutex
	addr   map[uintptr]*colorEntry
	vals   map[any]*colorEntry
	scanAt int // evict idle entries when the shard holds this many
	cache  [1 << cacheBits]atomic.Pointer[colorEntry]
	_      [64]byte
}

// A hue's or a color's state word (lk*): free (0), held (lkHeld), held
// with invocations waiting in its queue (lkHeld|lkWaiters), or, for a
// color, dead (no longer in its shard's map). Only two changes are made
// without the lock that guards the queue: free to held (an invocation
// takes a free resource) and held to free (its holder releases it with
// nobody waiting). Everything else is made under the lock, so that one who
// holds the lock and sees lkWaiters knows the queue is not empty, and a
// holder that cannot clear lkHeld alone takes the lock to hand it on.
const (
	lkHeld = 1 << iota
	lkWaiters
	lkDead
)

// takeLocked takes the resource whose state word is st, under the lock of
// its queue: true if it was free and is now held, false if it is held by
// another (lkWaiters is set: the caller must queue).
func takeLocked(st *atomic.Uint32) bool {
	for {
		switch x := st.Load(); x {
		case 0:
			if st.CompareAndSwap(0, lkHeld) {
				return true
			}
		case lkHeld:
			if st.CompareAndSwap(lkHeld, lkHeld|lkWaiters) {
				return false
			}
		default: // lkHeld|lkWaiters: never dead under the lock (see evict)
			return false
		}
	}
}

// colorEntry is one color: its state word, with the invocations waiting
// for it in the order posted.
type colorEntry struct {
	st    atomic.Uint32
	key   colorKey
	shard *colorShard
	q     ring // under shard.mu
	// standIns counts the stand-ins in q (invocations that wait for a
	// hue too), under shard.mu: while there are some, q is not taken
	// whole (see release).
	standIns int
}

// keepIdle is how many entries a shard keeps when their color is free, so
// that a busy connection does not make and drop its entry on every Post.
const keepIdle = 64

// lookup finds k's entry in the cache, without the lock: nil if it is not
// there. The entry may have died since (the CAS that takes it fails).
func (s *colorShard) lookup(k colorKey, h uint64) *colorEntry {
	e := s.cache[slotOf(h)].Load()
	if e == nil {
		return nil
	}
	if k.val == nil {
		if e.key.val != nil || e.key.addr != k.addr {
			return nil
		}
	} else if e.key.val != k.val {
		return nil
	}
	return e
}

// entryFrom is k's entry, under s.mu, given what lookup found (nil or
// not): the entry lookup found if it is alive, which is then the one in
// the map (an entry leaves the map only dead, and dies only under s.mu),
// else entry's. A poster that finds its color busy (the common case when
// it runs ahead of the workers) finds the entry to queue on without a map
// lookup, inside the lock that the workers handing the color on take too.
func (s *colorShard) entryFrom(e *colorEntry, k colorKey, h uint64) *colorEntry {
	if e != nil && e.st.Load() != lkDead {
		return e
	}
	return s.entry(k, h)
}

// entry is k's entry, made if there is none, under s.mu.
func (s *colorShard) entry(k colorKey, h uint64) *colorEntry {
	var e *colorEntry
	if k.val == nil {
		e = s.addr[k.addr]
	} else {
		e = s.vals[k.val]
	}
	if e == nil {
		if n := len(s.addr) + len(s.vals); n >= max(s.scanAt, keepIdle) {
			s.evict()
		}
		e = &colorEntry{key: k, shard: s}
		if k.val == nil {
			if s.addr == nil {
				s.addr = map[uintptr]*colorEntry{}
			}
			s.addr[k.addr] = e
		} else {
			if s.vals == nil {
				s.vals = map[any]*colorEntry{}
			}
			s.vals[k.val] = e
		}
	}
	if c := &s.cache[slotOf(h)]; c.Load() != e {
		c.Store(e)
	}
	return e
}

// evict forgets the entries of free colors, under s.mu: each is marked
// dead first (which fails if an invocation just took it without the
// lock), so that none is taken once forgotten. The next scan waits until
// the shard has doubled, so that a shard full of busy colors is not
// scanned on every new one.
func (s *colorShard) evict() {
	drop := func(e *colorEntry) bool {
		if !e.st.CompareAndSwap(0, lkDead) {
			return false
		}
		e.q.trim()
		for i := range s.cache {
			s.cache[i].CompareAndSwap(e, nil)
		}
		return true
	}
	for a, e := range s.addr {
		if drop(e) {
			delete(s.addr, a)
		}
	}
	for v, e := range s.vals {
		if drop(e) {
			delete(s.vals, v)
		}
	}
	s.scanAt = 2 * (len(s.addr) + len(s.vals))
}
