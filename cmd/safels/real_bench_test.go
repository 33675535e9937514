package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safels/safels/internal/realmod"
)

// BenchmarkRealServers runs `safels check ./...` beside `go vet ./...` on
// real servers, fetched at pinned versions through the go command (the
// module proxy), in the same run: the ratio of their times is the figure,
// not either time alone. It needs the network the first time; it is not
// run by `go test` without -bench.
//
//	go test ./cmd/safels -run '^$' -bench RealServers -benchtime 1x -timeout 2h
//	go test ./cmd/safels -run '^$' -bench RealServers/inbucket -benchtime 1x
//
// Metrics per server: check-s and vet-s (wall), check/vet (their ratio),
// check-MB and vet-MB (peak resident memory of the process), handlers,
// conflicts and findings as check reports them.
func BenchmarkRealServers(b *testing.B) {
	for _, m := range realServers {
		b.Run(m.name, func(b *testing.B) { benchReal(b, m) })
	}
}

var realLimit = flag.Duration("real.limit", 30*time.Minute, "BenchmarkRealServers: give up on one command after this long, and say so")

var realServers = []struct{ name, module string }{
	{"inbucket", "github.com/inbucket/inbucket/v3@v3.2.0"},
	{"miniflux", "miniflux.app/v2@v2.3.5"},
	{"caddy", "github.com/caddyserver/caddy/v2@v2.11.9"},
	{"nats", "github.com/nats-io/nats-server/v2@v2.15.2"},
}

func benchReal(b *testing.B, m struct{ name, module string }) {
	dir := realmod.Fetch(b, m.module)
	// Fill the build cache first: both commands read dependencies'
	// export data, which the first of them would otherwise build.
	if _, err := runMeasured(dir, goCmd(), "vet", "./..."); err != nil && !isExit(err) {
		b.Fatalf("go vet: %v", err)
	}
	b.ResetTimer()
	var check, vet measured
	for i := 0; i < b.N; i++ {
		var err error
		vet, err = runMeasured(dir, goCmd(), "vet", "./...")
		if err != nil && !isExit(err) {
			b.Fatalf("go vet: %v", err)
		}
		check, err = runMeasured(dir, binary, "check", "-v", "./...")
		if err != nil && !isExit(err) {
			b.Fatalf("safels check: %v\n%s", err, tail(check.stderr))
		}
	}
	b.StopTimer()
	sum := summaryRE.FindStringSubmatch(check.stderr)
	if sum == nil {
		b.Fatalf("safels check printed no summary:\n%s", tail(check.stderr))
	}
	handlers, _ := strconv.Atoi(sum[1])
	conflicts, _ := strconv.Atoi(sum[2])
	b.ReportMetric(check.wall.Seconds(), "check-s")
	b.ReportMetric(vet.wall.Seconds(), "vet-s")
	b.ReportMetric(check.wall.Seconds()/vet.wall.Seconds(), "check/vet")
	b.ReportMetric(float64(check.maxRSS)/(1<<20), "check-MB")
	b.ReportMetric(float64(vet.maxRSS)/(1<<20), "vet-MB")
	b.ReportMetric(float64(handlers), "handlers")
	b.ReportMetric(float64(conflicts), "conflicts")
	b.ReportMetric(float64(strings.Count(check.stdout, "\n")), "findings")
	b.ReportMetric(float64(strings.Count(check.stderr, ": note: ")), "notes")
}

var summaryRE = regexp.MustCompile(`safels: \d+ packages, (\d+) handlers, (\d+) conflicts in`)

type measured struct {
	wall           time.Duration
	maxRSS         int64 // bytes
	stdout, stderr string
}

// runMeasured runs one command in dir, its time and peak memory measured.
func runMeasured(dir, name string, args ...string) (measured, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *realLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = realmod.Env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err := cmd.Run()
	m := measured{wall: time.Since(start), stdout: o.String(), stderr: e.String()}
	if ctx.Err() != nil {
		return m, fmt.Errorf("%s did not finish in %s", filepath.Base(name), *realLimit)
	}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.maxRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	return m, err
}

// isExit: the command ran to its end and reported findings by its exit
// code (vet's 1, check's 1 or 2), which is not a failure here.
func isExit(err error) bool {
	_, ok := err.(*exec.ExitError)
	return ok
}

func goCmd() string { return realmod.Go() }

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
