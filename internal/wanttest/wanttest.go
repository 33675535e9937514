// Package wanttest checks safels findings against `// want "regexp"`
// comments written beside the code that causes them, in the style of
// go/analysis/analysistest: every finding must be wanted on its line, and
// every wanted regexp must match a finding on its line.
package wanttest

import (
	"context"
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

type lineKey struct {
	file string
	line int
}

// Run analyses the package in dir and checks its findings against the want
// comments of its .go files. It returns the result for further checks.
func Run(t *testing.T, dir string) *analysis.Result {
	t.Helper()
	return RunPatterns(t, dir, ".")
}

// RunPatterns is Run on the packages patterns name, relative to dir (its
// subpackages, with "./..."); the want comments are those of dir's files,
// and a finding elsewhere is unexpected.
func RunPatterns(t *testing.T, dir string, patterns ...string) *analysis.Result {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(context.Background(), analysis.Config{Dir: abs, Patterns: patterns})
	if err != nil {
		t.Fatalf("analysis of %s: %v", dir, err)
	}
	for _, p := range res.Problems {
		if !p.Warning && !p.Note {
			t.Errorf("%s: %s", p.Pos, p.Message)
		}
	}
	wants, err := parseWants(abs)
	if err != nil {
		t.Fatal(err)
	}
	matched := map[*regexp.Regexp]bool{}
	for _, f := range diagnostics.Findings(res) {
		k := lineKey{f.Pos.Filename, f.Pos.Line}
		ok := false
		for _, re := range wants[k] {
			if re.MatchString(f.Message) {
				matched[re] = true
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s:%d: unexpected finding: %s", filepath.Base(k.file), k.line, f.Message)
		}
	}
	var keys []lineKey
	for k := range wants {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].file < keys[j].file || keys[i].file == keys[j].file && keys[i].line < keys[j].line
	})
	for _, k := range keys {
		for _, re := range wants[k] {
			if !matched[re] {
				t.Errorf("%s:%d: no finding matches %q", filepath.Base(k.file), k.line, re)
			}
		}
	}
	return res
}

var wantRE = regexp.MustCompile(`^//\s*want\s+(.*)$`)

// parseWants reads `// want "re" "re"...` comments of the .go files in dir.
func parseWants(dir string) (map[lineKey][]*regexp.Regexp, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[lineKey][]*regexp.Regexp{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(name, -1, len(src)), src, nil, scanner.ScanComments)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.COMMENT {
				continue
			}
			m := wantRE.FindStringSubmatch(lit)
			if m == nil {
				continue
			}
			line := fset.Position(pos).Line
			rest := strings.TrimSpace(m[1])
			for rest != "" {
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: bad want comment: %v", name, line, err)
				}
				pat, _ := strconv.Unquote(q)
				re, err := regexp.Compile(pat)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %v", name, line, err)
				}
				out[lineKey{name, line}] = append(out[lineKey{name, line}], re)
				rest = strings.TrimSpace(rest[len(q):])
			}
		}
	}
	return out, nil
}
