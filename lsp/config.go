package lsp

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/safels/safels/diagnostics"
)

// config is what a client may set, through initializationOptions or the
// "safels" section of workspace/configuration:
//
//	{"severity": {"loop": "warning", "concurrent": "error"}}
//
// In the loop model a conflict costs parallelism (the runtime serializes the
// handlers), so it is a warning by default; in the concurrent model
// (net/http, frameworks) it is a data race, an error.
type config struct {
	loop, concurrent protocol.DiagnosticSeverity
}

func defaultConfig() config {
	return config{loop: protocol.DiagnosticSeverityWarning, concurrent: protocol.DiagnosticSeverityError}
}

func (c *config) apply(raw []byte) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v struct {
		Severity map[string]string `json:"severity"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("safels settings: %v", err)
	}
	next := *c
	for model, name := range v.Severity {
		sev, ok := severities[strings.ToLower(name)]
		if !ok {
			return fmt.Errorf("safels settings: severity.%s: %q is not one of error, warning, information, hint", model, name)
		}
		switch model {
		case "loop":
			next.loop = sev
		case "concurrent":
			next.concurrent = sev
		default:
			return fmt.Errorf("safels settings: severity.%s: the models are loop and concurrent", model)
		}
	}
	*c = next
	return nil
}

var severities = map[string]protocol.DiagnosticSeverity{
	"error":       protocol.DiagnosticSeverityError,
	"warning":     protocol.DiagnosticSeverityWarning,
	"information": protocol.DiagnosticSeverityInformation,
	"info":        protocol.DiagnosticSeverityInformation,
	"hint":        protocol.DiagnosticSeverityHint,
}

// severity of a finding by its code: data races are the concurrent model's.
func (c config) severity(code string) protocol.DiagnosticSeverity {
	if code == diagnostics.CodeRace {
		return c.concurrent
	}
	return c.loop
}
