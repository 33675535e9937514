// A gocui-style terminal app: its keybindings are handlers, registered in
// a loop over a table, declared to safels in .safels.json.
package main

import "example.com/frameworks/bus"

var lines int

type binding struct {
	key bus.Key
	h   func(*bus.Event)
}

func main() {
	b := bus.New()
	keys := []binding{
		{bus.KeyCtrlC, func(e *bus.Event) { lines = 0 }}, // want "bus.KeyCtrlC writes lines"
		{bus.KeyEnter, func(e *bus.Event) { lines++ }},   // want "bus.KeyEnter writes lines"
	}
	for _, k := range keys {
		b.SetKeybinding("", k.key, k.h)
	}
	b.On("x", onBus)
}

func onBus(e *bus.Event) { lines++ } // want "onBus writes lines"

// The handler pairs that race (analysis/corpus_test.go reads these):
// races among: all -- every binding writes lines
