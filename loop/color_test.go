package loop

import (
	"reflect"
	"runtime"
	"sync"
	"testing"
	"testing/fstest"
)

// A shard forgets the entries of free colors once it holds many, and
// keeps those that are held; a forgotten entry is never found again
// without the lock, nor taken.
func TestShardEvictsFreeColorsOnly(t *testing.T) {
	var s colorShard
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := map[uintptr]*colorEntry{}
	for a := uintptr(1); a <= keepIdle; a++ {
		k := colorKey{addr: a}
		e := s.entry(k, hashOf(k))
		if a%2 == 0 {
			e.st.Store(lkHeld) // held: must stay
		}
		entries[a] = e
	}
	k := colorKey{addr: keepIdle + 1}
	s.entry(k, hashOf(k)) // one more: evicts the free ones
	for a, e := range entries {
		k := colorKey{addr: a}
		_, kept := s.addr[a]
		if held := a%2 == 0; kept != held {
			t.Fatalf("color %d: held %v, kept %v", a, held, kept)
		}
		if a%2 == 1 {
			if e.st.Load() != lkDead {
				t.Fatalf("color %d forgotten but not dead", a)
			}
			if s.lookup(k, hashOf(k)) == e {
				t.Fatalf("color %d forgotten but still in the cache", a)
			}
			if s.entry(k, hashOf(k)) == e {
				t.Fatalf("color %d forgotten but its old entry is back", a)
			}
		} else if got := s.entry(k, hashOf(k)); got != e {
			t.Fatalf("color %d: a new entry while the old one is held", a)
		}
	}
}

// entryFrom, under the lock, keeps the entry lookup found while it is
// alive, and never gives back one that died since (evicted between the
// lookup and the lock): the color's entry in the map then.
func TestEntryFromSkipsDeadEntries(t *testing.T) {
	var s colorShard
	s.mu.Lock()
	defer s.mu.Unlock()
	k := colorKey{addr: 1}
	e := s.entry(k, hashOf(k))
	if got := s.entryFrom(e, k, hashOf(k)); got != e {
		t.Fatal("entryFrom left a live entry")
	}
	if got := s.entryFrom(nil, k, hashOf(k)); got != e {
		t.Fatal("entryFrom(nil) did not find the map's entry")
	}
	// Evict it (free, so it dies), as another poster's new color would.
	for a := uintptr(2); a <= keepIdle+1; a++ {
		k := colorKey{addr: a}
		s.entry(k, hashOf(k))
	}
	if e.st.Load() != lkDead {
		t.Fatal("the free entry was not evicted")
	}
	got := s.entryFrom(e, k, hashOf(k))
	if got == e || got != s.addr[1] || got.st.Load() == lkDead {
		t.Fatal("entryFrom gave back a dead entry, or not the map's")
	}
}

// lookup finds only the entry of the color asked for, whichever other
// colors share its cache slot.
func TestShardLookupMatchesKey(t *testing.T) {
	var s colorShard
	s.mu.Lock()
	e1 := s.entry(colorKey{val: 7}, 0)
	s.mu.Unlock()
	for _, k := range []colorKey{{addr: 7}, {val: 8}, {val: "7"}, {val: int64(7)}} {
		if s.lookup(k, 0) != nil {
			t.Errorf("lookup(%v) found the entry of 7", k)
		}
	}
	if s.lookup(colorKey{val: 7}, 0) != e1 {
		t.Error("lookup(7) did not find its entry")
	}
}

// Many colors, more than the shards keep: each color's invocations still
// run one at a time and in the order posted, before and after their
// entries are forgotten and made again.
func TestManyColorsKeepOrder(t *testing.T) {
	const colors, passes = 6000, 4
	var mu sync.Mutex
	next := make([]int, colors)
	busy := make([]bool, colors)
	var bad string
	h := func(pass int) func(*Loop, int) {
		return func(_ *Loop, c int) {
			mu.Lock()
			if busy[c] || next[c] != pass {
				bad = "color ran out of order or overlapped"
			}
			busy[c] = true
			mu.Unlock()
			mu.Lock()
			busy[c] = false
			next[c]++
			mu.Unlock()
		}
	}
	cons := map[string]Constraint{funcName(h(0)): {Colored: true}}
	l := New(WithTable(testTable(t, cons)), WithWorkers(4))
	done := make(chan error, 1)
	go func() { done <- l.Run(t.Context()) }()
	for p := 0; p < passes; p++ {
		for c := 0; c < colors; c++ {
			Post(l, h(p), c)
		}
	}
	if err := l.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-done
	if bad != "" {
		t.Fatal(bad)
	}
	for c, n := range next {
		if n != passes {
			t.Fatalf("color %d ran %d times, want %d", c, n, passes)
		}
	}
}

func funcName(h any) string { return runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name() }

// testTable is a valid table for the given constraints.
func testTable(t testing.TB, cs map[string]Constraint) Table {
	fsys := fstest.MapFS{"a.go": {Data: []byte("package a")}}
	h, err := HashSources(fsys, []string{"a.go"})
	if err != nil {
		t.Fatal(err)
	}
	return Table{Hash: h, Files: []string{"a.go"}, Sources: fsys, Handlers: cs}
}
