package reconcile

import (
	"encoding/json"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
)

// bigGoods is a goods input of 50,000 trade and detail lines: 12,500 bills of
// three items (37,500 details) and their 12,500 trades.
func bigGoods() GoodsInput {
	p := mustPeriod("2024-01-01", "2024-12-31")
	in := GoodsInput{TenantID: "T1001", CustomerCode: "C-BIG", Period: p,
		Bills: make([]Bill, 12_500), Transactions: []Transaction{}, CurrentBalance: &decimal.Zero}
	amt, qty := decimal.RequireFromString("123.45"), decimal.RequireFromString("3")
	for i := range in.Bills {
		typ := "销售单"
		if i%9 == 0 {
			typ = "销售退货单"
		}
		in.Bills[i] = Bill{
			BillBN: "BILL" + strconv.Itoa(1_000_000+i), BillType: typ, Amount: decimal.RequireFromString("370.35"),
			Time:  time.Date(2024, 1, 1, 0, 0, 0, 0, tz.Shanghai).Add(time.Duration((i*7919)%500_000) * time.Minute),
			Items: []Item{{"SKU-1", "产品一", amt, qty}, {"SKU-2", "产品二", amt, qty}, {"SKU-3", "产品三", amt, qty}},
		}
	}
	return in
}

// BenchmarkBuildGoods50k builds a statement of 50,000 lines. B/op is all the
// builder allocates; the statement it returns is most of it, since it is
// what the worker then serialises and sends.
func BenchmarkBuildGoods50k(b *testing.B) {
	in := bigGoods()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		r, err := BuildGoods(in, Options{})
		if err != nil {
			b.Fatal(err)
		}
		size = len(r.Statement.Trade)
	}
	if size != 12_500 {
		b.Fatalf("%d trades", size)
	}
}

// BenchmarkBuildAndEncode50k adds the JSON encoding the worker does before
// sending, streamed to a discarding writer.
func BenchmarkBuildAndEncode50k(b *testing.B) {
	in := bigGoods()
	b.ReportAllocs()
	for b.Loop() {
		r, err := BuildGoods(in, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := json.NewEncoder(io.Discard).Encode(&r.Statement); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildGoodsChained20k builds a statement from 20,000 account
// transactions that come in same-second pairs listed against the balance
// chain (an expense before the income it follows), so every pair is
// reordered by txOrder. (No bills: the expenses show as a difference.)
func BenchmarkBuildGoodsChained20k(b *testing.B) {
	p := mustPeriod("2024-01-01", "2024-12-31")
	in := GoodsInput{TenantID: "T1001", CustomerCode: "C-CHAIN", Period: p, Transactions: make([]Transaction, 0, 20_000)}
	bal := decimal.NewFromInt(1_000_000)
	hundred, fifty := decimal.NewFromInt(100), decimal.NewFromInt(50)
	for i := range 10_000 {
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, tz.Shanghai).Add(time.Duration(i) * 30 * time.Minute)
		inc := bal.Add(hundred)
		exp := inc.Sub(fifty)
		in.Transactions = append(in.Transactions,
			Transaction{ID: "E" + strconv.Itoa(i), Type: "expense", Amount: fifty, Balance: exp, Time: at},
			Transaction{ID: "I" + strconv.Itoa(i), Type: "income", Amount: hundred, Balance: inc, Time: at})
		bal = exp
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := BuildGoods(in, Options{})
		if err != nil {
			b.Fatal(err)
		}
		// The chain starts at the first income, not at the expense listed first.
		if !r.Totals.BeginBalance.Equal(decimal.NewFromInt(1_000_000)) || !r.Totals.EndBalance.Equal(bal) {
			b.Fatalf("balances %s..%s", r.Totals.BeginBalance, r.Totals.EndBalance)
		}
	}
}
