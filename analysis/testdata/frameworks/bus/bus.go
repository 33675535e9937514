// Package bus is a project-specific event bus whose handlers safels learns
// of from .safels.json.
package bus

type Event struct{ Name string }
type Bus struct{ subs map[string]func(*Event) }

func New() *Bus                               { return &Bus{subs: map[string]func(*Event){}} }
func (b *Bus) On(name string, f func(*Event)) { b.subs[name] = f }
