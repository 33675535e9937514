// A chi REST server in the style of chi's rest example: chi's own
// middleware (RequestID, RealIP, Logger, Recoverer, Timeout), an article
// loaded by a middleware into the request's context, responses encoded
// from fresh values, request bodies decoded into fresh values. Articles
// are kept under a RWMutex and never changed once kept (an update keeps a
// new one); only the view counter, written without the lock, is shared
// state.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

type Article struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Tags  []string `json:"tags"`
}

type articleKey struct{}

var (
	mu       sync.RWMutex
	articles = map[string]*Article{"1": {ID: "1", Title: "hello"}}
	views    int
)

// articleCtx puts the article the URL names into the request's context.
func articleCtx(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		a, ok := articles[chi.URLParam(r, "articleID")]
		mu.RUnlock()
		if !ok {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), articleKey{}, a)))
	})
}

func listArticles(w http.ResponseWriter, r *http.Request) {
	mu.RLock()
	list := make([]*Article, 0, len(articles))
	for _, a := range articles {
		list = append(list, a)
	}
	mu.RUnlock()
	json.NewEncoder(w).Encode(list)
}

func createArticle(w http.ResponseWriter, r *http.Request) {
	a := &Article{}
	if err := json.NewDecoder(r.Body).Decode(a); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.Tags = append(a.Tags, "new")
	mu.Lock()
	articles[a.ID] = a
	mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(a)
}

func getArticle(w http.ResponseWriter, r *http.Request) {
	a := r.Context().Value(articleKey{}).(*Article)
	views++
	json.NewEncoder(w).Encode(a)
}

func deleteArticle(w http.ResponseWriter, r *http.Request) {
	a := r.Context().Value(articleKey{}).(*Article)
	mu.Lock()
	delete(articles, a.ID)
	mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func stats(w http.ResponseWriter, r *http.Request) {
	json.NewEncoder(w).Encode(map[string]int{"views": views})
}

func main() {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(middleware.RealIP)
	r.Use(middleware.Logger)
	r.Use(middleware.Recoverer)
	r.Use(middleware.Timeout(5 * time.Second))
	r.Route("/articles", func(r chi.Router) {
		r.Get("/", listArticles)
		r.Post("/", createArticle)
		r.Route("/{articleID}", func(r chi.Router) {
			r.Use(articleCtx)
			r.Get("/", getArticle)
			r.Delete("/", deleteArticle)
		})
	})
	r.Get("/stats", stats)
	http.ListenAndServe("127.0.0.1:0", r)
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "GET /articles/{articleID}/" "GET /articles/{articleID}/" -- both write views
// races: "GET /articles/{articleID}/" "GET /stats" -- getArticle writes views, stats reads it
