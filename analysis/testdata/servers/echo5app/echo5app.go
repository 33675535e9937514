// An echo v5 server: the context is a *echo.Context.
package main

import "github.com/labstack/echo/v5"

var (
	hits  int
	notes []string
)

func countHits(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		hits++ // want "hits"
		return next(c)
	}
}

func listNotes(c *echo.Context) error { return c.JSON(200, len(notes)) } // want "GET /notes reads notes"

func addNote(c *echo.Context) error { notes = append(notes, c.Param("n")); return nil } // want "POST /notes writes notes"

func main() {
	e := echo.New()
	e.Use(countHits)
	e.GET("/notes", listNotes)
	e.POST("/notes", addNote)
	e.Start("127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: all -- every request runs countHits (e.Use), which writes hits
