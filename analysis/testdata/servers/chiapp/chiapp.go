// A chi server: middleware used on the router, on a route group, and with
// With; a sub-router made by Route.
package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

var (
	articles = map[string]string{}
	requests int // counted by every request
	admins   int
)

func countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++ // want "requests"
		next.ServeHTTP(w, r)
	})
}

func adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		admins++ // want "POST /admin/purge writes admins"
		next.ServeHTTP(w, r)
	})
}

func getArticle(w http.ResponseWriter, r *http.Request) {
	_ = articles[chi.URLParam(r, "articleID")] // want "GET /articles/\\{articleID\\} reads articles"
}

func putArticle(w http.ResponseWriter, r *http.Request) {
	articles[chi.URLParam(r, "articleID")] = "x" // want "PUT /articles/\\{articleID\\} writes articles"
}

func purge(w http.ResponseWriter, r *http.Request) { clear(articles) } // want "POST /admin/purge writes articles"

func health(w http.ResponseWriter, r *http.Request) {}

func main() {
	r := chi.NewRouter()
	r.Use(middleware.Logger)
	r.Use(countRequests)
	r.Route("/articles", func(r chi.Router) {
		r.Get("/{articleID}", getArticle)
		r.Put("/{articleID}", putArticle)
	})
	r.Group(func(r chi.Router) {
		r.Use(adminOnly)
		r.Post("/admin/purge", purge)
	})
	r.With(middleware.NoCache).Get("/health", health)
	http.ListenAndServe("127.0.0.1:0", r)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: all -- every request runs countRequests (r.Use), which writes requests
