// A gin server rendering fresh values and binding requests into fresh
// structs, logging with zap: per-request memory handed to the framework
// and a logger safe for concurrent use are not shared state.
package main

import (
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

type note struct {
	Text string `json:"text"`
}

type page struct {
	Notes []string `json:"notes"`
	N     int      `json:"n"`
}

var (
	log   = zap.NewNop()
	notes []string
)

func list(c *gin.Context) {
	log.Info("list", zap.Int("n", 1))
	c.JSON(200, gin.H{"n": 1, "ok": true})
}

func show(c *gin.Context) {
	c.JSON(200, &page{N: 2})
}

func add(c *gin.Context) {
	var n note
	if err := c.ShouldBindJSON(&n); err != nil {
		c.JSON(400, gin.H{"error": err.Error()})
		return
	}
	notes = append(notes, n.Text) // want "POST /notes writes notes"
}

func count(c *gin.Context) {
	c.JSON(200, len(notes)) // want "GET /count reads notes"
}

func main() {
	r := gin.New()
	r.GET("/list", list)
	r.GET("/show", show)
	r.POST("/notes", add)
	r.GET("/count", count)
	r.Run("127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "POST /notes" "POST /notes" -- add appends to notes
// races: "POST /notes" "GET /count" -- add appends to notes, count reads its length
