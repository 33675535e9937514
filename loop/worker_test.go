package loop

import "testing"

// A handler becomes quick once timed alone probeFirst times under
// quickHandler, and never again once timed at quickHandler or more; a
// slow one is never quick (runChain reads the clock less often for a
// chain of quick handlers only).
func TestQuickHandler(t *testing.T) {
	var hi handlerInfo
	for i := 0; i < probeFirst-1; i++ {
		hi.timedAlone(quickHandler / 2)
	}
	if hi.quick.Load() {
		t.Fatal("quick before probeFirst probes")
	}
	hi.timedAlone(quickHandler / 2)
	if !hi.quick.Load() {
		t.Fatal("not quick after probeFirst quick probes")
	}
	hi.timedAlone(quickHandler)
	if hi.quick.Load() || hi.slow.Load() {
		t.Fatalf("quick %t, slow %t after a probe at quickHandler", hi.quick.Load(), hi.slow.Load())
	}
	hi.timedAlone(quickHandler / 2)
	if hi.quick.Load() {
		t.Fatal("quick again")
	}

	var slow handlerInfo
	for i := 0; i < probeFirst; i++ {
		slow.timedAlone(quickHandler / 2)
	}
	slow.timedAlone(2 * slowHandler)
	if slow.quick.Load() || !slow.slow.Load() {
		t.Fatalf("quick %t, slow %t after a slow probe", slow.quick.Load(), slow.slow.Load())
	}

	var mixed handlerInfo
	mixed.timedAlone(quickHandler)
	for i := 0; i < probeFirst; i++ {
		mixed.timedAlone(quickHandler / 2)
	}
	if mixed.quick.Load() {
		t.Fatal("quick though one probe was not")
	}
}
