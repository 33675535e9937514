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

func (d *Deriver) cacheFile(path string, budget int) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(d.cfg.CacheDir, fmt.Sprintf("%s-%d.json", hex.EncodeToString(sum[:12]), budget))
}

// readCache is the cached derivation of path, if it was made from the
// same sources as now, its dependencies' included; nil otherwise (a
// missing, corrupt or stale file).
func (d *Deriver) readCache(path string, budget int, key string) *pkgModels {
	if d.cfg.CacheDir == "" || key == "" {
		return nil
	}
	b, err := os.ReadFile(d.cacheFile(path, budget))
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
	return e.Models
}

// writeCache keeps a derivation; a failure to write only costs the next
// run a derivation. The file is renamed into place, so that a reader
// never sees half of it.
func (d *Deriver) writeCache(path string, budget int, key string, ms *pkgModels) {
	if d.cfg.CacheDir == "" || key == "" {
		return
	}
	b, err := json.Marshal(entry{Version: Version, Key: key, Models: ms})
	if err != nil || os.MkdirAll(d.cfg.CacheDir, 0o755) != nil {
		return
	}
	name := d.cacheFile(path, budget)
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
