package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// testNow is the admin API's clock in these tests: 3 December 2026 10:00 Shanghai.
var testNow = time.Date(2026, 12, 3, 10, 0, 0, 0, schedule.Zone)

type fixedClock struct{}

func (fixedClock) Now() time.Time                         { return testNow }
func (fixedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func newTestScheduler(t *testing.T, rdb *redis.Client, client *asynq.Client) *schedule.Scheduler {
	t.Helper()
	specs := []schedule.Spec{
		{Tenant: "t1", Name: "monthly-close", Cron: "0 6 1 * *", DataTypes: []string{"ksf_statement", "ksf_expense"}, Period: "last_month"},
		{Tenant: "t1", Name: "daily-refresh", Cron: "30 2 * * *", DataTypes: []string{"ksf_statement"}, Period: "month_to_date", Customers: []string{"c1", "c2"}},
	}
	scheds, err := schedule.ParseAll(specs)
	if err != nil {
		t.Fatal(err)
	}
	return schedule.New(scheds, func(ctx context.Context, p tasks.Push) (bool, error) { return tasks.Enqueue(ctx, client, p) },
		schedule.Options{Clock: fixedClock{}, Runs: schedule.NewRuns(rdb, func() time.Time { return testNow })})
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, out, errOut := f.run(t, "schedules")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"monthly-close", "0 6 1 * *", "last_month", "ksf_statement,ksf_expense", "(all)", "2027-01-01 06:00:00", "2026-12-01..2026-12-31", "never run",
		"daily-refresh", "month_to_date", "c1,c2", "2026-12-04 02:30:00", "2026-12-01..2026-12-04",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = f.run(t, "schedules", "run", "monthly-close")
	const run = "schedule:t1:monthly-close:2026-11-01:2026-11-30:manual-20261203100000"
	if code != 0 || !strings.Contains(out, "queued run "+run+" for 2026-11-01..2026-11-30: ksf_statement, ksf_expense") {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	for _, dt := range []string{"ksf_statement", "ksf_expense"} {
		info, err := f.in.GetTaskInfo(tasks.QueuePush, run+":"+dt)
		if err != nil || info.Type != tasks.TypePush {
			t.Fatalf("task of %s: %v %v", dt, info, err)
		}
	}
	code, out, _ = f.run(t, "schedules")
	if code != 0 || !strings.Contains(out, run) || !strings.Contains(out, "running since 2026-12-03 10:00:00: 0/0 done") {
		t.Errorf("listing after a run:\n%s", out)
	}
	code, out, _ = f.run(t, "pushes", "--origin", "schedule:monthly-close")
	if code != 0 || strings.Count(out, "schedule:monthly-close") != 2 {
		t.Errorf("pushes --origin:\n%s", out)
	}
	code, out, _ = f.run(t, "pushes", "--origin", "push")
	if code != 0 || strings.Contains(out, "schedule:") {
		t.Errorf("pushes --origin push lists scheduled runs:\n%s", out)
	}

	code, _, errOut = f.run(t, "schedules", "run", "nope")
	if code != exitError || !strings.Contains(errOut, `unknown schedule "nope"`) {
		t.Errorf("run of an unknown schedule: exit %d %s", code, errOut)
	}
	code, _, errOut = f.run(t, "schedules", "run")
	if code != exitUsage || !strings.Contains(errOut, "give the name of one schedule") {
		t.Errorf("run without a name: exit %d %s", code, errOut)
	}
}
