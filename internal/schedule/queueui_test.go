package schedule

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// TestQueueUISchedulerEntries: the queue UI (asynqmon) reads the published
// schedules and their run history through asynq's Inspector.
func TestQueueUISchedulerEntries(t *testing.T) {
	t.Parallel()
	rdb := setupRedis(t)
	ctx := context.Background()
	clock := &fakeClock{now: at("2026-12-03 10:00")}
	runs := NewRuns(rdb, clock.Now)
	sch := mustSchedule(t, Spec{Tenant: "t-ui", Name: "monthly-close", Cron: "0 6 1 * *",
		DataTypes: []string{"ksf_statement"}, Period: "last_month"})
	q := newQueue()
	s := New([]Schedule{sch}, q.enqueue, Options{Clock: clock, Runs: runs})
	res, err := s.Fire(ctx, sch, at("2026-12-01 06:00"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.publishUI(ctx, rdb); err != nil {
		t.Fatal(err)
	}
	in := asynq.NewInspectorFromRedisClient(rdb)
	entries, err := in.SchedulerEntries()
	if err != nil {
		t.Fatal(err)
	}
	var e *asynq.SchedulerEntry
	for _, x := range entries {
		if x.ID == UIEntryID(sch) {
			e = x
		}
	}
	if e == nil {
		t.Fatalf("no entry %s in %v", UIEntryID(sch), entries)
	}
	if e.Spec != "0 6 1 * * (Asia/Shanghai)" || e.Task.Type() != tasks.TypePush || !e.Next.Equal(at("2027-01-01 06:00")) ||
		!e.Prev.Equal(at("2026-12-03 10:00")) {
		t.Errorf("entry %+v: spec %q next %s prev %s", e, e.Spec, e.Next, e.Prev)
	}
	var payload map[string]any
	if err := json.Unmarshal(e.Task.Payload(), &payload); err != nil || payload["next_start_date"] != "2026-12-01" || payload["tenant_id"] != "t-ui" {
		t.Errorf("payload %s: %v", e.Task.Payload(), err)
	}
	events, err := in.ListSchedulerEnqueueEvents(e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].TaskID != res.RunID || !events[0].EnqueuedAt.Equal(at("2026-12-03 10:00")) {
		t.Errorf("events %+v, want the run %s", events, res.RunID)
	}
}
