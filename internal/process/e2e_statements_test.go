package process_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt/wdttest"
)

// The end-to-end tests of issue 10 ("statements a finance team can trust"):
// a receiver and a worker on Redis, every vendor a fake.

// TestEndToEndSameSecondChain: an income and an expense in the same second,
// whose ids sort against the balance chain, give the right balances and no
// false 对账差异 (item 1).
func TestEndToEndSameSecondChain(t *testing.T) {
	t.Parallel()
	tx := func(id, typ, amount, balance string) omstest.Transaction {
		return omstest.Transaction{TransID: id, AccountID: "SS-1", AccountName: "SS-1 预付款", TransType: typ,
			Amount: dec(amount), Balance: dec(balance), TransTime: "2025-05-10 10:00:00"}
	}
	seed := omstest.Seed{
		Bills: []omstest.Bill{{ShopCode: "SS-1", BillBN: "SS-BILL-1", BillType: "销售单", Amount: dec("50.00"),
			CreateTime: "2025-05-10 10:00:00", Items: []omstest.Item{{ItemCode: "SKU-1", ItemName: "冰红茶", Amount: dec("50.00"), Quantity: dec("1")}}}},
		// The expense is listed first and its id sorts first: 1100 → 1050
		// after the income 1000 → 1100 of the same second.
		Transactions: []omstest.Transaction{tx("TX-A", "expense", "50.00", "1050.00"), tx("TX-B", "income", "100.00", "1100.00")},
		Accounts:     []omstest.Account{{AccountID: "SS-1", Balance: dec("1050.00")}},
	}
	x := setupE2E(t, withOMS(seed), withWaiqin("SS-1"))
	if status := x.push(t, "chain-1", tasks.DataTypeStatement, "SS-1", "2025-05-01", "2025-05-31"); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 1)
	s, ok := x.statementOf("SS-1")
	if !ok {
		t.Fatal("no statement")
	}
	if s.BeginBalance != "1000.00" || s.Zqmye != "1050.00" || s.Zjkje != "100.00" || s.Zchje != "50.00" || len(s.Exts) != 0 {
		t.Errorf("statement begin %s end %s paid %s shipped %s exts %v; want 1000.00 1050.00 100.00 50.00 none",
			s.BeginBalance, s.Zqmye, s.Zjkje, s.Zchje, s.Exts)
	}
	if n := x.events.count("difference " + tasks.TypeStatement); n != 0 {
		t.Errorf("%d differences counted", n)
	}
}

// TestEndToEndConfirmedStatementKept: a statement its customer confirmed in
// 勤策 is not overwritten: the job asks queryStatement, reports why with
// saveStatementError (in Chinese), is not retried, and is archived with a
// failure record and the outcome confirmed (item 3).
func TestEndToEndConfirmedStatementKept(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	period, err := reconcile.ParsePeriod(start, end)
	if err != nil {
		t.Fatal(err)
	}
	// What the customer signed: the very number the worker would write.
	signed := statement.Statement{SerialNo: reconcile.StatementNo("HK", x.tenant, "C001", period), CustomerCode: "C001",
		StartDate: start, EndDate: end, BeginBalance: "1.00", Zjkje: "0.00", Zchje: "0.00", Zthje: "0.00", Zqmye: "1.00",
		Zchsl: "0", Zthsl: "0", Zjcsl: "0", Trade: []statement.Trade{}, Exts: []statement.Ext{}}
	x.fakes.Waiqin.SeedStatement(signed, waiqintest.StatusConfirmed)

	if status := x.push(t, "confirmed-1", tasks.DataTypeStatement, "C001,C002", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "job "+tasks.TypeStatement+" "+tasks.OutcomeConfirmed, 1)
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 1) // C002, whose statement nobody confirmed

	if s, _ := x.statementOf("C001"); s.Zqmye != "1.00" || s.BeginBalance != "1.00" {
		t.Errorf("the confirmed statement was overwritten: %+v", s)
	}
	l, ok := x.errorLogOf("C001")
	if !ok || !strings.Contains(l.ErrorReason, "已确认") || !strings.Contains(l.ErrorReason, "未覆盖") ||
		utf8.RuneCountInString(l.ErrorReason) > 100 || l.StartDate != start {
		t.Errorf("error log %+v (%v)", l, ok)
	}
	id := x.syncTaskID("confirmed-1", "C001")
	x.waitState(t, tasks.QueueInteractive, id, "archived")
	rec, err := x.failures.Get(context.Background(), id)
	if err != nil || !strings.Contains(rec.LastError, "confirmed") || rec.Retried != 0 {
		t.Errorf("failure record %+v (%v)", rec, err)
	}
	if n := x.events.count("job " + tasks.TypeStatement + " " + tasks.OutcomeRetry); n != 0 {
		t.Errorf("retried %d times", n)
	}
	// One query per job and month, plus the empty page that ends C002's.
	if n := x.fakes.Waiqin.Calls("queryStatement"); n < 2 {
		t.Errorf("queryStatement called %d times", n)
	}
	if n := x.fakes.Waiqin.Calls("saveStatement"); n != 1 {
		t.Errorf("saveStatement called %d times, want 1 (C002)", n)
	}
}

// withCustomerMap configures a customer map file holding lines (after the
// header).
func withCustomerMap(lines string) e2eOption {
	return func(t *testing.T, x *e2e) {
		p := filepath.Join(t.TempDir(), "customers.csv")
		if err := os.WriteFile(p, []byte("customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no\n"+lines), 0o600); err != nil {
			t.Fatal(err)
		}
		x.cfg.CustomerMap = p
	}
}

// TestEndToEndUnlistedCustomerRefused: with a customer map, a pushed
// customer it does not list is refused permanently and reported to 勤策;
// 旺店通 is never asked for it, and no (empty) expense statement is saved
// over the real one (item 4).
func TestEndToEndUnlistedCustomerRefused(t *testing.T) {
	t.Parallel()
	x := setupE2E(t, withCustomerMap("C001,,,,\n"))
	start, end := lastMonth()
	if status := x.push(t, "unlisted-1", tasks.DataTypeExpense, "C001,C002", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeExpense, 1)
	x.events.waitUntil(t, "C002's error log", func() bool { return len(x.fakes.Waiqin.ExpenseErrors()) == 1 })
	l := x.fakes.Waiqin.ExpenseErrors()[0]
	if l.CustomerCode != "C002" || !strings.Contains(l.ErrorReason, "客户映射") || utf8.RuneCountInString(l.ErrorReason) > 100 {
		t.Errorf("error log %+v", l)
	}
	for _, e := range x.fakes.Waiqin.Expenses() {
		if e.CustomerCode == "C002" {
			t.Errorf("an expense statement was saved for the unlisted C002: %+v", e)
		}
	}
	for _, r := range x.fakes.WDT.Received() {
		if strings.Contains(r.Form.Get("shopNo"), "C002") {
			t.Errorf("旺店通 was asked for C002: %v", r.Form)
		}
	}
	id := tasks.SyncTaskID(x.tenant, "unlisted-1", tasks.DataTypeExpense, "C002")
	x.waitState(t, tasks.QueueInteractive, id, "archived")
	if rec, err := x.failures.Get(context.Background(), id); err != nil || !strings.Contains(rec.LastError, "customer map") {
		t.Errorf("failure record %+v (%v)", rec, err)
	}
}

// TestEndToEndTextResponseData: a 勤策 that answers a save with
// response_data "保存成功" saved the statement: the job succeeds and reports
// no error (item 6).
func TestEndToEndTextResponseData(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	x.fakes.Waiqin.SetSaveText("保存成功")
	start, end := lastMonth()
	if status := x.push(t, "text-1", tasks.DataTypeStatement, "C001", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "job "+tasks.TypeStatement+" "+tasks.OutcomeOK, 1)
	x.waitState(t, tasks.QueueInteractive, x.syncTaskID("text-1", "C001"), "completed")
	if _, ok := x.statementOf("C001"); !ok {
		t.Error("no statement saved")
	}
	if logs := x.fakes.Waiqin.StatementErrors(); len(logs) != 0 {
		t.Errorf("error logs for a saved statement: %+v", logs)
	}
	if n := x.events.count("job " + tasks.TypeStatement + " " + tasks.OutcomeFailed); n != 0 {
		t.Errorf("%d failed jobs", n)
	}
}

// withWDT replaces the demo's 旺店通 fake with one configured by cfg.
func withWDT(cfg wdttest.Config) e2eOption {
	return func(_ *testing.T, x *e2e) {
		s := wdttest.New(cfg)
		x.fakes.WDT.Close()
		x.fakes.WDT = s
		c := s.ClientConfig()
		x.cfg.WDT.RouterURL, x.cfg.WDT.AppKey, x.cfg.WDT.AppSecret, x.cfg.WDT.TargetAppKey = s.URL, c.AppKey, config.Secret(c.AppSecret), c.TargetAppKey
		x.cfg.WDT.HJYAppID, x.cfg.WDT.HJYAppKey, x.cfg.WDT.SID = c.HJYAppID, config.Secret(c.HJYAppKey), c.SID
		x.cfg.WDT.Platforms = []string{string(wdt.PlatformAlipay)}
	}
}

// TestEndToEndWDTSystemErrorRetried: 旺店通 answering resultCode "500"
// 系统异常 is retried to success, and its last page — empty, echoing the
// cursor it was asked with — ends paging instead of failing the month
// (item 7).
func TestEndToEndWDTSystemErrorRetried(t *testing.T) {
	t.Parallel()
	x := setupE2E(t, withWDT(wdttest.Config{PageSize: 2, Ending: wdttest.EndEcho}))
	start, end := lastMonth()
	day, err := time.ParseInLocation(time.DateOnly, start, tz.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.fakes.WDT.AddSample("C001", wdt.PlatformAlipay, day.AddDate(0, 0, 3), 4); err != nil {
		t.Fatal(err)
	}
	x.fakes.WDT.FailNext(wdttest.SystemError)
	if status := x.push(t, "wdt500-1", tasks.DataTypeExpense, "C001", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeExpense, 1)
	id := tasks.SyncTaskID(x.tenant, "wdt500-1", tasks.DataTypeExpense, "C001")
	x.waitState(t, tasks.QueueInteractive, id, "completed")
	if n := x.events.count("job " + tasks.TypeExpense + " " + tasks.OutcomeRetry); n != 1 {
		t.Errorf("retries %d, want 1", n)
	}
	ex := x.fakes.Waiqin.Expenses()
	if len(ex) != 1 || len(ex[0].Trade) != 4 || len(x.fakes.Waiqin.ExpenseErrors()) != 0 {
		t.Fatalf("expenses %+v, errors %+v", ex, x.fakes.Waiqin.ExpenseErrors())
	}
	// The 500, then pages of 2, 2 and the empty echo.
	if st := x.fakes.WDT.Stats(); st.Injected != 1 || st.Pages != 3 {
		t.Errorf("wdt stats %+v", st)
	}
}
