package main

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/safels/safels/analysis"
	"github.com/safels/safels/diagnostics"
)

// SARIF 2.1.0 (OASIS), the format code-scanning services take: one run of
// the tool "safels", a rule per finding code, a result per finding with
// its partners and call chain as related locations, and the problems that
// kept code from being analysed as tool notifications.

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool                   `json:"tool"`
	Results           []sarifResult               `json:"results"`
	Invocations       []sarifInvocation           `json:"invocations"`
	OriginalURIBaseID map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
	FullDescription  sarifMessage `json:"fullDescription"`
	Default          sarifConfig  `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
	Related   []sarifLocation `json:"relatedLocations,omitempty"`
}

type sarifLocation struct {
	ID       *int          `json:"id,omitempty"`
	Physical sarifPhysical `json:"physicalLocation"`
	Message  *sarifMessage `json:"message,omitempty"`
}

type sarifPhysical struct {
	Artifact sarifArtifactLoc `json:"artifactLocation"`
	Region   *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifInvocation struct {
	Successful    bool                `json:"executionSuccessful"`
	Notifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

// sarifRules are the finding codes, in a fixed order (ruleIndex).
var sarifRules = []sarifRule{
	{ID: diagnostics.CodeRace,
		ShortDescription: sarifMessage{"Handlers that run concurrently may race on shared memory"},
		FullDescription:  sarifMessage{"Two handlers that net/http or a framework runs at the same time touch the same memory, at least one writing, not both under a common lock nor both atomically: a data race."},
		Default:          sarifConfig{"warning"}},
	{ID: diagnostics.CodeGlobal,
		ShortDescription: sarifMessage{"Event handlers conflict on shared state"},
		FullDescription:  sarifMessage{"Two handlers of the safels loop touch the same shared memory, one writing: the loop never runs them at once (they share a hue), which costs parallelism."},
		Default:          sarifConfig{"note"}},
	{ID: diagnostics.CodeContext,
		ShortDescription: sarifMessage{"Event handlers conflict on the same context"},
		FullDescription:  sarifMessage{"Two handlers of the safels loop touch the same memory of their context, one writing: the loop never runs them at once on one context (they are colored)."},
		Default:          sarifConfig{"note"}},
}

func sarifLevel(s diagnostics.Severity) string {
	switch s {
	case diagnostics.Error:
		return "error"
	case diagnostics.Warning:
		return "warning"
	}
	return "note"
}

// writeSARIF prints the findings as a SARIF log, file names relative to
// the working directory (the base %SRCROOT%).
func writeSARIF(w io.Writer, wd string, res *analysis.Result) error {
	loc := func(p analysisPos, msg string) sarifLocation {
		l := sarifLocation{Physical: sarifPhysical{Artifact: artifact(wd, p.file)}}
		if p.line > 0 {
			l.Physical.Region = &sarifRegion{StartLine: p.line, StartColumn: max(p.col, 1)}
		}
		if msg != "" {
			l.Message = &sarifMessage{msg}
		}
		return l
	}
	run := sarifRun{
		Tool:              sarifTool{Driver: sarifDriver{Name: "safels", Version: version, InformationURI: "https://github.com/safels/safels", Rules: sarifRules}},
		Results:           []sarifResult{},
		OriginalURIBaseID: map[string]sarifArtifactLoc{"%SRCROOT%": {URI: dirURI(wd)}},
	}
	for _, f := range diagnostics.Findings(res) {
		r := sarifResult{RuleID: f.Code, Level: sarifLevel(f.Severity), Message: sarifMessage{f.Message},
			Locations: []sarifLocation{loc(posOf(f.Pos.Filename, f.Pos.Line, f.Pos.Column), "")}}
		for i, rule := range sarifRules {
			if rule.ID == f.Code {
				r.RuleIndex = i
			}
		}
		for i, rel := range f.Related {
			if rel.Pos.Filename == "" {
				continue
			}
			l := loc(posOf(rel.Pos.Filename, rel.Pos.Line, rel.Pos.Column), rel.Message)
			id := i + 1
			l.ID = &id
			r.Related = append(r.Related, l)
		}
		run.Results = append(run.Results, r)
	}
	inv := sarifInvocation{Successful: true}
	for _, p := range res.Problems {
		n := sarifNotification{Level: "error", Message: sarifMessage{p.Message}}
		if p.Warning {
			n.Level = "warning"
		} else if p.Note {
			n.Level = "note"
		}
		if p.Pos.Filename != "" {
			n.Locations = []sarifLocation{loc(posOf(p.Pos.Filename, p.Pos.Line, p.Pos.Column), "")}
		}
		inv.Notifications = append(inv.Notifications, n)
	}
	run.Invocations = []sarifInvocation{inv}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

type analysisPos struct {
	file      string
	line, col int
}

func posOf(file string, line, col int) analysisPos { return analysisPos{file, line, col} }

// artifact names a file relative to wd (a URI reference with the base
// %SRCROOT%), or by its absolute file URI when it lies elsewhere.
func artifact(wd, name string) sarifArtifactLoc {
	if r, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(r, "..") {
		return sarifArtifactLoc{URI: (&url.URL{Path: filepath.ToSlash(r)}).String(), URIBaseID: "%SRCROOT%"}
	}
	return sarifArtifactLoc{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(name)}).String()}
}

func dirURI(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
