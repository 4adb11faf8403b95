package replay

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pushes that arrive together are sent to Redis together: a push finding a
// sender free sends itself at once, in its own goroutine (a push alone
// pays nothing for this), and the pushes that queue up while every sender
// waits on Redis go out as one pipeline. One round trip then carries many
// EVALSHAs, which saves both processes a read and a write per push (group
// commit).
const (
	maxSenders = 2  // pipelines in flight at once (more made batches smaller, CPU per push no lower)
	maxBatch   = 64 // pushes in one pipeline
)

// call is one push's script run, waiting for a sender.
type call struct {
	ctx  context.Context
	keys []string
	args []any
	res  any
	err  error
	done chan struct{}
}

// batcher runs script calls on rdb, several per round trip under load.
type batcher struct {
	rdb     redis.UniversalClient
	script  *redis.Script
	mu      sync.Mutex
	queue   []*call
	senders int
}

// run runs the script for one push. ctx bounds the wait: a push whose ctx
// ends before it is sent is not sent; one that ends while it is on the
// wire may still run (the caller answers "may or may not be stored").
func (b *batcher) run(ctx context.Context, keys []string, args ...any) (any, error) {
	c := &call{ctx: ctx, keys: keys, args: args, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if b.senders < maxSenders {
		// A sender is free: be it, for this push and whatever waits.
		b.senders++
		batch := b.takeLocked()
		b.mu.Unlock()
		b.sendInline(batch)
	} else {
		b.mu.Unlock()
	}
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sendInline sends batch from the caller's goroutine, then gives the sender
// back; even when exec panics (the HTTP server recovers it), so the
// batcher is never left without senders.
func (b *batcher) sendInline(batch []*call) {
	defer func() {
		b.mu.Lock()
		b.senders--
		if len(b.queue) > 0 && b.senders < maxSenders {
			// Pushes queued meanwhile: someone must send them.
			b.senders++
			go b.send()
		}
		b.mu.Unlock()
	}()
	b.exec(batch)
}

// send sends what is queued, a batch at a time, and stops when nothing is.
func (b *batcher) send() {
	for {
		b.mu.Lock()
		batch := b.takeLocked()
		if len(batch) == 0 {
			b.senders--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.exec(batch)
	}
}

// takeLocked removes the next batch (up to maxBatch calls, oldest first)
// from the queue.
func (b *batcher) takeLocked() []*call {
	n := min(len(b.queue), maxBatch)
	if n == 0 {
		return nil
	}
	batch := make([]*call, n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return batch
}

// exec runs one batch: alone as the script itself (EVALSHA, EVAL when Redis
// does not have it), several as one pipeline of EVALSHAs, bounded by the
// earliest deadline among them.
func (b *batcher) exec(batch []*call) {
	live := batch[:0]
	var deadline time.Time
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			close(c.done)
			continue
		}
		if d, ok := c.ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
			deadline = d
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if !deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, deadline)
	}
	defer cancel()
	if len(live) == 1 {
		c := live[0]
		c.res, c.err = b.script.Run(ctx, b.rdb, c.keys, c.args...).Result()
		close(c.done)
		return
	}
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(live))
	for i, c := range live {
		cmds[i] = pipe.EvalSha(ctx, b.script.Hash(), c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each command carries its own result or error
	for i, c := range live {
		c.res, c.err = cmds[i].Result()
		if redis.HasErrorPrefix(c.err, "NOSCRIPT") {
			// Redis restarted or flushed its scripts: this one did not
			// run; Run loads the script (EVAL) and runs it.
			c.res, c.err = b.script.Run(ctx, b.rdb, c.keys, c.args...).Result()
		}
		close(c.done)
	}
}
