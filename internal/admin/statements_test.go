package admin_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// seedHistory records C001 (clean), C002 (difference -96.00, run twice) and
// C404 (failed) for October, and C001 for September, of tenant "t1".
func seedHistory(t *testing.T, f *fixture) {
	t.Helper()
	h := history.New(f.rdb, history.Options{})
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, tz.Shanghai)
	goods := func(code, start, end, diff string, i int) {
		b := &tasks.Built{Statement: &statement.Statement{SerialNo: "HK" + code, CustomerCode: code, StartDate: start, EndDate: end,
			BeginBalance: "100.00", Zchje: "50.00", Zthje: "0.00", Zjkje: "0.00", Zqmye: "50.00",
			Trade: []statement.Trade{{SerialNo: "1", VoucherNo: "AR1", TradeAmount: "50.00", TradeDesc: "销售单",
				Detail: []statement.Detail{{SerialNo: "1", ProductCode: "P1", ProductName: "冰红茶", Amount: "50.00", Number: "1"}}}}}}
		if diff != "" {
			b.Difference, b.DifferenceAmount = true, decimal.RequireFromString(diff)
		}
		h.RecordRun(ctx, tasks.Run{Sync: tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeStatement, CustomerCode: code,
			StartDate: start, EndDate: end}, TaskID: "sync:" + code, Outcome: tasks.RunSaved, Built: b, Source: "oms",
			At: at.Add(time.Duration(i) * time.Minute)})
	}
	goods("C001", "2026-10-01", "2026-10-31", "", 1)
	goods("C002", "2026-10-01", "2026-10-31", "-90", 2)
	goods("C002", "2026-10-01", "2026-10-31", "-96", 3)
	goods("C001", "2026-09-01", "2026-09-30", "", 0)
	h.RecordRun(ctx, tasks.Run{Sync: tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeStatement, CustomerCode: "C404",
		StartDate: "2026-10-01", EndDate: "2026-10-31"}, TaskID: "sync:C404", Outcome: tasks.RunFailed, At: at.Add(4 * time.Minute),
		Err: &upstream.Error{Vendor: "oms", Op: "ar.getList", Message: "no shop", Permanent: true}, Reason: "商派OMS ar.getList: no shop"})
}

func TestStatementsAPI(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	seedHistory(t, f)

	var page history.Page
	if code := f.call(t, "GET", "/admin/api/statements?tenant=t1&month=2026-10&per_page=2", nil, &page); code != 200 {
		t.Fatal(code)
	}
	if page.Total != 3 || len(page.Items) != 2 || page.Items[0].Customer != "C404" || page.Items[1].Customer != "C002" {
		t.Fatalf("page 1 = %+v", page)
	}
	if code := f.call(t, "GET", "/admin/api/statements?tenant=t1&month=2026-10&per_page=2&page=2", nil, &page); code != 200 ||
		len(page.Items) != 1 || page.Items[0].Customer != "C001" {
		t.Fatalf("page 2 = %d %+v", code, page)
	}
	for q, want := range map[string]string{
		"difference=1":                     "C002",
		"outcome=failed":                   "C404",
		"period=2026-09-01..2026-09-30":    "C001",
		"customer=404":                     "C404",
		"kind=ksf:statement&month=2026-09": "C001",
	} {
		if code := f.call(t, "GET", "/admin/api/statements?tenant=t1&"+q, nil, &page); code != 200 || page.Total != 1 || page.Items[0].Customer != want {
			t.Errorf("%s: %d %+v", q, code, page)
		}
	}
	var sum history.Summary
	if code := f.call(t, "GET", "/admin/api/statements/summary?tenant=t1&month=2026-10", nil, &sum); code != 200 ||
		sum.Customers != 3 || sum.Saved != 2 || sum.Failed != 1 || sum.Difference != 1 || sum.DifferenceSum != "-96.00" {
		t.Fatalf("summary = %d %+v", code, sum)
	}
	// Without a month: the latest written.
	if code := f.call(t, "GET", "/admin/api/statements/summary", nil, &sum); code != 200 || sum.Month != "2026-10" {
		t.Fatalf("summary without month = %d %+v", code, sum)
	}
	var one struct {
		Record    history.Record       `json:"record"`
		Runs      []history.Record     `json:"runs"`
		Statement *statement.Statement `json:"statement"`
	}
	if code := f.call(t, "GET", "/admin/api/statements/one?tenant=t1&customer=C002&period=2026-10-01..2026-10-31", nil, &one); code != 200 {
		t.Fatal(code)
	}
	if one.Record.Difference != "-96.00" || len(one.Runs) != 2 || one.Runs[1].Difference != "-90.00" ||
		one.Statement == nil || one.Statement.Trade[0].Detail[0].ProductName != "冰红茶" {
		t.Fatalf("one = %+v", one)
	}
	for path, want := range map[string]int{
		"/admin/api/statements?month=2026-13":                                           400,
		"/admin/api/statements?outcome=ok":                                              400,
		"/admin/api/statements?difference=maybe":                                        400,
		"/admin/api/statements?mnth=2026-10":                                            400,
		"/admin/api/statements?per_page=0":                                              400,
		"/admin/api/statements/one?tenant=t1&customer=C002":                             400,
		"/admin/api/statements/one?tenant=t1&customer=C9&period=2026-10-01..2026-10-31": 404,
	} {
		var e map[string]string
		if code := f.call(t, "GET", path, nil, &e); code != want || e["error"] == "" {
			t.Errorf("%s: %d %v, want %d", path, code, e, want)
		}
	}
}

func getRaw(t *testing.T, f *fixture, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestStatementsCSV(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	seedHistory(t, f)
	resp, body := getRaw(t, f, "/admin/api/statements/export.csv?tenant=t1&month=2026-10", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "租户(tenant)" || rows[2][2] != "C002" || rows[2][16] != "-96.00" || rows[1][5] != "失败" ||
		rows[1][23] != "商派OMS ar.getList: no shop" {
		t.Fatalf("rows %q", rows)
	}
	resp, body = getRaw(t, f, "/admin/api/statements/one.csv?tenant=t1&customer=C002&period=2026-10-01..2026-10-31", nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "statement-C002-2026-10-01.csv") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if all[0][0] != "客户编码" || all[0][2] != "C002" || all[len(all)-1][8] != "冰红茶" {
		t.Fatalf("statement csv %q", all)
	}
}

func TestConsoleBehindTheToken(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	seedHistory(t, f)
	resp, err := http.Get(f.srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("no token: %d %q (a browser needs a Basic challenge)", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/console/", nil)
	req.SetBasicAuth("ksf", token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `<strong class="difference">-96.00</strong>`) {
		t.Fatalf("with the token: %d\n%s", resp.StatusCode, b)
	}
	if code := f.callAs(t, "", "GET", "/console", nil, nil); code != 401 {
		t.Fatalf("/console without a token: %d", code)
	}
}

// TestConsoleReplay: the replay button of a failed job, through the admin
// listener, runs the archived task again; a cross-site form cannot.
func TestConsoleReplay(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	info, err := f.client.Enqueue(syncTask(t, "t1", tasks.DataTypeStatement, "C404", "2026-10-01", "2026-10-31"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.in.ArchiveTask(tasks.QueueSync, info.ID); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path, contentType, body string, header map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth("ksf", token)
		req.Header.Set("Content-Type", contentType)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	form := url.Values{"task_id": {info.ID}, "back": {"/console/"}}.Encode()
	cross := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	if code := post("/console/replay", "application/x-www-form-urlencoded", form, cross); code != 403 {
		t.Fatalf("cross-site replay: %d", code)
	}
	// The admin API's state-changing routes are refused cross-origin too.
	if code := post("/admin/api/replay", "application/json", `{"task_ids":["`+info.ID+`"]}`, cross); code != 403 {
		t.Fatalf("cross-site API replay: %d", code)
	}
	if st := f.state(t, tasks.QueueSync, info.ID); st != "archived" {
		t.Fatalf("after refused replays the task is %q", st)
	}
	if code := post("/console/replay", "application/x-www-form-urlencoded", form, map[string]string{"Sec-Fetch-Site": "same-origin"}); code != 303 {
		t.Fatalf("same-origin replay: %d", code)
	}
	if st := f.state(t, tasks.QueueSync, info.ID); st != "pending" {
		t.Fatalf("after the replay the task is %q, want pending", st)
	}
	// Replaying it again: nothing failed to replay, a page says so.
	if code := post("/console/replay", "application/x-www-form-urlencoded", form, nil); code != 404 {
		t.Fatalf("second replay: %d", code)
	}
}
