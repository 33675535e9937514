// Package bus is a project-specific event bus whose handlers safels learns
// of from .safels.json, with gocui-style keybindings.
package bus

type Event struct{ Name string }
type Bus struct{ subs map[string]func(*Event) }

// Key is a key to bind.
type Key int

const (
	KeyCtrlC Key = iota + 1
	KeyEnter
)

func New() *Bus                               { return &Bus{subs: map[string]func(*Event){}} }
func (b *Bus) On(name string, f func(*Event)) { b.subs[name] = f }

// SetKeybinding runs f when key is pressed in view.
func (b *Bus) SetKeybinding(view string, key Key, f func(*Event)) {}
