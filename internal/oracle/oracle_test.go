package oracle

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/internal/testmod"
)

var (
	flagN     = flag.Int("oracle.n", 120, "number of generated programs (testing.Short: a quarter)")
	flagSeed  = flag.Uint64("oracle.seed", 1, "seed of the generated programs")
	flagInv   = flag.Int("oracle.inv", 128, "invocations per program and mode")
	flagChunk = flag.Int("oracle.chunk", 400, "programs per runner binary")
	flagV     = flag.Bool("oracle.v", false, "log every race and how it was matched")
	flagWebW  = flag.Bool("oracle.webw", true, "add the net/http shapes that publish response writers (web.go, WebWriters)")
	flagHeldG = flag.Bool("oracle.heldgiven", HeldGiven, "add the published-holder shapes whose constructor keeps a Feed it is given (hold.go, HeldGiven)")
	flagPubs  = flag.String("oracle.pubs", PubFamilies, "the publishing shapes' families written (pubs.go, PubFamilies)")
)

// Modes, and the conflict kinds a race in each may be (0: none may occur).
var modes = []struct {
	name    string
	allowed analysis.Kind
}{
	{"distinct", analysis.Global},                  // contexts never shared: only global conflicts race
	{"shared", analysis.Global | analysis.Context}, // one context for all
	{"scheduled", 0},                               // the generated table: race-free
	{"nohue", analysis.Global},                     // colors still keep context conflicts apart
	{"nocolor", analysis.Context},                  // hues still keep global conflicts apart
	{"unconstrained", analysis.Global | analysis.Context},
}

// raceSupported says why the race detector cannot run here, if it cannot.
func raceSupported(goCmd string) string {
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x", "linux/loong64",
		"darwin/amd64", "darwin/arm64", "freebsd/amd64", "netbsd/amd64", "windows/amd64":
	default:
		return "the race detector does not support " + runtime.GOOS + "/" + runtime.GOARCH
	}
	out, err := exec.Command(goCmd, "env", "CGO_ENABLED", "CC").Output()
	if err != nil {
		return "go env: " + err.Error()
	}
	f := strings.Fields(string(out))
	if len(f) < 2 || f[0] != "1" {
		return "the race detector needs cgo, and CGO_ENABLED is not 1"
	}
	if _, err := exec.LookPath(f[1]); err != nil {
		return "the race detector needs a C compiler, and " + f[1] + " is not found"
	}
	return ""
}

// TestOracle is the soundness oracle: for random handler programs, every
// race the race detector finds while the handlers run unconstrained is a
// conflict the analysis reported, and the loop with the table `safels gen`
// wrote runs them without a race. It also checks that it can fail: the
// generated programs do race, and the loop with a table stripped of its
// hues, or of its colors, races where the real table does not.
func TestOracle(t *testing.T) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if why := raceSupported(goCmd); why != "" {
		t.Skip(why)
	}
	n := *flagN
	if testing.Short() {
		n = max(1, n/4)
	}
	start := time.Now()
	dir := t.TempDir()
	WebWriters = *flagWebW
	HeldGiven = *flagHeldG
	PubFamilies = *flagPubs
	progs := make([]*Program, n)
	for i := range progs {
		progs[i] = Generate(*flagSeed, i)
	}
	runners := WriteModule(t, dir, progs, *flagChunk)
	env := testmod.Env()

	// The test runs the loop and safels gen through the go command, which
	// go test's result cache does not see: reading their sources here
	// makes a change to them run the oracle again.
	for _, pkg := range []string{"loop", "cmd/safels"} {
		files, _ := filepath.Glob(filepath.Join(testmod.Root(), pkg, "*.go"))
		for _, f := range files {
			os.ReadFile(f)
		}
	}
	bin := filepath.Join(dir, "bin")
	safels := filepath.Join(bin, "safels")
	build := exec.Command(goCmd, "build", "-o", safels, "./cmd/safels")
	build.Dir = testmod.Root()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building safels: %v\n%s", err, out)
	}

	// Analyse every program, and have safels gen write its table.
	results := make([]*analysis.Result, n)
	var (
		mu       sync.Mutex
		failures []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	// Twice as many workers as cores: much of the time goes to waiting
	// for the go command (go list) that loads the packages.
	parallel(n, 2*runtime.GOMAXPROCS(0), func(i int) {
		p := progs[i]
		pdir := filepath.Join(dir, p.Pkg)
		// As safels gen does (and twice as fast as naming the package
		// from the module's root).
		res, err := analysis.Run(context.Background(), analysis.Config{Dir: pdir, Patterns: []string{"./..."}, Env: env})
		if err != nil {
			fail("program %d: analysis: %v", i, err)
			return
		}
		for _, pr := range res.Problems {
			// (state.Later's loop.Post posts its parameter: the
			// handlers are followed to its callers, posts.go.)
			fail("program %d: analysis problem: %s: %s\n%s", i, pr.Pos, pr.Message, sources(p))
		}
		if len(res.Handlers) != len(p.Handlers) {
			var names []string
			for _, h := range res.Handlers {
				names = append(names, h.Short)
			}
			fail("program %d: the analysis found %d handlers (%s), the program has %d", i, len(res.Handlers), strings.Join(names, ", "), len(p.Handlers))
		}
		results[i] = res
		target := filepath.Join(pdir, TableFile)
		cmd := exec.Command(safels, "gen", "-o", target, pdir)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("program %d: safels gen: %v\n%s", i, err, out)
			return
		}
		src, err := os.ReadFile(target)
		if err == nil {
			err = checkTable(src, res)
		}
		if err == nil {
			src, err = AdaptTable(src)
		}
		if err == nil {
			err = os.WriteFile(target, src, 0o644)
		}
		if err != nil {
			fail("program %d: %v", i, err)
		}
	})
	if len(failures) > 0 {
		t.Fatalf("%d programs could not be analysed:\n%s", len(failures), strings.Join(failures, "\n\n"))
	}
	analysed := time.Since(start)

	args := append([]string{"build", "-race", "-gcflags=" + ModulePath + "/...=-l", "-o", bin + string(filepath.Separator)}, runners...)
	build = exec.Command(goCmd, args...)
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the runners: %v\n%s", err, out)
	}
	built := time.Since(start)

	// Run every chunk in every mode.
	type job struct {
		mode   int
		runner string
	}
	var jobs []job
	for m := range modes {
		for _, r := range runners {
			jobs = append(jobs, job{m, filepath.Join(bin, filepath.Base(r))})
		}
	}
	logs := make([][]*Log, len(jobs))
	parallel(len(jobs), runtime.GOMAXPROCS(0), func(j int) {
		logs[j] = runChunk(t, jobs[j].runner, modes[jobs[j].mode].name, fail)
	})

	// Check every race.
	pdir := func(p *Program) string { return filepath.Join(dir, p.Pkg) }
	type stat struct {
		races, programs, crashes int
		web, webPair             int // races with a net/http handler on one side, on both (web.go)
		how                      [nHow]int
	}
	stats := make([]stat, len(modes))
	racy := make([]map[int]bool, len(modes))
	reported := map[int]bool{} // programs whose source was printed
	var matched []Race         // distinct mode, for the check of the checker
	for j, jb := range jobs {
		m := modes[jb.mode]
		if racy[jb.mode] == nil {
			racy[jb.mode] = map[int]bool{}
		}
		for _, lg := range logs[j] {
			for prog, msg := range lg.Messages {
				if strings.HasPrefix(msg, "@@oracle crash") {
					stats[jb.mode].crashes++
					if m.name == "scheduled" {
						fail("mode %s, program %d crashed:\n%s", m.name, prog, tail(msg))
					}
					continue
				}
				if msg = strings.TrimSpace(msg); msg != "" {
					fail("mode %s, program %d: the runner said:\n%s", m.name, prog, tail(msg))
				}
			}
			for _, r := range lg.Races {
				stats[jb.mode].races++
				if r.Program < 0 || r.Program >= n {
					fail("mode %s: race outside any program:\n%s", m.name, r.Text)
					continue
				}
				p, res := progs[r.Program], results[r.Program]
				if w := webSides(r, p); w > 0 {
					stats[jb.mode].web++
					if w == 2 {
						stats[jb.mode].webPair++
					}
				}
				if !racy[jb.mode][r.Program] {
					racy[jb.mode][r.Program] = true
					stats[jb.mode].programs++
				}
				src := ""
				if !reported[p.Index] {
					src = "\n" + sources(p)
				}
				if m.allowed == 0 {
					reported[p.Index] = true
					fail("mode %s: program %d races under the loop with its generated table:\n%s%s", m.name, p.Index, r.Text, src)
					continue
				}
				v := Match(r, p, res, pdir(p), m.allowed)
				stats[jb.mode].how[v.How]++
				if *flagV {
					t.Logf("mode %s program %d: %s: %s", m.name, p.Index, v.How, v.Reason)
				}
				if v.OK() && m.name == "distinct" {
					matched = append(matched, r)
				}
				if !v.OK() {
					reported[p.Index] = true
					fail("mode %s: program %d: a race the analysis did not report: %s\n%s\nhandlers and accesses:\n%s%s",
						m.name, p.Index, v.Reason, r.Text, accesses(res), src)
				}
			}
		}
	}
	elapsed := time.Since(start)
	for _, f := range failures {
		t.Error(f)
	}

	parallelRacy := map[int]bool{}
	for _, m := range []int{0, 1} {
		for p := range racy[m] {
			parallelRacy[p] = true
		}
	}
	var summary strings.Builder
	fmt.Fprintf(&summary, "%d programs (seed %d): analysed and tables generated in %v, runners built in %v, all done in %v\n",
		n, *flagSeed, analysed.Round(time.Millisecond), (built - analysed).Round(time.Millisecond), elapsed.Round(time.Millisecond))
	for st := Mixed; st <= Contextual; st++ {
		var count, conflicting, raced int
		for i, p := range progs {
			if p.Style != st {
				continue
			}
			count++
			if len(results[i].Conflicts) > 0 {
				conflicting++
			}
			if parallelRacy[i] {
				raced++
			}
		}
		fmt.Fprintf(&summary, "  %-11s %4d programs, %d with conflicts, %d raced run in parallel\n", st, count, conflicting, raced)
	}
	for i, m := range modes {
		fmt.Fprintf(&summary, "  %-13s %4d races in %3d programs", m.name, stats[i].races, stats[i].programs)
		for h := Exact; h < nHow; h++ {
			if c := stats[i].how[h]; c > 0 {
				fmt.Fprintf(&summary, ", %s %d", h, c)
			}
		}
		if c := stats[i].web; c > 0 {
			fmt.Fprintf(&summary, "; net/http %d (%d between requests)", c, stats[i].webPair)
		}
		if c := stats[i].crashes; c > 0 {
			fmt.Fprintf(&summary, "; %d runs crashed (a concurrent map write)", c)
		}
		summary.WriteString("\n")
	}
	t.Log(summary.String())

	// The checker must be able to fail: against results with no conflict,
	// no race is matched.
	blind := map[int]*analysis.Result{}
	for _, r := range matched {
		if blind[r.Program] == nil {
			blind[r.Program] = conflictFree(results[r.Program])
		}
		if v := Match(r, progs[r.Program], blind[r.Program], pdir(progs[r.Program]), analysis.Global|analysis.Context); v.OK() {
			t.Errorf("program %d: a race matched an analysis result with no conflict (%s: %s):\n%s", r.Program, v.How, v.Reason, r.Text)
		}
	}

	// The oracle must be able to fail. The programs race when nothing
	// orders their handlers...
	if len(matched) == 0 || len(parallelRacy)*4 < n {
		t.Errorf("only %d of %d programs raced when run in parallel: the generator is too tame", len(parallelRacy), n)
	}
	// ...and the loop's checks are the table's doing: without hues, or
	// without colors, it races where the real table does not.
	for i, m := range modes {
		if m.name != "scheduled" && n >= 100 && stats[i].programs == 0 {
			t.Errorf("mode %s: no race in %d programs: the scheduled mode could not see races either", m.name, n)
		}
	}
	// The net/http handlers race too (web.go), with each other, not only with
	// the loop's invocations.
	if n >= 100 && stats[0].webPair == 0 {
		t.Errorf("no race between two net/http requests: the net/http shapes are too tame")
	}
}

// webSides says on how many sides of the race a net/http handler of p is
// (web.go), by its frames.
func webSides(r Race, p *Program) int {
	n := 0
	for _, s := range r.Sides {
		for _, f := range s.Frames {
			if strings.HasPrefix(f.Func, ModulePath+"/"+p.Pkg+".web") {
				n++
				break
			}
		}
	}
	return n
}

// parallel runs f(0..n-1) on workers goroutines.
func parallel(n, workers int, f func(int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// runChunk runs one runner binary in one mode. A crash (the runtime's
// fatal error on a concurrent map write) ends the runner: it is run again
// from the program after the one that crashed.
func runChunk(t *testing.T, runner, mode string, fail func(string, ...any)) []*Log {
	var logs []*Log
	from := 0
	inv := *flagInv
	if mode == "nocolor" {
		// Only context conflicts race there, between two handlers with
		// no hue in common on one context (the runner uses one there):
		// rare, and TestOracle fails if none is seen (on a loaded
		// machine, 64 invocations a program on three contexts gave 0 to
		// 2 races in all): more chances.
		inv *= 4
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		cmd := exec.CommandContext(ctx, runner, "-mode", mode, "-from", strconv.Itoa(from),
			"-seed", strconv.FormatUint(*flagSeed, 10), "-n", strconv.Itoa(inv))
		// Equal addresses: a second pair of handlers racing on a variable
		// is a second conflict to check, not a duplicate.
		cmd.Env = append(os.Environ(), "GORACE=halt_on_error=0 exitcode=66 history_size=4 suppress_equal_addresses=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		lg := ParseLog(stderr.String())
		logs = append(logs, lg)
		if lg.Done {
			return logs
		}
		if len(lg.Begun) == 0 {
			fail("mode %s: %s -from %d did not start: %v\n%s", mode, filepath.Base(runner), from, err, tail(stderr.String()))
			return logs
		}
		last := lg.Begun[len(lg.Begun)-1]
		if lg.Ended[last] {
			fail("mode %s: %s -from %d stopped after program %d: %v\n%s", mode, filepath.Base(runner), from, last, err, tail(stderr.String()))
			return logs
		}
		lg.Messages[last] = "@@oracle crash: " + err.Error() + "\n" + lg.Messages[last]
		from = last + 1
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// sources prints a program's files with line numbers.
func sources(p *Program) string {
	if p.State == "" {
		return numbered(p.Source)
	}
	return "prog.go:\n" + numbered(p.Source) + "state/state.go:\n" + numbered(p.State)
}

// numbered prints a program with line numbers, as race reports cite them.
func numbered(src string) string {
	var b strings.Builder
	for i, ln := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, ln)
	}
	return b.String()
}

// accesses lists what the analysis found, for failure messages.
func accesses(res *analysis.Result) string {
	var b strings.Builder
	for i, h := range res.Handlers {
		fmt.Fprintf(&b, "  %s (hue %d, colored %v), matrix row %v\n", h.Short, h.Hue, h.Colored, res.Matrix[i])
		for _, a := range h.Accesses {
			fmt.Fprintf(&b, "    %s", describe(a))
			if len(a.GuardedBy) > 0 {
				fmt.Fprintf(&b, " guarded by %v", a.GuardedBy)
			}
			fmt.Fprintf(&b, ", %d partners\n", a.NPartners)
		}
	}
	return b.String()
}

var tableLine = regexp.MustCompile(`"([^"]+)":\s+\{Hue: (-?\d+), Colored: (true|false)(?:, Pos: "[^"]*")?\},\s+// (.+)`)

// checkTable checks that the table safels gen wrote says what the analysis
// found: each loop handler's hue and color, by its short name.
func checkTable(src []byte, res *analysis.Result) error {
	got := map[string]string{}
	for _, m := range tableLine.FindAllStringSubmatch(string(src), -1) {
		got[m[4]] = m[2] + " " + m[3]
	}
	var bad []string
	for _, h := range res.Handlers {
		if h.Model != analysis.ModelLoop {
			continue // net/http's (web.go): no loop runs them
		}
		want := fmt.Sprintf("%d %v", h.Hue, h.Colored)
		if got[h.Short] != want {
			bad = append(bad, fmt.Sprintf("%s: table %q, analysis %q", h.Short, got[h.Short], want))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		return fmt.Errorf("the generated table disagrees with the analysis: %s\n%s", strings.Join(bad, "; "), src)
	}
	return nil
}

// conflictFree copies res without its conflicts: what the analysis would
// say if it missed them all.
func conflictFree(res *analysis.Result) *analysis.Result {
	out := &analysis.Result{Matrix: make([][]analysis.Kind, len(res.Handlers))}
	for i, h := range res.Handlers {
		c := *h
		c.Accesses = nil
		for _, a := range h.Accesses {
			x := *a
			x.Partners, x.NPartners = nil, 0
			c.Accesses = append(c.Accesses, &x)
		}
		out.Handlers = append(out.Handlers, &c)
		out.Matrix[i] = make([]analysis.Kind, len(res.Handlers))
	}
	return out
}
