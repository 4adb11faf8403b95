package oms_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/oms"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
)

// A goods statement's sources for customer C001 in November: its AR bills
// with their items, and the payments into its account.
func Example() {
	fake := omstest.New(omstest.Config{Flag: "ksf", Token: "tok"})
	defer fake.Close()
	if err := fake.Load(omstest.DemoSeed()); err != nil {
		panic(err)
	}

	c, err := oms.New(oms.Config{BaseURL: fake.URL, Flag: "ksf", Token: "tok", CallOptions: upstream.CallOptions{RPS: 50}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, tz.Shanghai)
	end := time.Date(2026, 11, 30, 23, 59, 59, 0, tz.Shanghai)

	err = c.ARList(ctx, oms.ARQuery{ShopCodes: []string{"C001"}, Start: start, End: end}, func(b oms.ARBill) error {
		d, err := c.ARDetail(ctx, b.BillBN)
		if err != nil {
			return err
		}
		fmt.Println(b.CreateTime.Format("01-02"), b.BillBN, b.BillType, b.Amount.StringFixed(2), len(d.Items), "item(s)")
		return nil
	})
	if err != nil {
		panic(err)
	}
	q := oms.TxQuery{AccountID: "ACC-C001", Start: start, End: end, TransType: oms.TransIncome}
	err = c.Transactions(ctx, q, func(t oms.Transaction) error {
		fmt.Println(t.TransTime.Format("01-02"), t.TransID, t.Amount.StringFixed(2), "balance", t.Balance.StringFixed(2))
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// 11-01 AR202611010001 销售单 1280.00 2 item(s)
	// 11-12 AR202611120002 销售单 960.50 1 item(s)
	// 11-20 AR202611200003 销售退货单 -96.00 1 item(s)
	// 11-03 TX202611030001 2000.00 balance 2500.00
	// 11-25 TX202611250003 500.00 balance 1720.00
}
