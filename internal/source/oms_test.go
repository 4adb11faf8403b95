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
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/oms"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
)

func setupOMS(t *testing.T) (*omstest.Server, *oms.Client) {
	t.Helper()
	fake := omstest.New(omstest.Config{Flag: "ksf", Token: "tok"})
	t.Cleanup(fake.Close)
	c, err := oms.New(oms.Config{BaseURL: fake.URL, Flag: "ksf", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	d := decimal.RequireFromString
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// C1 (shop S1, account A1) in October 2026: a sale of 1000, a return of 200, a payment of 500.
	must(fake.AddBill(omstest.Bill{ShopCode: "S1", BillBN: "B1", BillType: "销售单", Amount: d("1000.00"), CreateTime: "2026-10-03 09:00:00",
		Items: []omstest.Item{{ItemCode: "P1", ItemName: "可乐", Amount: d("600"), Quantity: d("60")}, {ItemCode: "P2", ItemName: "雪碧", Amount: d("400"), Quantity: d("40")}}}))
	must(fake.AddBill(omstest.Bill{ShopCode: "S1", BillBN: "R1", BillType: "退货单", Amount: d("-200.00"), CreateTime: "2026-10-20 15:00:00",
		Items: []omstest.Item{{ItemCode: "P1", ItemName: "可乐", Amount: d("-200"), Quantity: d("-20")}}}))
	must(fake.AddBill(omstest.Bill{ShopCode: "S1", BillBN: "B9", BillType: "销售单", Amount: d("77"), CreateTime: "2026-11-01 00:00:00"}))
	must(fake.AddBill(omstest.Bill{ShopCode: "S2", BillBN: "B2", BillType: "销售单", Amount: d("55"), CreateTime: "2026-10-05 00:00:00"}))
	must(fake.AddTransaction(omstest.Transaction{TransID: "T1", AccountID: "A1", TransType: "expense", Amount: d("1000"), Balance: d("1000"), TransTime: "2026-10-03 09:00:00"}))
	must(fake.AddTransaction(omstest.Transaction{TransID: "T2", AccountID: "A1", TransType: "income", Amount: d("500"), Balance: d("1500"), TransTime: "2026-10-10 11:00:00", Remark: "转账"}))
	// C2 (account A2): nothing in October, a transaction in November gives the balances.
	must(fake.AddTransaction(omstest.Transaction{TransID: "T3", AccountID: "A2", TransType: "income", Amount: d("100"), Balance: d("700"), TransTime: "2026-11-02 10:00:00"}))
	// C3 (account A3): no transaction ever: the current balance.
	fake.SetBalance(omstest.Account{AccountID: "A3", Balance: d("321.00")})
	return fake, c
}

func TestOMSGoods(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Now() }
	tests := []struct {
		name, customer                                string
		wantTrades, wantDetails                       int
		zchje, zthje, zjkje, begin, end, zchsl, zthsl string
		wantDiff                                      bool
	}{
		// begin = 1000+1000 (before the expense), end 1500: 1500−2000 = −500 vs 500−(1000−200) = −300: 对账差异 −200.
		{"bills and payments", "C1", 3, 3, "1000.00", "200.00", "500.00", "2000.00", "1500.00", "100", "20", true},
		{"balance from a later transaction", "C2", 0, 0, "0.00", "0.00", "0.00", "600.00", "600.00", "0", "0", false},
		{"current balance", "C3", 0, 0, "0.00", "0.00", "0.00", "321.00", "321.00", "0", "0", false},
	}
	_, client := setupOMS(t)
	b := &source.OMSGoods{Client: client, Now: now, DetailConcurrency: 2,
		Maps: maps(t, "C1,S1,A1,,\nC2,S2x,A2,,\nC3,S3,A3,,\n")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			built, err := b.Build(context.Background(), job(tasks.DataTypeStatement, tt.customer, "2026-10-01", "2026-10-31"))
			if err != nil {
				t.Fatal(err)
			}
			s := built.Statement
			details := 0
			for _, tr := range s.Trade {
				details += len(tr.Detail)
			}
			if len(s.Trade) != tt.wantTrades || details != tt.wantDetails || s.Zchje != tt.zchje || s.Zthje != tt.zthje ||
				s.Zjkje != tt.zjkje || s.BeginBalance != tt.begin || s.Zqmye != tt.end || s.Zchsl != tt.zchsl ||
				s.Zthsl != tt.zthsl || built.Difference != tt.wantDiff {
				t.Fatalf("statement = %+v (difference %v)", s, built.Difference)
			}
			if tt.wantDiff && (len(s.Exts) == 0 || s.Exts[len(s.Exts)-1].Value != "-200.00") {
				t.Fatalf("exts = %+v", s.Exts)
			}
		})
	}
}

func TestOMSGoodsDetailFailure(t *testing.T) {
	t.Parallel()
	fake, client := setupOMS(t)
	fake.FailNext(oms.MethodARDetail, 1, omstest.Failure{Code: "1003", Msg: "签名错误"})
	b := &source.OMSGoods{Client: client, Maps: maps(t, "C1,S1,A1,,\n")}
	_, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C1", "2026-10-01", "2026-10-31"))
	if e, ok := upstream.As(err); !ok || !e.Permanent || e.Op != oms.MethodARDetail {
		t.Fatalf("err = %v, want the permanent ar.getDetail failure", err)
	}
	// Each bill was asked once at most: no repeat the vendor would refuse.
	if n := fake.Calls(oms.MethodARDetail); n > 2 {
		t.Fatalf("ar.getDetail called %d times for 2 bills", n)
	}
}

func TestOMSGoodsUnknownAccount(t *testing.T) {
	t.Parallel()
	_, client := setupOMS(t)
	b := &source.OMSGoods{Client: client, Maps: maps(t, "C4,S4,A-none,,\n")}
	_, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C4", "2026-10-01", "2026-10-31"))
	if !retry.IsPermanent(err) || errors.Is(err, reconcile.ErrInvalidInput) {
		t.Fatalf("err = %v, want permanent unknown account", err)
	}
}

func TestOMSExpense(t *testing.T) {
	t.Parallel()
	_, client := setupOMS(t)
	b := &source.OMSExpense{Client: client, Maps: maps(t, "C1,S1,A1,,\n")}
	built, err := b.Build(context.Background(), job(tasks.DataTypeExpense, "C1", "2026-10-01", "2026-10-31"))
	if err != nil {
		t.Fatal(err)
	}
	if e := built.Expense; len(e.Trade) != 2 || e.Trade[0].VoucherNo != "T1" || e.Trade[1].TradeType != "转账" {
		t.Fatalf("expense = %+v", e)
	}
}

// TestOMSGoodsSeveralShops: a map cell S1#S2 fetches the bills of both
// shops (issue 10, item 5).
func TestOMSGoodsSeveralShops(t *testing.T) {
	t.Parallel()
	_, client := setupOMS(t)
	b := &source.OMSGoods{Client: client, Maps: maps(t, "C1,S1#S2,A1,,\n")}
	built, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C1", "2026-10-01", "2026-10-31"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range built.Statement.Trade {
		got = append(got, tr.VoucherNo)
	}
	// B1 and R1 of S1, B2 of S2, the payment T2.
	if strings.Join(got, ",") != "B1,B2,T2,R1" || built.Statement.Zchje != "1055.00" {
		t.Fatalf("trades %v, zchje %s", got, built.Statement.Zchje)
	}
}

// TestUnlistedCustomerRefused: with a map configured, a customer it does not
// list is refused before any vendor call, with a Chinese reason; identity
// must be asked for (issue 10, item 4).
func TestUnlistedCustomerRefused(t *testing.T) {
	t.Parallel()
	fake, client := setupOMS(t)
	b := &source.OMSGoods{Client: client, Maps: maps(t, "C9,S9,A9,,\n")}
	_, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C1", "2026-10-01", "2026-10-31"))
	if !retry.IsPermanent(err) || !errors.Is(err, customermap.ErrUnlisted) || !strings.Contains(tasks.Reason(err), "不在ksfsync的客户映射表中") {
		t.Fatalf("err = %v (reason %q)", err, tasks.Reason(err))
	}
	if n := fake.Calls(oms.MethodARList); n != 0 {
		t.Fatalf("OMS asked %d times", n)
	}
	m := maps(t, "C9,S9,A9,,\n")
	m[""] = m[""].WithUnlisted(customermap.UnlistedIdentity)
	b.Maps = m
	// Identity: the code is every id, so OMS is asked (and has no account C3).
	if _, err := b.Build(context.Background(), job(tasks.DataTypeStatement, "C3", "2026-10-01", "2026-10-31")); errors.Is(err, customermap.ErrUnlisted) || fake.Calls(oms.MethodARList) != 1 {
		t.Fatalf("identity: %v", err)
	}
}
