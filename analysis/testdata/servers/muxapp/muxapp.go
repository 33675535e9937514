// A gorilla/mux server: routes with methods, a subrouter with middleware.
package main

import (
	"net/http"

	"github.com/gorilla/mux"
)

var (
	books  = map[string]int{}
	writes int
)

func countWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writes++ // want "PUT /api/books/\\{id\\} writes writes"
		next.ServeHTTP(w, r)
	})
}

func getBook(w http.ResponseWriter, r *http.Request) { _ = books[mux.Vars(r)["id"]] } // want "GET /books/\\{id\\} reads books"

func putBook(w http.ResponseWriter, r *http.Request) { books[mux.Vars(r)["id"]]++ } // want "PUT /api/books/\\{id\\} writes books"

// handler is a function type whose ServeHTTP calls it with a context of
// its own, as inbucket's web.Handler does.
type handler func(http.ResponseWriter, *http.Request, *reqCtx) error

type reqCtx struct{ user string }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := &reqCtx{}
	if err := h(w, r, ctx); err != nil {
		http.Error(w, err.Error(), 500)
	}
}

func deleteBook(w http.ResponseWriter, r *http.Request, ctx *reqCtx) error {
	delete(books, mux.Vars(r)["id"]) // want "DELETE /books/\\{id\\} writes books"
	return nil
}

func listBooks(w http.ResponseWriter, r *http.Request, ctx *reqCtx) error {
	_ = len(books) // want "GET /books reads books"
	return nil
}

func main() {
	r := mux.NewRouter()
	r.HandleFunc("/books/{id}", getBook).Methods("GET")
	r.Path("/books/{id}").Handler(handler(deleteBook)).Name("deleteBook").Methods("DELETE")
	r.Path("/books").Handler(handler(listBooks)).Name("listBooks").Methods("GET")
	api := r.PathPrefix("/api").Subrouter()
	api.Use(countWrites)
	api.HandleFunc("/books/{id}", putBook).Methods("PUT")
	http.ListenAndServe("127.0.0.1:0", r)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: "PUT /api/books/{id}" "DELETE /books/{id}" -- both write books (and PUT writes writes)
// races: "GET /books/{id}" "PUT /api/books/{id}" -- putBook writes books, getBook reads it
// races: "GET /books/{id}" "DELETE /books/{id}" -- deleteBook writes books, getBook reads it
// races: "GET /books" "PUT /api/books/{id}" -- putBook writes books, listBooks reads its length
// races: "GET /books" "DELETE /books/{id}" -- deleteBook writes books, listBooks reads its length
