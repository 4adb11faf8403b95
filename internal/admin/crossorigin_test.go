package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const resyncBody = `{"data_type":"ksf_statement","tenant_id":"t1","customer_codes":"C1","start_date":"2026-10-01","end_date":"2026-10-31"}`

// TestCrossOriginWritesRefused sends what browsers send (Origin,
// Sec-Fetch-Site) with the token as cached Basic credentials: another
// site's form cannot queue a resync or pause a queue; the listener's own
// pages, ksfctl and curl can.
func TestCrossOriginWritesRefused(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	srv := httptest.NewServer(admin.CrossOrigin(f.admin, zerolog.New(f.log)))
	t.Cleanup(srv.Close)
	evil := "http://evil.example"
	tests := []struct {
		name, method, path, ctype, body string
		headers                         map[string]string
		want                            int
	}{
		{"cross-site text/plain resync", "POST", "/admin/api/resync", "text/plain", resyncBody,
			map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site form resync", "POST", "/admin/api/resync", "application/x-www-form-urlencoded", "a=b",
			map[string]string{"Origin": evil, "Sec-Fetch-Site": "same-site"}, 403},
		{"cross-origin resync, Origin only (older browser)", "POST", "/admin/api/resync", "text/plain", resyncBody,
			map[string]string{"Origin": evil}, 403},
		{"cross-site queue pause through the queue UI's API", "POST", "/monitoring/api/queues/push:pause", "text/plain", "",
			map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site delete", "DELETE", "/admin/api/failed/x", "", "",
			map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site"}, 403},
		{"same-origin text/plain resync: JSON required", "POST", "/admin/api/resync", "text/plain", resyncBody,
			map[string]string{"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, 415},
		{"same-origin JSON resync", "POST", "/admin/api/resync", "application/json", resyncBody,
			map[string]string{"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, 202},
		{"same-origin form POST outside the API (queue UI pause)", "POST", "/monitoring/api/queues/sync:pause", "application/x-www-form-urlencoded", "",
			map[string]string{"Origin": "SELF", "Sec-Fetch-Site": "same-origin"}, 204},
		{"curl / ksfctl: no browser headers", "POST", "/admin/api/resync", "application/json; charset=utf-8", resyncBody, nil, 202},
		{"cross-site read is not a write", "GET", "/admin/api/failed", "", "",
			map[string]string{"Origin": evil, "Sec-Fetch-Site": "cross-site"}, 200},
	}
	for _, tt := range tests { // sequential: they share one Redis and count pauses
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("ksf", token)
		if tt.ctype != "" {
			req.Header.Set("Content-Type", tt.ctype)
		}
		for k, v := range tt.headers {
			req.Header.Set(k, strings.ReplaceAll(v, "SELF", srv.URL))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.StatusCode, b, tt.want)
		}
	}
	// Only the two allowed resyncs queued anything (each its own msg_id), and
	// only sync was paused (asynq marks a paused queue with asynq:{q}:paused).
	if pending, err := f.in.ListPendingTasks(tasks.QueuePush); err != nil || len(pending) != 2 {
		t.Errorf("pending pushes %d (%v), want 2 (the same-origin and the curl resync)", len(pending), err)
	}
	for q, want := range map[string]int64{tasks.QueuePush: 0, tasks.QueueSync: 1} {
		if n, err := f.rdb.Exists(context.Background(), "asynq:{"+q+"}:paused").Result(); err != nil || n != want {
			t.Errorf("queue %s paused: %d (%v), want %d", q, n, err, want)
		}
	}
	if !strings.Contains(f.log.String(), "cross-origin admin request refused") {
		t.Error("refusals not logged")
	}
}
