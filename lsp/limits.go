package lsp

import (
	"fmt"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// Caps on what one diagnostic and one publishDiagnostics message carry. A
// pathological program must not make the server send what no editor can
// show (a 100,000-line handler produced one message of 207 MB, a call
// chain 5,000 deep a 59,000-character diagnostic). What is left out is
// counted in its place, and `safels check -json` lists everything.
const (
	maxDiagnostics = 200  // per file (and so per message)
	maxRelated     = 10   // related locations per diagnostic, before "and N more"
	maxMessage     = 1000 // bytes of a diagnostic's message
	maxRelatedText = 200  // bytes of a related location's message
)

const everything = "`safels check -json` lists them all"

// shorten cuts msg to about n bytes: its start and its end (the handler and
// what it does; the partners), around what it leaves out.
func shorten(msg string, n int) string {
	if len(msg) <= n {
		return msg
	}
	head, tail := n*2/3, len(msg)-n/3
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return fmt.Sprintf("%s … [%d bytes left out: `safels check -json` has the whole finding] … %s", msg[:head], tail-head, msg[tail:])
}

// capRelated keeps the first maxRelated related locations of d, then one
// at d's own range that says how many more there are.
func capRelated(d *protocol.Diagnostic, loc protocol.Location) {
	for i := range d.RelatedInformation {
		d.RelatedInformation[i].Message = shorten(d.RelatedInformation[i].Message, maxRelatedText)
	}
	n := len(d.RelatedInformation)
	if n <= maxRelated {
		return
	}
	d.RelatedInformation = append(d.RelatedInformation[:maxRelated:maxRelated], protocol.DiagnosticRelatedInformation{
		Location: loc,
		Message:  fmt.Sprintf("and %d more related locations: %s", n-maxRelated, everything),
	})
}

// capDiagnostics keeps the first maxDiagnostics of a file's diagnostics,
// then one at the first left out that says how many more there are.
func capDiagnostics(diags []protocol.Diagnostic) []protocol.Diagnostic {
	n := len(diags)
	if n <= maxDiagnostics {
		return diags
	}
	first := diags[maxDiagnostics]
	return append(diags[:maxDiagnostics:maxDiagnostics], protocol.Diagnostic{
		Range:    first.Range,
		Severity: first.Severity,
		Code:     protocol.String("truncated"),
		Source:   protocol.NewOptional("safels"),
		Message:  protocol.String(fmt.Sprintf("and %d more safels findings in this file, from here on, not shown (at most %d a file): %s", n-maxDiagnostics, maxDiagnostics, everything)),
	})
}
