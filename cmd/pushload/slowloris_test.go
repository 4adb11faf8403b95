package main

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// TestSlow: the slow-body mode counts what the receiver does with its
// connections and reads the receiver's RSS (here: this process).
func TestSlow(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	v := digest.NewVerifier([]string{"s"})
	h, err := webhook.New(webhook.Options{Client: asynq.NewClientFromRedisClient(conn.Client),
		Verifier: func(string) *digest.Verifier { return v }, BodyTimeout: 300 * time.Millisecond, MaxLargeBodies: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := Slow(context.Background(), SlowOptions{URL: srv.URL + "/waiqin/push", Conns: 5, Declared: 200000, Sent: 100000,
		Trickle: 50 * time.Millisecond, Hold: 5 * time.Second, Deadline: 300 * time.Millisecond, PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Opened != 5 || res.ClosedOnTime != 5 || res.StillOpen != 0 || res.Answered[503] != 3 || res.Answered[400] != 2 {
		t.Errorf("result %s", res)
	}
	if res.RSSBefore <= 0 || res.RSSPeak < res.RSSBefore/2 {
		t.Errorf("RSS not read: %s", res)
	}
}
