package process_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
)

// adminGet reads an admin route of the worker with the test token.
func (x *e2e) adminGet(t *testing.T, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+x.worker.AdminAddr()+path, nil)
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
	return resp.StatusCode, string(b)
}

// TestEndToEndRunHistory: real jobs against the vendor fakes end in the run
// history with their outcome (saved, failed, retrying), C002's 对账差异,
// the totals and the kept statement; the admin API and the console show them.
func TestEndToEndRunHistory(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	month := start[:7]
	// C001's first try meets a 500 (retrying, then saved); C404 is unknown
	// to OMS (failed for good).
	// C001 goes alone first, so the armed 500 is its own whatever order
	// concurrent jobs take.
	x.fakes.OMS.FailNext("ar.getList", 1, omstest.Failure{Status: 500})
	if status := x.push(t, "hist-0", tasks.DataTypeStatement, "C001", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "job "+tasks.TypeStatement+" "+tasks.OutcomeOK, 1)
	if status := x.push(t, "hist-1", tasks.DataTypeStatement, "C002,C003,C404", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "job "+tasks.TypeStatement+" "+tasks.OutcomeOK, 3)
	x.events.waitFor(t, "job "+tasks.TypeStatement+" "+tasks.OutcomeFailed, 1)
	x.worker.FlushHistory() // the history is written in the background

	ctx := context.Background()
	store := history.New(x.rdb, history.Options{})
	key := history.PeriodKey{Tenant: x.tenant, DataType: tasks.DataTypeStatement, StartDate: start, EndDate: end}
	c2, err := store.Get(ctx, key, "C002")
	if err != nil {
		t.Fatal(err)
	}
	if c2.Outcome != tasks.RunSaved || c2.Difference != "-96.00" || c2.Source != "oms" || c2.Totals == nil ||
		c2.Totals.Zthje == "0.00" || c2.Trades == 0 || c2.Details == 0 || !c2.BodyKept ||
		c2.TaskID != x.syncTaskID("hist-1", "C002") || c2.MsgID != "hist-1" {
		t.Errorf("C002 = %+v", c2)
	}
	saved, ok := x.statementOf("C002")
	if !ok {
		t.Fatal("C002 not saved in the 勤策 fake")
	}
	if c2.StatementNo != saved.SerialNo || c2.Totals.Zqmye != saved.Zqmye || c2.Totals.BeginBalance != saved.BeginBalance {
		t.Errorf("history %+v differs from what 勤策 received (%s, %s, %s)", c2.Totals, saved.SerialNo, saved.BeginBalance, saved.Zqmye)
	}
	runs, err := store.Runs(ctx, key, "C001")
	if err != nil || len(runs) != 2 || runs[0].Outcome != tasks.RunSaved || runs[1].Outcome != tasks.RunRetrying ||
		runs[1].Vendor != "oms" || !strings.Contains(runs[1].Error, "500") {
		t.Errorf("C001 runs = %+v, %v", runs, err)
	}
	c404, err := store.Get(ctx, key, "C404")
	if err != nil || c404.Outcome != tasks.RunFailed || c404.Reason == "" || c404.Totals != nil {
		t.Errorf("C404 = %+v, %v", c404, err)
	}

	// The admin API: the month summary and the list with a difference.
	status, body := x.adminGet(t, "/admin/api/statements/summary?"+url.Values{"tenant": {x.tenant}, "month": {month}}.Encode())
	var sum history.Summary
	if err := json.Unmarshal([]byte(body), &sum); status != 200 || err != nil {
		t.Fatalf("summary: %d %s", status, body)
	}
	if sum.Customers != 4 || sum.Saved != 3 || sum.Failed != 1 || sum.Difference != 1 || sum.DifferenceSum != "-96.00" {
		t.Errorf("summary = %+v", sum)
	}
	status, body = x.adminGet(t, "/admin/api/statements?"+url.Values{"tenant": {x.tenant}, "difference": {"1"}}.Encode())
	var page history.Page
	if err := json.Unmarshal([]byte(body), &page); status != 200 || err != nil || page.Total != 1 || page.Items[0].Customer != "C002" {
		t.Errorf("difference list: %d %s", status, body)
	}
	// The console's overview of that month shows C002's difference.
	status, body = x.adminGet(t, "/console/?"+url.Values{"tenant": {x.tenant}, "month": {month}}.Encode())
	if status != 200 || !strings.Contains(body, `<strong class="difference">-96.00</strong>`) || !strings.Contains(body, ">C002</a>") {
		t.Errorf("console overview: %d\n%s", status, body)
	}
}
