module example.com/frameworks

go 1.26

require (
	github.com/gin-gonic/gin v0.0.0
	github.com/go-chi/chi/v5 v5.0.0
	github.com/gorilla/mux v0.0.0
	github.com/labstack/echo/v4 v4.0.0
	github.com/panjf2000/gnet/v2 v2.0.0
	github.com/tidwall/evio v0.0.0
	github.com/tidwall/redcon v0.0.0
)

replace (
	github.com/gin-gonic/gin => ./fake/gin
	github.com/go-chi/chi/v5 => ./fake/chi
	github.com/gorilla/mux => ./fake/mux
	github.com/labstack/echo/v4 => ./fake/echo
	github.com/panjf2000/gnet/v2 => ./fake/gnet
	github.com/tidwall/evio => ./fake/evio
	github.com/tidwall/redcon => ./fake/redcon
)
