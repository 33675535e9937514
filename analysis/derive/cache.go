package derive

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"
)

// CacheDir is where derived models are kept: $SAFELS_CACHE if set, else
// safels/derive under the user's cache directory ("" if there is none).
func CacheDir() string {
	if d := os.Getenv("SAFELS_CACHE"); d != "" {
		return filepath.Join(d, "derive")
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "safels", "derive")
}

// entry is one cache file: the models of one package derived with one
// budget, valid while its key and its dependencies' keys are unchanged.
type entry struct {
	Version string     `json:"version"`
	Key     string     `json:"key"`
	Models  *pkgModels `json:"models"`
}

// key is the content key of p's derivation: its sources, the Go version,
// the table and the derivation's version. Memoized per run.
func (d *Deriver) key(p *packages.Package, budget int) string {
	if p == nil {
		return ""
	}
	k := fmt.Sprintf("%s@%d", p.PkgPath, budget)
	if s, ok := d.keys[k]; ok {
		return s
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s\x00%s\x00", Version, runtime.Version(), runtime.GOARCH, budget, p.PkgPath, d.cfg.TableKey)
	for _, name := range p.CompiledGoFiles {
		f, err := os.Open(name)
		if err != nil {
			d.keys[k] = ""
			return ""
		}
		fmt.Fprintf(h, "%s\x00", filepath.Base(name))
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			d.keys[k] = ""
			return ""
		}
	}
	s := hex.EncodeToString(h.Sum(nil))
	d.keys[k] = s
	return s
}

// cacheFile is where the derivation of content key key is kept: named
// by the key, so that runs of other tables (another project's
// .safels.json, another version of safels) or other sources keep theirs
// beside it instead of overwriting it on every run.
func (d *Deriver) cacheFile(key string) string {
	return filepath.Join(d.cfg.CacheDir, key+".json")
}

// readCache is the cached derivation of content key key, if it was made from the
// same sources as now, its dependencies' included; nil otherwise (a
// missing, corrupt or stale file).
func (d *Deriver) readCache(key string) *pkgModels {
	if d.cfg.CacheDir == "" || key == "" {
		return nil
	}
	name := d.cacheFile(key)
	b, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Version != Version || e.Key != key || e.Models == nil || e.Models.Models == nil {
		return nil
	}
	for dep, k := range e.Models.Deps {
		i := strings.LastIndexByte(dep, '@')
		if i < 0 {
			return nil
		}
		db, err := strconv.Atoi(dep[i+1:])
		if err != nil || k == "" || d.key(d.byPath[dep[:i]], db) != k {
			return nil
		}
	}
	markUsed(name)
	return e.Models
}

// writeCache keeps a derivation; a failure to write only costs the next
// run a derivation. The file is renamed into place, so that a reader
// never sees half of it.
func (d *Deriver) writeCache(key string, ms *pkgModels) {
	if d.cfg.CacheDir == "" || key == "" {
		return
	}
	b, err := json.Marshal(entry{Version: Version, Key: key, Models: ms})
	if err != nil || os.MkdirAll(d.cfg.CacheDir, 0o755) != nil {
		return
	}
	d.trimOnce()
	name := d.cacheFile(key)
	tmp, err := os.CreateTemp(d.cfg.CacheDir, ".tmp-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), name) != nil {
		os.Remove(tmp.Name())
	}
}

// Files no run has used for trimAge are removed, at most once per
// trimEvery: keys change with every source, table and version, so
// without it the directory only grows. A file's modification time says
// when it was last used (markUsed), at the precision of usedEvery.
const (
	trimAge   = 5 * 24 * time.Hour
	trimEvery = 24 * time.Hour
	usedEvery = time.Hour
	trimFile  = "trim.txt"
)

// markUsed records that a run read the file now.
func markUsed(name string) {
	if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > usedEvery {
		now := time.Now()
		os.Chtimes(name, now, now) // a failure only lets it be trimmed sooner
	}
}

// trimOnce trims the cache directory the first time a run writes to it,
// if the last trim was more than trimEvery ago.
func (d *Deriver) trimOnce() {
	if d.trimmed {
		return
	}
	d.trimmed = true
	trim(d.cfg.CacheDir, time.Now())
}

// trim removes the derivations (and files left half-written) of dir
// unused since trimAge before now.
func trim(dir string, now time.Time) {
	marker := filepath.Join(dir, trimFile)
	if fi, err := os.Stat(marker); err == nil && now.Sub(fi.ModTime()) < trimEvery {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".tmp-") {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > trimAge {
			os.Remove(filepath.Join(dir, name))
		}
	}
	if os.MkdirAll(dir, 0o755) == nil && os.WriteFile(marker, nil, 0o644) == nil {
		os.Chtimes(marker, now, now)
	}
}
