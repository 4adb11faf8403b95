package ratelimit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/lane"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

const testDB = 13 // this package's database on the real test server

// setup returns n clients of one Redis, as n processes would each have.
func setup(t *testing.T, n int) []redis.UniversalClient {
	t.Helper()
	rd := redistest.New(t, testDB)
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]redis.UniversalClient, n)
	for i := range out {
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		out[i] = c
	}
	return out
}

// uniqueKey keeps tests apart on the shared real database.
func uniqueKey(t *testing.T) string { return Key("test", t.Name(), time.Now().String()) }

// TestThreeProcessesShareOneBudget: three "processes" (Limits on clients of
// their own), each with three callers, draw from one budget of 20/s: no
// second sees more than 20 calls, and each process gets some.
func TestThreeProcessesShareOneBudget(t *testing.T) {
	t.Parallel()
	const rps = 20
	key := uniqueKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var (
		mu     sync.Mutex
		bySec  = map[int64]int{}
		byProc = map[int]int{}
		wg     sync.WaitGroup
	)
	for p, rdb := range setup(t, 3) {
		lim, err := New(rdb).Limiter(key, rps, 0)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			wg.Go(func() {
				for lim.Wait(ctx) == nil {
					now := time.Now()
					mu.Lock()
					bySec[now.Unix()]++
					byProc[p]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	total := 0
	for sec, n := range bySec {
		total += n
		if n > rps {
			t.Errorf("second %d saw %d calls, limit %d", sec, n, rps)
		}
	}
	if len(byProc) != 3 {
		t.Errorf("calls per process %v: every process should get a share", byProc)
	}
	// 2.5 s at 20/s (less the headroom) is at most 51 calls; per-process
	// buckets would allow 150.
	if total > 51 || total < 10 {
		t.Errorf("%d calls in 2.5 s at %d/s shared", total, rps)
	}
}

func TestWaitRefusesPastDeadline(t *testing.T) {
	t.Parallel()
	lim, err := New(setup(t, 1)[0]).Limiter(uniqueKey(t), 0.5, 0) // one call per ~2 s
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := lim.Wait(ctx); !errors.Is(err, ErrWouldExceedDeadline) {
		t.Fatalf("second call within 200 ms: %v, want ErrWouldExceedDeadline", err)
	}
	cancel()
	if err := lim.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestLimiterRefusesBadRates(t *testing.T) {
	t.Parallel()
	l := New(setup(t, 1)[0])
	for _, rps := range []float64{0, -1} {
		if _, err := l.Limiter("k", rps, 0); err == nil {
			t.Errorf("rate %v accepted", rps)
		}
	}
	a, _ := l.Limiter("same", 5, 0)
	b, _ := l.Limiter("same", 2, 0)
	c, _ := l.Limiter("same", 10, 0)
	if a != b || b != c {
		t.Error("one key, several limiters: the local queue would not be shared")
	}
	if got := interval(*a.limit.Load()); got != 510*time.Millisecond {
		t.Errorf("interval %v: want the strictest rate asked (2/s, with headroom)", got)
	}
}

func TestKeyHidesCredential(t *testing.T) {
	t.Parallel()
	k := Key("oms", "flag-1", "s3cret-token")
	if strings.Contains(k, "s3cret") || strings.Contains(k, "flag-1") || !strings.HasPrefix(k, KeyPrefix+"oms:") {
		t.Errorf("key %q", k)
	}
	if k == Key("oms", "flag-1", "other") || k != Key("oms", "flag-1", "s3cret-token") {
		t.Error("keys do not follow the credential")
	}
}

func TestLimitOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rps  float64
		want time.Duration // between two calls
	}{{5, 204 * time.Millisecond}, {0.5, 2040 * time.Millisecond}, {2.5, 408 * time.Millisecond}} {
		l := limitOf(tc.rps, 1)
		if got := l.Period / time.Duration(l.Rate); got != tc.want {
			t.Errorf("rps %v: interval %v, want %v", tc.rps, got, tc.want)
		}
	}
}

// TestGateInteractiveFirst: with the turn taken, an interactive waiter that
// came after a bulk one is let through first; a cancelled waiter passes its
// turn on.
func TestGateInteractiveFirst(t *testing.T) {
	t.Parallel()
	g := gate{queued: make(chan struct{})}
	ctx := context.Background()
	if err := g.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 3)
	queued := func() { <-g.queued }
	bulkDone := make(chan struct{})
	go func() { _ = g.acquire(ctx, false); order <- "bulk"; g.release(); close(bulkDone) }()
	queued()
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error)
	go func() { gone <- g.acquire(cctx, true) }()
	queued()
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	go func() { _ = g.acquire(lane.WithInteractive(ctx), true); order <- "interactive"; g.release() }()
	queued()
	g.release()
	if a, b := <-order, <-order; a != "interactive" || b != "bulk" {
		t.Errorf("order %s, %s", a, b)
	}
	<-bulkDone
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy {
		t.Error("gate still busy after every waiter left")
	}
}
