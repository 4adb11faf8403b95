package replay_test

import (
	"context"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/replay"
)

const testDB = 2 // this package's database on the real test server

func setup(t *testing.T) (*replay.Guard, *redisconn.Conn) {
	t.Helper()
	rd := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return replay.New(conn.Client, time.Hour), conn
}

func TestClaim(t *testing.T) {
	t.Parallel()
	g, conn := setup(t)
	ctx := context.Background()
	ts := time.Now().Format("20060102150405.000000000") // unique per run
	steps := []struct {
		name, tenant, ts, digest, msgID string
		first                           string
	}{
		{"first push", "t1", ts, "ABCDEF0123456789abcdef0123456789", "m1", ""},
		{"勤策's retry of it", "t1", ts, "abcdef0123456789abcdef0123456789", "m1", ""},
		{"same signature, another msgId", "t1", ts, "abcdef0123456789abcdef0123456789", "m2", "t1:m1"},
		{"same signature, another tenant", "t2", ts, "ABCDEF0123456789ABCDEF0123456789", "m1", "t1:m1"},
		{"another timestamp", "t1", ts + "1", "abcdef0123456789abcdef0123456789", "m2", ""},
	}
	for _, s := range steps { // in order: each step builds on the ones before
		first, err := g.Claim(ctx, s.tenant, s.ts, s.digest, s.msgID)
		if err != nil || first != s.first {
			t.Errorf("%s: Claim = %q, %v; want %q", s.name, first, err, s.first)
		}
	}
	ttl, err := conn.Client.TTL(ctx, replay.Key(ts, "abcdef0123456789abcdef0123456789")).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL %s, %v; want about the hour given", ttl, err)
	}
}

func TestClaimRedisDown(t *testing.T) {
	t.Parallel()
	conn, err := redisconn.Open(config.Redis{URL: "redis://127.0.0.1:1"}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := replay.New(conn.Client, time.Hour).Claim(context.Background(), "t", "1", "d", "m"); err == nil {
		t.Error("no error without Redis")
	}
}
