package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
)

// manyPagesCase generates testdata/many_pages/input.json: 200 bills of two
// items and 25 payments, several pages' worth at OMS page sizes, in an input
// order that is not date order and with equal times. The check block is the
// closed form derived in testdata/README.md, not a sum computed here.
func manyPagesCase() goldenCase {
	start := time.Date(2024, 5, 1, 9, 0, 0, 0, tz.Shanghai)
	in := GoodsInput{TenantID: "T1001", CustomerCode: "C-MANY", Period: mustPeriod("2024-05-01", "2024-05-31")}
	for i := 1; i <= 200; i++ {
		typ := "销售单"
		if i%10 == 0 {
			typ = "销售退货单"
		}
		in.Bills = append(in.Bills, Bill{
			BillBN:   fmt.Sprintf("B%05d", i),
			BillType: typ,
			Amount:   decimal.RequireFromString("30.00"),
			Time:     start.Add(time.Duration(i*37%100) * time.Hour),
			Items: []Item{
				{Code: "P001", Name: "产品一", Amount: decimal.RequireFromString("10.00"), Quantity: decimal.NewFromInt(1)},
				{Code: "P002", Name: "产品二", Amount: decimal.RequireFromString("20.00"), Quantity: decimal.NewFromInt(2)},
			},
		})
	}
	for j := 1; j <= 25; j++ {
		in.Transactions = append(in.Transactions, Transaction{
			ID: fmt.Sprintf("PAY-%03d", j), Type: "income", Amount: decimal.RequireFromString("400.00"),
			Balance: decimal.RequireFromString(fmt.Sprintf("%d.00", 20000+400*j)),
			Time:    start.Add(time.Duration(4*j) * time.Hour), Remark: "银行转账",
		})
	}
	in.Transactions = append(in.Transactions, Transaction{
		ID: "EXP-001", Type: "expense", Amount: decimal.RequireFromString("4800.00"),
		Balance: decimal.RequireFromString("25200.00"),
		Time:    time.Date(2024, 5, 6, 12, 30, 0, 0, tz.Shanghai), Remark: "月结出货（已扣退货）",
	})
	raw, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	return goldenCase{Kind: "goods", Input: raw, Check: map[string]string{
		"zchje": "5400.00", "zchsl": "540", "zthje": "600.00", "zthsl": "60", "zjcsl": "480",
		"zjkje": "10000.00", "begin_balance": "20000.00", "zqmye": "25200.00",
		"trades": "225", "details": "400", "difference": "0.00", "has_difference": "false",
		"trade.0.voucher_no": "B00100", "trade.1.voucher_no": "B00200",
		"trade.2.voucher_no": "B00073", "trade.3.voucher_no": "B00173",
		"trade.8.voucher_no": "B00092", "trade.9.voucher_no": "B00192", "trade.10.voucher_no": "PAY-001",
		"trade.224.voucher_no": "PAY-025", "trade.224.serial_no": "225",
		"trade.0.trade_desc": "销售退货单", "trade.2.trade_desc": "销售单",
	}}
}

func mustPeriod(s, e string) Period {
	p, err := ParsePeriod(s, e)
	if err != nil {
		panic(err)
	}
	return p
}

// TestManyPagesInput keeps the checked-in input equal to its generator.
func TestManyPagesInput(t *testing.T) {
	t.Parallel()
	b, err := json.MarshalIndent(manyPagesCase(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "many_pages", "input.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("%s is not what manyPagesCase generates: run go test -run TestManyPagesInput -update", path)
	}
}
