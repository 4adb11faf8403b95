// Package ratelimit makes each vendor rate limit (KSF_*_RPS) the total of
// every ksfsync process, not of each one: the budget lives in Redis
// (github.com/go-redis/redis_rate, a GCRA token bucket in one Lua call) under
// a key derived from the vendor credential, so every worker using that
// credential draws from the same bucket.
//
// Within one process a single waiter at a time asks Redis (the others wait
// locally), and waiters marked interactive (internal/lane) go before bulk
// ones: a one-customer resync is not queued behind ten bulk jobs' calls.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/lane"
)

// KeyPrefix starts every key (redis_rate adds its own "rate:" in front).
const KeyPrefix = "ksf:rl:"

// Limits builds shared limiters on one Redis. The zero value is unusable;
// use New.
type Limits struct {
	rdb *redis_rate.Limiter

	mu   sync.Mutex
	byID map[string]*Shared // one per key: clients of one credential share the local queue too
}

// New returns the limits kept in rdb (a plain, Sentinel or Cluster client).
func New(rdb redis.UniversalClient) *Limits {
	return &Limits{rdb: redis_rate.NewLimiter(rdb), byID: map[string]*Shared{}}
}

// Key is the Redis key (without redis_rate's "rate:") of vendor's budget
// for a credential: a SHA-256 of the vendor and the credential's parts, so
// no credential (some are secret) is written to Redis.
func Key(vendor string, credential ...string) string {
	h := sha256.Sum256([]byte(vendor + "\x00" + strings.Join(credential, "\x00")))
	return KeyPrefix + vendor + ":" + hex.EncodeToString(h[:12])
}

// Limiter returns the shared limiter of rps requests per second (> 0) with
// burst (0 = 1) for vendor's credential. The same key returns the same
// limiter, at the lowest rate asked for it (two tenants configured with one
// credential and different rates get the stricter one).
func (l *Limits) Limiter(key string, rps float64, burst int) (*Shared, error) {
	if rps <= 0 || math.IsNaN(rps) || math.IsInf(rps, 0) || burst < 0 {
		return nil, fmt.Errorf("shared rate limit %s: rate %v burst %d: want a positive rate and burst ≥ 0", key, rps, burst)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := limitOf(rps, max(1, burst))
	if s, ok := l.byID[key]; ok {
		if old := s.limit.Load(); interval(lim) > interval(*old) {
			s.limit.Store(&lim)
		}
		return s, nil
	}
	s := &Shared{rdb: l.rdb, key: key}
	s.limit.Store(&lim)
	l.byID[key] = s
	return s, nil
}

// Headroom: requests are spaced 2 % wider than 1/rps. A vendor counts
// requests per second by its own clock, when they arrive; with exact
// spacing, a few milliseconds of network or scheduling jitter could put
// rps+1 requests in one of its seconds. 2 % leaves 20 ms of slack in every
// second, at any rate.
const Headroom = 1.02

// limitOf expresses rps as redis_rate's whole events per period: n per
// (Headroom) second when rps is whole, else one per Headroom/rps seconds.
func limitOf(rps float64, burst int) redis_rate.Limit {
	if rps == math.Trunc(rps) && rps <= 1e6 {
		return redis_rate.Limit{Rate: int(rps), Period: time.Duration(Headroom * float64(time.Second)), Burst: burst}
	}
	return redis_rate.Limit{Rate: 1, Period: time.Duration(Headroom * float64(time.Second) / rps), Burst: burst}
}

// interval is the time between two requests under l.
func interval(l redis_rate.Limit) time.Duration { return l.Period / time.Duration(l.Rate) }

// ErrWouldExceedDeadline: the next free slot is after ctx's deadline.
var ErrWouldExceedDeadline = errors.New("rate limit: the wait would exceed the context deadline")

// Shared is an upstream.Limiter whose budget every process shares.
type Shared struct {
	rdb   *redis_rate.Limiter
	key   string
	limit atomic.Pointer[redis_rate.Limit]
	turn  gate
}

// Key is the Redis key of the budget.
func (s *Shared) Key() string { return s.key }

// Wait blocks until the shared budget allows one request, ctx ends, or the
// wait would outlast ctx's deadline. A Redis error is returned (the call is
// then not made; the job fails as on any transient error).
func (s *Shared) Wait(ctx context.Context) error {
	if err := s.turn.acquire(ctx, lane.Interactive(ctx)); err != nil {
		return err
	}
	defer s.turn.release()
	var timer *time.Timer
	for {
		res, err := s.rdb.Allow(ctx, s.key, *s.limit.Load())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("shared rate limit: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := max(res.RetryAfter, time.Millisecond)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return ErrWouldExceedDeadline
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// gate lets one waiter at a time through, interactive waiters first, each
// class in arrival order.
type gate struct {
	mu        sync.Mutex
	busy      bool
	high, low []chan struct{}
	queued    chan struct{} // tests: told of every waiter queued; nil = nobody
}

func (g *gate) acquire(ctx context.Context, interactive bool) error {
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if interactive {
		g.high = append(g.high, ch)
	} else {
		g.low = append(g.low, ch)
	}
	g.mu.Unlock()
	if g.queued != nil {
		g.queued <- struct{}{}
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		removed := remove(&g.high, ch) || remove(&g.low, ch)
		g.mu.Unlock()
		if !removed { // handed the turn as ctx ended: pass it on
			g.release()
		}
		return ctx.Err()
	}
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	var next chan struct{}
	switch {
	case len(g.high) > 0:
		next, g.high = g.high[0], g.high[1:]
	case len(g.low) > 0:
		next, g.low = g.low[0], g.low[1:]
	default:
		g.busy = false
		return
	}
	close(next)
}

func remove(list *[]chan struct{}, ch chan struct{}) bool {
	for i, c := range *list {
		if c == ch {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}
