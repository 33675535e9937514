package lsp_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safels/safels/internal/lsptest"
	"github.com/safels/safels/internal/realmod"
)

// BenchmarkRealLSP opens real servers, fetched at pinned versions, in the
// language server as an editor would, beside the Go team's language
// server (gopls, at a pinned version) on the same workspace in the same
// run: the ratios are the figures. Per module it measures, through each
// binary, the time from the server's start to the first diagnostics of an
// opened handler file, and the time from saving an edit of that file to
// its diagnostics of the new version:
//
//	go test ./lsp -run '^$' -bench RealLSP/inbucket -benchtime 1x
//	go test ./lsp -run '^$' -bench RealLSP/miniflux -benchtime 1x -timeout 1h
//
// It needs the network the first time (modules, and the other server
// when it is not found: -real.gopls names one). Metrics per module,
// safels's and the other's: first-s (start to first diagnostics of the
// file), save-ms (mean of -real.saves saves), MB (peak resident memory of
// the server process, VmHWM), silence-s (the longest time the server
// sent nothing before the first diagnostics, progress included), and
// their ratios.
func BenchmarkRealLSP(b *testing.B) {
	for _, m := range realModules {
		b.Run(m.name, func(b *testing.B) { benchRealLSP(b, m) })
	}
}

var (
	realLimit = flag.Duration("real.limit", 30*time.Minute, "BenchmarkRealLSP: give up waiting for one server message after this long, and say so")
	realSaves = flag.Int("real.saves", 3, "BenchmarkRealLSP: saves measured per server and session")
	realOther = flag.String("real.gopls", "", "BenchmarkRealLSP: the other server's binary (default: gopls "+otherVersion+" on PATH, else installed into the user cache directory)")
)

const otherVersion = "v0.23.0"

// Each module with a file of its handlers, the one opened and edited.
var realModules = []struct{ name, module, file string }{
	{"inbucket", "github.com/inbucket/inbucket/v3@v3.2.0", "pkg/rest/apiv1_controller.go"},
	{"miniflux", "miniflux.app/v2@v2.3.5", "internal/api/entry_handlers.go"},
}

func benchRealLSP(b *testing.B, m struct{ name, module, file string }) {
	other := otherServer(b)
	dir := realmod.Fetch(b, m.module)
	file := filepath.Join(dir, m.file)
	src, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	bin := lsptest.Build(b)
	defer func(t time.Duration) { lsptest.Timeout = t }(lsptest.Timeout)
	lsptest.Timeout = *realLimit
	env := realmod.Env()

	// Warm caches as on a developer's machine: the build cache holds the
	// dependencies' export data safels reads, and the other server keeps
	// its own cache of what it type-checked, filled by a first session.
	warm := exec.Command(realmod.Go(), "list", "-export", "-deps", "-test", "./...")
	warm.Dir, warm.Env = dir, env
	if out, err := warm.CombinedOutput(); err != nil {
		b.Fatalf("go list -export: %v\n%s", err, out)
	}
	realSession(b, other, nil, env, dir, file, src, 0)

	b.ResetTimer()
	var ours, theirs lspRun
	for i := 0; i < b.N; i++ {
		theirs = realSession(b, other, nil, env, dir, file, src, *realSaves)
		// The server's default bound on one analysis (5 minutes) is
		// near what miniflux takes on a busy machine: the bound here is
		// the benchmark's.
		ours = realSession(b, bin, []string{"serve", "-max-time", realLimit.String()}, env, dir, file, src, *realSaves)
	}
	b.StopTimer()
	// safels publishes when an analysis ends, after its progress ends:
	// the first diagnostics are the analysis's, not an empty placeholder.
	if !ours.progress || !ours.ended {
		b.Errorf("safels's first diagnostics came before its progress ended (progress: %v)", ours.progress)
	}
	b.ReportMetric(ours.first.Seconds(), "safels-first-s")
	b.ReportMetric(theirs.first.Seconds(), "gopls-first-s")
	b.ReportMetric(ours.first.Seconds()/theirs.first.Seconds(), "first-safels/gopls")
	b.ReportMetric(ms(ours.save), "safels-save-ms")
	b.ReportMetric(ms(theirs.save), "gopls-save-ms")
	b.ReportMetric(ours.save.Seconds()/theirs.save.Seconds(), "save-safels/gopls")
	b.ReportMetric(float64(ours.peak)/(1<<20), "safels-MB")
	b.ReportMetric(float64(theirs.peak)/(1<<20), "gopls-MB")
	b.ReportMetric(float64(ours.peak)/float64(theirs.peak), "MB-safels/gopls")
	if n := len(ours.conflicts); n > 1 {
		if ours.conflicts[n-1] != ours.conflicts[0] {
			b.Logf("runs after a save of a comment found other conflicts than the first: %v", ours.conflicts)
		}
		b.ReportMetric(float64(ours.conflicts[0]), "conflicts")
		b.ReportMetric(float64(ours.conflicts[n-1]), "conflicts-after-save")
	}
	b.ReportMetric(ours.silence.Seconds(), "safels-silence-s")
	b.ReportMetric(theirs.silence.Seconds(), "gopls-silence-s")
}

// conflictsRE finds how many conflicts a run of safels found, in its log.
var conflictsRE = regexp.MustCompile(` conflicts=(\d+) `)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// lspRun is what one session measured.
type lspRun struct {
	first     time.Duration // from the process's start to the file's first diagnostics
	save      time.Duration // mean, from the edit's didChange to its diagnostics
	peak      int64         // bytes, the server process's VmHWM before shutdown
	silence   time.Duration // longest gap between the server's messages until first
	progress  bool          // whether $/progress came before first
	ended     bool          // whether a progress end came before first
	conflicts []int         // safels's, run by run
}

// realSession starts bin on dir as an editor would (progress and
// configuration supported), opens file and waits for its diagnostics, then
// saves saves edits of it, each waited for, and shuts the server down. The
// file holds src again when it returns.
func realSession(b *testing.B, bin string, args, env []string, dir, file string, src []byte, saves int) lspRun {
	b.Helper()
	defer os.WriteFile(file, src, 0o644)
	name := filepath.Base(bin)
	start := time.Now()
	c := lsptest.Start(b, bin, env, args...)
	root := lsptest.FileURI(dir)
	c.Result("initialize", map[string]any{
		"processId":        os.Getpid(),
		"rootUri":          root,
		"workspaceFolders": []any{map[string]any{"uri": root, "name": filepath.Base(dir)}},
		"capabilities": map[string]any{
			"window":    map[string]any{"workDoneProgress": true},
			"workspace": map[string]any{"configuration": true, "workspaceFolders": true},
			"textDocument": map[string]any{
				"publishDiagnostics": map[string]any{"versionSupport": true, "relatedInformation": true},
				"synchronization":    map[string]any{"didSave": true},
			},
		},
	}, nil)
	c.Notify("initialized", map[string]any{})
	uri := lsptest.FileURI(file)
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": string(src)}})
	// The first diagnostics of the file, or a message that none will come
	// (safels says so when it gives an analysis up).
	var given string
	_, cur := c.Await(0, name+": first diagnostics of "+uri, func(m lsptest.Message) bool {
		switch m.Method {
		case "window/showMessage":
			var p struct {
				Type    int
				Message string
			}
			json.Unmarshal(m.Params, &p)
			if p.Type <= 2 && strings.Contains(p.Message, "given up") { // error or warning
				given = p.Message
				return true
			}
		case "textDocument/publishDiagnostics":
			var p lsptest.Published
			json.Unmarshal(m.Params, &p)
			return p.URI == uri
		}
		return false
	})
	if given != "" {
		b.Fatalf("%s gave the analysis up: %s\n%s", name, given, tail(c.StderrText()))
	}
	var r lspRun
	r.first = c.Arrived(cur).Sub(start)
	last := start
	for i := lsptest.Cursor(1); i <= cur; i++ {
		at := c.Arrived(i)
		r.silence = max(r.silence, at.Sub(last))
		last = at
	}
	for _, m := range c.Messages(0)[:cur] {
		if m.Method == "$/progress" {
			var v struct{ Value struct{ Kind string } }
			json.Unmarshal(m.Params, &v)
			r.progress = true
			r.ended = r.ended || v.Value.Kind == "end"
		}
	}

	for i := 0; i < saves; i++ {
		version := i + 2
		text := string(src) + fmt.Sprintf("\n// edit %d\n", i)
		os.WriteFile(file, []byte(text), 0o644) // the editor saves, then says so
		edit := time.Now()
		c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": version}, "contentChanges": []any{map[string]any{"text": text}}})
		c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
		_, cur = c.AwaitDiagnostics(cur, uri, func(p lsptest.Published) bool { return p.Version != nil && *p.Version == version })
		r.save += c.Arrived(cur).Sub(edit)
	}
	if saves > 0 {
		r.save /= time.Duration(saves)
	}
	r.peak = peakRSS(b, c.Pid())
	// Where safels's time went, run by run (its log says it at info
	// level). The edits are comments: every run must find what the first
	// found, whatever it reused from the one before; the benchmark
	// reports both rather than failing, so that its figures print.
	for _, line := range strings.Split(c.StderrText(), "\n") {
		if strings.Contains(line, "msg=analysis ") || strings.Contains(line, "msg=published ") {
			b.Log(line)
			if m := conflictsRE.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				r.conflicts = append(r.conflicts, n)
			}
		}
	}
	c.Call("shutdown", nil)
	c.Notify("exit", nil)
	return r
}

// peakRSS reads the highest resident set size of a live process.
func peakRSS(b *testing.B, pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Logf("peak memory not measured: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// otherServer returns the binary of the server compared with: -real.gopls,
// or the one on PATH if it is the pinned version, or the pinned version
// installed (once) into the user cache directory through the go command.
func otherServer(b *testing.B) string {
	if *realOther != "" {
		return *realOther
	}
	if p, err := exec.LookPath("gopls"); err == nil {
		if out, err := exec.Command(p, "version").Output(); err == nil && strings.Contains(string(out), otherVersion) {
			return p
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		b.Skipf("gopls %s is not on PATH and there is no cache directory to install it into: %v", otherVersion, err)
	}
	gobin := filepath.Join(cache, "safels-bench", "gopls-"+otherVersion)
	bin := filepath.Join(gobin, "gopls")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command(realmod.Go(), "install", "golang.org/x/tools/gopls@"+otherVersion)
	cmd.Env = append(realmod.Env(), "GOBIN="+gobin)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("gopls %s could not be installed (go install golang.org/x/tools/gopls@%s; -real.gopls names a binary): %v\n%s", otherVersion, otherVersion, err, tail(string(out)))
	}
	return bin
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}
