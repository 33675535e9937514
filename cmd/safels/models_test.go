package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// flushServer calls a library method no built-in model covers, whose
// model is derived from its source but in part assumed (Flush writes to
// an io.Writer it holds, which may be anything): its findings say so.
const flushServer = `package main

import (
	"net/http"
	"os"
	"text/tabwriter"
)

var tw = tabwriter.NewWriter(os.Stdout, 0, 8, 1, ' ', 0)

func flush(w http.ResponseWriter, r *http.Request) { tw.Flush() }

func main() {
	http.HandleFunc("/flush", flush)
	http.ListenAndServe(":0", nil)
}
`

// publishServer calls a library function beyond the derivation (it writes
// its package's variables): neither analysed nor modelled.
const publishServer = `package main

import (
	"expvar"
	"net/http"
)

type tally struct{ n int }

func (t *tally) String() string { return "tally" }

var hits = &tally{}

func publish(w http.ResponseWriter, r *http.Request) { expvar.Publish("hits", hits) }

func main() {
	http.HandleFunc("/publish", publish)
	http.ListenAndServe(":0", nil)
}
`

// TestCheckAssumed: a conflict that rests on a call into code neither
// analysed nor modelled names that call, in text and JSON, and so does
// one whose derived model is in part assumed; a "models" entry of
// .safels.json that says the method leaves its receiver alone removes
// it, and a model without its justification is refused (the built-in
// table is used, as for any malformed .safels.json).
func TestCheckAssumed(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": publishServer})
	out, _, code := runSafels(t, dir, "check")
	if code != 1 || !strings.Contains(out, "main.go:14:") || !strings.Contains(out, "(assumed: calls expvar.Publish, not analysed)") {
		t.Fatalf("exit %d, output:\n%s\nwant a finding at the Publish call that names it as assumed", code, out)
	}
	dir = writeModule(t, map[string]string{"main.go": flushServer})
	out, _, code = runSafels(t, dir, "check")
	if code != 1 || !strings.Contains(out, "main.go:11:") || !strings.Contains(out, "(in part assumed: calls (*tabwriter.Writer).Flush, analysed from its source)") {
		t.Fatalf("exit %d, output:\n%s\nwant a finding at the Flush call that names it as in part assumed", code, out)
	}
	out, _, _ = runSafels(t, dir, "check", "-format", "json")
	var rep struct {
		Conflicts []struct {
			AAccess struct {
				Assumed       string
				AssumedInPart bool `json:"assumed_in_part"`
			} `json:"a_access"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Conflicts) == 0 || rep.Conflicts[0].AAccess.Assumed != "(*tabwriter.Writer).Flush" || !rep.Conflicts[0].AAccess.AssumedInPart {
		t.Errorf("JSON conflicts %+v: want a_access.assumed naming the Flush call, in part", rep.Conflicts)
	}

	dir = writeModule(t, map[string]string{"main.go": flushServer, ".safels.json": `{"models": [
		{"package": "text/tabwriter", "type": "*Writer", "names": ["Flush"], "receiver": "none",
		 "why": "pretend for the test that the Writer locks itself"}]}`})
	if out, errOut, code := runSafels(t, dir, "check"); code != 0 {
		t.Errorf("with the model: exit %d, output:\n%s%s\nwant no findings", code, out, errOut)
	}

	dir = writeModule(t, map[string]string{"main.go": flushServer, ".safels.json": `{"models": [
		{"package": "text/tabwriter", "type": "*Writer", "receiver": "none"}]}`})
	out, errOut, code := runSafels(t, dir, "check")
	if code != 1 || !strings.Contains(errOut, "models[0]") || !strings.Contains(errOut, "why") || !strings.Contains(out, "(*tabwriter.Writer).Flush") {
		t.Errorf("model without why: exit %d, stdout %q, stderr %q; want the error naming models[0] and \"why\", and the finding as without the file", code, out, errOut)
	}
}
