package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/replay"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

const testDB = 10 // this package's database on the real test server

// TestRunAgainstReceiverAndBaseline: the load run's pushes are accepted by
// the real handler and by the baseline, each msgId once, and each is queued.
func TestRunAgainstReceiverAndBaseline(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := asynq.NewClientFromRedisClient(conn.Client)
	v := digest.NewVerifier([]string{"s"})
	// As the receiver runs it, with the replay check: pushes that shared a
	// (timestamp, digest) would be answered "already queued", not queued.
	h, err := webhook.New(webhook.Options{Client: client, Verifier: func(string) *digest.Verifier { return v },
		Replay: replay.New(conn.Client, time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for name, handler := range map[string]http.Handler{"receiver": h, "baseline": baselineHandler(client, "s")} {
		t.Run(name, func(t *testing.T) {
			seen := map[string]bool{}
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				form, _ := url.ParseQuery(string(body))
				id := form.Get("msgId")
				mu.Lock()
				dup := seen[id]
				seen[id] = true
				mu.Unlock()
				if dup {
					t.Errorf("msgId %s sent twice", id)
				}
				handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			res, err := Run(context.Background(), Options{URL: srv.URL + "/waiqin/push", N: 200, Concurrency: 4,
				Secret: "s", Tenant: "load-" + name, DataType: "ksf_statement", Customers: 2, Timeout: 5e9})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 200 || res.OK != 200 || res.P50 <= 0 || res.P99 < res.P50 {
				t.Errorf("result %s", res)
			}
			if res.Answers["success"] != 200 {
				t.Errorf("answers %v, want success×200 (every push queued)", res.Answers)
			}
			if !strings.Contains(res.String(), "pushes/s") {
				t.Errorf("String() = %s", res)
			}
			// Wrong secret: every push refused, and the run says so.
			res, _ = Run(context.Background(), Options{URL: srv.URL + "/waiqin/push", N: 5, Concurrency: 2,
				Secret: "wrong", Tenant: "load-" + name, DataType: "ksf_statement", Customers: 1, Timeout: 5e9})
			if res.OK != 0 || res.Statuses[401] != 5 || res.FirstErr == nil {
				t.Errorf("wrong secret: %s", res)
			}
		})
	}
}

// BenchmarkHandlers compares the receiver's handler (logging to io.Discard's
// cost aside, everything on) with the hand-written baseline, in process and
// on the same Redis (the real one with KSF_TEST_REDIS_URL):
//
//	KSF_TEST_REDIS_URL=redis://127.0.0.1:6379/15 go test -run - -bench Handlers -benchmem ./cmd/pushload
func BenchmarkHandlers(b *testing.B) {
	rd := redistest.New(b, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	client := asynq.NewClientFromRedisClient(conn.Client)
	v := digest.NewVerifier([]string{"s"})
	// As the receiver runs it: with the replay check (one more Redis command).
	h, err := webhook.New(webhook.Options{Client: client, Verifier: func(string) *digest.Verifier { return v },
		Logger: zerolog.New(io.Discard), Replay: replay.New(conn.Client, time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	for _, bench := range []struct {
		name string
		h    http.Handler
	}{{"baseline", baselineHandler(client, "s")}, {"receiver", h}} {
		b.Run(bench.name, func(b *testing.B) {
			bodies := Bodies(Options{N: b.N, Secret: "s", Tenant: "bench-" + bench.name, DataType: "ksf_statement", Customers: 3})
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest(http.MethodPost, "/waiqin/push", strings.NewReader(bodies[next.Add(1)-1]))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					w := httptest.NewRecorder()
					bench.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}
