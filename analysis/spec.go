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
//	  "fields":        [{"package": "example.com/bus", "struct": "Hooks", "fields": ["OnData"], "model": "loop"}]
//	}
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
}

type Registration struct {
	Package  string   `json:"package"`
	Receiver string   `json:"receiver,omitempty"` // type name, "" for a function
	Names    []string `json:"names"`
	Args     []int    `json:"args"`
	Model    Model    `json:"model"`
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

const (
	chi    = "github.com/go-chi/chi/v5"
	gin    = "github.com/gin-gonic/gin"
	echo   = "github.com/labstack/echo/v4"
	gorm   = "github.com/gorilla/mux"
	evio   = "github.com/tidwall/evio"
	gnet   = "github.com/panjf2000/gnet/v2"
	redcon = "github.com/tidwall/redcon"
)

// builtin is the table of net/http and the frameworks safels knows.
var builtin = Spec{
	Registrations: []Registration{
		{Package: "net/http", Names: []string{"HandleFunc"}, Args: []int{1}, Model: ModelConcurrent},
		{Package: "net/http", Receiver: "ServeMux", Names: []string{"HandleFunc"}, Args: []int{2}, Model: ModelConcurrent},
		{Package: gorm, Receiver: "Router", Names: []string{"HandleFunc"}, Args: []int{2}, Model: ModelConcurrent},
		{Package: gorm, Receiver: "Route", Names: []string{"HandlerFunc"}, Args: []int{1}, Model: ModelConcurrent},
		{Package: chi, Receiver: "Mux", Names: []string{"HandleFunc", "MethodFunc"}, Args: []int{-1}, Model: ModelConcurrent},
		{Package: chi, Receiver: "Router", Names: []string{"HandleFunc", "MethodFunc"}, Args: []int{-1}, Model: ModelConcurrent},
		{Package: redcon, Names: []string{"ListenAndServe"}, Args: []int{1, 2, 3}, Model: ModelConcurrent},
		{Package: redcon, Receiver: "ServeMux", Names: []string{"HandleFunc"}, Args: []int{2}, Model: ModelConcurrent},
	},
	FuncTypes: []TypeRef{
		{Package: "net/http", Name: "HandlerFunc", Model: ModelConcurrent},
		{Package: gin, Name: "HandlerFunc", Model: ModelConcurrent},
		{Package: echo, Name: "HandlerFunc", Model: ModelConcurrent},
		{Package: redcon, Name: "HandlerFunc", Model: ModelConcurrent},
	},
	Interfaces: []InterfaceRef{
		{Package: "net/http", Name: "Handler", Methods: []string{"ServeHTTP"}, Model: ModelConcurrent},
		{Package: gnet, Name: "EventHandler", Methods: []string{"OnBoot", "OnShutdown", "OnOpen", "OnClose", "OnTraffic", "OnTick"}, Model: ModelConcurrent},
		{Package: redcon, Name: "Handler", Methods: []string{"ServeRESP"}, Model: ModelConcurrent},
	},
	Fields: []FieldRef{
		{Package: evio, Struct: "Events", Fields: []string{"Serving", "Opened", "Closed", "Detached", "PreWrite", "Data", "Tick"}, Model: ModelConcurrent},
	},
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

func (s *Spec) funcType(t types.Type) (Model, bool) {
	for _, r := range s.FuncTypes {
		if namedIs(t, r.Package, r.Name) {
			return r.Model, true
		}
	}
	return "", false
}

func (s *Spec) iface(t types.Type) (InterfaceRef, bool) {
	for _, r := range s.Interfaces {
		if namedIs(t, r.Package, r.Name) {
			return r, true
		}
	}
	return InterfaceRef{}, false
}

func (s *Spec) field(fa *ssa.FieldAddr) (Model, bool) {
	st := pointee(fa.X.Type())
	for _, r := range s.Fields {
		if !namedIs(st, r.Package, r.Struct) {
			continue
		}
		name := st.Underlying().(*types.Struct).Field(fa.Field).Name()
		for _, f := range r.Fields {
			if f == name {
				return r.Model, true
			}
		}
	}
	return "", false
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
