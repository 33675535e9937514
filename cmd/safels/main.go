// Command safels is the one binary of safels: with no arguments (or
// `safels serve`) it is a language server on stdio; `safels check` reports
// handler conflicts like `go vet` (check.go; SARIF: sarif.go), and safels
// also runs as `go vet -vettool` (vet.go); `safels gen` writes the loop's
// constraint table; `safels version` prints its version.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/safels/safels/lsp"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "devel"

const usage = `usage: safels <command> [arguments]

commands:
  serve [-log file] [-v] [-debounce d]    the language server on stdio (the default)
  check [-format f] [-v] [pkgs...]        report handlers that may share data unsafely (f: text, json, sarif, matrix)
  gen [-o file] [dir]                     write the constraint table the loop runtime reads
  version                                 print the version

Run 'safels serve -h' or 'safels check -h' for all the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return serve(nil, stderr)
	}
	if isVetInvocation(args) {
		return vet(args, stdout, stderr) // go vet -vettool=safels
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	case "gen":
		return gen(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "safels %s\n", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "safels: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// startCPUProfile profiles the process into file until the returned
// function is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	// A profile is asked for when a run is slow, and a slow run is often
	// interrupted: write what was recorded before going down.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(exitError)
		case <-done:
		}
	}()
	return func() { close(done); signal.Stop(sig); pprof.StopCPUProfile(); f.Close() }, nil
}

// serve runs the language server on stdin/stdout. Logs go to stderr or a
// file: stdout is the protocol. The exit code is the LSP's: 0 when the
// client asked for shutdown before the session ended (by exit, end of
// input, SIGTERM or SIGINT), 1 otherwise.
func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logFile := fs.String("log", "", "write the log to `file` instead of stderr")
	verbose := fs.Bool("v", false, "log debug messages")
	debounce := fs.Duration("debounce", 150*time.Millisecond, "wait this long after a save for more saves before analysing")
	replyTimeout := fs.Duration("reply-timeout", 5*time.Second, "wait this long for the client's answer to a request of the server (progress, configuration) before going on without it")
	progressEvery := fs.Duration("progress-every", time.Second, "update the progress of a running analysis this often with the time it took so far")
	maxTime := fs.Duration("max-time", 5*time.Minute, "give up an analysis that takes longer, and say so (0: no limit)")
	maxMemory := byteSize(4 << 30)
	fs.Var(&maxMemory, "max-memory", "give up an analysis whose Go heap grows past this `size` (e.g. 4GiB, 512MiB; 0: no limit), and say so")
	debugCmds := fs.Bool("debug", os.Getenv("SAFELS_DEBUG") == "1", "enable debugging commands (safels.debug.panic, safels.debug.stats)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole session to `file` (for reports of a slow server)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return 2
		}
		defer stopProfile()
	}
	var w io.Writer = stderr
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return 2
		}
		defer f.Close()
		w = f
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	if maxMemory > 0 {
		// The server gives an analysis up when the live heap passes
		// -max-memory; the collector works harder as memory nears a bit
		// more than that, so that the process stays near the bound and
		// only what an analysis really holds trips it.
		debug.SetMemoryLimit(int64(maxMemory + maxMemory/4))
	}
	err := lsp.Serve(stopOnSignal(log), os.Stdin, os.Stdout, lsp.Options{
		Log: log, Version: version, Debug: *debugCmds,
		Debounce: max(*debounce, time.Millisecond), ReplyTimeout: max(*replyTimeout, time.Millisecond),
		MaxTime: max(*maxTime, 0), MaxMemory: uint64(maxMemory),
		ProgressEvery: max(*progressEvery, time.Millisecond),
	})
	if err != nil {
		log.Info("server stopped", "exit code", 1, "reason", err)
		return 1
	}
	log.Info("server stopped", "exit code", 0)
	return 0
}

// stopOnSignal returns a context cancelled by the first SIGTERM or SIGINT;
// a second one kills the process at once, as if safels did not catch it.
func stopOnSignal(log *slog.Logger) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Stop(sigs)
		log.Info("received a signal", "signal", sig)
		cancel(fmt.Errorf("received %v", sig))
	}()
	return ctx
}

// byteSize is a flag of a number of bytes: 4GiB, 512MiB, 64KiB, or bytes.
type byteSize uint64

func (b *byteSize) String() string {
	switch v := uint64(*b); {
	case v != 0 && v%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", v>>30)
	case v != 0 && v%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", v>>20)
	}
	return strconv.FormatUint(uint64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	unit := uint64(1)
	for _, u := range []struct {
		suffix string
		n      uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, unit = v, u.n
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint64/unit {
		return fmt.Errorf("%q is not a size like 4GiB, 512MiB, 64KiB or a number of bytes", s)
	}
	*b = byteSize(n * unit)
	return nil
}
