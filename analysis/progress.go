package analysis

import (
	"fmt"
	"time"
)

// A run on a large server takes minutes; without word of what it is doing
// the user cannot tell a slow run from a stuck one. progress says each
// phase as it ends and, while summaries are computed, where they are,
// at most once per progressEvery.
const progressEvery = 2 * time.Second

type progress struct {
	tell       func(string)
	last       time.Time
	summarized int // functions summarized so far
}

func newProgress(tell func(string)) *progress {
	return &progress{tell: tell, last: time.Now()}
}

// say reports now.
func (p *progress) say(format string, args ...any) {
	if p == nil || p.tell == nil {
		return
	}
	p.last = time.Now()
	p.tell(fmt.Sprintf(format, args...))
}

// tick reports if nothing was reported for progressEvery.
func (p *progress) tick(format string, args ...any) {
	if p == nil || p.tell == nil || time.Since(p.last) < progressEvery {
		return
	}
	p.say(format, args...)
}
