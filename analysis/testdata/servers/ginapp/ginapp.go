// A gin server: middleware run before the handler (Use, in a group, in
// the registration's chain).
package main

import "github.com/gin-gonic/gin"

var (
	visits int
	items  []string
	tokens int
)

func countVisits(c *gin.Context) { visits++ } // want "visits"

func checkToken(c *gin.Context) {
	tokens++ // want "POST /api/items writes tokens"
	c.Next()
}

func listItems(c *gin.Context) { c.JSON(200, len(items)) } // want "GET /api/items reads items"

func addItem(c *gin.Context) { items = append(items, c.Query("i")) } // want "POST /api/items writes items"

func main() {
	r := gin.New()
	r.Use(countVisits)
	api := r.Group("/api")
	api.GET("/items", listItems)
	api.POST("/items", checkToken, addItem)
	r.Run("127.0.0.1:0")
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: all -- every request runs countVisits (r.Use), which writes visits
