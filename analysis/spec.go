package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/safels/safels/analysis/mem"
	"golang.org/x/tools/go/ssa"
)

// Spec says how handlers are found: by type and registration, never by
// name. The built-in table covers net/http and common frameworks; a
// .safels.json file at the module root adds to it, in the same form:
//
//	{
//	  "registrations": [{"package": "example.com/bus", "receiver": "Bus", "names": ["On"], "args": [2], "model": "loop"}],
//	  "funcTypes":     [{"package": "example.com/bus", "name": "HandlerFunc", "model": "concurrent"}],
//	  "interfaces":    [{"package": "example.com/bus", "name": "Listener", "methods": ["Handle"], "model": "concurrent"}],
//	  "fields":        [{"package": "example.com/bus", "struct": "Hooks", "fields": ["OnData"], "model": "loop"}],
//	  "invocationTypes": [{"package": "example.com/bus", "name": "Message"}],
//	  "models":        [{"package": "example.com/cache", "type": "*LRU", "receiver": "none", "args": "read", "keeps": "nothing", "why": "..."}]
//	}
//
// "models" describe calls into code outside the workspace (models.go).
type Spec struct {
	// Registrations are calls whose arguments at Args (receiver first;
	// negative counts from the end) are handler functions.
	Registrations []Registration `json:"registrations,omitempty"`
	// FuncTypes are named function types whose values are handlers.
	FuncTypes []TypeRef `json:"funcTypes,omitempty"`
	// Interfaces are interface types: the Methods of every value converted
	// to one are handlers, their receiver shared by all invocations.
	Interfaces []InterfaceRef `json:"interfaces,omitempty"`
	// Fields are struct fields that hold callbacks (evio's Events).
	Fields []FieldRef `json:"fields,omitempty"`
	// InvocationTypes are library types whose values the library makes
	// for one invocation of a concurrent handler and hands to no other
	// (net/http's Request and ResponseWriter), as a connection or a
	// pooled framework context is not: what one handler stores in such a
	// parameter, or publishes of it, is no other handler's (invocation.go).
	// Model is not used.
	InvocationTypes []TypeRef `json:"invocationTypes,omitempty"`
	// Models say what calls into code without a body here do to what
	// they are given (models.go); they come before the built-in ones.
	Models []CallModel `json:"models,omitempty"`
}

type Registration struct {
	Package  string   `json:"package"`
	Receiver string   `json:"receiver,omitempty"` // type name, "" for a function
	Names    []string `json:"names"`
	Args     []int    `json:"args"`
	Model    Model    `json:"model"`
	// Route lists the arguments (indexed as Args) whose source text names
	// the handler in findings: `mux.HandleFunc("/set", h)` has route [1],
	// so h is shown as "/set". A method named after an HTTP verb (Get,
	// POST) puts the verb first: "GET /articles/{id}".
	Route []int `json:"route,omitempty"`

	// chain: the handler argument is a variadic list run in order, the last
	// the handler and the others middleware before it (gin).
	chain bool
	// wrappers: the index of a variadic argument of middleware that wraps
	// the handler, the first outermost (echo's m ...MiddlewareFunc); 0: none.
	wrappers int
}

type TypeRef struct {
	Package string `json:"package"`
	Name    string `json:"name"`
	Model   Model  `json:"model"`
}

type InterfaceRef struct {
	Package string   `json:"package"`
	Name    string   `json:"name"`
	Methods []string `json:"methods"`
	Model   Model    `json:"model"`
}

type FieldRef struct {
	Package string   `json:"package"`
	Struct  string   `json:"struct"`
	Fields  []string `json:"fields"`
	Model   Model    `json:"model"`
}

// The frameworks of the built-in table, at their current major versions.
const (
	chi    = "github.com/go-chi/chi/v5"
	gin    = "github.com/gin-gonic/gin"
	echo4  = "github.com/labstack/echo/v4"
	echo5  = "github.com/labstack/echo/v5"
	gorm   = "github.com/gorilla/mux"
	evio   = "github.com/tidwall/evio"
	gnet1  = "github.com/panjf2000/gnet"
	gnet2  = "github.com/panjf2000/gnet/v2"
	redcon = "github.com/tidwall/redcon"
)

// frameworks are the packages of the built-in table: one imported where
// no handler is found is reported, since silence would read as "no races".
var frameworks = []string{chi, gin, echo4, echo5, gorm, evio, gnet1, gnet2, redcon}

// httpVerbs name the registration methods that fix a request method.
var httpVerbs = []string{"Get", "Head", "Post", "Put", "Patch", "Delete", "Connect", "Options", "Trace", "Query"}

func verbNames(upper bool) []string {
	out := make([]string, len(httpVerbs))
	for i, v := range httpVerbs {
		out[i] = v
		if upper {
			out[i] = strings.ToUpper(v)
		}
	}
	return out
}

const conc = ModelConcurrent

// builtin is the table of net/http and the frameworks safels knows.
var builtin = Spec{
	Registrations: slices.Concat([]Registration{
		{Package: "net/http", Names: []string{"HandleFunc", "Handle"}, Args: []int{1}, Route: []int{0}, Model: conc},
		{Package: "net/http", Receiver: "ServeMux", Names: []string{"HandleFunc", "Handle"}, Args: []int{2}, Route: []int{1}, Model: conc},
		{Package: "net/http", Names: []string{"ListenAndServe", "Serve"}, Args: []int{1}, Model: conc},
		{Package: "net/http", Names: []string{"ListenAndServeTLS"}, Args: []int{3}, Model: conc},
		{Package: "net/http", Names: []string{"ServeTLS"}, Args: []int{1}, Model: conc},
		{Package: gorm, Receiver: "Router", Names: []string{"HandleFunc", "Handle"}, Args: []int{2}, Route: []int{1}, Model: conc},
		{Package: gorm, Receiver: "Route", Names: []string{"HandlerFunc", "Handler"}, Args: []int{1}, Model: conc},
		{Package: redcon, Names: []string{"ListenAndServe", "ListenAndServeTLS", "Serve", "NewServer", "NewServerTLS"}, Args: []int{1, 2, 3}, Model: conc},
		{Package: redcon, Names: []string{"ListenAndServeNetwork", "ListenAndServeNetworkTLS", "NewServerNetwork", "NewServerNetworkTLS"}, Args: []int{2, 3, 4}, Model: conc},
		{Package: redcon, Receiver: "ServeMux", Names: []string{"HandleFunc", "Handle"}, Args: []int{2}, Route: []int{1}, Model: conc},
	}, chiRoutes("Mux"), chiRoutes("Router"),
		ginRoutes("RouterGroup"), ginRoutes("IRoutes"), ginRoutes("IRouter"),
		echoRoutes(echo4, "Echo"), echoRoutes(echo4, "Group"), echoRoutes(echo5, "Echo"), echoRoutes(echo5, "Group")),
	FuncTypes: []TypeRef{
		{Package: "net/http", Name: "HandlerFunc", Model: conc},
		{Package: gin, Name: "HandlerFunc", Model: conc},
		{Package: echo4, Name: "HandlerFunc", Model: conc},
		{Package: echo5, Name: "HandlerFunc", Model: conc},
		{Package: redcon, Name: "HandlerFunc", Model: conc},
	},
	Interfaces: []InterfaceRef{
		{Package: "net/http", Name: "Handler", Methods: []string{"ServeHTTP"}, Model: conc},
		{Package: gnet2, Name: "EventHandler", Methods: []string{"OnBoot", "OnShutdown", "OnOpen", "OnClose", "OnTraffic", "OnTick"}, Model: conc},
		{Package: gnet1, Name: "EventHandler", Methods: []string{"OnInitComplete", "OnShutdown", "OnOpened", "OnClosed", "PreWrite", "AfterWrite", "React", "Tick"}, Model: conc},
		{Package: redcon, Name: "Handler", Methods: []string{"ServeRESP"}, Model: conc},
	},
	Fields: []FieldRef{
		{Package: evio, Struct: "Events", Fields: []string{"Serving", "Opened", "Closed", "Detached", "PreWrite", "Data", "Tick"}, Model: conc},
	},
	// The server makes a request and its response writer per request
	// (conn.readRequest); neither is reused once the handler returns.
	InvocationTypes: []TypeRef{
		{Package: "net/http", Name: "Request"},
		{Package: "net/http", Name: "ResponseWriter"},
	},
}

// chiRoutes: chi's Router interface and its Mux: the handler is the last
// argument, the pattern the one before (Method: the method and pattern).
func chiRoutes(recv string) []Registration {
	return []Registration{
		{Package: chi, Receiver: recv, Names: append(verbNames(false), "HandleFunc", "Handle", "Mount"), Args: []int{-1}, Route: []int{1}, Model: conc},
		{Package: chi, Receiver: recv, Names: []string{"MethodFunc", "Method"}, Args: []int{-1}, Route: []int{1, 2}, Model: conc},
		{Package: chi, Receiver: recv, Names: []string{"NotFound", "MethodNotAllowed"}, Args: []int{-1}, Model: conc},
	}
}

// ginRoutes: gin's handlers are one variadic chain, middleware first.
func ginRoutes(recv string) []Registration {
	return []Registration{
		{Package: gin, Receiver: recv, Names: []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "Any"}, Args: []int{-1}, Route: []int{1}, Model: conc, chain: true},
		{Package: gin, Receiver: recv, Names: []string{"Handle"}, Args: []int{-1}, Route: []int{1, 2}, Model: conc, chain: true},
		{Package: gin, Receiver: recv, Names: []string{"Match"}, Args: []int{-1}, Route: []int{2}, Model: conc, chain: true},
		{Package: gin, Receiver: recv, Names: []string{"NoRoute", "NoMethod"}, Args: []int{-1}, Model: conc, chain: true},
	}
}

// echoRoutes: echo (v4 and v5) takes the handler, then middleware that
// wraps it.
func echoRoutes(pkg, recv string) []Registration {
	return []Registration{
		{Package: pkg, Receiver: recv, Names: append(verbNames(true)[:9], "Any", "RouteNotFound"), Args: []int{2}, Route: []int{1}, Model: conc, wrappers: 3},
		{Package: pkg, Receiver: recv, Names: []string{"Add"}, Args: []int{3}, Route: []int{1, 2}, Model: conc, wrappers: 4},
		{Package: pkg, Receiver: recv, Names: []string{"Match"}, Args: []int{3}, Route: []int{2}, Model: conc, wrappers: 4},
	}
}

// ConfigFile is the project file that extends the handler table.
const ConfigFile = ".safels.json"

// loadSpec returns the built-in table extended by the .safels.json of the
// module holding dir, if any. A malformed file is an error naming its line.
func loadSpec(dir string) (*Spec, *Problem) {
	spec := builtin
	root := moduleRoot(dir)
	if root == "" {
		return &spec, nil
	}
	name := filepath.Join(root, ConfigFile)
	data, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return &spec, nil
	}
	if err != nil {
		return &spec, &Problem{Pos: token.Position{Filename: name}, Message: err.Error()}
	}
	var extra Spec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&extra); err != nil {
		return &spec, &Problem{Pos: errPos(name, data, err, dec), Message: "malformed " + ConfigFile + ": " + err.Error()}
	}
	if err := extra.validate(); err != nil {
		return &spec, &Problem{Pos: token.Position{Filename: name, Line: 1}, Message: ConfigFile + ": " + err.Error()}
	}
	spec.Registrations = append(append([]Registration(nil), spec.Registrations...), extra.Registrations...)
	spec.FuncTypes = append(append([]TypeRef(nil), spec.FuncTypes...), extra.FuncTypes...)
	spec.Interfaces = append(append([]InterfaceRef(nil), spec.Interfaces...), extra.Interfaces...)
	spec.Fields = append(append([]FieldRef(nil), spec.Fields...), extra.Fields...)
	spec.InvocationTypes = append(append([]TypeRef(nil), spec.InvocationTypes...), extra.InvocationTypes...)
	spec.Models = extra.Models
	return &spec, nil
}

func (s *Spec) validate() error {
	check := func(what string, i int, pkg string, m Model) error {
		if pkg == "" {
			return fmt.Errorf("%s[%d]: \"package\" is required", what, i)
		}
		if m != ModelLoop && m != ModelConcurrent {
			return fmt.Errorf("%s[%d]: \"model\" must be \"loop\" or \"concurrent\", not %q", what, i, m)
		}
		return nil
	}
	for i, r := range s.Registrations {
		if err := check("registrations", i, r.Package, r.Model); err != nil {
			return err
		}
		if len(r.Names) == 0 || len(r.Args) == 0 {
			return fmt.Errorf("registrations[%d]: \"names\" and \"args\" are required", i)
		}
	}
	for i, t := range s.FuncTypes {
		if err := check("funcTypes", i, t.Package, t.Model); err != nil {
			return err
		}
	}
	for i, t := range s.Interfaces {
		if err := check("interfaces", i, t.Package, t.Model); err != nil {
			return err
		}
	}
	for i, f := range s.Fields {
		if err := check("fields", i, f.Package, f.Model); err != nil {
			return err
		}
	}
	for i, t := range s.InvocationTypes {
		if t.Package == "" || t.Name == "" {
			return fmt.Errorf("invocationTypes[%d]: \"package\" and \"name\" are required", i)
		}
	}
	for i := range s.Models {
		if err := s.Models[i].validate(); err != nil {
			return fmt.Errorf("models[%d]: %v", i, err)
		}
	}
	return nil
}

// errPos finds the line and column of a JSON decoding error.
func errPos(name string, data []byte, err error, dec *json.Decoder) token.Position {
	off := dec.InputOffset()
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	off = min(max(off, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return token.Position{Filename: name, Line: line, Column: col}
}

func moduleRoot(dir string) string {
	if dir == "" {
		dir, _ = os.Getwd()
	}
	dir, _ = filepath.Abs(dir)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func namedIs(t types.Type, pkg, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == name && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg
}

// funcTypeRef is the entry of the handler function type t, if it is one.
func (s *Spec) funcTypeRef(t types.Type) (TypeRef, bool) {
	for _, r := range s.FuncTypes {
		if namedIs(t, r.Package, r.Name) {
			return r, true
		}
	}
	return TypeRef{}, false
}

func (s *Spec) iface(t types.Type) (InterfaceRef, bool) {
	for _, r := range s.Interfaces {
		if namedIs(t, r.Package, r.Name) {
			return r, true
		}
	}
	return InterfaceRef{}, false
}

// fieldRef is the entry of a callback field, if fa selects one, and the
// field's name.
func (s *Spec) fieldRef(fa *ssa.FieldAddr) (FieldRef, string, bool) {
	st := mem.Pointee(fa.X.Type())
	for _, r := range s.Fields {
		if !namedIs(st, r.Package, r.Struct) {
			continue
		}
		name := st.Underlying().(*types.Struct).Field(fa.Field).Name()
		if slices.Contains(r.Fields, name) {
			return r, name, true
		}
	}
	return FieldRef{}, "", false
}

// registration matches a call against the registration table.
func (s *Spec) registration(c *ssa.CallCommon) (Registration, bool) {
	var obj *types.Func
	if c.IsInvoke() {
		obj = c.Method
	} else if fn := c.StaticCallee(); fn != nil {
		if o := fn.Origin(); o != nil {
			fn = o
		}
		obj, _ = fn.Object().(*types.Func)
	}
	if obj == nil || obj.Pkg() == nil {
		return Registration{}, false
	}
	recv := ""
	if r := obj.Type().(*types.Signature).Recv(); r != nil {
		t := r.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok {
			recv = n.Obj().Name()
		}
	}
	for _, r := range s.Registrations {
		if r.Package != obj.Pkg().Path() || r.Receiver != recv {
			continue
		}
		for _, n := range r.Names {
			if n == obj.Name() {
				return r, true
			}
		}
	}
	return Registration{}, false
}
