// An echo v4 server binding requests into fresh values and rendering
// fresh values and copies of kept ones, with a handler's context carrying
// a value (c.Set): the users are kept by value under a mutex; only the
// login counter, written without it, is shared state.
package main

import (
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

type user struct {
	Name  string `json:"name" form:"name"`
	Email string `json:"email" form:"email"`
}

var (
	mu     sync.Mutex
	users  = map[string]user{}
	logins int
)

func createUser(c echo.Context) error {
	var u user
	if err := c.Bind(&u); err != nil {
		return err
	}
	mu.Lock()
	users[u.Name] = u
	mu.Unlock()
	return c.JSON(http.StatusCreated, &u)
}

func getUser(c echo.Context) error {
	mu.Lock()
	u, ok := users[c.Param("name")]
	mu.Unlock()
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such user")
	}
	return c.JSON(http.StatusOK, u)
}

func listUsers(c echo.Context) error {
	mu.Lock()
	out := make([]user, 0, len(users))
	for _, u := range users {
		out = append(out, u)
	}
	mu.Unlock()
	return c.JSON(http.StatusOK, out)
}

func login(c echo.Context) error {
	c.Set("user", c.FormValue("name"))
	logins++
	return c.String(http.StatusOK, "ok")
}

func status(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]int{"logins": logins})
}

func main() {
	e := echo.New()
	e.POST("/users", createUser)
	e.GET("/users/:name", getUser)
	e.GET("/users", listUsers)
	e.POST("/login", login)
	e.GET("/status", status)
	e.Start("127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "POST /login" "POST /login" -- both write logins
// races: "POST /login" "GET /status" -- login writes logins, status reads it
