package oracle

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The net/http shapes: besides its loop handlers, a program registers
// net/http handlers on a ServeMux (Mux), and the runner serves requests
// through it (ServeHTTP, httptest's requests and recorders, no network)
// from its worker goroutines, unordered with each other and with the
// loop's invocations: the concurrent model, where every invocation may
// overlap every other.
//
// A request and a response writer are the invocation's own, and the
// analysis drops the accesses through them, but not what they hold that
// is not (analysis/invocation.go):
//
//   - a handler pins its request's URL to a global (r.URL = pinned,
//     directly or in a helper) and writes through it: it writes the global;
//   - a handler publishes its request (in a global, or in an object of its
//     own that it publishes) and then writes its URL, while another reads
//     it from there;
//   - a wrapper passes the handler a parameter of the program's own type
//     (*Env) that points at a global, which the handler writes.
//
// The controls are the same shapes on memory that really is the
// invocation's own: a request's URL written where nobody else sees it, a
// fresh URL stored in it, a response builder keeping w, a wrapper that
// passes a fresh Env. Handlers also touch the loop handlers' globals, so
// the requests race with the loop's invocations too.
//
// A third of the programs have them, drawn from a stream of their own:
// with it off, a program is what it was before, and its loop handlers
// are the same with it on.

const webImports = "\t\"net/http\"\n\t\"net/url\"\n"

// webDecls are the net/http shapes' types, globals and helpers.
const webDecls = `
// The net/http shapes (web.go).

var (
	pinned     = &url.URL{Path: "/pinned"}
	pinnedV    url.URL
	lastReq    *http.Request
	lastReqPub *ReqPub
	lastW      http.ResponseWriter
)

// ReqPub is an object a handler publishes, holding its request.
type ReqPub struct{ R *http.Request }

// Env is what a wrapper gives its handler: of the program's own type.
type Env struct{ In *Inner }

// Resp builds a handler's response.
type Resp struct {
	W    http.ResponseWriter
	Code int
}

// pinURL makes the request's URL a global.
func pinURL(r *http.Request) { r.URL = &pinnedV }
`

// webWrappers are the wrappers, each declared where a handler uses it
// (the analysis takes a wrapper's closure that nothing registers for a
// handler of its own).
var webWrappers = map[string]string{
	"wrapEnv": `
// wrapEnv gives its handler the global gin.
func wrapEnv(h func(http.ResponseWriter, *http.Request, *Env)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, &Env{In: &gin}) }
}
`,
	"wrapOwn": `
// wrapOwn gives its handler memory of the request's own.
func wrapOwn(h func(http.ResponseWriter, *http.Request, *Env)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, &Env{In: &Inner{}}) }
}
`,
}

// WebWriters adds two shapes: a handler publishes its response writer
// (lastW = w) and writes it, and another writes the writer it finds
// there. On by default; off (go test -oracle.webw=false), no handler
// touches lastW, as before these shapes were added. Before the model of
// http.ResponseWriter counted a write of the writer's own state (the
// request's own unless published: analysis/invocation.go), the analysis
// missed these races and the oracle failed with them on.
var WebWriters = true

// webStream is the net/http shapes' stream of program index: nil when
// the program has none.
func webStream(seed uint64, index int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed^0x68747470, uint64(index)))
	if r.IntN(3) != 0 {
		return nil
	}
	return r
}

// webHandlers writes the program's net/http handlers, Mux that registers
// them and Routes, the paths the runner requests, and returns the source
// and the handlers.
func webHandlers(r *rand.Rand) (string, []Handler) {
	var b strings.Builder
	var hs []Handler
	var routes, regs []string
	wrapped := map[string]bool{}
	n := 2 + r.IntN(3)
	for k := 0; k < n; k++ {
		name := fmt.Sprintf("web%d", k)
		route := "/" + name
		g := &gen{r: r, depth: 1}
		switch r.IntN(6) {
		case 0, 1:
			fmt.Fprintf(&b, "\nfunc %s(w http.ResponseWriter, r *http.Request, e *Env) {\n%s}\n", name, g.webBody(true))
			wrap := pick(r, "wrapEnv", "wrapEnv", "wrapOwn")
			wrapped[wrap] = true
			regs = append(regs, fmt.Sprintf("m.HandleFunc(%q, %s(%s))", route, wrap, name))
		case 2:
			fmt.Fprintf(&b, "\nfunc %s(w http.ResponseWriter, r *http.Request) {\n%s}\n", name, g.webBody(false))
			regs = append(regs, fmt.Sprintf("m.Handle(%q, http.HandlerFunc(%s))", route, name))
		default:
			fmt.Fprintf(&b, "\nfunc %s(w http.ResponseWriter, r *http.Request) {\n%s}\n", name, g.webBody(false))
			regs = append(regs, fmt.Sprintf("m.HandleFunc(%q, %s)", route, name))
		}
		routes = append(routes, fmt.Sprintf("%q", route))
		hs = append(hs, Handler{Case: -1, Short: name, Frame: name})
	}
	for _, w := range []string{"wrapEnv", "wrapOwn"} {
		if wrapped[w] {
			b.WriteString(webWrappers[w])
		}
	}
	fmt.Fprintf(&b, "\n// Mux registers the net/http handlers.\nfunc Mux() http.Handler {\n\tm := http.NewServeMux()\n")
	for _, s := range regs {
		fmt.Fprintf(&b, "\t%s\n", s)
	}
	fmt.Fprintf(&b, "\treturn m\n}\n\n// Routes are the paths Mux serves.\nvar Routes = []string{%s}\n", strings.Join(routes, ", "))
	return b.String(), hs
}

// webBody writes a net/http handler's body; env: it has the wrapper's e.
func (g *gen) webBody(env bool) string {
	g.line("s := len(r.URL.Path)")
	for n := 1 + g.r.IntN(4); n > 0; n-- {
		if env && g.r.IntN(2) == 0 {
			g.line("%s", g.pick("e.In.X++", "s += e.In.Y", "e.In.Y = s", "touch(e.In)"))
		}
		g.webStmt()
	}
	g.line("keep(s)")
	return g.b.String()
}

// webStmt writes one statement of the net/http shapes.
func (g *gen) webStmt() {
	v := g.fresh("q")
	n := 15
	if WebWriters {
		n = 17
	}
	switch g.r.IntN(n) {
	case 0, 12: // the request's URL is a global from here on
		g.line("r.URL = pinned")
		g.line("r.URL.%s = \"/x\"", g.pick("Path", "RawQuery"))
	case 1: // pinned by a helper
		g.line("pinURL(r)")
		g.line("r.URL.%s = \"a\"", g.pick("Fragment", "RawQuery"))
	case 2, 13: // published, then written
		g.line("lastReq = r")
		g.line("r.URL.RawQuery = \"q\"")
	case 3: // published in an object of the handler's, then written
		g.line("%s := &ReqPub{}", v)
		g.line("%s.R = r", v)
		g.line("lastReqPub = %s", v)
		g.line("r.URL.Fragment = \"f\"")
	case 4, 14: // another's request, read
		g.line("if %s := lastReq; %s != nil {", v, v)
		g.line("\ts += len(%s.URL.RawQuery)", v)
		g.line("}")
	case 5: // another's request, through its published object
		g.line("if %s := lastReqPub; %s != nil && %s.R != nil {", v, v, v)
		g.line("\ts += len(%s.R.URL.%s)", v, g.pick("Fragment", "Path"))
		g.line("}")
	case 6: // control: the request's own URL
		g.line("r.URL.%s = \"/own\"", g.pick("Path", "RawQuery", "Fragment"))
		g.line("s += len(r.URL.Query())")
	case 7: // control: a fresh URL, stored in the request
		g.line("r.URL = &url.URL{Path: \"/fresh\"}")
		g.line("r.URL.Path += \"x\"")
	case 8: // control: a response builder holding w
		g.line("%s := &Resp{W: w}", v)
		g.line("%s.Code = 200 + s&1", v)
		g.line("%s.W.WriteHeader(%s.Code)", v, v)
	case 9: // the loop handlers' globals
		g.line("%s", g.pick("g0++", "s += g1", "gin.X += s", "st.A++", "s += arr[s&7]"))
	case 10:
		g.line("mu.Lock()")
		g.line("%s", g.pick("g1 += s", "st.B++"))
		g.line("mu.Unlock()")
	case 15: // the writer published, then written (WebWriters)
		g.line("lastW = w")
		g.line("w.Write([]byte(\"a\"))")
	case 16: // another's writer, written
		g.line("if %s := lastW; %s != nil {", v, v)
		g.line("\t%s.Write([]byte(\"b\"))", v)
		g.line("}")
	default:
		g.line("s += len(r.Header)")
	}
}
