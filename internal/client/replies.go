package client

import (
	"context"
	"sync"
	"time"
)

// replies are the delayed ratchet replies in flight (replyLater): timers,
// then a send each. Close stops the timers, cancels the sends and waits
// for them, so a closed destination leaves nothing running. The zero
// value is ready to use.
type replies struct {
	mu     sync.Mutex
	closed bool
	timers map[*time.Timer]struct{}
	ctx    context.Context // ends at close; set at the first after
	cancel context.CancelFunc
	wg     sync.WaitGroup // callbacks running
}

// after runs f(ctx) after delay unless close comes first.
func (r *replies) after(delay time.Duration, f func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if r.ctx == nil {
		r.ctx, r.cancel = context.WithCancel(context.Background())
		r.timers = make(map[*time.Timer]struct{})
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		r.mu.Lock()
		delete(r.timers, t)
		if r.closed {
			r.mu.Unlock()
			return
		}
		r.wg.Add(1)
		ctx := r.ctx
		r.mu.Unlock()
		defer r.wg.Done()
		f(ctx)
	})
	r.timers[t] = struct{}{}
}

// close stops what is scheduled and waits for what runs.
func (r *replies) close() {
	r.mu.Lock()
	r.closed = true
	for t := range r.timers {
		t.Stop()
	}
	r.timers = nil
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
}

// Close stops what the destination still has scheduled (delayed ratchet
// replies) and waits for it. The router removes its tunnel pool; nothing
// should be sent through a closed destination.
func (d *Destination) Close() { d.replies.close() }
