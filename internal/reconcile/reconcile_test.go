package reconcile

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, tz.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestStatementNo(t *testing.T) {
	t.Parallel()
	may := mustPeriod("2024-05-01", "2024-05-31")
	base := StatementNo("HK", "T1", "C1", may)
	tests := []struct {
		name                 string
		prefix, tenant, cust string
		p                    Period
		same                 bool
	}{
		{"same inputs", "HK", "T1", "C1", may, true},
		{"period given at another time of the day", "HK", "T1", "C1", Period{at("2024-05-01 23:59:59"), at("2024-05-31 00:00:01")}, true},
		{"other tenant", "HK", "T2", "C1", may, false},
		{"other customer", "HK", "T1", "C2", may, false},
		{"tenant and customer boundary moved", "HK", "T1C", "1", may, false},
		{"other start", "HK", "T1", "C1", mustPeriod("2024-05-02", "2024-05-31"), false},
		{"other end", "HK", "T1", "C1", mustPeriod("2024-05-01", "2024-05-30"), false},
		{"other prefix", "FY", "T1", "C1", may, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := StatementNo(tc.prefix, tc.tenant, tc.cust, tc.p)
			if (got == base) != tc.same {
				t.Errorf("StatementNo = %q, base %q, want same=%v", got, base, tc.same)
			}
			if got != StatementNo(tc.prefix, tc.tenant, tc.cust, tc.p) {
				t.Error("not deterministic")
			}
		})
	}
	t.Run("shape", func(t *testing.T) {
		t.Parallel()
		if !strings.HasPrefix(base, "HK2024050120240531") || len(base) != 30 {
			t.Errorf("StatementNo = %q, want HK2024050120240531 + 12 hex digits", base)
		}
	})
	t.Run("never over 32 characters", func(t *testing.T) {
		t.Parallel()
		for _, prefix := range []string{"", "H", "ABCD", "ABCDEFGHIJ", "货款对账单前缀很长"} {
			got := StatementNo(prefix, strings.Repeat("t", 200), strings.Repeat("客", 100), may)
			if n := utf8.RuneCountInString(got); n > MaxField {
				t.Errorf("prefix %q: %q has %d characters", prefix, got, n)
			}
		}
	})
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		start, end string
		ok         bool
	}{
		{"2024-01-01", "2024-01-31", true},
		{"2024-01-31", "2024-01-31", true},
		{"2024-02-01", "2024-01-31", false},
		{"2024-02-30", "2024-03-01", false},
		{"2024/01/01", "2024-01-31", false},
		{"", "2024-01-31", false},
	}
	for _, tc := range tests {
		t.Run(tc.start+"_"+tc.end, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePeriod(tc.start, tc.end)
			if (err == nil) != tc.ok {
				t.Fatalf("ParsePeriod(%q, %q) error = %v, want ok=%v", tc.start, tc.end, err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidInput) || !retry.IsPermanent(err) {
					t.Errorf("error %v is not a permanent ErrInvalidInput", err)
				}
				return
			}
			if p.StartDate() != tc.start || p.EndDate() != tc.end {
				t.Errorf("round trip gives %s..%s", p.StartDate(), p.EndDate())
			}
		})
	}
	t.Run("zero period", func(t *testing.T) {
		t.Parallel()
		if err := (Period{}).Validate(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Validate() = %v", err)
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		var p Period
		if err := p.UnmarshalJSON([]byte(`{"start":"2024-01-02","end":"2024-01-01"}`)); err == nil {
			t.Error("reversed period accepted")
		}
		b, _ := mustPeriod("2024-01-02", "2024-03-01").MarshalJSON()
		if string(b) != `{"start":"2024-01-02","end":"2024-03-01"}` {
			t.Errorf("MarshalJSON = %s", b)
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero value", Options{}, true},
		{"four letter prefix", Options{GoodsPrefix: "HKDZ"}, true},
		{"five letter prefix", Options{GoodsPrefix: "HKDZX"}, false},
		{"prefix with a dash", Options{ExpensePrefix: "F-"}, false},
		{"long payment desc", Options{PaymentDesc: strings.Repeat("缴", 33)}, false},
		{"long difference key", Options{DifferenceKey: strings.Repeat("差", 33)}, false},
		{"empty return marker", Options{ReturnMarkers: []string{""}}, false},
		{"negative tolerance", Options{DifferenceTolerance: dec("-0.01")}, false},
		{"unknown trade month mode", Options{TradeMonth: 7}, false},
		{"same income and expense type", Options{IncomeTypes: []string{"EXPENSE"}}, false},
		{"type both income and skipped", Options{IncomeTypes: []string{"in"}, SkipTypes: []string{" IN "}}, false},
		{"empty skip type", Options{SkipTypes: []string{""}}, false},
		{"several types", Options{IncomeTypes: []string{"income", "refund"}, SkipTypes: []string{"freeze"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.o.WithDefaults()
			if (err == nil) != tc.ok {
				t.Errorf("WithDefaults() error = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v is not ErrInvalidInput", err)
			}
		})
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"商品名称", 4, "商品名称"},
		{"商品名称很长", 4, "商品名…"},
		{strings.Repeat("a", 32), 32, strings.Repeat("a", 32)},
		{"", 5, ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if got := cut(tc.in, tc.n); got != tc.want {
				t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
	t.Run("text repairs UTF-8", func(t *testing.T) {
		t.Parallel()
		if got := text(" a\xffb "); got != "a\uFFFDb" {
			t.Errorf("text = %q", got)
		}
	})
}

func TestNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		money     string
		quantity  string
		numberErr error
	}{
		{"0", "0.00", "0", nil},
		{"10", "10.00", "10", nil},
		{"10.000", "10.00", "10", nil},
		{"2.50", "2.50", "2.5", nil},
		{"-3.25", "-3.25", "-3.25", nil},
		{"1e3", "1000.00", "1000", nil},
		{"0.005", "0.01", "0.005", nil},
		{"-0.005", "-0.01", "-0.005", nil},
		{"9999999999999999999999999999.99", "9999999999999999999999999999.99", "9999999999999999999999999999.99", nil},
		{"10000000000000000000000000000", "", "", ErrUnrepresentable},
		{"1e31", "", "", ErrInvalidInput},
		{"1e-21", "", "", ErrInvalidInput},
		{"1e-9999", "", "", ErrInvalidInput},
		{"1e9999", "", "", ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			d := dec(tc.in)
			err := number("bill", "B1", "amount", d)
			if !errors.Is(err, tc.numberErr) || (err == nil) != (tc.numberErr == nil) {
				t.Fatalf("number(%s) = %v, want %v", tc.in, err, tc.numberErr)
			}
			if err != nil {
				return
			}
			if got, err := money("f", d); err != nil || got != tc.money {
				t.Errorf("money(%s) = %q, %v, want %q", tc.in, got, err, tc.money)
			}
			if got, err := quantity("f", d); err != nil || got != tc.quantity {
				t.Errorf("quantity(%s) = %q, %v, want %q", tc.in, got, err, tc.quantity)
			}
		})
	}
	t.Run("quantity with many decimals does not fit", func(t *testing.T) {
		t.Parallel()
		if _, err := quantity("trade.total_count", dec("123456789012345.12345678901234567")); !errors.Is(err, ErrUnrepresentable) {
			t.Errorf("quantity error = %v", err)
		}
	})
}

// goodsBase is a small valid input that tests modify.
func goodsBase() GoodsInput {
	return GoodsInput{
		TenantID: "T", CustomerCode: "C", Period: mustPeriod("2024-05-01", "2024-05-31"),
		Bills: []Bill{{BillBN: "B1", BillType: "销售单", Amount: dec("10"), Time: at("2024-05-02 10:00:00"),
			Items: []Item{{Code: "P", Name: "n", Amount: dec("10"), Quantity: dec("1")}}}},
		Transactions: []Transaction{{ID: "T1", Type: "expense", Amount: dec("10"), Balance: dec("90"), Time: at("2024-05-02 10:00:01")}},
	}
}

func TestBuildGoodsRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*GoodsInput)
		kind   error
		field  string
	}{
		{"empty customer code", func(in *GoodsInput) { in.CustomerCode = "" }, ErrInvalidInput, "customer_code"},
		{"customer code over 100", func(in *GoodsInput) { in.CustomerCode = strings.Repeat("c", 101) }, ErrUnrepresentable, "customer_code"},
		{"bad period", func(in *GoodsInput) { in.Period = Period{} }, ErrInvalidInput, "period"},
		{"bill without number", func(in *GoodsInput) { in.Bills[0].BillBN = "" }, ErrInvalidInput, "trade.voucher_no"},
		{"bill without time", func(in *GoodsInput) { in.Bills[0].Time = time.Time{} }, ErrInvalidInput, "bill.time"},
		{"product code over 32", func(in *GoodsInput) { in.Bills[0].Items[0].Code = strings.Repeat("p", 33) }, ErrUnrepresentable, "trade.detail.product_code"},
		{"product code not UTF-8", func(in *GoodsInput) { in.Bills[0].Items[0].Code = "p\xff" }, ErrUnrepresentable, "trade.detail.product_code"},
		{"hostile exponent", func(in *GoodsInput) { in.Bills[0].Items[0].Quantity = decimal.New(1, -999999999) }, ErrInvalidInput, "bill.item quantity"},
		{"huge amount", func(in *GoodsInput) { in.Bills[0].Amount = dec("1e29") }, ErrUnrepresentable, "bill.amount"},
		{"unknown transaction type", func(in *GoodsInput) { in.Transactions[0].Type = "refund" }, ErrInvalidInput, "transaction.type"},
		{"transaction without id", func(in *GoodsInput) { in.Transactions[0].ID = "" }, ErrInvalidInput, "transaction.id"},
		{"payment id over 32", func(in *GoodsInput) {
			in.Transactions[0].Type, in.Transactions[0].ID = "income", strings.Repeat("9", 33)
		}, ErrUnrepresentable, "trade.voucher_no"},
		{"no balance at all", func(in *GoodsInput) { in.Transactions = nil }, ErrInvalidInput, "begin_balance"},
		{"bad next transaction", func(in *GoodsInput) {
			in.Transactions = []Transaction{}
			in.NextTransaction = &Transaction{ID: "N", Type: "income", Amount: dec("1"), Balance: dec("1")}
		}, ErrInvalidInput, "transaction.time"},
		{"totals too large", func(in *GoodsInput) {
			// Each fits; eleven of them need 30 digits.
			b := in.Bills[0]
			b.Amount = dec("9999999999999999999999999999")
			in.Bills = nil
			for range 11 {
				in.Bills = append(in.Bills, b)
			}
		}, ErrUnrepresentable, "zchje"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := goodsBase()
			tc.modify(&in)
			_, err := BuildGoods(in, Options{})
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.kind) || e.Field != tc.field {
				t.Fatalf("BuildGoods error = %#v, want %v on %s", err, tc.kind, tc.field)
			}
			if !retry.IsPermanent(err) || utf8.RuneCountInString(err.Error()) > MaxReason {
				t.Errorf("error %q is not permanent or too long", err)
			}
		})
	}
}

func TestBuildGoodsOptions(t *testing.T) {
	t.Parallel()
	t.Run("custom prefix, markers, types and keys", func(t *testing.T) {
		t.Parallel()
		in := goodsBase()
		in.Bills[0].BillType = "RMA"
		in.Transactions = []Transaction{
			{ID: "T1", Type: "CREDIT", Amount: dec("5"), Balance: dec("105"), Time: at("2024-05-03 00:00:00")},
			{ID: "T2", Type: "DEBIT", Amount: dec("1"), Balance: dec("104"), Time: at("2024-05-04 00:00:00")},
		}
		r, err := BuildGoods(in, Options{GoodsPrefix: "GS", ReturnMarkers: []string{"RMA"}, IncomeTypes: []string{"credit"},
			ExpenseTypes: []string{"debit"}, PaymentDesc: "Payment", DifferenceKey: "diff", TradeMonth: TradeMonthOmit})
		if err != nil {
			t.Fatal(err)
		}
		st := r.Statement
		if !strings.HasPrefix(st.SerialNo, "GS") || st.TradeMonth != "" || st.Zthje != "10.00" || st.Zchje != "0.00" {
			t.Errorf("statement = %+v", st)
		}
		if st.Trade[1].TradeDesc != "Payment" || st.Zjkje != "5.00" || st.BeginBalance != "100.00" || st.Zqmye != "104.00" {
			t.Errorf("payment mapping wrong: %+v", st)
		}
		// moved 4, explained 5 - (0 - 10) = 15: difference -11.
		if !r.HasDifference || r.Difference.String() != "-11" || len(st.Exts) != 1 || st.Exts[0] != (statement.Ext{Key: "diff", Value: "-11.00"}) {
			t.Errorf("difference = %s %v %+v", r.Difference, r.HasDifference, st.Exts)
		}
	})
	t.Run("omit difference", func(t *testing.T) {
		t.Parallel()
		in := goodsBase()
		in.Transactions = nil
		in.CurrentBalance = new(decimal.Decimal)
		r, err := BuildGoods(in, Options{OmitDifference: true})
		if err != nil {
			t.Fatal(err)
		}
		if !r.HasDifference || r.Difference.String() != "10" || len(r.Statement.Exts) != 0 {
			t.Errorf("difference = %s %v, exts %+v", r.Difference, r.HasDifference, r.Statement.Exts)
		}
	})
	t.Run("trade month from the start", func(t *testing.T) {
		t.Parallel()
		in := goodsBase()
		in.Period = mustPeriod("2024-04-20", "2024-05-19")
		r, err := BuildGoods(in, Options{TradeMonth: TradeMonthStart})
		if err != nil {
			t.Fatal(err)
		}
		if r.Statement.TradeMonth != "2024-04" {
			t.Errorf("trade_month = %q", r.Statement.TradeMonth)
		}
	})
	t.Run("input is not modified", func(t *testing.T) {
		t.Parallel()
		in := goodsBase()
		in.Bills = append(in.Bills, Bill{BillBN: "B0", Amount: dec("1"), Time: at("2024-05-01 00:00:00")})
		if _, err := BuildGoods(in, Options{}); err != nil {
			t.Fatal(err)
		}
		if in.Bills[0].BillBN != "B1" {
			t.Error("BuildGoods reordered its input")
		}
	})
}

func TestBuildGoodsFromJDYPeriods(t *testing.T) {
	t.Parallel()
	today := at("2024-03-31 23:59:59")
	tests := []struct {
		name        string
		start, end  string
		whole       bool
		month, sale string // "" month: refused
	}{
		{"whole current month", "2024-03-01", "2024-03-31", false, "2024-03", "1.00"},
		{"part of current month", "2024-03-10", "2024-03-12", false, "2024-03", "1.00"},
		{"whole last month (leap February)", "2024-02-01", "2024-02-29", true, "2024-02", "2.00"},
		{"part of last month", "2024-02-03", "2024-02-04", false, "2024-02", "2.00"},
		{"part refused when whole months are required", "2024-03-10", "2024-03-12", true, "", ""},
		{"across two months", "2024-02-20", "2024-03-05", false, "", ""},
		{"two months ago", "2024-01-01", "2024-01-31", false, "", ""},
		{"next month", "2024-04-01", "2024-04-30", false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := JDYInput{TenantID: "T", CustomerCode: "C", Period: mustPeriod(tc.start, tc.end), Today: today,
				Business: JDYBusiness{MonthTransactionFees: dec("1"), LastMonthSalFees: dec("2")}}
			r, err := BuildGoodsFromJDY(in, Options{JDYWholeMonth: tc.whole})
			if tc.month == "" {
				if !errors.Is(err, ErrPeriodNotServed) || !retry.IsPermanent(err) || !strings.Contains(err.Error(), "not served by jdy") {
					t.Fatalf("error = %v, want a permanent ErrPeriodNotServed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Statement.Zchje != tc.sale || r.Statement.Exts[0].Value != tc.month {
				t.Errorf("zchje %s month %s, want %s %s", r.Statement.Zchje, r.Statement.Exts[0].Value, tc.sale, tc.month)
			}
		})
	}
	t.Run("no today", func(t *testing.T) {
		t.Parallel()
		_, err := BuildGoodsFromJDY(JDYInput{CustomerCode: "C", Period: mustPeriod("2024-03-01", "2024-03-31")}, Options{})
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("error = %v", err)
		}
	})
}

func TestBuildExpenseRefuses(t *testing.T) {
	t.Parallel()
	base := func() ExpenseInput {
		return ExpenseInput{CustomerCode: "C", Period: mustPeriod("2024-05-01", "2024-05-31"), Records: []ExpenseRecord{
			{Platform: "9999", AccountTradeNo: "A1", OccurTime: at("2024-05-02 00:00:00"), Amount: dec("1"), FundFlow: "0"},
		}}
	}
	tests := []struct {
		name   string
		modify func(*ExpenseInput)
		kind   error
	}{
		{"no trade number", func(in *ExpenseInput) { in.Records[0].AccountTradeNo = "" }, ErrInvalidInput},
		{"no time", func(in *ExpenseInput) { in.Records[0].OccurTime = time.Time{} }, ErrInvalidInput},
		{"unknown fund flow", func(in *ExpenseInput) { in.Records[0].FundFlow = "2" }, ErrInvalidInput},
		{"hostile amount", func(in *ExpenseInput) { in.Records[0].Amount = dec("5e40") }, ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := base()
			tc.modify(&in)
			if _, err := BuildExpense(in, Options{}); !errors.Is(err, tc.kind) || !retry.IsPermanent(err) {
				t.Errorf("BuildExpense error = %v, want %v", err, tc.kind)
			}
		})
	}
	t.Run("oms transaction of unknown type", func(t *testing.T) {
		t.Parallel()
		in := OMSExpenseInput{CustomerCode: "C", Period: mustPeriod("2024-05-01", "2024-05-31"), Transactions: []Transaction{
			{ID: "X", Type: "transfer", Amount: dec("1"), Balance: dec("1"), Time: at("2024-05-02 00:00:00")},
		}}
		if _, err := BuildExpenseFromOMS(in, Options{}); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("empty period", func(t *testing.T) {
		t.Parallel()
		r, err := BuildExpense(ExpenseInput{CustomerCode: "C", Period: mustPeriod("2024-05-01", "2024-05-31")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Expense.Trade) != 0 || r.Expense.Trade == nil || r.Expense.Exts[0].Value != "0.00" || r.Expense.Exts[1].Value != "0.00" {
			t.Errorf("empty expense = %+v", r.Expense)
		}
	})
}

func TestPlatforms(t *testing.T) {
	t.Parallel()
	codes := PlatformCodes()
	if len(codes) != 18 || codes[0] != "9672" || codes[17] != "9999" {
		t.Errorf("PlatformCodes = %v", codes)
	}
	if PlatformName("9969") != "抖店资金流水明细" || PlatformName("1234") != "1234" {
		t.Error("PlatformName is wrong")
	}
}

// TestFastFormatting compares the allocation-free formatting with the
// decimal library's own on random values of every size and exponent.
func TestFastFormatting(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 20000 {
		digits := 1 + r.IntN(20)
		v := r.Int64N(pow10[min(digits, 18)])
		if r.IntN(2) == 0 {
			v = -v
		}
		if i%50 == 0 { // halves, to check the rounding direction
			v = 5 * pow10[r.IntN(5)]
		}
		d := decimal.New(v, int32(r.IntN(31)-20))
		if got, err := money("f", d); err != nil || got != d.StringFixed(2) {
			if !(err != nil && len(d.StringFixed(2)) > MaxField) {
				t.Fatalf("money(%s) = %q, %v; StringFixed(2) = %q", d, got, err, d.StringFixed(2))
			}
		}
		places := max(-d.Exponent(), 0)
		want := d.StringFixed(places)
		if strings.Contains(want, ".") {
			want = strings.TrimSuffix(strings.TrimRight(want, "0"), ".")
		}
		if got, err := quantity("f", d); err != nil || got != want {
			if !(err != nil && len(want) > MaxField) {
				t.Fatalf("quantity(%s) = %q, %v; want %q", d, got, err, want)
			}
		}
	}
}

func TestPeriodYears(t *testing.T) {
	t.Parallel()
	p := Period{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, tz.Shanghai), End: time.Date(10000, 1, 1, 0, 0, 0, 0, tz.Shanghai)}
	if err := p.Validate(); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Validate() = %v", err)
	}
}

func TestErrorFitsAndIsPermanent(t *testing.T) {
	t.Parallel()
	err := tooLong("trade.voucher_no", strings.Repeat("长", 300), MaxField)
	if n := utf8.RuneCountInString(err.Error()); n > MaxReason {
		t.Errorf("build reason has %d characters", n)
	}
	if !errors.Is(err, ErrUnrepresentable) || !errors.Is(err, retry.ErrPermanent) || errors.Is(err, upstream.ErrTransient) {
		t.Errorf("%v: wrong classification", err)
	}
}
