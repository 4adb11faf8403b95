package waiqin_test

import (
	"context"
	"fmt"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
)

// A worker saves a statement, and reports a customer it cannot build one
// for; a refusal by 勤策 is permanent (report, do not retry).
func Example() {
	fake := waiqintest.New(waiqintest.Config{OpenID: "5465103569540931532", AppKey: "BFCO0PAgIUgd50c0l6", Customers: []string{"C1", "C2"}})
	defer fake.Close()

	c, err := waiqin.New(waiqin.Config{BaseURL: fake.URL, OpenID: "5465103569540931532", AppKey: "BFCO0PAgIUgd50c0l6", CallOptions: upstream.CallOptions{RPS: 50}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	err = c.SaveStatement(ctx, &statement.Statement{
		SerialNo: "HK2026010120260131ab12", CustomerCode: "C1", StartDate: "2026-01-01", EndDate: "2026-01-31",
		BeginBalance: "0.00", Zjkje: "0.00", Zchje: "0.00", Zthje: "0.00", Zqmye: "0.00", Zchsl: "0", Zthsl: "0", Zjcsl: "0",
	})
	fmt.Println("saved:", err == nil, len(fake.Statements()))

	_ = c.GetCustomers(ctx, func(cu waiqin.Customer) error {
		fmt.Println("customer", cu.CustomerCode)
		return nil
	})

	fake.FailNext(waiqin.IfaceSaveStatementError, 1, waiqintest.Failure{Code: "100608", Message: "错误原因不能为空"})
	err = c.SaveStatementError(ctx, statement.ErrorLog{CustomerCode: "C2", StartDate: "2026-01-01", ErrorReason: "OMS: 店铺不存在"})
	fmt.Println(err, retry.IsPermanent(err))
	// Output:
	// saved: true 1
	// customer C1
	// customer C2
	// waiqin saveStatementError: code 100608: 错误原因不能为空 true
}
