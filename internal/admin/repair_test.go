package admin_test

import (
	"net/http"
	"testing"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

type repairAnswer struct {
	DryRun   bool `json:"dry_run"`
	Dangling []struct {
		Queue, State string
		TaskID       string `json:"task_id"`
	} `json:"dangling"`
	Removed int `json:"removed"`
}

// breakQueue leaves an archived task id whose task hash is gone, the state
// that makes asynq's queue statistics script fail.
func breakQueue(t *testing.T, f *fixture) string {
	t.Helper()
	info, err := f.client.Enqueue(syncTask(t, "t1", tasks.DataTypeStatement, "c-broken", "2026-11-01", "2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.in.ArchiveTask(tasks.QueueSync, info.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.Del(t.Context(), "asynq:{sync}:t:"+info.ID).Err(); err != nil {
		t.Fatal(err)
	}
	return info.ID
}

func testRepair(t *testing.T, f *fixture) {
	id := breakQueue(t, f)
	if code := f.call(t, "GET", "/monitoring/api/queues", nil, nil); code != http.StatusInternalServerError {
		t.Fatalf("queue list with a dangling id answered %d, want the 500 of asynq's Lua error", code)
	}
	var a repairAnswer
	if code := f.call(t, "POST", "/admin/api/repair", map[string]bool{"dry_run": true}, &a); code != 200 ||
		!a.DryRun || len(a.Dangling) != 1 || a.Dangling[0].TaskID != id || a.Dangling[0].State != "archived" || a.Removed != 0 {
		t.Fatalf("dry run: %d %+v", code, a)
	}
	if n := f.rdb.ZCard(t.Context(), "asynq:{sync}:archived").Val(); n != 1 {
		t.Fatalf("dry run removed the id (%d left)", n)
	}
	if code := f.call(t, "POST", "/admin/api/repair", map[string]bool{}, &a); code != 200 || a.Removed != 1 {
		t.Fatalf("repair: %d %+v", code, a)
	}
	if code := f.call(t, "GET", "/monitoring/api/queues", nil, nil); code != 200 {
		t.Fatalf("queue list after repair: %d", code)
	}
	if code := f.call(t, "POST", "/admin/api/repair", map[string]bool{"dry_run": true}, &a); code != 200 || len(a.Dangling) != 0 {
		t.Fatalf("after repair: %+v", a)
	}
}

func TestRepairDanglingTaskIDs(t *testing.T) {
	t.Parallel()
	testRepair(t, setupToken(t))
}
