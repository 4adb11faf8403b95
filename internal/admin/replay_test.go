package admin_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

type replayAnswer struct {
	Matched int      `json:"matched"`
	Queued  int      `json:"queued"`
	DryRun  bool     `json:"dry_run"`
	Errors  []string `json:"errors"`
	Tasks   []struct {
		TaskID    string `json:"task_id"`
		State     string `json:"state"`
		Action    string `json:"action"`
		NewTaskID string `json:"new_task_id"`
		Note      string `json:"note"`
	} `json:"tasks"`
}

func (f *fixture) replay(t *testing.T, body map[string]any) (int, replayAnswer) {
	t.Helper()
	var a replayAnswer
	code := f.call(t, "POST", "/admin/api/replay", body, &a)
	return code, a
}

// state is the asynq state of a task, "" if asynq does not have it.
func (f *fixture) state(t *testing.T, queue, id string) string {
	t.Helper()
	info, err := f.in.GetTaskInfo(queue, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return info.State.String()
}

func TestReplayByID(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	s := seed(t, f)
	req := map[string]any{"task_ids": []string{s.a, s.e, "no-such-task"}, "dry_run": true}
	code, dry := f.replay(t, req)
	if code != 200 || !dry.DryRun || dry.Matched != 2 || dry.Queued != 2 || len(dry.Errors) != 1 || !strings.Contains(dry.Errors[0], "no-such-task") {
		t.Fatalf("dry run: %d %+v", code, dry)
	}
	if f.state(t, tasks.QueueSync, s.a) != "archived" || f.state(t, tasks.QueueSync, s.e+":replay:1") != "" {
		t.Fatal("dry run changed something")
	}
	req["dry_run"] = false
	code, real := f.replay(t, req)
	if code != 200 || real.DryRun || real.Matched != dry.Matched || real.Queued != dry.Queued || len(real.Errors) != 1 {
		t.Fatalf("real run: %d %+v (dry run %+v)", code, real, dry)
	}
	// A still in asynq: run in place. E dropped by asynq: re-enqueued from its record.
	if st := f.state(t, tasks.QueueSync, s.a); st != "pending" {
		t.Fatalf("A is %q, want pending", st)
	}
	newID := s.e + ":replay:1"
	if real.Tasks[1].Action != "reenqueue" || real.Tasks[1].NewTaskID != newID {
		t.Fatalf("E action %+v", real.Tasks[1])
	}
	info, err := f.in.GetTaskInfo(tasks.QueueSync, newID)
	if err != nil {
		t.Fatal(err)
	}
	want := syncTask(t, "t2", tasks.DataTypeStatement, "c5", "2026-10-01", "2026-10-31")
	if info.Type != tasks.TypeStatement || string(info.Payload) != string(want.Payload()) || info.MaxRetry != tasks.SyncMaxRetry {
		t.Fatalf("re-enqueued %+v", info)
	}
	rec, err := f.store.Get(t.Context(), s.e)
	if err != nil || !rec.Replayed() || rec.ReplayCount != 1 {
		t.Fatalf("record after replay %+v %v", rec, err)
	}
	// Replayed jobs leave the default listing.
	var p failedPage
	f.call(t, "GET", "/admin/api/failed", nil, &p)
	if got := p.ids(); !slices.Equal(got, sorted(s.b, s.c, s.d)) {
		t.Fatalf("after replay: %v", got)
	}
	f.call(t, "GET", "/admin/api/failed?state=replayed", nil, &p)
	if got := p.ids(); !slices.Equal(got, sorted(s.a, s.e)) {
		t.Fatalf("replayed: %v", got)
	}

	// Replaying E again makes a second task, not a clash with the first.
	code, again := f.replay(t, map[string]any{"task_ids": []string{s.e}})
	if code != 200 || again.Queued != 1 || again.Tasks[0].NewTaskID != s.e+":replay:2" {
		t.Fatalf("second replay: %d %+v", code, again)
	}

	// Only unknown ids: 404.
	var out map[string]string
	if code := f.call(t, "POST", "/admin/api/replay", map[string]any{"task_ids": []string{"nope"}}, &out); code != http.StatusNotFound {
		t.Fatalf("unknown id: %d %v", code, out)
	}
}

func TestReplayByFilter(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	s := seed(t, f)
	req := map[string]any{"filter": map[string]string{"tenant": "t1"}, "dry_run": true}
	code, dry := f.replay(t, req)
	if code != 200 || dry.Matched != 3 || dry.Queued != 3 {
		t.Fatalf("dry run: %d %+v", code, dry)
	}
	req["dry_run"] = false
	code, real := f.replay(t, req)
	if code != 200 || real.Matched != dry.Matched || real.Queued != dry.Queued || len(real.Errors) != 0 {
		t.Fatalf("real run: %d %+v", code, real)
	}
	for _, x := range []struct{ q, id string }{{tasks.QueueSync, s.a}, {tasks.QueueSync, s.b}, {tasks.QueuePush, s.d}} {
		if st := f.state(t, x.q, x.id); st != "pending" {
			t.Errorf("%s is %q, want pending", x.id, st)
		}
	}
	if st := f.state(t, tasks.QueueReport, s.c); st != "archived" {
		t.Errorf("C (tenant t2) is %q: replayed by a t1 filter", st)
	}
	req["dry_run"] = true
	if _, again := f.replay(t, req); again.Matched != 0 {
		t.Fatalf("after replay the filter still matches %+v", again)
	}
}

func TestReplayAll(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	s := seed(t, f)
	code, dry := f.replay(t, map[string]any{"all": true, "dry_run": true})
	if code != 200 || dry.Matched != 5 || dry.Queued != 5 {
		t.Fatalf("dry run: %d %+v", code, dry)
	}
	code, real := f.replay(t, map[string]any{"all": true})
	if code != 200 || real.Matched != dry.Matched || real.Queued != dry.Queued || len(real.Errors) != 0 {
		t.Fatalf("real run: %d %+v", code, real)
	}
	if st := f.state(t, tasks.QueueReport, s.c); st != "pending" {
		t.Errorf("C is %q", st)
	}
	if st := f.state(t, tasks.QueueSync, s.e+":replay:1"); st != "pending" {
		t.Errorf("E's replay is %q", st)
	}
	var p failedPage
	if f.call(t, "GET", "/admin/api/failed", nil, &p); p.Total != 0 {
		t.Fatalf("still failed after replay all: %v", p.ids())
	}
}

func TestReplayRefusesUnfiltered(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	seed(t, f)
	for _, body := range []string{
		`{}`, `{"dry_run":true}`, `{"filter":{}}`, `{"filter":{},"dry_run":true}`, `{"task_ids":[]}`,
		`{"task_ids":["x"],"all":true}`, `{"filter":{"tenant":"t1"},"all":true}`,
		`{"filters":{"tenant":"t1"}}`, `{"filter":{"tenant":"t1","colour":"red"}}`, `{"all":"yes"}`, `not json`,
		`{"filter":{"kind":"nope"}}`, `{"filter":{"state":"bogus"}}`,
	} {
		var out map[string]string
		if code := f.call(t, "POST", "/admin/api/replay", body, &out); code != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("%s: %d %v, want 400", body, code, out)
		}
	}
	var out map[string]string
	f.call(t, "POST", "/admin/api/replay", `{}`, &out)
	if !strings.Contains(out["error"], `"all": true`) {
		t.Errorf("the refusal does not say how to replay all: %q", out["error"])
	}
	if st := f.state(t, tasks.QueueSync, syncID("t1", tasks.DataTypeStatement, "c1")); st != "archived" {
		t.Fatalf("a refused replay changed A to %q", st)
	}
}

// The failure record outlives asynq's task and a replay re-enqueues from it.
func TestRecordSurvivesAsynqDeletion(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	task := syncTask(t, "t9", tasks.DataTypeExpense, "c9", "2026-11-01", "2026-11-30")
	f.failTasks(t, failing{task: task, err: "wdt refused"})
	id := syncID("t9", tasks.DataTypeExpense, "c9")
	if err := f.in.DeleteTask(tasks.QueueSync, id); err != nil {
		t.Fatal(err)
	}
	var p failedPage
	f.call(t, "GET", "/admin/api/failed?tenant=t9", nil, &p)
	if p.Total != 1 || p.Items[0].State != "dropped" || !strings.Contains(p.Items[0].LastError, "wdt refused") || p.Items[0].Customer != "c9" {
		t.Fatalf("after asynq dropped the task: %+v", p)
	}
	code, a := f.replay(t, map[string]any{"filter": map[string]string{"tenant": "t9"}})
	if code != 200 || a.Queued != 1 {
		t.Fatalf("replay: %d %+v", code, a)
	}
	info, err := f.in.GetTaskInfo(tasks.QueueSync, id+":replay:1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != tasks.TypeExpense || string(info.Payload) != string(task.Payload()) {
		t.Fatalf("re-enqueued %+v", info)
	}
}

func TestDeleteFailed(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	s := seed(t, f)
	type answer struct {
		TaskID      string `json:"task_id"`
		FromAsynq   bool   `json:"deleted_from_asynq"`
		FromRecords bool   `json:"deleted_record"`
	}
	var a answer
	if code := f.call(t, "DELETE", "/admin/api/failed/"+s.a, nil, &a); code != 200 || !a.FromAsynq || !a.FromRecords || a.TaskID != s.a {
		t.Fatalf("delete A: %d %+v", code, a)
	}
	if st := f.state(t, tasks.QueueSync, s.a); st != "" {
		t.Fatalf("A still in asynq (%s)", st)
	}
	if _, err := f.store.Get(t.Context(), s.a); !errors.Is(err, failures.ErrNotFound) {
		t.Fatalf("A's record: %v", err)
	}
	a = answer{}
	if code := f.call(t, "DELETE", "/admin/api/failed/"+s.e, nil, &a); code != 200 || a.FromAsynq || !a.FromRecords {
		t.Fatalf("delete dropped E: %d %+v", code, a)
	}
	a = answer{}
	if code := f.call(t, "DELETE", "/admin/api/failed/"+s.d, nil, &a); code != 200 || !a.FromAsynq || a.FromRecords {
		t.Fatalf("delete retrying D: %d %+v", code, a)
	}
	var p failedPage
	if f.call(t, "GET", "/admin/api/failed", nil, &p); !slices.Equal(p.ids(), sorted(s.b, s.c)) {
		t.Fatalf("after deletes: %v", p.ids())
	}
	var out map[string]string
	if code := f.call(t, "DELETE", "/admin/api/failed/"+s.a, nil, &out); code != http.StatusNotFound {
		t.Fatalf("delete twice: %d %v", code, out)
	}
	// A pending task is not a failed job: left alone.
	if _, err := f.client.Enqueue(syncTask(t, "t1", tasks.DataTypeStatement, "c8", "2026-11-01", "2026-11-01")); err != nil {
		t.Fatal(err)
	}
	pending := syncID("t1", tasks.DataTypeStatement, "c8")
	if code := f.call(t, "DELETE", "/admin/api/failed/"+pending, nil, &out); code != http.StatusConflict || !strings.Contains(out["error"], "pending") {
		t.Fatalf("delete pending: %d %v", code, out)
	}
	if st := f.state(t, tasks.QueueSync, pending); st != "pending" {
		t.Fatalf("pending task is now %q", st)
	}
}
