// Package relay is a library whose handlers run concurrently, each on a
// message of its own: a stand-in for a framework a project describes in
// .safels.json.
package relay

type Payload struct{ N int }

type Msg struct{ Body *Payload }

type Relay struct{ subs map[string]func(*Msg) }

func New() *Relay { return &Relay{subs: map[string]func(*Msg){}} }

// On registers f; each message is made for one call of f.
func (r *Relay) On(name string, f func(*Msg)) { r.subs[name] = f }

func (r *Relay) Run() {
	for _, f := range r.subs {
		go f(&Msg{Body: &Payload{}})
	}
}
