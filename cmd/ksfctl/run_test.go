package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const token = "cli-test-token"

type fixture struct {
	url string
	in  *asynq.Inspector
	rdb *redis.Client
}

// setup runs a real admin API on miniredis with one archived sync task
// (customer c1) and one failure record whose task asynq dropped (c2).
func setup(t *testing.T) *fixture {
	t.Helper()
	mr := miniredis.RunT(t)
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	store := failures.New(rdb, failures.Options{})
	client := asynq.NewClient(opt)
	sched := newTestScheduler(t, rdb, client)
	srv, err := admin.New(admin.Config{Token: token, RedisConnOpt: opt, Redis: rdb, Failures: store,
		DefaultTenant: "t1", Logger: zerolog.Nop(), Schedules: sched})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	in := asynq.NewInspector(opt)
	t.Cleanup(func() { hs.Close(); srv.Close(); client.Close(); in.Close(); rdb.Close() })

	s1, _ := tasks.NewSyncTask(tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeStatement,
		CustomerCode: "c1", StartDate: "2026-11-01", EndDate: "2026-11-30"})
	info, err := client.Enqueue(s1)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.ArchiveTask(tasks.QueueSync, info.ID); err != nil {
		t.Fatal(err)
	}
	s2 := tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeExpense, CustomerCode: "c2", StartDate: "2026-12-01", EndDate: "2026-12-31"}
	payload, _ := json.Marshal(s2)
	rec := failures.Record{TaskID: tasks.SyncTaskID("t1", "m1", tasks.DataTypeExpense, "c2"), Kind: tasks.TypeExpense,
		Queue: tasks.QueueSync, Payload: payload, LastError: "旺店通 wdt.hjy.bill.ext.query.orgs: busy\tplease retry",
		Retried: 10, MaxRetry: 10, FailedAt: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
	rec.Describe()
	if err := store.Record(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return &fixture{url: hs.URL, in: in, rdb: rdb}
}

func (f *fixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append(append([]string{}, args...), "--addr", f.url, "--token", token), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestFailedTable(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, out, errOut := f.run(t, "failed")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "FAILED AT (+08:00)") || !strings.Contains(lines[3], "2 failed jobs") {
		t.Fatalf("table:\n%s", out)
	}
	// Columns aligned: every row has the TASK ID column at the header's offset.
	col := strings.Index(lines[0], "TASK ID")
	for _, l := range lines[1:3] {
		if !strings.HasPrefix(l[col:], "sync:t1:m1:") {
			t.Fatalf("misaligned row %q (TASK ID at %d)", l, col)
		}
	}
	if !strings.Contains(out, "2026-11-20 09:00:00") || !strings.Contains(out, "dropped") || !strings.Contains(out, "busy please retry") {
		t.Fatalf("dropped row (Shanghai time, tab removed):\n%s", out)
	}

	code, out, _ = f.run(t, "failed", "--customer", "c2", "--json")
	var p struct {
		Total int `json:"total"`
		Items []struct {
			TaskID string `json:"task_id"`
			State  string `json:"state"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &p); code != 0 || err != nil || p.Total != 1 || p.Items[0].State != "dropped" {
		t.Fatalf("--json: %d %v\n%s", code, err, out)
	}
	if code, out, _ := f.run(t, "failed", "--tenant", "nobody"); code != 0 || !strings.Contains(out, "no failed jobs") {
		t.Fatalf("empty: %d %s", code, out)
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, out, errOut := f.run(t, "replay", "--all", "--dry-run")
	if code != 0 || !strings.Contains(out, "2 matched, 2 would be queued") || !strings.Contains(out, "would reenqueue") || !strings.Contains(out, "would run") {
		t.Fatalf("dry run: %d %s %s", code, out, errOut)
	}
	code, out, _ = f.run(t, "replay", "--customer", "c2", "--json")
	var a struct {
		Matched, Queued int
		Tasks           []struct {
			NewTaskID string `json:"new_task_id"`
		}
	}
	if err := json.Unmarshal([]byte(out), &a); code != 0 || err != nil || a.Queued != 1 || !strings.HasSuffix(a.Tasks[0].NewTaskID, ":replay:1") {
		t.Fatalf("filter replay: %d %v %s", code, err, out)
	}
	id := tasks.SyncTaskID("t1", "m1", tasks.DataTypeStatement, "c1")
	code, out, _ = f.run(t, "replay", id)
	if code != 0 || !strings.Contains(out, "1 matched, 1 queued") {
		t.Fatalf("replay by id: %d %s", code, out)
	}
	if info, err := f.in.GetTaskInfo(tasks.QueueSync, id); err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("task after replay: %+v %v", info, err)
	}
	code, _, errOut = f.run(t, "replay", "no-such-id")
	if code != 1 || !strings.Contains(errOut, "404") || !strings.Contains(errOut, "no-such-id") {
		t.Fatalf("unknown id: %d %s", code, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"replay"}, 2, "nothing to replay"},
		{[]string{"replay", "--filter"}, 2, "use --all"},
		{[]string{"replay", "--all", "x"}, 2, "not several"},
		{[]string{"failed", "--bogus"}, 2, "bogus"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"delete"}, 2, "task ids"},
		{[]string{"resync", "--type", "ksf_statement"}, 2, "required"},
		{[]string{"failed", "--kind", "nope"}, 1, "400"},
		{[]string{"resync", "--type", "ksf_x", "--start", "2026-11-01", "--end", "2026-11-01"}, 1, "422"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errOut := f.run(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Fatalf("exit %d %q, want %d with %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var out, errOut bytes.Buffer
	code := run([]string{"failed", "--addr", f.url, "--token", "wrong-secret"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "401") || strings.Contains(errOut.String(), "wrong-secret") {
		t.Fatalf("wrong token: %d %q", code, errOut.String())
	}
	errOut.Reset()
	code = run([]string{"failed", "--addr", f.url, "--token="}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "KSF_ADMIN_TOKEN") {
		t.Fatalf("no token: %d %q", code, errOut.String())
	}
}

func TestDeleteResyncPushes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id := tasks.SyncTaskID("t1", "m1", tasks.DataTypeExpense, "c2")
	code, out, _ := f.run(t, "delete", id, "missing-id")
	if code != 1 || !strings.Contains(out, "deleted "+id+" from the failure records") || !strings.Contains(out, "missing-id: 404") {
		t.Fatalf("delete: %d\n%s", code, out)
	}
	code, out, errOut := f.run(t, "resync", "--type", "ksf_statement", "--customers", "c1,c2", "--start", "2026-11-01", "--end", "2026-11-30")
	if code != 0 || !strings.Contains(out, "queued push:t1:resync-") || !strings.Contains(out, "2 customers, 2026-11-01..2026-11-30") {
		t.Fatalf("resync: %d %s %s", code, out, errOut)
	}
	code, out, _ = f.run(t, "pushes")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[1], "pending") || !strings.Contains(lines[1], "resync") || !strings.Contains(lines[1], "c1,c2") {
		t.Fatalf("pushes: %d\n%s", code, out)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ksfctl replay") {
		t.Fatalf("help: %d %s", code, out.String())
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Fatalf("no args: %d", code)
	}
}

func TestRepair(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if code, out, _ := f.run(t, "repair", "--dry-run"); code != 0 || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("clean: %d %s", code, out)
	}
	id := tasks.SyncTaskID("t1", "m1", tasks.DataTypeStatement, "c1")
	f.rdb.Del(t.Context(), "asynq:{sync}:t:"+id)
	if code, out, _ := f.run(t, "repair", "--dry-run"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "1 dangling task ids (dry run") {
		t.Fatalf("dry run: %d %s", code, out)
	}
	if code, out, _ := f.run(t, "repair"); code != 0 || !strings.Contains(out, "removed 1 dangling") {
		t.Fatalf("repair: %d %s", code, out)
	}
}

// TestResyncTenantFromEnv: with KSF_TENANT_ID set (and no --tenant),
// ksfctl resync names that tenant, against a listener that has none.
// Not parallel: it sets the environment.
func TestResyncTenantFromEnv(t *testing.T) {
	mr := miniredis.RunT(t)
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	srv, err := admin.New(admin.Config{Token: token, RedisConnOpt: opt, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	args := []string{"resync", "--type", "ksf_statement", "--customers", "C001,C002", "--start", "2026-10-01", "--end", "2026-10-31",
		"--addr", hs.URL, "--token", token}
	t.Setenv("KSF_TENANT_ID", "")
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "tenant_id is required") {
		t.Fatalf("without a tenant: exit %d %s %s", code, out.String(), errOut.String())
	}
	t.Setenv("KSF_TENANT_ID", "t7")
	out.Reset()
	errOut.Reset()
	if code := run(args, &out, &errOut); code != 0 || !strings.Contains(out.String(), "queued push:t7:resync-") {
		t.Fatalf("KSF_TENANT_ID=t7: exit %d %s %s", code, out.String(), errOut.String())
	}
}
