package process_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// withSchedule configures a schedule of the test's tenant.
func withSchedule(sp schedule.Spec) e2eOption {
	return func(t *testing.T, x *e2e) {
		sp.Tenant = x.tenant
		s, err := schedule.Parse(sp)
		if err != nil {
			t.Fatal(err)
		}
		x.cfg.Schedules = append(x.cfg.Schedules, s)
	}
}

func adminJSON(t *testing.T, addr, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, b)
	}
}

// TestEndToEndScheduledMonthlyClose: a monthly close (last_month, both data
// types, every customer) whose fire time passed a minute before the worker
// started is caught up: every customer of getCustomers gets its goods and
// expense statement for last month saved in the 勤策 fake, the run is
// recorded as complete, and the audit trail shows its origin.
func TestEndToEndScheduledMonthlyClose(t *testing.T) {
	t.Parallel()
	fired := time.Now().In(schedule.Zone).Add(-time.Minute)
	x := setupE2E(t, withSchedule(schedule.Spec{Name: "monthly-close", Cron: fmt.Sprintf("%d %d * * *", fired.Minute(), fired.Hour()),
		DataTypes: []string{tasks.DataTypeStatement, tasks.DataTypeExpense}, Period: schedule.LastMonth}))
	sch := x.cfg.Schedules[0]
	start, end := sch.Period.Range(sch.Cron.Prev(time.Now()))
	n := len(demo.Customers)
	x.events.waitFor(t, "job "+tasks.TypeStatement+" ok", n)
	x.events.waitFor(t, "job "+tasks.TypeExpense+" ok", n)

	var stCustomers, exCustomers []string
	for _, s := range x.fakes.Waiqin.Statements() {
		if s.StartDate != start || s.EndDate != end {
			t.Errorf("statement of %s for %s..%s, want %s..%s", s.CustomerCode, s.StartDate, s.EndDate, start, end)
		}
		stCustomers = append(stCustomers, s.CustomerCode)
	}
	for _, e := range x.fakes.Waiqin.Expenses() {
		if e.StartDate != start || e.EndDate != end {
			t.Errorf("expense statement of %s for %s..%s, want %s..%s", e.CustomerCode, e.StartDate, e.EndDate, start, end)
		}
		exCustomers = append(exCustomers, e.CustomerCode)
	}
	slices.Sort(stCustomers)
	slices.Sort(exCustomers)
	if !slices.Equal(stCustomers, demo.Customers) || !slices.Equal(exCustomers, demo.Customers) {
		t.Fatalf("saved statements for %v and expenses for %v, want each of %v once", stCustomers, exCustomers, demo.Customers)
	}

	runID := schedule.RunID(x.tenant, "monthly-close", start, end)
	var list struct {
		Items []schedule.Status `json:"items"`
	}
	adminJSON(t, x.worker.AdminAddr(), "/admin/api/schedules", &list)
	if len(list.Items) != 1 || list.Items[0].LastRun == nil {
		t.Fatalf("schedules %+v", list.Items)
	}
	last := list.Items[0].LastRun
	if last.ID != runID || last.CompletedAt == nil || last.Jobs != 2*n || last.Done != 2*n || last.Failed != 0 || list.Items[0].NextRun == nil {
		t.Errorf("last run %+v, want %s complete with %d jobs done", last, runID, 2*n)
	}

	var pushes struct {
		Items []struct {
			TaskID string `json:"task_id"`
			Origin string `json:"origin"`
			MsgID  string `json:"msg_id"`
		} `json:"items"`
	}
	adminJSON(t, x.receiver.AdminAddr(), "/admin/api/pushes?origin=schedule:monthly-close&tenant="+x.tenant, &pushes)
	var ids []string
	for _, p := range pushes.Items {
		if p.Origin != "schedule:monthly-close" || p.MsgID != runID {
			t.Errorf("push %+v", p)
		}
		ids = append(ids, p.TaskID)
	}
	slices.Sort(ids)
	if want := []string{runID + ":ksf_expense", runID + ":ksf_statement"}; !slices.Equal(ids, want) {
		t.Errorf("audit trail %v, want %v", ids, want)
	}

	fams := scrapeAdmin(t, x.worker.AdminAddr(), "t")
	labels := []string{"tenant", x.tenant, "schedule", "monthly-close"}
	if v := series(fams, "ksf_schedule_fires_total", append(labels, "outcome", "queued")...); v != 1 {
		t.Errorf("ksf_schedule_fires_total{queued} = %v, want 1", v)
	}
	if v := series(fams, "ksf_schedule_last_run_completed_timestamp_seconds", labels...); math.IsNaN(v) || v < float64(fired.Unix()) {
		t.Errorf("ksf_schedule_last_run_completed_timestamp_seconds = %v", v)
	}
	if v := series(fams, "ksf_schedule_last_run_jobs", append(labels, "state", "done")...); v != float64(2*n) {
		t.Errorf("ksf_schedule_last_run_jobs{done} = %v", v)
	}

	// "Run now" through the worker's admin API is a fire of the worker's own
	// scheduler: counted in the same series.
	req, err := http.NewRequest(http.MethodPost, "http://"+x.worker.AdminAddr()+"/admin/api/schedules/monthly-close/run?tenant="+x.tenant,
		strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("run now: %d %s", resp.StatusCode, b)
	}
	fams = scrapeAdmin(t, x.worker.AdminAddr(), "t")
	if v := series(fams, "ksf_schedule_fires_total", append(labels, "outcome", "queued")...); v != 2 {
		t.Errorf("after run now, ksf_schedule_fires_total{queued} = %v, want 2", v)
	}
}
