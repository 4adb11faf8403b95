package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
)

// waitUntil waits until cond holds, checking it after each job event: the
// fakes change state before the worker reports the job, so no sleeping.
func (e *jobEvents) waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-e.wake:
		case <-deadline.C:
			e.mu.Lock()
			defer e.mu.Unlock()
			t.Fatalf("waited for %s; saw %v", what, e.events)
		}
	}
}

// eventually polls cond every 10 ms, for what asynq does after a handler
// returned (archive, complete, requeue) and signals to no one. got describes
// the last state seen, for the failure message.
func eventually(t *testing.T, what string, cond func() (ok bool, got string)) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		ok, got := cond()
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("waited for %s; last seen: %s", what, got)
		}
	}
}

// taskState is the asynq state of a task ("pending", "archived", …), or the
// lookup's error.
func (x *e2e) taskState(queue, id string) string {
	info, err := x.inspector.GetTaskInfo(queue, id)
	if err != nil {
		return err.Error()
	}
	return info.State.String()
}

// waitState waits until asynq moved the task to state.
func (x *e2e) waitState(t *testing.T, queue, id, state string) {
	t.Helper()
	eventually(t, id+" "+state, func() (bool, string) {
		got := x.taskState(queue, id)
		return got == state, got
	})
}

// syncTaskID is the sync task of this test's push msgID for customer code.
func (x *e2e) syncTaskID(msgID, code string) string {
	return tasks.SyncTaskID(x.tenant, msgID, tasks.DataTypeStatement, code)
}

// syncTasks lists this test's sync tasks in every state, each once: a task
// that moves on between two listings (active, then completed) is counted
// in its first state only.
func (x *e2e) syncTasks(t *testing.T) []*asynq.TaskInfo {
	t.Helper()
	var out []*asynq.TaskInfo
	seen := map[string]bool{}
	in := x.inspector
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		in.ListPendingTasks, in.ListActiveTasks, in.ListScheduledTasks, in.ListRetryTasks, in.ListArchivedTasks, in.ListCompletedTasks,
	} {
		for _, q := range []string{tasks.QueueInteractive, tasks.QueueSync} {
			infos, err := list(q, asynq.PageSize(10000))
			if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				t.Fatal(err)
			}
			for _, i := range infos {
				if strings.HasPrefix(i.ID, "sync:"+x.tenant+":") && !seen[i.ID] {
					seen[i.ID] = true
					out = append(out, i)
				}
			}
		}
	}
	return out
}

func retried(i *asynq.TaskInfo) any {
	if i == nil {
		return "?"
	}
	return i.Retried
}

// statementOf is the statement the 勤策 fake holds for customer code.
func (x *e2e) statementOf(code string) (statement.Statement, bool) {
	for _, s := range x.fakes.Waiqin.Statements() {
		if s.CustomerCode == code {
			return s, true
		}
	}
	return statement.Statement{}, false
}

// errorLogOf is the saveStatementError log the 勤策 fake holds for code.
func (x *e2e) errorLogOf(code string) (statement.ErrorLog, bool) {
	for _, l := range x.fakes.Waiqin.StatementErrors() {
		if l.CustomerCode == code {
			return l, true
		}
	}
	return statement.ErrorLog{}, false
}

// withOMS replaces the demo's OMS fake with a fresh one serving seed only.
func withOMS(seed omstest.Seed) e2eOption {
	return func(t *testing.T, x *e2e) {
		const flag, token = "e2eflag", "e2e-oms-token"
		s := omstest.New(omstest.Config{Flag: flag, Token: token})
		if err := s.Load(seed); err != nil {
			s.Close()
			t.Fatal(err)
		}
		x.fakes.OMS.Close()
		x.fakes.OMS = s // closed with the fakes
		x.cfg.OMS.BaseURL, x.cfg.OMS.Flag, x.cfg.OMS.Token = s.URL, flag, config.Secret(token)
	}
}

// withWaiqin replaces the demo's 勤策 fake with a fresh one whose
// getCustomers answers customers.
func withWaiqin(customers ...string) e2eOption {
	return func(_ *testing.T, x *e2e) {
		const openID, appKey = "e2e0000000000000001", "e2eappkey000000001"
		s := waiqintest.New(waiqintest.Config{OpenID: openID, AppKey: appKey, Customers: customers})
		x.fakes.Waiqin.Close()
		x.fakes.Waiqin = s
		x.cfg.Waiqin.BaseURL, x.cfg.Waiqin.OpenID, x.cfg.Waiqin.AppKey = s.URL, openID, config.Secret(appKey)
	}
}

var dec = decimal.RequireFromString

// exactSeed is the OMS data of TestEndToEndExactStatements, period March
// 2025: E2E-A buys twice and pays, and reconciles; E2E-B buys, returns part
// (which its ledger does not credit) and pays at the very time of its bill;
// E2E-C did nothing in March, a later payment gives its balances. Records
// outside the period or of another shop must not show.
func exactSeed() omstest.Seed {
	item := func(code, name, amount, qty, price string) omstest.Item {
		return omstest.Item{ItemCode: code, ItemName: name, Amount: dec(amount), Quantity: dec(qty), UnitPrice: dec(price)}
	}
	bill := func(shop, no, typ, amount, at string, items ...omstest.Item) omstest.Bill {
		return omstest.Bill{ShopCode: shop, ShopName: shop + " 经销商", BillBN: no, BillType: typ, Amount: dec(amount),
			Currency: "CNY", Status: "未结算", CreateTime: at, Items: items}
	}
	tx := func(account, id, typ, amount, balance, at, remark string) omstest.Transaction {
		return omstest.Transaction{TransID: id, AccountID: account, AccountName: account + " 预付款", TransType: typ,
			Amount: dec(amount), Balance: dec(balance), TransTime: at, Remark: remark}
	}
	return omstest.Seed{
		Bills: []omstest.Bill{
			bill("E2E-A", "ARA001", "销售单", "960.00", "2025-03-03 09:00:00",
				item("SKU-TEA-500", "冰红茶500ml×15", "480.00", "10", "48.00"),
				item("SKU-WATER-550", "矿物质水550ml×24", "480.00", "15", "32.00")),
			bill("E2E-A", "ARA002", "销售单", "450.00", "2025-03-10 14:30:00",
				item("SKU-JASMINE-500", "茉莉清茶500ml×15", "450.00", "10", "45.00")),
			bill("E2E-A", "ARA003", "销售单", "48.00", "2025-04-01 08:00:00", // April: not in the statement
				item("SKU-TEA-500", "冰红茶500ml×15", "48.00", "1", "48.00")),
			bill("E2E-B", "ARB001", "销售单", "1234.56", "2025-03-15 10:00:00",
				item("MILK-1KG", "奶粉 散装 (kg)", "1000.00", "2.5", "400.00"),
				item("TEA-BOX", "礼盒装茶饮", "234.56", "3", "78.186666")),
			bill("E2E-B", "RTB001", "销售退货单", "-234.56", "2025-03-20 16:00:00",
				item("TEA-BOX", "礼盒装茶饮", "-234.56", "-3", "78.186666")),
			bill("E2E-X", "ARX001", "销售单", "99.00", "2025-03-05 10:00:00", // another shop
				item("SKU-TEA-500", "冰红茶500ml×15", "99.00", "2", "49.50")),
		},
		Transactions: []omstest.Transaction{
			tx("E2E-A", "PA0", "income", "500.00", "10000.00", "2025-02-20 10:00:00", "二月缴款"), // February
			tx("E2E-A", "TA1", "expense", "960.00", "9040.00", "2025-03-03 09:00:00", "货款扣款 ARA001"),
			tx("E2E-A", "PA1", "income", "2000.00", "11040.00", "2025-03-05 11:00:00", "银行转账"),
			tx("E2E-A", "TA2", "expense", "450.00", "10590.00", "2025-03-10 14:30:00", "货款扣款 ARA002"),
			tx("E2E-B", "PB1", "income", "5000.00", "5000.00", "2025-03-15 10:00:00", ""),
			tx("E2E-B", "TB1", "expense", "1234.56", "3765.44", "2025-03-15 10:00:00", "货款扣款 ARB001"),
			tx("E2E-C", "PC1", "income", "300.00", "1300.00", "2025-04-02 09:00:00", "四月缴款"),
		},
		Accounts: []omstest.Account{
			{AccountID: "E2E-A", AccountName: "E2E-A 预付款", AccountType: "deposit", Balance: dec("10590.00"), Currency: "CNY"},
			{AccountID: "E2E-B", AccountName: "E2E-B 预付款", AccountType: "deposit", Balance: dec("3765.44"), Currency: "CNY"},
			{AccountID: "E2E-C", AccountName: "E2E-C 预付款", AccountType: "deposit", Balance: dec("1300.00"), Currency: "CNY"},
		},
	}
}

// exactStatements are the statements of exactSeed, worked out by hand.
func exactStatements(tenant string) map[string]statement.Statement {
	const start, end = "2025-03-01", "2025-03-31"
	period, err := reconcile.ParsePeriod(start, end)
	if err != nil {
		panic(err)
	}
	no := func(code string) string { return reconcile.StatementNo("HK", tenant, code, period) }
	type row struct{ code, name, amount, number string }
	trade := func(cust string, n int, voucher, desc, amount, count, date string, exts []statement.Ext, rows ...row) statement.Trade {
		tr := statement.Trade{StatementNo: no(cust), SerialNo: strconv.Itoa(n), VoucherNo: voucher, TradeDesc: desc, TradeAmount: amount,
			TotalCount: count, TradeDate: date, CustomerCode: cust, StartDate: start, Exts: exts, Detail: []statement.Detail{}}
		if tr.Exts == nil {
			tr.Exts = []statement.Ext{}
		}
		for i, r := range rows {
			tr.Detail = append(tr.Detail, statement.Detail{StatementNo: no(cust), SerialNo: strconv.Itoa(i + 1), VoucherNo: voucher,
				ProductCode: r.code, ProductName: r.name, Amount: r.amount, Number: r.number, CustomerCode: cust, StartDate: start})
		}
		return tr
	}
	head := func(cust string) statement.Statement {
		return statement.Statement{SerialNo: no(cust), CustomerCode: cust, StartDate: start, EndDate: end, TradeMonth: "2025-03",
			Trade: []statement.Trade{}, Exts: []statement.Ext{}}
	}

	// E2E-A: begin = 9040.00 + 960.00 (the balance before TA1), end = after
	// TA2; moved 590.00 = payments 2000.00 − sales 1410.00: no difference.
	a := head("E2E-A")
	a.BeginBalance, a.Zjkje, a.Zchje, a.Zthje, a.Zqmye = "10000.00", "2000.00", "1410.00", "0.00", "10590.00"
	a.Zchsl, a.Zthsl, a.Zjcsl = "35", "0", "35"
	a.Trade = []statement.Trade{
		trade("E2E-A", 1, "ARA001", "销售单", "960.00", "25", "2025-03-03", nil,
			row{"SKU-TEA-500", "冰红茶500ml×15", "480.00", "10"}, row{"SKU-WATER-550", "矿物质水550ml×24", "480.00", "15"}),
		trade("E2E-A", 2, "PA1", "缴款", "2000.00", "0", "2025-03-05", []statement.Ext{{Key: "备注", Value: "银行转账"}}),
		trade("E2E-A", 3, "ARA002", "销售单", "450.00", "10", "2025-03-10", nil,
			row{"SKU-JASMINE-500", "茉莉清茶500ml×15", "450.00", "10"}),
	}

	// E2E-B: PB1 and TB1 share a second: by id PB1 is first (begin 5000 −
	// 5000 = 0.00) and TB1 last (3765.44). moved 3765.44, explained
	// 5000.00 − (1234.56 − 234.56) = 4000.00: difference −234.56, the return
	// the ledger never credited. The bill sorts before the payment of its
	// second.
	b := head("E2E-B")
	b.BeginBalance, b.Zjkje, b.Zchje, b.Zthje, b.Zqmye = "0.00", "5000.00", "1234.56", "234.56", "3765.44"
	b.Zchsl, b.Zthsl, b.Zjcsl = "5.5", "3", "2.5"
	b.Exts = []statement.Ext{{Key: "对账差异", Value: "-234.56"}}
	b.Trade = []statement.Trade{
		trade("E2E-B", 1, "ARB001", "销售单", "1234.56", "5.5", "2025-03-15", nil,
			row{"MILK-1KG", "奶粉 散装 (kg)", "1000.00", "2.5"}, row{"TEA-BOX", "礼盒装茶饮", "234.56", "3"}),
		trade("E2E-B", 2, "PB1", "缴款", "5000.00", "0", "2025-03-15", nil),
		trade("E2E-B", 3, "RTB001", "销售退货单", "234.56", "3", "2025-03-20", nil,
			row{"TEA-BOX", "礼盒装茶饮", "234.56", "3"}),
	}

	// E2E-C: no March transaction; PC1 (April) left 1300.00 after adding
	// 300.00, so the balance all March was 1000.00.
	c := head("E2E-C")
	c.BeginBalance, c.Zjkje, c.Zchje, c.Zthje, c.Zqmye = "1000.00", "0.00", "0.00", "0.00", "1000.00"
	c.Zchsl, c.Zthsl, c.Zjcsl = "0", "0", "0"

	return map[string]statement.Statement{"E2E-A": a, "E2E-B": b, "E2E-C": c}
}

// TestEndToEndExactStatements: a push for three customers ends with three
// statements in 勤策 whose every total, trade row and detail row is what the
// seeded OMS records give by hand.
func TestEndToEndExactStatements(t *testing.T) {
	t.Parallel()
	x := setupE2E(t, withOMS(exactSeed()), withWaiqin("E2E-A", "E2E-B", "E2E-C"))
	if status := x.push(t, "exact-1", tasks.DataTypeStatement, "E2E-A,E2E-B,E2E-C", "2025-03-01", "2025-03-31"); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 3)

	want := exactStatements(x.tenant)
	got := x.fakes.Waiqin.Statements()
	if len(got) != len(want) {
		t.Fatalf("勤策 holds %d statements, want %d", len(got), len(want))
	}
	for _, s := range got {
		w, ok := want[s.CustomerCode]
		if !ok {
			t.Errorf("unexpected statement of %q", s.CustomerCode)
			continue
		}
		gj, _ := json.MarshalIndent(s, "", "  ")
		wj, _ := json.MarshalIndent(w, "", "  ")
		if string(gj) != string(wj) {
			t.Errorf("statement of %s:\n got %s\nwant %s", s.CustomerCode, gj, wj)
		}
		if n := utf8.RuneCountInString(s.SerialNo); n > 32 || !strings.HasPrefix(s.SerialNo, "HK2025030120250331") {
			t.Errorf("statement number %q (%d characters)", s.SerialNo, n)
		}
	}
	if n := x.events.count("difference " + tasks.TypeStatement); n != 1 {
		t.Errorf("differences counted %d, want 1 (E2E-B)", n)
	}
	if n := x.fakes.OMS.Calls("ar.getDetail"); n != 4 {
		t.Errorf("ar.getDetail called %d times, want once per bill of the period (4)", n)
	}
}

// TestEndToEndAllCustomers: a push naming no customer builds the statement
// of every customer getCustomers answers, each once.
func TestEndToEndAllCustomers(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	x.fakes.Waiqin.SetCustomers([]string{"C003", "C001", "C002", "C001"}) // a repeat, built once
	start, end := lastMonth()
	if status := x.push(t, "all-1", tasks.DataTypeStatement, "", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 3)
	got := map[string]int{}
	for _, s := range x.fakes.Waiqin.Statements() {
		got[s.CustomerCode]++
	}
	if len(got) != 3 || got["C001"] != 1 || got["C002"] != 1 || got["C003"] != 1 {
		t.Errorf("statements per customer: %v", got)
	}
	pushID := tasks.PushTaskID(x.tenant, "all-1")
	x.waitState(t, tasks.QueuePush, pushID, "completed")
	info, err := x.inspector.GetTaskInfo(tasks.QueuePush, pushID)
	if err != nil {
		t.Fatal(err)
	}
	var res tasks.PushResult
	if err := json.Unmarshal(info.Result, &res); err != nil || !res.AllCustomers || res.Customers != 3 || res.FannedOut != 3 {
		t.Errorf("push result %s (%v)", info.Result, err)
	}
	// The policy of tasks/options.go is what asynq holds.
	if info.Timeout != tasks.PushTimeout || info.MaxRetry != 25 || info.Retention != tasks.PushRetention {
		t.Errorf("push task: timeout %v, max retry %d, retention %v; want %v, 25, %v", info.Timeout, info.MaxRetry, info.Retention, tasks.PushTimeout, tasks.PushRetention)
	}
	for _, i := range x.syncTasks(t) {
		if i.Timeout != tasks.SyncTimeout || i.MaxRetry != tasks.SyncMaxRetry || i.Retention != tasks.SyncRetention {
			t.Errorf("%s: timeout %v, max retry %d, retention %v", i.ID, i.Timeout, i.MaxRetry, i.Retention)
		}
	}
	// One listing: page 1, then page 2 answering the same list ends it (the
	// fake, like 勤策, documents no paging for getCustomers).
	if n := x.fakes.Waiqin.Calls("getCustomers"); n != 2 {
		t.Errorf("getCustomers called %d times, want 2", n)
	}
	if n := len(x.syncTasks(t)); n != 3 {
		t.Errorf("%d sync tasks, want 3", n)
	}
}

// TestEndToEndSourceRefuses: a customer the source refuses is reported to
// 勤策 at once with the vendor's reason, not retried, archived, and recorded.
func TestEndToEndSourceRefuses(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	x.fakes.OMS.FailNext("ar.getList", 1, omstest.Failure{Code: "2002", Msg: "非法的请求参数: shop_code C002 不存在"})
	if status := x.push(t, "refuse-1", tasks.DataTypeStatement, "C002", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitUntil(t, "C002's error log", func() bool { _, ok := x.errorLogOf("C002"); return ok })

	l, _ := x.errorLogOf("C002")
	if l.StartDate != start || utf8.RuneCountInString(l.ErrorReason) > 100 ||
		!strings.Contains(l.ErrorReason, "商派OMS") || !strings.Contains(l.ErrorReason, "非法的请求参数") {
		t.Errorf("error log %+v", l)
	}
	id := x.syncTaskID("refuse-1", "C002")
	x.waitState(t, tasks.QueueInteractive, id, "archived")
	rec, err := x.failures.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("failure record of %s: %v", id, err)
	}
	if rec.Kind != tasks.TypeStatement || rec.CustomerCode != "C002" || rec.StartDate != start || rec.TenantID != x.tenant ||
		!strings.Contains(rec.LastError, "非法的请求参数") || rec.Retried != 0 {
		t.Errorf("failure record %+v", rec)
	}
	if n := x.events.count("job " + tasks.TypeStatement + " " + tasks.OutcomeRetry); n != 0 {
		t.Errorf("a permanent failure was retried %d times", n)
	}
	if n := x.fakes.OMS.Calls("ar.getList"); n != 1 {
		t.Errorf("ar.getList called %d times, want 1", n)
	}
	if _, ok := x.statementOf("C002"); ok {
		t.Error("a statement was saved for C002")
	}
}

// TestEndToEndTransientThenSuccess: a 5xx from the source is retried (once,
// after RetryDelay) and the statement is then saved.
func TestEndToEndTransientThenSuccess(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	x.fakes.OMS.FailNext("ar.getList", 1, omstest.Failure{Status: 500})
	if status := x.push(t, "transient-1", tasks.DataTypeStatement, "C001", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 1)
	id := x.syncTaskID("transient-1", "C001")
	x.waitState(t, tasks.QueueInteractive, id, "completed")

	if n := x.events.count("job " + tasks.TypeStatement + " " + tasks.OutcomeRetry); n != 1 {
		t.Errorf("retries observed %d, want 1", n)
	}
	if info, err := x.inspector.GetTaskInfo(tasks.QueueInteractive, id); err != nil || info.Retried != 1 {
		t.Errorf("task %s: retried %v, want 1 (%v)", id, retried(info), err)
	}
	if n := x.fakes.OMS.Calls("ar.getList"); n != 2 {
		t.Errorf("ar.getList called %d times, want 2 (the 500, then the page)", n)
	}
	if _, ok := x.statementOf("C001"); !ok || len(x.fakes.Waiqin.StatementErrors()) != 0 {
		t.Errorf("statement saved %v, error logs %v", ok, x.fakes.Waiqin.StatementErrors())
	}
	if _, err := x.failures.Get(context.Background(), id); !errors.Is(err, failures.ErrNotFound) {
		t.Errorf("failure record of a job that succeeded: %v", err)
	}
}

// TestEndToEndSamePushTwice: 勤策 sending a push again (same msgId) queues
// nothing more, and a re-run of the fan-out adds no task: one set of jobs,
// each statement saved once.
func TestEndToEndSamePushTwice(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	for i, want := range []string{`"return_msg":"success"`, "already queued"} {
		if status, body := x.pushBody(t, "twice-1", tasks.DataTypeStatement, "C001,C002,C003", start, end); status != 200 || !strings.Contains(body, want) {
			t.Fatalf("push %d: %d %s", i+1, status, body)
		}
	}
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 3)
	for _, c := range []string{"C001", "C002", "C003"} {
		x.waitState(t, tasks.QueueInteractive, x.syncTaskID("twice-1", c), "completed")
	}
	// Once the jobs completed, again: still "already queued".
	if status, body := x.pushBody(t, "twice-1", tasks.DataTypeStatement, "C001,C002,C003", start, end); status != 200 || !strings.Contains(body, "already queued") {
		t.Fatalf("push after completion: %d %s", status, body)
	}
	// The fan-out itself run again (as after a worker crash) adds nothing.
	pushInfo, err := x.inspector.GetTaskInfo(tasks.QueuePush, tasks.PushTaskID(x.tenant, "twice-1"))
	if err != nil {
		t.Fatal(err)
	}
	// (Configured as the worker is: the same lane, so the same queue.)
	h := &tasks.Handlers{Enqueuer: asynq.NewClientFromRedisClient(x.rdb), InteractiveMax: x.cfg.InteractiveMaxCustomers}
	if err := h.HandlePush(context.Background(), asynq.NewTask(tasks.TypePush, pushInfo.Payload)); err != nil {
		t.Fatal(err)
	}

	all := x.syncTasks(t)
	if len(all) != 3 {
		t.Fatalf("%d sync tasks, want 3", len(all))
	}
	for _, i := range all {
		if i.State != asynq.TaskStateCompleted {
			t.Errorf("%s is %s", i.ID, i.State)
		}
	}
	// Every task of the push is done, none can run again: the counts are final.
	if n := x.fakes.Waiqin.Calls("saveStatement"); n != 3 {
		t.Errorf("saveStatement called %d times, want 3", n)
	}
	if n := len(x.fakes.Waiqin.Statements()); n != 3 {
		t.Errorf("勤策 holds %d statements", n)
	}
	if n := x.events.count("job " + tasks.TypePush + " " + tasks.OutcomeOK); n != 1 {
		t.Errorf("the push was fanned out %d times by the worker", n)
	}
}

// TestEndToEndWorkerRestart: a worker stopped while a job waits on the
// source hands the job back; the next worker saves the statement, once.
func TestEndToEndWorkerRestart(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	held := make(chan struct{}, 1)
	x.fakes.OMS.FailNext("ar.getList", 1, omstest.Failure{Delay: time.Minute, Held: held})
	if status := x.push(t, "restart-1", tasks.DataTypeStatement, "C001", start, end); status != 200 {
		t.Fatal(status)
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the job never reached the source")
	}
	id := x.syncTaskID("restart-1", "C001")
	if got := x.taskState(tasks.QueueInteractive, id); got != "active" {
		t.Fatalf("held task is %s", got)
	}
	// Close waits ShutdownTimeout (1 s) for the job, then puts it back.
	if err := x.worker.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := x.taskState(tasks.QueueInteractive, id); got != "pending" {
		t.Fatalf("after the worker stopped the task is %s, want pending", got)
	}
	if n := x.fakes.Waiqin.Calls("saveStatement"); n != 0 {
		t.Fatalf("saveStatement called %d times before the restart", n)
	}

	x.worker = x.startWorker(t)
	x.events.waitFor(t, "saved "+tasks.TypeStatement, 1)
	x.waitState(t, tasks.QueueInteractive, id, "completed")
	s, ok := x.statementOf("C001")
	if !ok {
		t.Fatal("no statement for C001")
	}
	n := 0
	for _, o := range x.fakes.Waiqin.Statements() {
		if o.SerialNo == s.SerialNo {
			n++
		}
	}
	if n != 1 || x.fakes.Waiqin.Calls("saveStatement") != 1 {
		t.Errorf("statement %s held %d times, saveStatement called %d times", s.SerialNo, n, x.fakes.Waiqin.Calls("saveStatement"))
	}
	if n := x.fakes.OMS.Calls("ar.getList"); n != 2 {
		t.Errorf("ar.getList called %d times, want 2 (held, then again)", n)
	}
	if _, err := x.failures.Get(context.Background(), id); !errors.Is(err, failures.ErrNotFound) {
		t.Errorf("failure record of a job handed back: %v", err)
	}
}

// TestEndToEndWaiqinRejects: 勤策 refusing the statement is reported with
// saveStatementError at once, and the job archived.
func TestEndToEndWaiqinRejects(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	x.fakes.Waiqin.FailNext("saveStatement", 1, waiqintest.Failure{Code: waiqintest.CodeValidation, Message: "trade.detail.amount 格式不正确"})
	if status := x.push(t, "reject-1", tasks.DataTypeStatement, "C001", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitUntil(t, "C001's error log", func() bool { _, ok := x.errorLogOf("C001"); return ok })

	l, _ := x.errorLogOf("C001")
	if l.StartDate != start || utf8.RuneCountInString(l.ErrorReason) > 100 ||
		!strings.Contains(l.ErrorReason, "勤策") || !strings.Contains(l.ErrorReason, "100608") || !strings.Contains(l.ErrorReason, "格式不正确") {
		t.Errorf("error log %+v", l)
	}
	id := x.syncTaskID("reject-1", "C001")
	x.waitState(t, tasks.QueueInteractive, id, "archived")
	if _, err := x.failures.Get(context.Background(), id); err != nil {
		t.Errorf("failure record: %v", err)
	}
	if n := x.fakes.Waiqin.Calls("saveStatement"); n != 1 {
		t.Errorf("saveStatement called %d times, want 1 (not retried)", n)
	}
	if _, ok := x.statementOf("C001"); ok {
		t.Error("勤策 holds the refused statement")
	}
}

// TestEndToEndReportRetried: when the error-log call itself fails, a
// ksf:report job is queued and delivers the error log later.
func TestEndToEndReportRetried(t *testing.T) {
	t.Parallel()
	x := setupE2E(t)
	start, end := lastMonth()
	x.fakes.OMS.FailNext("ar.getList", 1, omstest.Failure{Code: "2002", Msg: "非法的请求参数"})
	x.fakes.Waiqin.FailNext("saveStatementError", 1, waiqintest.Failure{Status: 503})
	if status := x.push(t, "report-1", tasks.DataTypeStatement, "C003", start, end); status != 200 {
		t.Fatal(status)
	}
	x.events.waitFor(t, "job "+tasks.TypeReport+" "+tasks.OutcomeOK, 1)

	l, ok := x.errorLogOf("C003")
	if !ok || l.StartDate != start || !strings.Contains(l.ErrorReason, "非法的请求参数") {
		t.Errorf("error log %+v (%v)", l, ok)
	}
	if c, r := x.fakes.Waiqin.Calls("saveStatementError"), x.fakes.Waiqin.Refused("saveStatementError"); c != 2 || r != 1 {
		t.Errorf("saveStatementError: %d calls, %d refused; want 2 and 1", c, r)
	}
	if n := x.events.count("errorlog " + tasks.TypeStatement); n != 1 {
		t.Errorf("error logs sent %d, want 1 (by the report job)", n)
	}
	id := x.syncTaskID("report-1", "C003")
	x.waitState(t, tasks.QueueInteractive, id, "archived")
	if _, err := x.failures.Get(context.Background(), id); err != nil {
		t.Errorf("failure record of the sync job: %v", err)
	}
}
