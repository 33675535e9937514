// An echo server whose handlers come from outside, where discovery cannot
// follow them: safels must say so rather than report no race.
package silentapp

import "github.com/labstack/echo/v4"

// Register adds the routes it is given.
func Register(e *echo.Echo, routes map[string]echo.HandlerFunc) {
	for path, h := range routes {
		e.GET(path, h)
	}
}
