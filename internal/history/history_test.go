package history_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

const testDB = 6 // this package's database on the real test server

type counter struct {
	mu      sync.Mutex
	dropped map[string]int
	failed  int
}

func (c *counter) HistoryDropped(what string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped == nil {
		c.dropped = map[string]int{}
	}
	c.dropped[what] += n
}

func (c *counter) HistoryWriteFailed() { c.mu.Lock(); c.failed++; c.mu.Unlock() }

func (c *counter) get(what string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.dropped[what] }

type env struct {
	store  *history.Store
	rdb    *redis.Client
	obs    *counter
	tenant string // unique per test: the real Redis database is shared
	r      *redistest.Redis
}

func setup(t *testing.T, opt history.Options) *env {
	t.Helper()
	r := redistest.New(t, testDB)
	o, err := redis.ParseURL(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(o)
	t.Cleanup(func() { _ = rdb.Close() })
	obs := &counter{}
	opt.Observer = obs
	return &env{store: history.New(rdb, opt), rdb: rdb, obs: obs, r: r,
		tenant: fmt.Sprintf("t-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())}
}

var at = time.Date(2026, 11, 2, 9, 0, 0, 0, tz.Shanghai)

func goods(tenant, customer, start, end string, diff string) tasks.Run {
	st := &statement.Statement{SerialNo: "HK" + start + customer, CustomerCode: customer, StartDate: start, EndDate: end,
		BeginBalance: "100.00", Zjkje: "500.00", Zchje: "800.00", Zthje: "120.00", Zqmye: "-100.00",
		Zchsl: "10", Zthsl: "2", Zjcsl: "8",
		Trade: []statement.Trade{{SerialNo: "1", VoucherNo: "AR1", TradeAmount: "800.00",
			Detail: []statement.Detail{{ProductCode: "P1", Amount: "800.00", Number: "10"}}},
			{SerialNo: "2", VoucherNo: "AR2", TradeDesc: "退货", TradeAmount: "120.00"}}}
	b := &tasks.Built{Statement: st, Lines: 3}
	if diff != "" {
		b.Difference, b.DifferenceAmount = true, decimal.RequireFromString(diff)
	}
	return tasks.Run{Sync: tasks.Sync{TenantID: tenant, MsgID: "m-" + customer, DataType: tasks.DataTypeStatement,
		CustomerCode: customer, StartDate: start, EndDate: end}, TaskID: "sync:" + customer, Outcome: tasks.RunSaved,
		Source: "oms", Built: b, At: at, Took: 12 * time.Millisecond}
}

func TestRecordRunKeepsRecordRunsAndBody(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	ctx := context.Background()
	e.store.RecordRun(ctx, goods(e.tenant, "C002", "2026-10-01", "2026-10-31", "-120"))

	p := history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeStatement, StartDate: "2026-10-01", EndDate: "2026-10-31"}
	rec, err := e.store.Get(ctx, p, "C002")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != "saved" || rec.Difference != "-120.00" || rec.Trades != 2 || rec.Details != 1 ||
		rec.Totals.Zthje != "120.00" || rec.Totals.Zqmye != "-100.00" || rec.Source != "oms" || rec.StatementNo == "" ||
		!rec.BodyKept || rec.MsgID != "m-C002" || rec.TookMs != 12 || !rec.At.Equal(at) {
		t.Fatalf("record = %+v", rec)
	}
	var st statement.Statement
	if err := e.store.Body(ctx, p, "C002", &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Trade) != 2 || st.Trade[0].Detail[0].ProductCode != "P1" || st.Zchje != "800.00" {
		t.Fatalf("body = %+v", st)
	}
	runs, err := e.store.Runs(ctx, p, "C002")
	if err != nil || len(runs) != 1 || runs[0].Difference != "-120.00" {
		t.Fatalf("runs = %+v, %v", runs, err)
	}
	if _, err := e.store.Get(ctx, p, "C404"); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("missing customer: %v", err)
	}
	if err := e.store.Body(ctx, p, "C404", &st); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("missing body: %v", err)
	}
}

func TestFailedRunKeepsVendorReasonAndLastBody(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	ctx := context.Background()
	ok := goods(e.tenant, "C001", "2026-10-01", "2026-10-31", "")
	e.store.RecordRun(ctx, ok)
	fail := ok
	fail.Built, fail.Outcome, fail.At = nil, tasks.RunFailed, at.Add(time.Hour)
	fail.Err = &upstream.Error{Vendor: "oms", Op: "ar.getList", Code: "e000002", Message: "shop not found", Permanent: true}
	fail.Reason = tasks.Reason(fail.Err)
	fail.TaskID = "sync:again"
	e.store.RecordRun(ctx, fail)

	p := history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeStatement, StartDate: "2026-10-01", EndDate: "2026-10-31"}
	rec, err := e.store.Get(ctx, p, "C001")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != "failed" || rec.Vendor != "oms" || !strings.Contains(rec.Reason, "商派OMS") || !strings.Contains(rec.Reason, "e000002") ||
		!strings.Contains(rec.Error, "shop not found") || rec.Totals != nil || rec.TaskID != "sync:again" {
		t.Fatalf("failed record = %+v", rec)
	}
	// The body of the last built statement stays for the detail view.
	var st statement.Statement
	if err := e.store.Body(ctx, p, "C001", &st); err != nil || st.Zchje != "800.00" {
		t.Fatalf("body after a failure: %+v, %v", st, err)
	}
	runs, _ := e.store.Runs(ctx, p, "C001")
	if len(runs) != 2 || runs[0].Outcome != "failed" || runs[1].Outcome != "saved" {
		t.Fatalf("runs = %+v", runs)
	}
}

func TestCapsDropTheOldestAndCountIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("runs", func(t *testing.T) {
		t.Parallel()
		e := setup(t, history.Options{Runs: 3})
		for i := range 5 {
			r := goods(e.tenant, "C1", "2026-10-01", "2026-10-31", "")
			r.At, r.TaskID = at.Add(time.Duration(i)*time.Minute), fmt.Sprintf("task-%d", i)
			e.store.RecordRun(ctx, r)
		}
		p := history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeStatement, StartDate: "2026-10-01", EndDate: "2026-10-31"}
		runs, err := e.store.Runs(ctx, p, "C1")
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 3 || runs[0].TaskID != "task-4" || runs[2].TaskID != "task-2" {
			t.Fatalf("runs = %v", runs)
		}
		if got := e.obs.get(history.DroppedRun); got != 2 {
			t.Fatalf("dropped runs counted %d, want 2", got)
		}
	})
	t.Run("body", func(t *testing.T) {
		t.Parallel()
		e := setup(t, history.Options{BodyMaxBytes: 64})
		e.store.RecordRun(ctx, goods(e.tenant, "C1", "2026-10-01", "2026-10-31", ""))
		p := history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeStatement, StartDate: "2026-10-01", EndDate: "2026-10-31"}
		rec, err := e.store.Get(ctx, p, "C1")
		if err != nil || rec.BodyKept {
			t.Fatalf("record %+v, %v: the body is over the cap", rec, err)
		}
		var st statement.Statement
		if err := e.store.Body(ctx, p, "C1", &st); !errors.Is(err, history.ErrNotFound) {
			t.Fatalf("body over the cap was kept: %v", err)
		}
		if got := e.obs.get(history.DroppedBody); got != 1 {
			t.Fatalf("dropped bodies counted %d, want 1", got)
		}
	})
	t.Run("periods", func(t *testing.T) {
		t.Parallel()
		e := setup(t, history.Options{MaxPeriods: 2})
		// The store is global: this test owns its database only on miniredis.
		if e.r.Real() {
			t.Skip("MaxPeriods counts every period of the shared database; covered with miniredis")
		}
		months := []string{"2026-08", "2026-09", "2026-10"}
		for i, m := range months {
			r := goods(e.tenant, "C1", m+"-01", m+"-28", "")
			r.At = at.Add(time.Duration(i) * time.Hour)
			e.store.RecordRun(ctx, r)
		}
		ps, err := e.store.Periods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].StartDate != "2026-10-01" || ps[1].StartDate != "2026-09-01" {
			t.Fatalf("periods = %+v", ps)
		}
		old := history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeStatement, StartDate: "2026-08-01", EndDate: "2026-08-28"}
		if _, err := e.store.Get(ctx, old, "C1"); !errors.Is(err, history.ErrNotFound) {
			t.Fatalf("evicted period still answers: %v", err)
		}
		if keys := e.r.Mini.Keys(); len(keys) != 1+2*4 { // periods + (idx, rec, body, runs) × 2
			t.Fatalf("keys left: %v", keys)
		}
		if got := e.obs.get(history.DroppedPeriod); got != 1 {
			t.Fatalf("dropped periods counted %d, want 1", got)
		}
	})
	t.Run("retention", func(t *testing.T) {
		t.Parallel()
		e := setup(t, history.Options{Retention: 30 * 24 * time.Hour})
		r := goods(e.tenant, "C1", "2026-01-01", "2026-01-31", "")
		r.At = at.AddDate(0, -6, 0)
		e.store.RecordRun(ctx, r)
		e.store.RecordRun(ctx, goods(e.tenant, "C1", "2026-10-01", "2026-10-31", ""))
		ps, _ := e.store.Periods(ctx)
		for _, p := range ps {
			if p.Tenant == e.tenant && p.StartDate == "2026-01-01" {
				t.Fatalf("a period past retention is still listed: %+v", ps)
			}
		}
		if e.obs.get(history.DroppedPeriod) < 1 {
			t.Fatal("the period past retention was not counted")
		}
		p := history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeStatement, StartDate: "2026-10-01", EndDate: "2026-10-31"}
		ttl, err := e.rdb.TTL(ctx, "ksf:history:{v1}:rec:"+strings.ReplaceAll(e.tenant, ":", "%3A")+":ksf_statement:2026-10-01:2026-10-31").Result()
		if err != nil || ttl <= 29*24*time.Hour || ttl > 30*24*time.Hour {
			t.Fatalf("ttl %v, %v: every key expires after the retention", ttl, err)
		}
		if _, err := e.store.Get(ctx, p, "C1"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListFiltersPagesNewestFirst(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	ctx := context.Background()
	// 10 customers in October (C05 and C07 with a difference, C03 failed),
	// one in September, one expense statement.
	for i := range 10 {
		c := fmt.Sprintf("C%02d", i)
		diff := ""
		if i == 5 || i == 7 {
			diff = fmt.Sprintf("-%d.5", i)
		}
		r := goods(e.tenant, c, "2026-10-01", "2026-10-31", diff)
		r.At = at.Add(time.Duration(i) * time.Minute)
		if i == 3 {
			r.Built, r.Outcome, r.Err = nil, tasks.RunFailed, errors.New("boom")
		}
		e.store.RecordRun(ctx, r)
	}
	sep := goods(e.tenant, "C00", "2026-09-01", "2026-09-30", "1")
	sep.At = at.Add(time.Hour)
	e.store.RecordRun(ctx, sep)
	exp := tasks.Run{Sync: tasks.Sync{TenantID: e.tenant, DataType: tasks.DataTypeExpense, CustomerCode: "C01",
		StartDate: "2026-10-01", EndDate: "2026-10-31"}, Outcome: tasks.RunSaved, At: at,
		Built: &tasks.Built{Expense: &statement.Expense{StatementNo: "FY1", Trade: []statement.ExpenseTrade{{SerialNo: "1"}},
			Exts: []statement.Ext{{Key: "入账合计", Value: "10.00"}, {Key: "出账合计", Value: "3.00"}}}}}
	e.store.RecordRun(ctx, exp)

	customers := func(p history.Page) string {
		var s []string
		for _, r := range p.Items {
			s = append(s, r.Customer)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name  string
		f     history.Filter
		page  int
		size  int
		want  string
		total int
	}{
		{"month newest first", history.Filter{Month: "2026-10", Kind: "ksf:statement"}, 1, 3, "C09,C08,C07", 10},
		{"second page", history.Filter{Month: "2026-10", Kind: "ksf_statement"}, 2, 3, "C06,C05,C04", 10},
		{"past the end", history.Filter{Month: "2026-10", Kind: "ksf_statement"}, 5, 3, "", 10},
		{"difference only", history.Filter{Month: "2026-10", DifferenceOnly: true}, 1, 10, "C07,C05", 2},
		{"failed", history.Filter{Outcome: "failed"}, 1, 10, "C03", 1},
		{"customer substring", history.Filter{Customer: "c0", Period: "2026-09-01..2026-09-30"}, 1, 10, "C00", 1},
		{"expense", history.Filter{Kind: "ksf:expense"}, 1, 10, "C01", 1},
		{"other tenant", history.Filter{Tenant: "nobody"}, 1, 10, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.f.Tenant = cmpOr(tc.f.Tenant, e.tenant)
			p, err := e.store.List(ctx, tc.f, tc.page, tc.size)
			if err != nil {
				t.Fatal(err)
			}
			if got := customers(p); got != tc.want || p.Total != tc.total {
				t.Fatalf("got %q (total %d), want %q (total %d)", got, p.Total, tc.want, tc.total)
			}
		})
	}

	sum, err := e.store.Summarize(ctx, history.Filter{Tenant: e.tenant, Month: "2026-10"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Customers != 10 || sum.Statements != 11 || sum.Saved != 10 || sum.Failed != 1 || sum.Difference != 2 ||
		sum.DifferenceSum != "-13.00" || len(sum.Differences) != 2 || sum.Differences[0].Customer != "C07" {
		t.Fatalf("summary = %+v", sum)
	}
	months, err := e.store.Months(ctx, history.Filter{Tenant: e.tenant, Month: "2026-10", Kind: "ksf_statement"}, 3)
	if err != nil || len(months) != 3 || months[0].Month != "2026-08" || months[1].Statements != 1 || months[2].Statements != 10 {
		t.Fatalf("months = %+v, %v", months, err)
	}
	rec, _ := e.store.Get(ctx, history.PeriodKey{Tenant: e.tenant, DataType: tasks.DataTypeExpense, StartDate: "2026-10-01", EndDate: "2026-10-31"}, "C01")
	if rec.Totals == nil || rec.Totals.TotalIn != "10.00" || rec.Totals.TotalOut != "3.00" || rec.Trades != 1 {
		t.Fatalf("expense record = %+v", rec)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestBadFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	for _, f := range []history.Filter{{Kind: "ksf:push"}, {Month: "2026-13"}, {Period: "2026-10-01"}, {Outcome: "ok"}} {
		if _, err := e.store.List(context.Background(), f, 1, 10); !errors.Is(err, history.ErrBadFilter) {
			t.Errorf("%+v: %v, want ErrBadFilter", f, err)
		}
	}
	if _, err := e.store.Summarize(context.Background(), history.Filter{}); !errors.Is(err, history.ErrBadFilter) {
		t.Errorf("summary without month: %v", err)
	}
}

func TestTenantWithColonRoundTrips(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	tenant := e.tenant + ":a%b"
	e.store.RecordRun(context.Background(), goods(tenant, "C1", "2026-10-01", "2026-10-31", ""))
	p, err := e.store.List(context.Background(), history.Filter{Tenant: tenant}, 1, 10)
	if err != nil || p.Total != 1 || p.Items[0].Tenant != tenant {
		t.Fatalf("%+v, %v", p, err)
	}
}

func TestWriteFailureIsCountedNotFatal(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	_ = e.rdb.Close()
	e.store.RecordRun(context.Background(), goods(e.tenant, "C1", "2026-10-01", "2026-10-31", ""))
	if e.obs.failed != 1 {
		t.Fatalf("write failures counted %d, want 1", e.obs.failed)
	}
}

func TestAsyncWritesEverythingByClose(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	a := history.NewAsync(e.store, 4) // smaller than the runs: RecordRun must wait, not drop
	ctx := context.Background()
	for i := range 20 {
		a.RecordRun(ctx, goods(e.tenant, fmt.Sprintf("C%02d", i), "2026-10-01", "2026-10-31", ""))
	}
	a.Flush()
	if p, err := e.store.List(ctx, history.Filter{Tenant: e.tenant}, 1, 100); err != nil || p.Total != 20 {
		t.Fatalf("after Flush: %d, %v", p.Total, err)
	}
	a.RecordRun(ctx, goods(e.tenant, "C20", "2026-10-01", "2026-10-31", ""))
	a.Close()
	a.Close()                                                                // twice is harmless
	a.RecordRun(ctx, goods(e.tenant, "C21", "2026-10-01", "2026-10-31", "")) // after Close: written at once
	if p, err := e.store.List(ctx, history.Filter{Tenant: e.tenant}, 1, 100); err != nil || p.Total != 22 {
		t.Fatalf("after Close: %d, %v", p.Total, err)
	}
}

// A page is at most MaxPageSize; an export has every match up to its limit.
func TestExportIsNotCappedByThePageSize(t *testing.T) {
	t.Parallel()
	e := setup(t, history.Options{})
	ctx := context.Background()
	n := history.MaxPageSize + 50
	for i := range n {
		rec, body := history.FromRun(goods(e.tenant, fmt.Sprintf("C%05d", i), "2026-10-01", "2026-10-31", ""))
		if err := e.store.Write(ctx, rec, body); err != nil {
			t.Fatal(err)
		}
	}
	f := history.Filter{Tenant: e.tenant}
	p, err := e.store.List(ctx, f, 1, n)
	if err != nil || len(p.Items) != history.MaxPageSize || p.Total != n {
		t.Fatalf("list: %d items of %d, %v", len(p.Items), p.Total, err)
	}
	if p, err = e.store.Export(ctx, f, 100_000); err != nil || len(p.Items) != n {
		t.Fatalf("export: %d items, %v", len(p.Items), err)
	}
	if p, err = e.store.Export(ctx, f, 10); err != nil || len(p.Items) != 10 || p.Total != n {
		t.Fatalf("export limited: %d items of %d, %v", len(p.Items), p.Total, err)
	}
}
