package loop_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safels/safels/loop"
)

// TestSerialOrder: with no constraint table, handlers run one at a time, in
// the order posted, including handlers posted by handlers.
func TestSerialOrder(t *testing.T) {
	l := loop.New()
	var got []int
	var running atomic.Int32
	var step func(*loop.Loop, int)
	step = func(l *loop.Loop, n int) {
		if running.Add(1) != 1 {
			t.Error("two handlers ran at once")
		}
		got = append(got, n)
		if n <= 5 {
			loop.Post(l, step, n+10)
		}
		if n == 15 {
			l.Stop()
		}
		running.Add(-1)
	}
	for i := 1; i <= 5; i++ {
		loop.Post(l, step, i)
	}
	if err := l.Run(context.Background()); !errors.Is(err, loop.ErrStopped) {
		t.Fatalf("Run = %v, want ErrStopped", err)
	}
	want := []int{1, 2, 3, 4, 5, 11, 12, 13, 14, 15}
	if len(got) != len(want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran %v, want %v", got, want)
		}
	}
}

// TestPostFromGoroutines: Post is safe from any goroutine while Run runs
// (run with -race).
func TestPostFromGoroutines(t *testing.T) {
	l := loop.New()
	var count int // only handlers touch it: they never overlap
	const n = 8 * 200
	done := make(chan struct{})
	inc := func(l *loop.Loop, _ struct{}) {
		count++
		if count == n {
			close(done)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				loop.Post(l, inc, struct{}{})
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() { <-done; l.Stop() }()
	err := l.Run(ctx)
	wg.Wait()
	if !errors.Is(err, loop.ErrStopped) || count != n {
		t.Fatalf("Run = %v after %d of %d handlers", err, count, n)
	}
}

// TestContextCancel: Run returns the context's error when it is done.
func TestContextCancel(t *testing.T) {
	l := loop.New()
	ctx, cancel := context.WithCancel(context.Background())
	loop.Post(l, func(*loop.Loop, int) { cancel() }, 0)
	if err := l.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

// TestPostAfterStop: after Stop, Post returns ErrStopped and the handler
// never runs.
func TestPostAfterStop(t *testing.T) {
	l := loop.New()
	l.Stop()
	l.Stop() // twice is fine
	ran := false
	if err := loop.Post(l, func(*loop.Loop, int) { ran = true }, 0); !errors.Is(err, loop.ErrStopped) {
		t.Errorf("Post after Stop = %v, want ErrStopped", err)
	}
	if err := l.Run(context.Background()); !errors.Is(err, loop.ErrStopped) {
		t.Fatalf("Run = %v", err)
	}
	if ran {
		t.Error("a handler posted after Stop ran")
	}
}
