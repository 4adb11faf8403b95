package reconcile_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/tz"
)

func ExampleBuildGoods() {
	period, err := reconcile.ParsePeriod("2024-08-01", "2024-08-31")
	if err != nil {
		panic(err)
	}
	d := decimal.RequireFromString
	at := func(day, hour int) time.Time { return time.Date(2024, 8, day, hour, 0, 0, 0, tz.Shanghai) }
	res, err := reconcile.BuildGoods(reconcile.GoodsInput{
		TenantID: "T1001", CustomerCode: "C006", Period: period,
		Bills: []reconcile.Bill{{BillBN: "D-S1", BillType: "销售单", Amount: d("500"), Time: at(5, 10),
			Items: []reconcile.Item{{Code: "Y1", Name: "商品Y1", Amount: d("500"), Quantity: d("5")}}}},
		Transactions: []reconcile.Transaction{
			// The ledger took 450 for a shipment of 500: 50 unexplained.
			{ID: "D-TX1", Type: "expense", Amount: d("450"), Balance: d("550"), Time: at(5, 11)},
			{ID: "D-TX2", Type: "income", Amount: d("300"), Balance: d("850"), Time: at(20, 16)},
		},
	}, reconcile.Options{})
	if err != nil {
		fmt.Println(err) // already short enough for saveStatementError (≤ 100 characters)
		return
	}
	st := res.Statement
	fmt.Println(st.SerialNo, len(st.Trade), "trades")
	fmt.Println("begin", st.BeginBalance, "paid", st.Zjkje, "shipped", st.Zchje, "end", st.Zqmye)
	fmt.Println(st.Exts[0].Key, st.Exts[0].Value, res.HasDifference)
	// Output:
	// HK20240801202408311c252c8f0c04 2 trades
	// begin 1000.00 paid 300.00 shipped 500.00 end 850.00
	// 对账差异 50.00 true
}
