package failures_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

// testDB is this package's own database on the shared test Redis.
const testDB = 7

// realRedis is the package's database on KSF_TEST_REDIS_URL (redistest
// flushes it when the package's tests end); the unit tests use miniredis.
func realRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	rd := redistest.New(t, testDB)
	if !rd.Real() {
		t.Skip("integration test: set KSF_TEST_REDIS_URL (.ci/run does)")
	}
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestIntegrationRealRedis(t *testing.T) {
	rdb := realRedis(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	store := failures.New(rdb, failures.Options{MaxRecords: 3, Now: func() time.Time { return now }})
	for i, c := range []string{"c1", "c2", "c3", "c4"} {
		r := syncRecord("it:"+c, "t1", c, "2026-11-01", "2026-11-30", "boom "+c, now.Add(time.Duration(i)*time.Second))
		if err := store.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := store.List(ctx, failures.Filter{Kind: "statement", Query: "BOOM"}, failures.Page{Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || !slices.Equal(ids(list), []string{"it:c4", "it:c3"}) {
		t.Fatalf("got %v total %d", ids(list), total)
	}
	if _, err := store.MarkReplayed(ctx, "it:c4", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, _ := store.Get(ctx, "it:c4"); !r.Replayed() || r.ReplayCount != 1 || !r.FailedAt.Equal(now.Add(3*time.Second)) {
		t.Fatalf("record %+v", r)
	}
	if ttl := rdb.TTL(ctx, failures.KeyPrefix+"{v1}:rec:it:c4").Val(); ttl < failures.DefaultRetention-time.Minute {
		t.Fatalf("TTL %v", ttl)
	}
	if err := store.Delete(ctx, "it:c4"); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := store.List(ctx, failures.Filter{}, failures.Page{}); total != 2 {
		t.Fatalf("total after delete %d", total)
	}
}
