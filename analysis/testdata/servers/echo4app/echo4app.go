// An echo v4 server: middleware on the server, on a group, and given with
// the route.
package main

import "github.com/labstack/echo/v4"

var (
	hits  int
	users = map[string]string{}
)

func countHits(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hits++ // want "hits"
		return next(c)
	}
}

func getUser(c echo.Context) error { _ = users[c.Param("id")]; return nil } // want "GET /users/:id reads users"

func saveUser(c echo.Context) error { users[c.Param("id")] = "x"; return nil } // want "POST /users/:id writes users"

func main() {
	e := echo.New()
	e.Use(countHits)
	g := e.Group("/users")
	g.GET("/:id", getUser)
	g.POST("/:id", saveUser, countHits)
	e.Start("127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: all -- every request runs countHits (e.Use), which writes hits
