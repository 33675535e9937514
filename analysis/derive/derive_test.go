package derive

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"golang.org/x/tools/go/packages"
)

// newTest makes a Deriver over the standard library packages the test
// names, their export data from the go command, the cache in dir.
func newTest(t *testing.T, dir string, table Table, pkgs ...string) *Deriver {
	t.Helper()
	ps, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
		packages.NeedImports | packages.NeedDeps | packages.NeedExportFile}, pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	exports := map[string]string{}
	packages.Visit(ps, nil, func(p *packages.Package) { exports[p.ID] = p.ExportFile })
	return New(Config{Packages: ps, Exports: exports, Table: table, CacheDir: dir})
}

// Models of standard functions whose behaviour is documented.
func TestStdModels(t *testing.T) {
	d := newTest(t, "", nil, "net/url", "bytes", "strings", "container/ring", "encoding/base64", "mime", "compress/flate")
	for _, c := range []struct {
		pkg, typ, name string
		want           *Model // nil: no model (conservative)
	}{
		// Get reads the map; Set and Add write it, and keep nothing
		// that holds a pointer (strings).
		{"net/url", "Values", "Get", &Model{Receiver: "read", Args: "none", Keeps: "nothing", Quiet: true}},
		{"net/url", "Values", "Set", &Model{Receiver: "write", Args: "none", Keeps: "nothing", Quiet: true}},
		{"net/url", "Values", "Has", &Model{Receiver: "read", Args: "none", Keeps: "nothing", Quiet: true}},
		// A new Reader keeps the slice it reads: in its result.
		{"bytes", "", "NewReader", &Model{Args: "none", Keeps: "result", Result: "fresh", Quiet: true}},
		{"strings", "", "NewReader", &Model{Args: "none", Keeps: "nothing", Result: "fresh", Quiet: true}},
		// Len initializes a zero Ring (r.Next() links it to itself).
		{"container/ring", "*Ring", "Len", &Model{Receiver: "write", Args: "none", Keeps: "nothing", Quiet: true}},
		{"encoding/base64", "*Encoding", "EncodeToString", &Model{Receiver: "read", Args: "read", Keeps: "nothing", Quiet: true}},
		// Calls back what it is handed: a function value, an interface's
		// methods (the io.Writer's Write and io.Reader's Read).
		{"strings", "", "Map", &Model{Args: "none", Keeps: "nothing", Partial: true}},
	} {
		got := d.Lookup(c.pkg, c.typ, c.name)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s.%s: got %+v, want %+v", c.pkg, c.typ, c.name, got, c.want)
		}
	}
	// Link stores its argument into its receiver's ring, which the
	// argument's ring then shares: kept in what the receiver reaches.
	// Reset calls the hasher its level chose, a function of the package
	// kept in an unexported field: analysed, not assumed.
	if m := d.Lookup("compress/flate", "*Writer", "Reset"); m == nil || m.Partial || !m.Quiet {
		t.Errorf("(*flate.Writer).Reset: %+v, want it derived whole (its field's functions resolved), quiet", m)
	}
	if m := d.Lookup("bytes", "*Buffer", "ReadFrom"); m == nil || m.Quiet {
		t.Errorf("(*bytes.Buffer).ReadFrom: %+v, want it to call back its reader's Read (not quiet)", m)
	}
	if m := d.Lookup("container/ring", "*Ring", "Link"); m == nil || m.Keeps == "nothing" || m.Receiver != "write" {
		t.Errorf("(*ring.Ring).Link: %+v, want it to write the ring and keep its argument", m)
	}
}

// A function that keeps its argument in a package variable: the
// derivation gives up on it (no model, the conservative rule), and a
// cache of the package is written and read back.
func TestGlobalAndCache(t *testing.T) {
	dir := t.TempDir()
	d := newTest(t, dir, nil, "mime")
	// AddExtensionType stores into mime's tables (package variables).
	if m := d.Lookup("mime", "", "AddExtensionType"); m != nil {
		t.Errorf("mime.AddExtensionType: %+v, want no model (it writes package variables)", m)
	}
	want := d.Lookup("mime", "", "FormatMediaType")
	if d.Stats.Derived == 0 || d.Stats.Cached != 0 {
		t.Fatalf("first run: %+v, want derived, none cached", d.Stats)
	}
	d2 := newTest(t, dir, nil, "mime")
	got := d2.Lookup("mime", "", "FormatMediaType")
	if d2.Stats.Derived != 0 || d2.Stats.Cached == 0 {
		t.Errorf("second run: %+v, want all read from the cache", d2.Stats)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("from the cache: %+v, derived: %+v", got, want)
	}
	// Corrupt every file: ignored, derived again and rewritten.
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		os.WriteFile(f, []byte("{not json"), 0o644)
	}
	d3 := newTest(t, dir, nil, "mime")
	if got := d3.Lookup("mime", "", "FormatMediaType"); !reflect.DeepEqual(got, want) || d3.Stats.Cached != 0 || d3.Stats.Derived == 0 {
		t.Errorf("corrupt cache: %+v (%+v), want it derived again: %+v", got, d3.Stats, want)
	}
	d4 := newTest(t, dir, nil, "mime")
	d4.Lookup("mime", "", "FormatMediaType")
	if d4.Stats.Cached == 0 {
		t.Errorf("after a corrupt cache: %+v, want it rewritten and read", d4.Stats)
	}
}

// Two tables (two projects' .safels.json) sharing one cache directory
// keep a derivation each: a run of the first after one of the second
// reads its models instead of deriving them again.
func TestCacheKeepsEachTable(t *testing.T) {
	dir := t.TempDir()
	mk := func(key string) *Deriver {
		d := newTest(t, dir, nil, "mime")
		d.cfg.TableKey = key
		d.Lookup("mime", "", "FormatMediaType")
		return d
	}
	mk("project a")
	mk("project b")
	if d := mk("project a"); d.Stats.Derived != 0 || d.Stats.Cached == 0 {
		t.Errorf("project a after project b: %+v, want all read from the cache", d.Stats)
	}
}

// Files unused for longer than trimAge are removed when a run writes,
// at most once per trimEvery; used ones stay.

// Files unused for longer than trimAge are removed when a run writes,
// at most once per trimEvery; used ones stay.
func TestCacheTrim(t *testing.T) {
	dir := t.TempDir()
	newTest(t, dir, nil, "mime").Lookup("mime", "", "FormatMediaType")
	used, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(used) == 0 {
		t.Fatal("nothing cached")
	}
	old := filepath.Join(dir, "0123.json")
	os.WriteFile(old, []byte("{}"), 0o644)
	long := time.Now().Add(-2 * trimAge)
	os.Chtimes(old, long, long)
	now := time.Now()
	trim(dir, now) // the first run wrote the marker: not yet
	if _, err := os.Stat(old); err != nil {
		t.Fatalf("trimmed within trimEvery of the last trim: %v", err)
	}
	trim(dir, now.Add(trimEvery+time.Minute))
	if _, err := os.Stat(old); err == nil {
		t.Errorf("a file unused for %v was kept", 2*trimAge)
	}
	for _, f := range used {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("a file in use was trimmed: %v", err)
		}
	}
}
