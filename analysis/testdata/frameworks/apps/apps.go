// One small app per framework, each with a shared counter it races on, and
// a read-only setting that never conflicts.
package apps

import (
	"net/http"
	"sync"

	"example.com/frameworks/bus"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
	"github.com/panjf2000/gnet/v2"
	"github.com/tidwall/evio"
	"github.com/tidwall/redcon"
)

var (
	ginHits, echoHits, chiHits, muxHits, evioConns, redisCmds, busEvents int
	banner                                                               = "safels"
	mu                                                                   sync.Mutex
	guarded                                                              int
)

func ginIndex(c *gin.Context) { ginHits++; _ = banner } // want "ginHits" "ginHits"

func echoIndex(c echo.Context) error { echoHits++; return nil } // want "echoHits" "echoHits"

func chiIndex(w http.ResponseWriter, r *http.Request) { chiHits++ } // want "chiHits" "chiHits"

func muxIndex(w http.ResponseWriter, r *http.Request) { // the lock keeps it apart
	mu.Lock()
	guarded++
	mu.Unlock()
	muxHits++ // want "muxHits" "muxHits"
}

type server struct{ conns int }

func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) { s.conns++; return nil, 0 } // want "\\(\\*server\\)\\.conns" "\\(\\*server\\)\\.conns"
func (s *server) OnTraffic(c gnet.Conn) gnet.Action        { _ = s.conns; return 0 }    // want "\\(\\*server\\)\\.conns"

func onBus(e *bus.Event) { busEvents++ } // want "busEvents" "busEvents"

func Main() {
	g := gin.New()
	g.GET("/", ginIndex)
	e := echo.New()
	e.GET("/", echoIndex)
	c := chi.NewRouter()
	c.Get("/", chiIndex)
	m := mux.NewRouter()
	m.HandleFunc("/", muxIndex)
	var ev evio.Events
	ev.Data = func(c evio.Conn, in []byte) ([]byte, evio.Action) {
		evioConns++ // want "evioConns" "evioConns"
		return nil, 0
	}
	evio.Serve(ev, "tcp://127.0.0.1:0")
	gnet.Run(&server{}, "tcp://127.0.0.1:0")
	redcon.ListenAndServe("127.0.0.1:0",
		func(conn redcon.Conn, cmd redcon.Command) { redisCmds++ }, // want "redisCmds" "redisCmds"
		nil, nil)
	b := bus.New()
	b.On("x", onBus)
}
