// A net/http server whose handlers use library types documented as safe
// for concurrent use (a zap logger and its sugar, a slog logger, a
// sync.Map, an expvar counter, an atomic counter) and per-request memory
// handed to the library (a cloned request, a freshly decoded config, a
// slice split from the path and sorted). Only the visits map, written
// without a lock, is shared state.
package main

import (
	"encoding/json"
	"expvar"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

type config struct {
	Name  string
	Tags  []string
	Limit int
}

var (
	logger   = zap.NewExample()
	slogger  = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	seen     sync.Map
	requests = expvar.NewInt("requests")
	served   atomic.Int64
	visits   = map[string]int{}
)

func clone(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("X-Cloned", "1")
	r2.URL.Path = "/cloned"
	fmt.Fprint(w, r2.URL.Path)
}

func configure(w http.ResponseWriter, r *http.Request) {
	var cfg config
	if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	cfg.Tags = append(cfg.Tags, "seen")
	cfg.Limit++
	json.NewEncoder(w).Encode(&cfg)
}

func remember(w http.ResponseWriter, r *http.Request) {
	seen.Store(r.URL.Path, time.Now())
	n := 0
	seen.Range(func(k, v any) bool { n++; return true })
	fmt.Fprint(w, n)
}

func counted(w http.ResponseWriter, r *http.Request) {
	requests.Add(1)
	served.Add(1)
	fmt.Fprint(w, served.Load(), requests.Value())
}

func logged(w http.ResponseWriter, r *http.Request) {
	logger.Info("request", zap.String("path", r.URL.Path), zap.Int("n", 1))
	logger.Sugar().Infow("request", "method", r.Method)
	slogger.Info("request", "path", r.URL.Path)
}

func split(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(r.URL.Path, "/")
	parts[0] = "root"
	sort.Strings(parts)
	fmt.Fprint(w, strings.Join(parts, ","))
}

func visit(w http.ResponseWriter, r *http.Request) {
	visits[r.URL.Path]++
}

func report(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, len(visits))
}

func main() {
	http.HandleFunc("/clone", clone)
	http.HandleFunc("/config", configure)
	http.HandleFunc("/remember", remember)
	http.HandleFunc("/counted", counted)
	http.HandleFunc("/logged", logged)
	http.HandleFunc("/split", split)
	http.HandleFunc("/visit", visit)
	http.HandleFunc("/report", report)
	http.ListenAndServe("127.0.0.1:0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/visit" "/visit" -- both write visits
// races: "/visit" "/report" -- visit writes visits, report reads it
