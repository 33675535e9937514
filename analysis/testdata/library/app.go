// Calls into the standard library as real net/http servers make them.
// Every handler here is safe except where a want comment says otherwise:
// the library only reads what it is given, is safe for concurrent use, or
// uses a per-request object only during the call.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

type item struct {
	Name string
	N    int
}

type resp struct {
	N    int
	Name string
}

type order struct {
	N int
}

type req struct {
	Order *order
}

type ctxKey struct{}

var (
	route  = regexp.MustCompile(`^/item/(\d+)$`)
	db     *sql.DB
	page   = template.Must(template.New("page").Parse("{{.}}"))
	other  = template.Must(template.New("other").Parse("{{.}}"))
	logger = log.New(os.Stderr, "", 0)
	bufs   = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	items  = []*item{{Name: "a"}}
	orders = []*order{{N: 1}}
	hits   int
	// upstream is one TLS connection every request writes to and reads
	// from: a net.Conn, safe for concurrent use.
	upstream *tls.Conn
	echoed   = make([]byte, 64)
)

// match: a global *regexp.Regexp is only read by matching.
func match(w http.ResponseWriter, r *http.Request) {
	if !route.MatchString(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	m := route.FindStringSubmatch(r.URL.Path)
	n, _ := strconv.Atoi(m[1])
	fmt.Fprintf(w, "%d %s", n, strings.ToUpper(m[1]))
}

// encode: a fresh response handed to an encoder stays this request's.
func encode(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(&resp{N: 1})
}

func encodeToo(w http.ResponseWriter, r *http.Request) {
	out, _ := json.Marshal(&resp{N: 2, Name: items[0].Name})
	w.Write(out)
}

// exec: *sql.DB is safe for concurrent use; the variadic array of
// arguments is this call's.
func exec(w http.ResponseWriter, r *http.Request) {
	db.Exec("UPDATE t SET n = n + 1 WHERE id = ?", r.URL.Query().Get("id"))
	args := []any{1, "x"}
	rows, err := db.Query("SELECT n FROM t WHERE a = ? AND b = ?", args...)
	if err == nil {
		rows.Close()
	}
}

func query(w http.ResponseWriter, r *http.Request) {
	row := db.QueryRow("SELECT n FROM t WHERE id = ?", 7)
	var n int
	row.Scan(&n)
	fmt.Fprint(w, n)
}

// render: executing a global template reads it; two templates made by the
// same constructor are not one object.
func render(w http.ResponseWriter, r *http.Request) {
	page.Execute(w, items)
}

func renderOther(w http.ResponseWriter, r *http.Request) {
	other.Execute(w, &resp{N: 3})
}

// logged: *log.Logger serializes its writes.
func logged(w http.ResponseWriter, r *http.Request) {
	logger.Printf("%s %s", r.Method, r.URL.Path)
	log.Println("done", r.URL.Path)
}

// pooled: what a sync.Pool hands out is the caller's until put back.
func pooled(w http.ResponseWriter, r *http.Request) {
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	b.WriteString(r.URL.Path)
	w.Write(b.Bytes())
	bufs.Put(b)
}

// withValue: a context carrying shared memory does not write it.
func withValue(w http.ResponseWriter, r *http.Request) {
	r2 := r.WithContext(context.WithValue(r.Context(), ctxKey{}, items[0]))
	fmt.Fprint(w, r2.Context().Value(ctxKey{}) != nil)
}

// decode writes through the global's element: a race with itself and
// with orders.
func decode(w http.ResponseWriter, r *http.Request) {
	json.NewDecoder(r.Body).Decode(&req{Order: orders[0]}) // want "/decode writes orders\\[i\\]"
}

func orderCount(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, orders[0].N) // want "/orders reads orders\\[i\\]\\.N; /decode writes"
}

// relay writes to and reads from the shared connection into a buffer of
// its own: the connection is safe for concurrent use (net.Conn's
// contract), the buffer is the request's.
func relay(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 64)
	upstream.Write([]byte(r.URL.Path))
	n, _ := upstream.Read(buf)
	w.Write(buf[:n])
}

// echo reads into a buffer every request shares: Read writes it.
func echo(w http.ResponseWriter, r *http.Request) {
	n, _ := upstream.Read(echoed) // want "/echo writes echoed\\.\\.\\.; /echo \\(another invocation\\) reads and writes it"
	w.Write(echoed[:n])           // want "/echo reads echoed\\.\\.\\.; /echo \\(another invocation\\) writes it"
}

// count is a plain race, kept so the file shows a true finding beside the
// false ones it must not show.
func count(w http.ResponseWriter, r *http.Request) {
	hits++ // want "hits" "hits"
}

func main() {
	var err error
	db, err = sql.Open("none", "")
	if err != nil {
		log.Fatal(err)
	}
	for p, h := range map[string]http.HandlerFunc{
		"/match": match, "/encode": encode, "/encode2": encodeToo, "/exec": exec,
		"/query": query, "/render": render, "/other": renderOther, "/log": logged,
		"/pool": pooled, "/value": withValue, "/decode": decode, "/orders": orderCount, "/count": count,
		"/relay": relay, "/echo": echo,
	} {
		http.HandleFunc(p, h)
	}
	http.ListenAndServe("127.0.0.1:0", nil)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "/decode" "/decode" -- Decode writes orders[0].N through the fresh req
// races: "/decode" "/orders" -- decode writes orders[0].N, orderCount reads it
// races: "/count" "/count" -- count writes hits
// races: "/echo" "/echo" -- Read writes the shared echoed buffer, which each request also reads
