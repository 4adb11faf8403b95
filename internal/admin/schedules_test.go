package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

func TestSchedulesWithoutSchedules(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	var list struct {
		Items []schedule.Status `json:"items"`
		Total int               `json:"total"`
	}
	if code := f.call(t, "GET", "/admin/api/schedules", nil, &list); code != http.StatusOK || list.Total != 0 || list.Items == nil {
		t.Errorf("list: %d %+v", code, list)
	}
	var out map[string]string
	if code := f.call(t, "POST", "/admin/api/schedules/monthly-close/run", struct{}{}, &out); code != http.StatusNotFound || !strings.Contains(out["error"], "no schedules are configured") {
		t.Errorf("run: %d %v", code, out)
	}
}

func TestScheduleRunNow(t *testing.T) {
	t.Parallel()
	var f *fixture
	scheds, err := schedule.ParseAll([]schedule.Spec{
		{Tenant: "t1", Name: "close", Cron: "0 6 1 * *", DataTypes: []string{tasks.DataTypeStatement}, Period: "last_month"},
		{Tenant: "t2", Name: "close", Cron: "0 6 1 * *", DataTypes: []string{tasks.DataTypeExpense}, Period: "days:3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := schedule.New(scheds, func(ctx context.Context, p tasks.Push) (bool, error) { return tasks.Enqueue(ctx, f.client, p) }, schedule.Options{})
	f = setup(t, admin.Config{Token: token, Schedules: s})
	var out map[string]any
	if code := f.call(t, "POST", "/admin/api/schedules/close/run", struct{}{}, &out); code != http.StatusNotFound || !strings.Contains(out["error"].(string), "name the tenant") {
		t.Errorf("ambiguous name: %d %v", code, out)
	}
	var res schedule.Result
	if code := f.call(t, "POST", "/admin/api/schedules/close/run?tenant=t2", struct{}{}, &res); code != http.StatusOK || res.Tenant != "t2" ||
		len(res.Queued) != 1 || res.Queued[0] != tasks.DataTypeExpense || !strings.HasPrefix(res.RunID, "schedule:t2:close:") {
		t.Fatalf("run: %d %+v", code, res)
	}
	info, err := f.in.GetTaskInfo(tasks.QueuePush, res.RunID+":"+tasks.DataTypeExpense)
	if err != nil || info.Type != tasks.TypePush {
		t.Fatalf("queued task: %v %v", info, err)
	}
	if code := f.call(t, "POST", "/admin/api/schedules/nope/run?tenant=t1", struct{}{}, &out); code != http.StatusNotFound {
		t.Errorf("unknown: %d %v", code, out)
	}
}
