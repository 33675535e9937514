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

func main() {
	r := mux.NewRouter()
	r.HandleFunc("/books/{id}", getBook).Methods("GET")
	api := r.PathPrefix("/api").Subrouter()
	api.Use(countWrites)
	api.HandleFunc("/books/{id}", putBook).Methods("PUT")
	http.ListenAndServe("127.0.0.1:0", r)
}
