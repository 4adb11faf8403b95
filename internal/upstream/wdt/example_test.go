package wdt_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt/wdttest"
)

// A shop's 抖店 bill records for December 2024, from the fake gateway seeded
// with the spec's response demo (testdata) — the real gateway is used the
// same way with the KSF_WDT_* settings.
func ExampleClient_Bills() {
	now := func() time.Time { return time.Date(2025, 1, 15, 9, 0, 0, 0, tz.Shanghai) }
	fake := wdttest.New(wdttest.Config{Now: now})
	defer fake.Close()
	seed, err := os.ReadFile("wdttest/testdata/bills.json")
	if err != nil {
		panic(err)
	}
	if err := fake.LoadJSON(seed); err != nil {
		panic(err)
	}

	client, err := wdt.New(fake.ClientConfig()) // RouterURL, keys, secrets, SID
	if err != nil {
		panic(err)
	}
	q := wdt.BillQuery{
		ShopNos:  []string{"mbal"},
		Platform: wdt.PlatformDouyinFunds,
		Type:     wdt.ByBusinessDate,
		Start:    time.Date(2024, 12, 1, 0, 0, 0, 0, tz.Shanghai),
		End:      time.Date(2024, 12, 31, 0, 0, 0, 0, tz.Shanghai),
	}
	err = client.Bills(context.Background(), q, func(b wdt.Bill) error {
		fmt.Println(b.AccountTradeNo, b.OccurTime.Format("2006-01-02 15:04:05"), b.Direction(), b.AccountAmount.StringFixed(2), b.AccountBillDesc)
		return nil
	})
	fmt.Println("err:", err)
	// Output:
	// 2024121100134601056281722392 2024-12-11 00:14:00 out 20.00 原路退
	// 2024121209300001056281722393 2024-12-12 09:30:00 in 158.30 订单结算
	// err: <nil>
}
