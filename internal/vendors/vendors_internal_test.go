package vendors

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/ratelimit"
)

// TestCallOptionsShareByCredential: with shared limits, clients of one
// vendor credential get one limiter (one Redis budget), another credential
// or vendor another; no limit (RPS 0) or no Redis leaves the per-process
// default.
func TestCallOptionsShareByCredential(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	// Two processes' builders on one Redis.
	a := builder{limits: ratelimit.New(rdb)}
	b := builder{limits: ratelimit.New(rdb)}
	key := func(o bool, vendor string, cred ...string) string {
		t.Helper()
		bl := a
		if o {
			bl = b
		}
		opts, err := bl.callOptions(5, vendor, cred...)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := opts.Limiter.(*ratelimit.Shared)
		if !ok {
			t.Fatalf("limiter %T, want *ratelimit.Shared", opts.Limiter)
		}
		if opts.RPS != 5 {
			t.Errorf("RPS %v", opts.RPS)
		}
		return s.Key()
	}
	if key(false, "oms", "https://oms", "flag1") != key(true, "oms", "https://oms", "flag1") {
		t.Error("one credential in two processes: two budgets")
	}
	if key(false, "oms", "https://oms", "flag1") == key(false, "oms", "https://oms", "flag2") {
		t.Error("two flags share a budget")
	}
	if key(false, "waiqin", "u", "x") == key(false, "oms", "u", "x") {
		t.Error("two vendors share a budget")
	}
	for name, bl := range map[string]builder{"no limit": a, "no redis": {}} {
		rps := 0.0
		if name == "no redis" {
			rps = 5
		}
		opts, err := bl.callOptions(rps, "oms", "u", "flag1")
		if err != nil || opts.Limiter != nil || opts.RPS != rps {
			t.Errorf("%s: limiter %v rps %v err %v: want the client's own limiter", name, opts.Limiter, opts.RPS, err)
		}
	}
	if _, err := a.callOptions(-1, "oms", "u", "f"); err == nil {
		t.Error("negative rate accepted")
	}
}
