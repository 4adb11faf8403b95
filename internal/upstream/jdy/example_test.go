package jdy_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy/jdytest"
)

func ExampleClient_CustomerBusiness() {
	fake := jdytest.New(jdytest.Config{})
	defer fake.Close()
	fake.SetBusiness("1188427222868837376", jdy.Business{
		MonthTransactionFees:  decimal.RequireFromString("2350.75"),
		MonthRefundFees:       decimal.RequireFromString("10.01"),
		LatelyTransactionDate: time.Date(2021, 6, 28, 0, 0, 0, 0, tz.Shanghai),
	})

	// In production: jdy.Config{ClientID: …, ClientSecret: …, AppKey: …,
	// AppSecret: …, Domain: …} from KSF_JDY_*.
	c, err := jdy.New(fake.ClientConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := c.CustomerBusiness(context.Background(), "1188427222868837376")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("本月交易", b.MonthTransactionFees.StringFixed(2))
	fmt.Println("本月退款", b.MonthRefundFees.StringFixed(2))
	fmt.Println("最近交易", b.LatelyTransactionDate.Format(time.DateTime))

	_, err = c.CustomerBusiness(context.Background(), "unknown")
	fmt.Println(err, "| permanent:", retry.IsPermanent(err))
	// Output:
	// 本月交易 2350.75
	// 本月退款 10.01
	// 最近交易 2021-06-28 00:00:00
	// jdy customer_business: code 2000002001: 客户不存在 | permanent: true
}
