// Library code calls back the methods of an interface value it is handed
// on that value: io.Copy reads its source by the source's Read. The
// receiver is what the value holds, as for an interface call written
// here, not every object of the method's type: handleCopy's meter is made
// for each request, so its count is the request's own, although io.Copy
// is handed it through a helper's parameter. handleShared hands io.Copy
// the one meter every request shares, and conflicts with itself and with
// handleStats, which reads its count.
package main

import (
	"io"
	"net/http"
)

// meter counts the reads of an empty source.
type meter struct{ n int }

func (m *meter) Read(p []byte) (int, error) {
	m.n++
	return 0, io.EOF
}

var shared = &meter{}

// pump copies in to w: io.Copy is handed in, an interface of unknown
// dynamic value here.
func pump(w io.Writer, in io.Reader) { io.Copy(w, in) }

func handleCopy(w http.ResponseWriter, r *http.Request) {
	pump(w, &meter{})
}

func handleShared(w http.ResponseWriter, r *http.Request) {
	pump(w, shared)
}

func handleStats(w http.ResponseWriter, r *http.Request) {
	if shared.n > 0 {
		w.WriteHeader(http.StatusOK)
	}
}

func main() {
	http.HandleFunc("/copy", handleCopy)
	http.HandleFunc("/shared", handleShared)
	http.HandleFunc("/stats", handleStats)
	http.ListenAndServe(":8080", nil)
}
