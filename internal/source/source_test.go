package source_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/source"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy/jdytest"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt/wdttest"
)

func job(dataType, code, start, end string) tasks.Sync {
	return tasks.Sync{TenantID: "t1", MsgID: "m1", DataType: dataType, CustomerCode: code, StartDate: start, EndDate: end}
}

func maps(t *testing.T, csv string) source.CustomerMaps {
	t.Helper()
	m, err := customermap.Parse(strings.NewReader("customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no\n" + csv))
	if err != nil {
		t.Fatal(err)
	}
	return source.CustomerMaps{"": m}
}

func TestJDYGoods(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 11, 21, 10, 0, 0, 0, tz.Shanghai)
	fake := jdytest.New(jdytest.Config{Now: func() time.Time { return today }})
	t.Cleanup(fake.Close)
	fake.SetBusiness("JDY-7", jdy.Business{
		MonthTransactionFees: decimal.RequireFromString("1200.50"), MonthRefundFees: decimal.RequireFromString("100"),
		LastMonthSalFees: decimal.RequireFromString("800"), LastMonthRefundFees: decimal.Zero,
	})
	cfg := fake.ClientConfig()
	cfg.Now = func() time.Time { return today }
	client, err := jdy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := &source.JDYGoods{Client: client, Maps: maps(t, "C7,,,JDY-7,\n"), Now: func() time.Time { return today }}

	t.Run("current month", func(t *testing.T) {
		built, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C7", "2026-11-01", "2026-11-30"))
		if err != nil {
			t.Fatal(err)
		}
		if s := built.Statement; s.Zchje != "1200.50" || s.Zthje != "100.00" || s.CustomerCode != "C7" || built.Expense != nil {
			t.Fatalf("statement = %+v", s)
		}
	})
	t.Run("last month", func(t *testing.T) {
		built, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C7", "2026-10-01", "2026-10-31"))
		if err != nil || built.Statement.Zchje != "800.00" {
			t.Fatalf("built = %+v, %v", built.Statement, err)
		}
	})
	t.Run("older period refused without a call", func(t *testing.T) {
		before := fake.BusinessRequests()
		_, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C7", "2026-08-01", "2026-08-31"))
		if !retry.IsPermanent(err) || !errors.Is(err, reconcile.ErrPeriodNotServed) {
			t.Fatalf("err = %v, want permanent period not served", err)
		}
		if fake.BusinessRequests() != before {
			t.Fatal("jdy was asked for a period it cannot serve")
		}
	})
	t.Run("bad period", func(t *testing.T) {
		_, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C7", "2026-11-30", "2026-11-01"))
		if !retry.IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestWDTExpense(t *testing.T) {
	t.Parallel()
	fake := wdttest.New(wdttest.Config{PageSize: 2}) // several pages per platform
	t.Cleanup(fake.Close)
	add := func(p wdt.Platform, no, day, amount, flow, desc string) {
		t.Helper()
		err := fake.AddBill("SHOP-9", p, map[string]any{"account_trade_no": no, "event_day": day,
			"occur_time": day + "T10:00:00", "account_amount": amount, "fund_flow": flow,
			"account_bill_desc": desc, "order_id": "O" + no})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(wdt.PlatformAlipay, "A1", "2026-11-02", "100.10", "0", "货款")
	add(wdt.PlatformAlipay, "A2", "2026-11-03", "-20.00", "1", "退款")
	add(wdt.PlatformAlipay, "A3", "2026-11-04", "5", "0", "货款")
	add(wdt.Platform("9969"), "D1", "2026-11-05", "-3.50", "1", "原路退")
	add(wdt.PlatformAlipay, "A4", "2026-12-01", "999", "0", "outside the period")
	add(wdt.PlatformAlipay, "X1", "2026-11-02", "1", "0", "another shop's") // re-added below to another shop
	cfg := fake.ClientConfig()
	cfg.Platforms = []wdt.Platform{wdt.PlatformAlipay, "9969"}
	client, err := wdt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := &source.WDTExpense{Client: client, Maps: maps(t, "C9,,,,SHOP-9\n")}
	built, err := b.Build(context.Background(), job(tasks.DataTypeExpense, "C9", "2026-11-01", "2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	e := built.Expense
	if e == nil || len(e.Trade) != 5 || e.CustomerCode != "C9" || !strings.HasPrefix(e.StatementNo, "FY20261101") {
		t.Fatalf("expense = %+v", e)
	}
	var vouchers []string
	for _, tr := range e.Trade {
		vouchers = append(vouchers, tr.VoucherNo)
	}
	if got := strings.Join(vouchers, ","); got != "A1,X1,A2,A3,D1" {
		t.Fatalf("trade order = %s", got)
	}
	exts := map[string]string{}
	for _, x := range e.Exts {
		exts[x.Key] = x.Value
	}
	// in: 100.10 + 5 + 1 ; out: 20.00 + 3.50
	if !strings.Contains(strings.Join(values(exts), ","), "106.10") || !strings.Contains(strings.Join(values(exts), ","), "23.50") {
		t.Fatalf("exts = %v", exts)
	}
}

func values(m map[string]string) []string {
	var v []string
	for _, x := range m {
		v = append(v, x)
	}
	return v
}

// TestWDTExpensePerCustomerPlatforms: a customer's wdt_platforms cell limits
// the platforms asked (one call each instead of every configured one), and
// its shops joined with '#' are all asked (issue 10, item 5).
func TestWDTExpensePerCustomerPlatforms(t *testing.T) {
	t.Parallel()
	fake := wdttest.New(wdttest.Config{})
	t.Cleanup(fake.Close)
	for _, r := range []struct {
		shop string
		p    wdt.Platform
		no   string
	}{{"W1", wdt.PlatformAlipay, "A1"}, {"W2", "9969", "D1"}, {"W2", "9939", "P1"}} {
		if err := fake.AddBill(r.shop, r.p, map[string]any{"account_trade_no": r.no, "event_day": "2026-11-02",
			"occur_time": "2026-11-02T10:00:00", "account_amount": "1.00", "fund_flow": "0"}); err != nil {
			t.Fatal(err)
		}
	}
	client, err := wdt.New(fake.ClientConfig()) // all 18 platforms configured
	if err != nil {
		t.Fatal(err)
	}
	m, err := customermap.Parse(strings.NewReader("customer_code,oms_shop_code,oms_account_id,jdy_customer_id,wdt_shop_no,wdt_platforms\n" +
		"C1,,,,W1#W2,9999#9969\nC2,,,,W2,\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := &source.WDTExpense{Client: client, Maps: source.CustomerMaps{"": m}}
	built, err := b.Build(context.Background(), job(tasks.DataTypeExpense, "C1", "2026-11-01", "2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(built.Expense.Trade); n != 2 || fake.Stats().Requests != 2 {
		t.Fatalf("%d trades in %d calls, want 2 in 2", n, fake.Stats().Requests)
	}
	if _, err := b.Build(context.Background(), job(tasks.DataTypeExpense, "C2", "2026-11-01", "2026-11-30")); err != nil {
		t.Fatal(err)
	}
	if n := fake.Stats().Requests; n != 2+18 {
		t.Fatalf("C2 without its own list asked %d platforms, want 18", n-2)
	}
}

// TestWDTDirectionFallback: a record with no fund_flow and no
// fund_flow_desc takes income_out_direction; without occur_time, create_time
// is its date (issue 10, item 7).
func TestWDTDirectionFallback(t *testing.T) {
	t.Parallel()
	fake := wdttest.New(wdttest.Config{})
	t.Cleanup(fake.Close)
	if err := fake.AddBill("W1", wdt.PlatformAlipay, map[string]any{"account_trade_no": "A1", "event_day": "2026-11-02",
		"create_time": "2026-11-03 08:09:10", "account_amount": "7.00", "income_out_direction": "1"}); err != nil {
		t.Fatal(err)
	}
	cfg := fake.ClientConfig()
	cfg.Platforms = []wdt.Platform{wdt.PlatformAlipay}
	client, err := wdt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := &source.WDTExpense{Client: client, Maps: maps(t, "C1,,,,W1\n")}
	built, err := b.Build(context.Background(), job(tasks.DataTypeExpense, "C1", "2026-11-01", "2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	tr := built.Expense.Trade[0]
	if tr.TradeDate != "2026-11-03 08:09:10" || tr.Exts[1].Value != "出账" {
		t.Fatalf("trade = %+v", tr)
	}
}
