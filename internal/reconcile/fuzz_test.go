package reconcile

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/retry"
)

// fuzzGoods derives a goods input from the fuzzer's values: random bills,
// items and transactions in cents and tenths (so printed sums are exact),
// with the fuzzer's own strings as names, bill types and codes.
func fuzzGoods(seed uint64, nBills, nTx uint8, name, code, billType string) GoodsInput {
	r := rand.New(rand.NewPCG(seed, seed>>7))
	p := mustPeriod("2024-02-01", "2024-02-29")
	when := func() time.Time {
		return p.Start.Add(time.Duration(r.IntN(29*24*60)) * time.Minute)
	}
	in := GoodsInput{TenantID: "T", CustomerCode: code, Period: p}
	types := []string{"销售单", "销售退货单", billType}
	for i := range int(nBills % 40) {
		b := Bill{
			BillBN:   "B" + strconv.Itoa(r.IntN(50)), // repeated numbers on purpose
			BillType: types[r.IntN(len(types))],
			Amount:   decimal.New(r.Int64N(2_000_000)-1_000_000, -2),
			Time:     when(),
		}
		for j := range r.IntN(4) {
			b.Items = append(b.Items, Item{
				Code: code[:min(len(code), j*4)], Name: name,
				Amount: decimal.New(r.Int64N(200_000)-100_000, -2), Quantity: decimal.New(r.Int64N(2000)-1000, -1),
			})
		}
		if i%7 == 3 {
			b.Time = in.Bills[0].Time // equal times
		}
		in.Bills = append(in.Bills, b)
	}
	for range int(nTx % 20) {
		typ := "income"
		if r.IntN(2) == 0 {
			typ = "expense"
		}
		in.Transactions = append(in.Transactions, Transaction{
			ID: "T" + strconv.Itoa(r.IntN(30)), Type: typ, Amount: decimal.New(r.Int64N(1_000_000), -2),
			Balance: decimal.New(r.Int64N(2_000_000)-1_000_000, -2), Time: when(), Remark: name,
		})
	}
	c := decimal.New(r.Int64N(1_000_000), -2)
	in.CurrentBalance = &c
	return in
}

func FuzzBuildGoods(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint8(4), "产品A", "C001", "销售单")
	f.Add(uint64(2), uint8(39), uint8(19), strings.Repeat("很长的商品名称", 10), strings.Repeat("C", 32), "退货")
	f.Add(uint64(3), uint8(0), uint8(0), "", "C", "")
	f.Add(uint64(4), uint8(3), uint8(0), "a\xffb", strings.Repeat("x", 33), "销\xff退")
	f.Fuzz(func(t *testing.T, seed uint64, nBills, nTx uint8, name, code, billType string) {
		in := fuzzGoods(seed, nBills, nTx, name, code, billType)
		res, err := BuildGoods(in, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !retry.IsPermanent(err) {
				t.Fatalf("error %v is not a permanent *Error", err)
			}
			if utf8.RuneCountInString(err.Error()) > MaxReason || e.Field == "" {
				t.Fatalf("error %q: reason too long or no field", err)
			}
			return
		}
		st := &res.Statement
		checkGoodsShape(t, st)

		// Totals recomputed from the input, independently of the builder.
		var sales, returns, salesQty, returnsQty, pay decimal.Decimal
		nPay := 0
		for _, b := range in.Bills {
			q := decimal.Zero
			for _, it := range b.Items {
				q = q.Add(it.Quantity.Abs())
			}
			if strings.Contains(b.BillType, "退") {
				returns, returnsQty = returns.Add(b.Amount.Abs()), returnsQty.Add(q)
			} else {
				sales, salesQty = sales.Add(b.Amount.Abs()), salesQty.Add(q)
			}
		}
		for _, tx := range in.Transactions {
			if tx.Type == "income" {
				pay = pay.Add(tx.Amount.Abs())
				nPay++
			}
		}
		if len(st.Trade) != len(in.Bills)+nPay {
			t.Fatalf("%d trades for %d bills and %d payments", len(st.Trade), len(in.Bills), nPay)
		}
		want := map[string][2]string{
			"zchje": {st.Zchje, sales.StringFixed(2)}, "zthje": {st.Zthje, returns.StringFixed(2)},
			"zjkje": {st.Zjkje, pay.StringFixed(2)},
			"zchsl": {st.Zchsl, mustQty(salesQty)}, "zthsl": {st.Zthsl, mustQty(returnsQty)},
			"zjcsl": {st.Zjcsl, mustQty(salesQty.Sub(returnsQty))},
		}
		for k, v := range want {
			if v[0] != v[1] {
				t.Errorf("%s = %s, recomputed %s", k, v[0], v[1])
			}
		}

		// The printed rows add up to the printed totals.
		var rowsBills, rowsPay decimal.Decimal
		for _, tr := range st.Trade {
			amt := decimal.RequireFromString(tr.TradeAmount)
			if tr.TradeDesc == "缴款" && len(tr.Detail) == 0 && tr.TotalCount == "0" && strings.HasPrefix(tr.VoucherNo, "T") {
				rowsPay = rowsPay.Add(amt)
			} else {
				rowsBills = rowsBills.Add(amt)
			}
			q := decimal.Zero
			for _, d := range tr.Detail {
				q = q.Add(decimal.RequireFromString(d.Number))
			}
			if len(tr.Detail) > 0 && !q.Equal(decimal.RequireFromString(tr.TotalCount)) {
				t.Errorf("trade %s total_count %s, details add up to %s", tr.SerialNo, tr.TotalCount, q)
			}
		}
		if !rowsPay.Equal(pay) || !rowsBills.Equal(sales.Add(returns)) {
			t.Errorf("rows add up to %s paid and %s billed, totals say %s and %s", rowsPay, rowsBills, pay, sales.Add(returns))
		}

		// The reconciliation formula on the printed figures.
		num := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
		diff := num(st.Zqmye).Sub(num(st.BeginBalance)).Sub(num(st.Zjkje).Sub(num(st.Zchje).Sub(num(st.Zthje))))
		if !diff.Equal(res.Difference) || res.HasDifference != !diff.IsZero() {
			t.Errorf("difference %s (%v), recomputed %s", res.Difference, res.HasDifference, diff)
		}
		if res.HasDifference != (len(st.Exts) == 1 && st.Exts[0].Key == "对账差异" && st.Exts[0].Value == diff.StringFixed(2)) {
			t.Errorf("exts %+v do not match the difference %s", st.Exts, diff)
		}
	})
}

func mustQty(d decimal.Decimal) string {
	s, err := quantity("q", d)
	if err != nil {
		panic(err)
	}
	return s
}

// TestFuzzSeedBuilds makes sure the first seed reaches the invariants
// instead of stopping at an error.
func TestFuzzSeedBuilds(t *testing.T) {
	t.Parallel()
	in := fuzzGoods(1, 30, 15, "产品A", "C001", "销售单")
	if _, err := BuildGoods(in, Options{}); err != nil {
		t.Fatal(err)
	}
}
