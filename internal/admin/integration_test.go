package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// testDB is this package's own database on the shared test Redis.
const testDB = 8

// realRedis is the package's database on KSF_TEST_REDIS_URL (redistest
// flushes it when the package's tests end). These tests need the real
// server: asynqmon's Lua scripts behave differently on miniredis.
func realRedis(t *testing.T) asynq.RedisClientOpt {
	t.Helper()
	rd := redistest.New(t, testDB)
	if !rd.Real() {
		t.Skip("integration test: set KSF_TEST_REDIS_URL (.ci/run does)")
	}
	opt, err := asynq.ParseRedisURI(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	return opt.(asynq.RedisClientOpt)
}

// Against the real Redis: the merged listing, asynqmon's queue list and
// archived tab (the pages the UI renders), replay and the record's survival.
func TestIntegrationRealRedis(t *testing.T) {
	f := setup(t, admin.Config{Token: token, RedisConnOpt: realRedis(t)})
	s := seed(t, f)

	var p failedPage
	if code := f.call(t, "GET", "/admin/api/failed", nil, &p); code != 200 || !slices.Equal(p.ids(), sorted(s.a, s.b, s.c, s.d, s.e)) {
		t.Fatalf("list: %d %v", code, p.ids())
	}
	if f.call(t, "GET", "/admin/api/failed?state=dropped", nil, &p); !slices.Equal(p.ids(), []string{s.e}) {
		t.Fatalf("dropped: %v", p.ids())
	}

	for _, path := range []string{"/monitoring/api/queues", "/monitoring/api/queues/sync", "/monitoring/api/queues/sync/archived_tasks",
		"/monitoring/api/queues/push/retry_tasks", "/monitoring/api/redis_info", "/monitoring/api/servers", "/monitoring/api/queue_stats"} {
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !json.Valid(b) {
			t.Errorf("%s: %d %.300s", path, resp.StatusCode, b)
			continue
		}
		if strings.HasSuffix(path, "archived_tasks") && !strings.Contains(string(b), "tenant=t1 customer=c1 period=2026-11-01..2026-11-30") {
			t.Errorf("archived tab without formatted payload: %.500s", b)
		}
	}

	code, dry := f.replay(t, map[string]any{"all": true, "dry_run": true})
	code2, real := f.replay(t, map[string]any{"all": true})
	if code != 200 || code2 != 200 || dry.Matched != 5 || real.Queued != dry.Queued || real.Matched != dry.Matched || len(real.Errors) != 0 {
		t.Fatalf("replay all: dry %+v real %+v", dry, real)
	}
	if st := f.state(t, tasks.QueueSync, s.e+":replay:1"); st != "pending" {
		t.Fatalf("E's replay is %q", st)
	}

	// asynqmon's known Lua failure on a dangling task id, and its repair.
	testRepair(t, f)
}
