// Package nvim_test runs the Neovim plugin in editors/nvim end to end: a
// headless Neovim (the one on PATH: 0.7.2 from Debian in CI) with the real
// safels server, on a copy of testdata/thttpd.
package nvim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safels/safels/internal/testmod"
)

// report is what test/e2e.lua writes.
type report struct {
	OK         bool
	Error      string
	Nvim       string
	Seconds    float64
	Steps      []string
	Diagnostic struct {
		Line, Col int
		Code      string
		Message   string
	}
	Float    []string
	Loclist  []string
	Matrix   []string
	Titles   []string
	Fix      string
	PostLine string `json:"post_line"`
	After    []string
}

// vimEscape escapes a file name for an Ex command argument.
func vimEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, " ", `\ `, ",", `\,`, "|", `\|`).Replace(s)
}

// headless returns the command that runs test/<script> in a headless
// Neovim with the plugin on its runtimepath, under timeout(1) where there is
// one, its own files (lsp.log, shada, swap) under xdg.
func headless(nvim, plugin, script, xdg string) *exec.Cmd {
	args := []string{"--headless", "-u", "NONE", "-i", "NONE",
		"--cmd", "set rtp+=" + vimEscape(plugin),
		"-c", "luafile " + vimEscape(filepath.Join(plugin, "test", script))}
	var cmd *exec.Cmd
	if to, err := exec.LookPath("timeout"); err == nil {
		cmd = exec.Command(to, append([]string{"120", nvim}, args...)...)
	} else {
		cmd = exec.Command(nvim, args...)
	}
	cmd.Env = append(os.Environ(),
		"XDG_CONFIG_HOME="+filepath.Join(xdg, "config"),
		"XDG_DATA_HOME="+filepath.Join(xdg, "data"),
		"XDG_STATE_HOME="+filepath.Join(xdg, "state"),
		"XDG_CACHE_HOME="+filepath.Join(xdg, "cache"),
	)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

func lookNvim(t *testing.T) (nvim, plugin string) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		t.Skip("nvim is not on PATH (CI installs it: apt-get install -y neovim)")
	}
	plugin, _ = filepath.Abs(".")
	return nvim, plugin
}

// TestNeovimUnit runs test/unit.lua: the matrix formatter, the related
// locations, the root finder, the client configuration, setup.
func TestNeovimUnit(t *testing.T) {
	nvim, plugin := lookNvim(t)
	tmp := t.TempDir()
	cmd := headless(nvim, plugin, "unit.lua", filepath.Join(tmp, "xdg"))
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok\n") {
		t.Fatalf("test/unit.lua: %v\n%s", err, out)
	}
}

// TestNeovimEndToEnd runs test/e2e.lua: the plugin with the real server on
// a copy of testdata/thttpd, from the first diagnostic to the quick fix
// saved and re-analysed.
func TestNeovimEndToEnd(t *testing.T) {
	nvim, plugin := lookNvim(t)
	root, _ := filepath.Abs("../..")
	tmp := t.TempDir()

	start := time.Now()
	bin := filepath.Join(tmp, "safels")
	build := exec.Command("go", "build", "-o", bin, "./cmd/safels")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/safels: %v\n%s", err, out)
	}
	t.Logf("built the server in %v", time.Since(start).Round(time.Millisecond))

	dir := testmod.Copy(t, filepath.Join(root, "testdata", "thttpd"))
	file := filepath.Join(dir, "handlers.go")

	// The CLI's matrix, to compare :SafelsMatrix with.
	start = time.Now()
	check := exec.Command(bin, "check", "-matrix", ".")
	check.Dir, check.Env = dir, testmod.Env()
	var cliOut, cliErr bytes.Buffer
	check.Stdout, check.Stderr = &cliOut, &cliErr
	if err := check.Run(); err != nil {
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("safels check -matrix: %v\n%s", err, cliErr.String())
		}
	}
	cliMatrix := strings.Split(strings.TrimRight(cliOut.String(), "\n"), "\n")
	t.Logf("safels check -matrix in %v", time.Since(start).Round(time.Millisecond))

	// Neovim's XDG directories go to tmp; the go command's, which default
	// to them, stay where they are (a cold build cache costs seconds).
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	gocache, goenvFile, _ := strings.Cut(strings.TrimSpace(string(goenv)), "\n")

	reportFile := filepath.Join(tmp, "report.json")
	logFile := filepath.Join(tmp, "server.log")
	xdg := filepath.Join(tmp, "xdg")
	cmd := headless(nvim, plugin, "e2e.lua", xdg)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env,
		"GOFLAGS=-mod=mod",
		"GOCACHE="+gocache,
		"GOENV="+goenvFile,
		"SAFELS_E2E_BIN="+bin,
		"SAFELS_E2E_LOG="+logFile,
		"SAFELS_E2E_FILE="+file,
		"SAFELS_E2E_REPORT="+reportFile,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start = time.Now()
	runErr := cmd.Run()
	nvimTime := time.Since(start)

	var rep report
	data, readErr := os.ReadFile(reportFile)
	if readErr == nil {
		readErr = json.Unmarshal(data, &rep)
	}
	for _, s := range rep.Steps {
		t.Log(s)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		serverLog, _ := os.ReadFile(logFile)
		lspLog, _ := os.ReadFile(filepath.Join(xdg, "state", "nvim", "lsp.log"))
		if len(lspLog) == 0 {
			lspLog, _ = os.ReadFile(filepath.Join(xdg, "cache", "nvim", "lsp.log"))
		}
		t.Fatalf(format+"\n--- nvim output:\n%s\n--- server log:\n%s\n--- Neovim lsp.log:\n%s", append(args, out.String(), serverLog, lspLog)...)
	}
	t.Logf("Neovim %s ran for %v", rep.Nvim, nvimTime.Round(time.Millisecond))
	if runErr != nil {
		fail("nvim: %v (status 124: killed by timeout after 120 s); report: %s", runErr, rep.Error)
	}
	if readErr != nil {
		fail("no report from test/e2e.lua: %v", readErr)
	}
	if !rep.OK {
		fail("test/e2e.lua failed: %s", rep.Error)
	}

	// What the script saw, checked again here.
	d := rep.Diagnostic
	if !strings.HasPrefix(d.Message, "handleSend calls reallyClearConnection, which writes stats.bytes") || !strings.Contains(d.Message, ": handleRead writes it (handlers.go:") {
		t.Errorf("diagnostic message: %q", d.Message)
	}
	if d.Code != "global-conflict" {
		t.Errorf("diagnostic code %q", d.Code)
	}
	related := 0
	for _, l := range rep.Float {
		if strings.Contains(l, "related: handlers.go:") {
			related++
		}
	}
	if related == 0 {
		t.Errorf("the float shows no related location:\n%s", strings.Join(rep.Float, "\n"))
	}
	if len(rep.Matrix) < len(cliMatrix) {
		t.Fatalf(":SafelsMatrix has %d lines, safels check -matrix %d:\n%s", len(rep.Matrix), len(cliMatrix), strings.Join(rep.Matrix, "\n"))
	}
	for i, want := range cliMatrix {
		if rep.Matrix[i] != want {
			t.Errorf(":SafelsMatrix line %d:\n got %q\nwant %q (safels check -matrix)", i+1, rep.Matrix[i], want)
		}
	}
	if !strings.HasPrefix(rep.Fix, "Defer reallyClearConnection(c) to new handler") {
		t.Errorf("the fix applied: %q (offered: %q)", rep.Fix, rep.Titles)
	}

	// The fix was written to disk, and the program still builds.
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), rep.PostLine) || !strings.Contains(string(src), "loop.Post(l, defer") {
		t.Errorf("handlers.go on disk does not hold %q", rep.PostLine)
	}
	start = time.Now()
	gb := exec.Command("go", "build", "./...")
	gb.Dir, gb.Env = dir, testmod.Env()
	if out, err := gb.CombinedOutput(); err != nil {
		t.Errorf("go build ./... after the quick fix: %v\n%s", err, out)
	}
	if os.Getenv("SAFELS_E2E_SHOWLOG") != "" {
		l, _ := os.ReadFile(logFile)
		t.Logf("server log:\n%s", l)
	}
	t.Logf("the fixed module builds (%v); the script took %.1fs", time.Since(start).Round(time.Millisecond), rep.Seconds)
}
