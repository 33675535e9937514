package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

// safels as a vet tool: `go vet -vettool=$(which safels) ./...`. The go
// command speaks to a vet tool the way go/analysis/unitchecker does:
//
//	safels -V=full          describe the executable (for the build cache)
//	safels -flags           describe the flags, as JSON (none of its own)
//	safels [-json] vet.cfg  check one package, described by a JSON file
//
// With -json (which go vet passes, to frame diagnostics reliably) the
// findings go to stdout as JSON, package ID → "safels" → diagnostics;
// without it, to stderr as file:line:col: message, with exit status 1.
//
// go vet runs the tool once per package (and once more per test variant
// and per dependency, for facts safels does not use): safels then checks
// that package on its own, so conflicts between handlers of different
// packages are not seen there; `safels check ./...` analyses the whole
// program.

// isVetInvocation: the arguments are the go command's, not a user's.
func isVetInvocation(args []string) bool {
	if len(args) == 1 && (args[0] == "-V=full" || args[0] == "-flags") {
		return true
	}
	if len(args) == 0 || !strings.HasSuffix(args[len(args)-1], ".cfg") {
		return false
	}
	for _, a := range args[:len(args)-1] {
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return true
}

// vetDiagnostic is a finding as the go command reads it.
type vetDiagnostic struct {
	Posn    string       `json:"posn"`
	End     string       `json:"end"`
	Message string       `json:"message"`
	Related []vetRelated `json:"related,omitempty"`
}

type vetRelated struct {
	Posn    string `json:"posn"`
	End     string `json:"end"`
	Message string `json:"message"`
}

// vetConfig is the part of the go command's description of a package
// that safels reads.
type vetConfig struct {
	ID         string
	Dir        string
	ImportPath string
	GoFiles    []string
	VetxOnly   bool
	VetxOutput string
	Stdout     string // where the JSON goes, if set (else stdout)
}

func vet(args []string, stdout, stderr io.Writer) int {
	switch args[0] {
	case "-V=full":
		// The go command caches vet results by this line; a devel
		// build is told apart by the hash of its executable.
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return exitError
		}
		data, err := os.ReadFile(exe)
		if err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "safels version devel comments-go-here buildID=%02x\n", sha256.Sum256(data))
		return 0
	case "-flags":
		fmt.Fprintln(stdout, "[]")
		return 0
	}
	asJSON := false
	for _, a := range args[:len(args)-1] {
		if a == "-json" || a == "-json=true" {
			asJSON = true
		}
	}
	cfgFile := args[len(args)-1]
	data, err := os.ReadFile(cfgFile)
	if err != nil {
		fmt.Fprintf(stderr, "safels: %v\n", err)
		return exitError
	}
	var cfg vetConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		fmt.Fprintf(stderr, "safels: cannot decode %s: %v\n", cfgFile, err)
		return exitError
	}
	if cfg.VetxOutput != "" {
		// No facts; the go command expects the file all the same.
		if err := os.WriteFile(cfg.VetxOutput, nil, 0o666); err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return exitError
		}
	}
	if cfg.VetxOnly || strings.Contains(cfg.ID, " [") {
		return 0 // a dependency, or a test variant of a package checked on its own
	}
	res, err := analysis.Run(context.Background(), analysis.Config{Dir: cfg.Dir, Patterns: []string{"."}, NoConflictList: true})
	if err != nil {
		fmt.Fprintf(stderr, "safels: %v\n", err)
		return exitError
	}
	files := map[string]bool{}
	for _, f := range cfg.GoFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(cfg.Dir, f)
		}
		files[f] = true
	}
	var diags []vetDiagnostic
	for _, p := range res.Problems {
		if files[p.Pos.Filename] && !p.Note {
			diags = append(diags, vetDiagnostic{Posn: p.Pos.String(), Message: "safels: " + p.Message})
		}
	}
	for _, f := range diagnostics.Findings(res) {
		if !files[f.Pos.Filename] {
			continue
		}
		d := vetDiagnostic{Posn: f.Pos.String(), Message: f.Message}
		for _, r := range f.Related {
			if r.Pos.IsValid() {
				d.Related = append(d.Related, vetRelated{Posn: r.Pos.String(), Message: r.Message})
			}
		}
		diags = append(diags, d)
	}
	if asJSON {
		tree := map[string]map[string]any{cfg.ID: {"safels": diags}}
		if len(diags) == 0 {
			tree = map[string]map[string]any{}
		}
		out := stdout
		if cfg.Stdout != "" {
			f, err := os.Create(cfg.Stdout)
			if err != nil {
				fmt.Fprintf(stderr, "safels: %v\n", err)
				return exitError
			}
			defer f.Close()
			out = f
		}
		if err := json.NewEncoder(out).Encode(tree); err != nil {
			fmt.Fprintf(stderr, "safels: %v\n", err)
			return exitError
		}
		return 0
	}
	for _, d := range diags {
		fmt.Fprintf(stderr, "%s: %s\n", d.Posn, d.Message)
	}
	if len(diags) > 0 {
		return exitConflicts
	}
	return 0
}
