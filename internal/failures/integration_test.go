package failures_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/failures"
)

// testDB is this package's own database on the shared test Redis.
const testDB = 7

// realRedis connects to KSF_TEST_REDIS_URL (database testDB) and removes
// the store's keys before and after the test; it skips without the variable.
func realRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	url := os.Getenv("KSF_TEST_REDIS_URL")
	if url == "" {
		t.Skip("KSF_TEST_REDIS_URL not set")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("KSF_TEST_REDIS_URL: %v", err)
	}
	opt.DB = testDB
	rdb := redis.NewClient(opt)
	clean := func() {
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, failures.KeyPrefix+"*").Result()
		if err != nil {
			t.Fatalf("test Redis: %v", err)
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	}
	clean()
	t.Cleanup(func() { clean(); _ = rdb.Close() })
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
