package loop

import (
	"reflect"
	"sync"
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

const shardBits = 6

// shardOf spreads colors over the shards: addresses by a multiplicative
// hash, integers by their value; other values share shard 0 (hashing any
// value would cost more than the lock it spreads).
func shardOf(k colorKey) uint {
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
	return uint((h * 0x9E3779B97F4A7C15) >> (64 - shardBits))
}

// colorShard holds the colors of one shard that are in use: a color has an
// entry while an invocation holds it or waits for it (and, while the shard
// is small, after).
type colorShard struct {
	mu   sync.Mutex
	addr map[uintptr]*colorEntry
	vals map[any]*colorEntry
	_    [64]byte
}

// colorEntry is one color: busy while an invocation holds it, with the
// invocations waiting for it in the order posted.
type colorEntry struct {
	key   colorKey
	shard *colorShard
	busy  bool
	q     ring
}

// keepIdle is how many entries a shard keeps when their color is free, so
// that a busy connection does not make and drop its entry on every Post.
const keepIdle = 64

func (s *colorShard) entry(k colorKey) *colorEntry {
	var e *colorEntry
	if k.val == nil {
		e = s.addr[k.addr]
	} else {
		e = s.vals[k.val]
	}
	if e == nil {
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
	return e
}

// free marks e's color free, its queue empty; the shard forgets it if it
// holds many.
func (s *colorShard) free(e *colorEntry) {
	e.busy = false
	e.q.trim()
	if len(s.addr)+len(s.vals) > keepIdle {
		if e.key.val == nil {
			delete(s.addr, e.key.addr)
		} else {
			delete(s.vals, e.key.val)
		}
	}
}
