// Proofs that stop at their bounds: an object of the handler's own kept
// in eighty others (is one of them opaque? freshload.go, maxHolders),
// and a closure returned through eight helpers (was it made by this
// invocation? madehere.go, maxMadeDepth), and objects kept one in the
// other five deep (freshload.go, maxHeldSteps). Each proof fails, as if it
// could not be made: less precise, not less safe, and the result says
// so. Nothing here is shared but the global count.
package main

import "net/http"

type inner struct{ x int }

type holder struct{ p *inner }

type keeper struct {
	f0 *holder
	f1 *holder
	f2 *holder
	f3 *holder
	f4 *holder
	f5 *holder
	f6 *holder
	f7 *holder
	f8 *holder
	f9 *holder
}

var count int

// kept keeps its holder in eighty keepers (eight per field: more in one
// field are merged) and writes through it.
func kept(w http.ResponseWriter, r *http.Request) {
	h := &holder{p: &inner{}}
	k00 := &keeper{}
	k00.f0 = h
	k01 := &keeper{}
	k01.f0 = h
	k02 := &keeper{}
	k02.f0 = h
	k03 := &keeper{}
	k03.f0 = h
	k04 := &keeper{}
	k04.f0 = h
	k05 := &keeper{}
	k05.f0 = h
	k06 := &keeper{}
	k06.f0 = h
	k07 := &keeper{}
	k07.f0 = h
	k10 := &keeper{}
	k10.f1 = h
	k11 := &keeper{}
	k11.f1 = h
	k12 := &keeper{}
	k12.f1 = h
	k13 := &keeper{}
	k13.f1 = h
	k14 := &keeper{}
	k14.f1 = h
	k15 := &keeper{}
	k15.f1 = h
	k16 := &keeper{}
	k16.f1 = h
	k17 := &keeper{}
	k17.f1 = h
	k20 := &keeper{}
	k20.f2 = h
	k21 := &keeper{}
	k21.f2 = h
	k22 := &keeper{}
	k22.f2 = h
	k23 := &keeper{}
	k23.f2 = h
	k24 := &keeper{}
	k24.f2 = h
	k25 := &keeper{}
	k25.f2 = h
	k26 := &keeper{}
	k26.f2 = h
	k27 := &keeper{}
	k27.f2 = h
	k30 := &keeper{}
	k30.f3 = h
	k31 := &keeper{}
	k31.f3 = h
	k32 := &keeper{}
	k32.f3 = h
	k33 := &keeper{}
	k33.f3 = h
	k34 := &keeper{}
	k34.f3 = h
	k35 := &keeper{}
	k35.f3 = h
	k36 := &keeper{}
	k36.f3 = h
	k37 := &keeper{}
	k37.f3 = h
	k40 := &keeper{}
	k40.f4 = h
	k41 := &keeper{}
	k41.f4 = h
	k42 := &keeper{}
	k42.f4 = h
	k43 := &keeper{}
	k43.f4 = h
	k44 := &keeper{}
	k44.f4 = h
	k45 := &keeper{}
	k45.f4 = h
	k46 := &keeper{}
	k46.f4 = h
	k47 := &keeper{}
	k47.f4 = h
	k50 := &keeper{}
	k50.f5 = h
	k51 := &keeper{}
	k51.f5 = h
	k52 := &keeper{}
	k52.f5 = h
	k53 := &keeper{}
	k53.f5 = h
	k54 := &keeper{}
	k54.f5 = h
	k55 := &keeper{}
	k55.f5 = h
	k56 := &keeper{}
	k56.f5 = h
	k57 := &keeper{}
	k57.f5 = h
	k60 := &keeper{}
	k60.f6 = h
	k61 := &keeper{}
	k61.f6 = h
	k62 := &keeper{}
	k62.f6 = h
	k63 := &keeper{}
	k63.f6 = h
	k64 := &keeper{}
	k64.f6 = h
	k65 := &keeper{}
	k65.f6 = h
	k66 := &keeper{}
	k66.f6 = h
	k67 := &keeper{}
	k67.f6 = h
	k70 := &keeper{}
	k70.f7 = h
	k71 := &keeper{}
	k71.f7 = h
	k72 := &keeper{}
	k72.f7 = h
	k73 := &keeper{}
	k73.f7 = h
	k74 := &keeper{}
	k74.f7 = h
	k75 := &keeper{}
	k75.f7 = h
	k76 := &keeper{}
	k76.f7 = h
	k77 := &keeper{}
	k77.f7 = h
	k80 := &keeper{}
	k80.f8 = h
	k81 := &keeper{}
	k81.f8 = h
	k82 := &keeper{}
	k82.f8 = h
	k83 := &keeper{}
	k83.f8 = h
	k84 := &keeper{}
	k84.f8 = h
	k85 := &keeper{}
	k85.f8 = h
	k86 := &keeper{}
	k86.f8 = h
	k87 := &keeper{}
	k87.f8 = h
	k90 := &keeper{}
	k90.f9 = h
	k91 := &keeper{}
	k91.f9 = h
	k92 := &keeper{}
	k92.f9 = h
	k93 := &keeper{}
	k93.f9 = h
	k94 := &keeper{}
	k94.f9 = h
	k95 := &keeper{}
	k95.f9 = h
	k96 := &keeper{}
	k96.f9 = h
	k97 := &keeper{}
	k97.f9 = h
	_ = []*keeper{k00, k01, k02, k03, k04, k05, k06, k07, k10, k11, k12, k13, k14, k15, k16, k17, k20, k21, k22, k23, k24, k25, k26, k27, k30, k31, k32, k33, k34, k35, k36, k37, k40, k41, k42, k43, k44, k45, k46, k47, k50, k51, k52, k53, k54, k55, k56, k57, k60, k61, k62, k63, k64, k65, k66, k67, k70, k71, k72, k73, k74, k75, k76, k77, k80, k81, k82, k83, k84, k85, k86, k87, k90, k91, k92, k93, k94, k95, k96, k97}
	h.p.x++ // want "x"
}

func made0() func() { n := 0; return func() { n++ } } // want "made0.n"
func made1() func() { return made0() }
func made2() func() { return made1() }
func made3() func() { return made2() }
func made4() func() { return made3() }
func made5() func() { return made4() }
func made6() func() { return made5() }
func made7() func() { return made6() }
func made8() func() { return made7() }

// deep calls a closure its eighth helper returned.
func deep(w http.ResponseWriter, r *http.Request) {
	f := made8()
	f() // want "made0.n"
}

// counter writes the global.
func counter(w http.ResponseWriter, r *http.Request) { count++ } // want "count"

type n5 struct{ x int }

type link struct{ v *n5 }

// nested writes through a pointer copied from object to object of its
// own, five times (freshload.go, maxHeldSteps): past the fourth, anything
// of its type.
func nested(w http.ResponseWriter, r *http.Request) {
	chain().v.x++ // want "writes \\(\\*main.n5\\).x;"
}

func chain() *link {
	l1, l2, l3, l4, l5 := step1(), step2(), step3(), step4(), step5()
	l5.v = &n5{}
	l4.v = l5.v
	l3.v = l4.v
	l2.v = l3.v
	l1.v = l2.v
	return l1
}

// Five objects, made in five places.
func step1() *link { return &link{} }
func step2() *link { return &link{} }
func step3() *link { return &link{} }
func step4() *link { return &link{} }
func step5() *link { return &link{} }

func main() {
	http.HandleFunc("/nested", nested)
	http.HandleFunc("/kept", kept)
	http.HandleFunc("/deep", deep)
	http.HandleFunc("/count", counter)
	http.ListenAndServe(":8080", nil)
}
