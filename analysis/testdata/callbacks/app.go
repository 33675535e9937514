// Methods the standard library calls back on the values it is given:
// fmt's String and Error, encoding/json's MarshalJSON, sort.Sort's Swap,
// an io.Writer's Write. Each writes memory, and runs during the library
// call, in the handler that made it. A String that keeps its receiver
// publishes it: a fresh value printed there is shared from then on.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/safels/safels/loop"
)

type conn struct {
	id  int
	lab label
}

// label's String writes its receiver.
type label struct{ n int }

func (l *label) String() string {
	l.n++ // want "printLabel writes theLabel\\.n via \\(\\*label\\)\\.String" "printOwn writes c\\.lab\\.n via \\(\\*label\\)\\.String.*on the same context"
	return "label"
}

// vec's Swap writes its elements.
type vec []int

func (v vec) Len() int           { return len(v) }
func (v vec) Less(i, j int) bool { return v[i] < v[j] }      // want "sortNums reads nums\\[i\\] via \\(vec\\)\\.Less"
func (v vec) Swap(i, j int)      { v[i], v[j] = v[j], v[i] } // want "sortNums writes nums\\[i\\] via \\(vec\\)\\.Swap"

// rec counts its encodings.
type rec struct{ hits int }

func (r *rec) MarshalJSON() ([]byte, error) {
	r.hits++ // want "encode writes \\(\\*main\\.rec\\)\\.hits via \\(\\*rec\\)\\.MarshalJSON"
	return []byte("1"), nil
}

type wrap struct{ R *rec }

// fail's Error writes a global.
type fail struct{}

func (fail) Error() string {
	failures++ // want "wrapErr writes failures via \\(fail\\)\\.Error"
	return "fail"
}

// sink counts what is written to it.
type sink struct{}

func (sink) Write(p []byte) (int, error) {
	written += len(p) // want "write writes written via \\(sink\\)\\.Write"
	return len(p), nil
}

// tag's String publishes its receiver, and writes the last one.
type tag struct{ n int }

func (t *tag) String() string {
	if lastTag != nil { // want "printTag reads lastTag via \\(\\*tag\\)\\.String"
		lastTag.n++ // want "printTag reads lastTag via" "printTag writes lastTag\\.n via \\(\\*tag\\)\\.String"
	}
	lastTag = t // want "printTag writes lastTag via \\(\\*tag\\)\\.String"
	return "tag"
}

var (
	theLabel = &label{}
	nums     = vec{3, 1, 2}
	theRec   = &rec{}
	failures int
	written  int
	lastTag  *tag
)

func printLabel(l *loop.Loop, c *conn) {
	_ = fmt.Sprint(theLabel) // want "printLabel calls \\(\\*label\\)\\.String, which writes theLabel\\.n" "printLabel reads theLabel"
}

func printOwn(l *loop.Loop, c *conn) {
	_ = fmt.Sprintf("%v", &c.lab) // want "printOwn calls \\(\\*label\\)\\.String, which writes c\\.lab\\.n" "printOwn reads c\\.lab"
}

func sortNums(l *loop.Loop, c *conn) {
	sort.Sort(nums) // want "sortNums calls \\(vec\\)\\.Less" "sortNums writes nums"
}

func encode(l *loop.Loop, c *conn) {
	_, _ = json.Marshal(&wrap{R: theRec}) // want "encode calls \\(\\*rec\\)\\.MarshalJSON" "encode reads theRec"
}

func wrapErr(l *loop.Loop, c *conn) {
	_ = fmt.Errorf("w: %w", fail{}) // want "wrapErr calls \\(fail\\)\\.Error"
}

func write(l *loop.Loop, c *conn) {
	fmt.Fprint(sink{}, c.id) // want "write calls \\(sink\\)\\.Write"
}

// printTag prints a fresh tag, which its String publishes: the write
// after it is of shared memory.
func printTag(l *loop.Loop, c *conn) {
	t := &tag{}
	_ = fmt.Sprint(t) // want "printTag calls \\(\\*tag\\)\\.String" "printTag reads \\(\\*main\\.tag\\)"
	t.n += c.id       // want "printTag writes \\(\\*main\\.tag\\)\\.n"
}

// printFresh prints a fresh label: its String writes this handler's own.
func printFresh(l *loop.Loop, c *conn) {
	_ = fmt.Sprint(&label{n: c.id})
}

func main() {
	l := loop.New()
	c := &conn{id: 1}
	loop.Post(l, printLabel, c)
	loop.Post(l, printOwn, c)
	loop.Post(l, sortNums, c)
	loop.Post(l, encode, c)
	loop.Post(l, wrapErr, c)
	loop.Post(l, write, c)
	loop.Post(l, printTag, c)
	loop.Post(l, printFresh, c)
	l.Run(context.Background())
}

// The handler pairs that race (analysis/corpus_test.go reads these):
// races: "printLabel" "printLabel" -- (*label).String writes theLabel.n
// races on one context: "printOwn" "printOwn" -- (*label).String writes the context's c.lab.n
// races: "sortNums" "sortNums" -- Swap writes the global nums
// races: "encode" "encode" -- (*rec).MarshalJSON writes theRec.hits
// races: "wrapErr" "wrapErr" -- fmt calls (fail).Error, which writes failures
// races: "write" "write" -- (sink).Write writes written
// races: "printTag" "printTag" -- (*tag).String reads and writes lastTag
