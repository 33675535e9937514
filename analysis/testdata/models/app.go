// Library calls covered by the models of streams, encoders, containers and
// hashes, and errors returned by library calls: every handler here is safe
// but count, kept so the file shows the true finding beside the false ones
// it must not show.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

type record struct {
	Name  string
	Owner *record
}

var (
	page     = template.Must(template.New("page").Parse("{{.}}"))
	defaults = map[string]string{"a": "b"}
	names    = []string{"a", "b"}
	hits     int
)

// rendered: the error a global template's Execute returns is new memory,
// not the template's: reading its message reads nothing shared.
func rendered(w http.ResponseWriter, r *http.Request) {
	if err := page.Execute(w, r.URL.Path); err != nil {
		fmt.Fprint(w, err.Error())
	}
}

// decoded: gob decodes into a fresh record during the call; the record
// keeps the handler's own memory only.
func decoded(w http.ResponseWriter, r *http.Request) {
	dec := gob.NewDecoder(r.Body)
	rec := &record{}
	if err := dec.Decode(rec); err != nil {
		return
	}
	rec.Owner = &record{Name: rec.Name}
	var buf bytes.Buffer
	gob.NewEncoder(&buf).Encode(rec)
	io.Copy(w, &buf)
}

// hashed: a fresh hash is the handler's own.
func hashed(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	io.WriteString(h, r.URL.Path)
	sum := h.Sum(nil)
	fmt.Fprint(w, hex.EncodeToString(sum))
}

// copied: maps.Clone and slices.Insert on copies leave the globals alone.
func copied(w http.ResponseWriter, r *http.Request) {
	m := maps.Clone(defaults)
	m[r.URL.Path] = "x"
	s := slices.Insert(slices.Clone(names), 0, r.URL.Path)
	body, _ := io.ReadAll(io.LimitReader(strings.NewReader(s[0]), 8))
	w.Write(body)
}

func count(w http.ResponseWriter, r *http.Request) {
	hits++ // want "hits" "hits"
}

func main() {
	http.HandleFunc("/rendered", rendered)
	http.HandleFunc("/decoded", decoded)
	http.HandleFunc("/hashed", hashed)
	http.HandleFunc("/copied", copied)
	http.HandleFunc("/count", count)
	http.ListenAndServe("127.0.0.1:0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/count" "/count" -- count writes hits
