package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// seedStatements records C002 with a difference and C404 failed, tenant t1, October.
func (f *fixture) seedStatements(t *testing.T) {
	t.Helper()
	h := history.New(f.rdb, history.Options{})
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, tz.Shanghai)
	h.RecordRun(context.Background(), tasks.Run{Sync: tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeStatement,
		CustomerCode: "C002", StartDate: "2026-10-01", EndDate: "2026-10-31"}, TaskID: "sync:C002", Outcome: tasks.RunSaved,
		Source: "oms", At: at, Built: &tasks.Built{Difference: true, DifferenceAmount: decimal.RequireFromString("-96"),
			Statement: &statement.Statement{SerialNo: "HK1", BeginBalance: "25000.00", Zchje: "2449.00", Zthje: "96.00", Zjkje: "3500.00",
				Zqmye: "26051.00", Trade: []statement.Trade{{SerialNo: "1", TradeDate: "2026-10-21", VoucherNo: "RT1", TradeDesc: "销售退货单",
					TradeAmount: "96.00", Detail: []statement.Detail{{ProductCode: "SKU-TEA-500", ProductName: "冰红茶", Number: "2", Amount: "96.00"}}}}}}})
	h.RecordRun(context.Background(), tasks.Run{Sync: tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: tasks.DataTypeStatement,
		CustomerCode: "C404", StartDate: "2026-10-01", EndDate: "2026-10-31"}, TaskID: "sync:C404", Outcome: tasks.RunFailed,
		At: at.Add(time.Minute), Reason: "商派OMS: account C404 not found"})
}

func TestStatements(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.seedStatements(t)

	code, out, errOut := f.run(t, "statements", "--month", "2026-10")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "AT") || !strings.Contains(lines[1], "failed") ||
		!strings.Contains(lines[2], "-96.00") || !strings.Contains(lines[2], "26051.00") || !strings.Contains(lines[3], "2 statements") {
		t.Fatalf("list: %d %s\n%s", code, errOut, out)
	}
	if code, out, _ := f.run(t, "statements", "list", "--difference", "--json"); code != 0 || !strings.Contains(out, `"customer": "C002"`) || strings.Contains(out, "C404") {
		t.Fatalf("--difference --json: %d\n%s", code, out)
	}
	code, out, _ = f.run(t, "statements", "export", "--outcome", "failed")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if code != 0 || !strings.HasPrefix(out, "\ufeff") || err != nil || len(rows) != 2 || rows[1][2] != "C404" || rows[1][5] != "失败" {
		t.Fatalf("export: %d %v %q", code, err, rows)
	}
	code, out, _ = f.run(t, "statements", "show", "--customer", "C002", "--period", "2026-10-01..2026-10-31")
	for _, want := range []string{"C002 ksf_statement 2026-10-01..2026-10-31  saved", "difference 对账差异", "-96.00", "销售退货单", "冰红茶", "1 runs kept"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show lacks %q: %d\n%s", want, code, out)
		}
	}
	code, out, _ = f.run(t, "statements", "show", "--customer", "C002", "--period", "2026-10-01..2026-10-31", "--csv")
	if code != 0 || !strings.HasPrefix(out, "\ufeff客户编码,customer_code,C002") {
		t.Fatalf("show --csv: %d\n%s", code, out)
	}
	code, out, _ = f.run(t, "statements", "summary", "--json")
	var s struct {
		Month  string `json:"month"`
		Failed int    `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || s.Month != "2026-10" || s.Failed != 1 {
		t.Fatalf("summary: %d %v %s", code, err, out)
	}
	if code, out, _ := f.run(t, "statements", "summary"); code != 0 || !strings.Contains(out, "2026-10: 2 customers, 2 statements: 1 saved, 1 with a difference (sum -96.00), 1 failed") {
		t.Fatalf("summary text: %d %s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"statements", "show", "--customer", "C002"}, 2, "required"},
		{[]string{"statements", "frob"}, 2, "unknown statements command"},
		{[]string{"statements", "--month", "2026-13"}, 1, "400"},
		{[]string{"statements", "show", "--customer", "C9", "--period", "2026-10-01..2026-10-31"}, 1, "404"},
	} {
		if code, _, errOut := f.run(t, tc.args...); code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: %d %q, want %d %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}
