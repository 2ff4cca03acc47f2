package client

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestRepliesClose: close stops scheduled replies, cancels the running
// one and waits for it; nothing is scheduled after.
func TestRepliesClose(t *testing.T) {
	var r replies
	var ran, cancelled atomic.Int32
	started := make(chan struct{})
	r.after(0, func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		cancelled.Add(1)
	})
	r.after(time.Hour, func(context.Context) { ran.Add(1) })
	<-started
	r.close()
	if cancelled.Load() != 1 {
		t.Fatal("close returned before the running reply ended")
	}
	r.after(0, func(context.Context) { ran.Add(1) })
	time.Sleep(20 * time.Millisecond)
	if ran.Load() != 0 {
		t.Fatal("a reply ran after close")
	}
	r.close() // twice
}
