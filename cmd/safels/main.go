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
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/safels/safels/lsp"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "devel"

const usage = `usage: safels <command> [arguments]

commands:
  serve [-log file] [-v] [-cpuprofile f]  the language server on stdio (the default)
  check [-format f] [-v] [pkgs...]        report handlers that may share data unsafely (f: text, json, sarif, matrix)
  gen [-o file] [dir]                     write the constraint table the loop runtime reads
  version                                 print the version

Run 'safels check -h' for the flags of check.
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
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// serve runs the language server on stdin/stdout. Logs go to stderr or a
// file: stdout is the protocol.
func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logFile := fs.String("log", "", "write the log to `file` instead of stderr")
	verbose := fs.Bool("v", false, "log debug messages")
	debounce := fs.Duration("debounce", 150*time.Millisecond, "wait this long after a save for more saves before analysing")
	debugCmds := fs.Bool("debug", os.Getenv("SAFELS_DEBUG") == "1", "enable debugging commands (safels.debug.panic)")
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := lsp.Serve(ctx, os.Stdin, os.Stdout, lsp.Options{Log: log, Version: version, Debug: *debugCmds, Debounce: max(*debounce, time.Millisecond)})
	if err != nil {
		log.Error("server stopped", "error", err)
		return 1
	}
	return 0
}
