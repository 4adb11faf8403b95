package wdt

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
)

// demoRecord is the record of the spec's response demo (numbers unquoted).
const demoRecord = `{ "post_amount": 0.0000, "fund_flow": 1, "account_type": 4, "remark": "", "account_no": "177261669",
 "account_bill_desc_tag": 23, "update_time": "2025-01-10 23:39:05", "event_day": "2024-12-11",
 "occur_time": "2024-12-11T00:14:00", "account_trade_no": "2024121100134601056281722392", "account_amount": 20.0000,
 "refund_amount": -20.0000, "id": "17500041962153605512", "shop_order_id": "6936918537650001906", "shop_no": "mbal",
 "create_time": "2025-01-10 23:39:05", "shop_name": "抖音旗舰店", "account_bill_desc": "原路退", "fund_flow_desc": "出账",
 "bill_order_no": "133r8f418g81g183e83", "biz_type_desc": "广告", "order_id": "61100002545453" }`

func TestBillDecodesDemoRecord(t *testing.T) {
	t.Parallel()
	var b Bill
	if err := json.Unmarshal([]byte(demoRecord), &b); err != nil {
		t.Fatal(err)
	}
	want := Bill{
		ID: "17500041962153605512", AccountTradeNo: "2024121100134601056281722392",
		OccurTime: time.Date(2024, 12, 11, 0, 14, 0, 0, tz.Shanghai), EventDay: "2024-12-11",
		CreateTime:    time.Date(2025, 1, 10, 23, 39, 5, 0, tz.Shanghai),
		AccountAmount: decimal.RequireFromString("20"), FundFlow: "1", FundFlowDesc: "出账",
		AccountBillDesc: "原路退", BizTypeDesc: "广告", OrderID: "61100002545453", ShopOrderID: "6936918537650001906",
		ShopNo: "mbal", ShopName: "抖音旗舰店",
	}
	checkBill(t, b, want)
	if b.OccurTime.Location() != tz.Shanghai {
		t.Errorf("OccurTime zone = %v", b.OccurTime.Location())
	}
	if b.Direction() != DirectionOut {
		t.Errorf("Direction = %v", b.Direction())
	}
	if got := b.Text("account_bill_desc_tag"); got != "23" {
		t.Errorf(`Text("account_bill_desc_tag") = %q`, got)
	}
	if d, err := b.Decimal("refund_amount"); err != nil || d.String() != "-20" {
		t.Errorf(`Decimal("refund_amount") = %v, %v`, d, err)
	}
	if d, err := b.Decimal("missing"); err != nil || !d.IsZero() {
		t.Errorf(`Decimal("missing") = %v, %v`, d, err)
	}
	if _, err := b.Decimal("shop_name"); err == nil || !strings.Contains(err.Error(), "shop_name") {
		t.Errorf(`Decimal("shop_name") err = %v`, err)
	}
}

func checkBill(t *testing.T, got, want Bill) {
	t.Helper()
	if !got.AccountAmount.Equal(want.AccountAmount) || !got.Amount.Equal(want.Amount) {
		t.Errorf("amounts = %s, %s; want %s, %s", got.AccountAmount, got.Amount, want.AccountAmount, want.Amount)
	}
	if !got.OccurTime.Equal(want.OccurTime) || !got.CreateTime.Equal(want.CreateTime) {
		t.Errorf("times = %v, %v; want %v, %v", got.OccurTime, got.CreateTime, want.OccurTime, want.CreateTime)
	}
	got.AccountAmount, got.Amount, want.AccountAmount, want.Amount = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	got.OccurTime, got.CreateTime, want.OccurTime, want.CreateTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	got.Raw, want.Raw = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bill =\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecimalOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		want    string // decimal.String(); "" means an error is expected
		wantErr bool
	}{
		{`20.0000`, "20", false},
		{`"20.0000"`, "20", false},
		{`-20.0000`, "-20", false},
		{`"-0.01"`, "-0.01", false},
		{`"  7.5 "`, "7.5", false},
		{`0.1`, "0.1", false},
		{`12345678901234567890.123456789`, "12345678901234567890.123456789", false}, // beyond float64's precision
		{`""`, "0", false},
		{`null`, "0", false},
		{``, "0", false},
		{`"+3"`, "3", false},
		{`"abc"`, "", true},
		{`"1e3"`, "1000", false}, // the shared rule (upstream.ParseMoney) accepts bounded exponents
		{`1e3`, "1000", false},
		{`"1e99"`, "", true},
		{`"1,000.00"`, "", true},
		{`"-"`, "", true},
		{`"."`, "", true},
		{`{}`, "", true},
		{`true`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			d, err := decimalOf(json.RawMessage(tt.raw))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decimalOf(%s) = %s, want an error", tt.raw, d)
				}
				return
			}
			if err != nil || d.String() != tt.want {
				t.Fatalf("decimalOf(%s) = %s, %v; want %s", tt.raw, d, err, tt.want)
			}
		})
	}
	// Exactness: summing what float64 would round.
	a, _ := decimalOf(json.RawMessage(`0.1`))
	b, _ := decimalOf(json.RawMessage(`"0.2"`))
	if s := a.Add(b); !s.Equal(decimal.RequireFromString("0.3")) {
		t.Fatalf("0.1+0.2 = %s", s)
	}
}

func TestTimeOf(t *testing.T) {
	t.Parallel()
	sh := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, tz.Shanghai)
	}
	tests := []struct {
		raw     string
		want    time.Time
		wantErr bool
	}{
		{`"2024-12-11T00:14:00"`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`"2024-12-11 00:14:00"`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`"2024-12-11 00:14:00.123"`, sh(2024, 12, 11, 0, 14, 0, 123e6), false},
		{`"2024-12-10T16:14:00Z"`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`"2024-12-11T00:14:00+08:00"`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`"2024/12/11 00:14:00"`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`"2024-12-11"`, sh(2024, 12, 11, 0, 0, 0, 0), false},
		{`1733847240000`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`"1733847240"`, sh(2024, 12, 11, 0, 14, 0, 0), false},
		{`""`, time.Time{}, false},
		{`null`, time.Time{}, false},
		{`"yesterday"`, time.Time{}, true},
		{`"2024-13-01 00:00:00"`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := timeOf(json.RawMessage(tt.raw))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("timeOf(%s) = %v, want an error", tt.raw, got)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("timeOf(%s) = %v, %v; want %v", tt.raw, got, err, tt.want)
			}
			if !got.IsZero() && got.Location() != tz.Shanghai {
				t.Fatalf("zone = %v", got.Location())
			}
		})
	}
}

func TestBillDecodeErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ rec, field string }{
		{`{"account_amount":"twenty"}`, "account_amount"},
		{`{"amount":[1]}`, "amount"},
		{`{"occur_time":"soon"}`, "occur_time"},
		{`{"create_time":true}`, "create_time"},
	} {
		var b Bill
		err := json.Unmarshal([]byte(tt.rec), &b)
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: err = %v, want one naming %s", tt.rec, err, tt.field)
		}
	}
	var b Bill
	if err := b.UnmarshalJSON([]byte(`null`)); err == nil {
		t.Error("null record accepted")
	}
	if err := b.UnmarshalJSON([]byte(`[1]`)); err == nil {
		t.Error("array record accepted")
	}
}

func TestBillEventDayNormalised(t *testing.T) {
	t.Parallel()
	var b Bill
	if err := json.Unmarshal([]byte(`{"event_day":"2024-12-11 00:00:00","fund_flow":0}`), &b); err != nil {
		t.Fatal(err)
	}
	if b.EventDay != "2024-12-11" || b.FundFlow != "0" || b.Direction() != DirectionIn {
		t.Fatalf("EventDay %q FundFlow %q Direction %v", b.EventDay, b.FundFlow, b.Direction())
	}
}

func TestBillRoundTrip(t *testing.T) {
	t.Parallel()
	var b Bill
	if err := json.Unmarshal([]byte(demoRecord), &b); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	// Unchanged typed fields keep the vendor's exact bytes (20.0000, not "20").
	for _, s := range []string{`"account_amount":20.0000`, `"fund_flow":1`, `"occur_time":"2024-12-11T00:14:00"`, `"remark":""`} {
		if !strings.Contains(string(out), s) {
			t.Errorf("re-encoded record lacks %s: %s", s, out)
		}
	}
	var again Bill
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	checkBill(t, again, b)

	// A changed typed field wins over Raw; a Go-built bill becomes a record.
	b.AccountAmount = decimal.RequireFromString("-1.50")
	b.OccurTime = time.Date(2024, 12, 1, 16, 0, 0, 0, time.UTC)
	out, _ = json.Marshal(b)
	for _, s := range []string{`"account_amount":"-1.5"`, `"occur_time":"2024-12-02T00:00:00"`} {
		if !strings.Contains(string(out), s) {
			t.Errorf("changed record lacks %s: %s", s, out)
		}
	}
	built := Bill{AccountTradeNo: "T1", AccountAmount: decimal.RequireFromString("9.99"), CreateTime: time.Date(2025, 1, 2, 3, 4, 5, 0, tz.Shanghai)}
	out, _ = json.Marshal(built)
	if string(out) != `{"account_amount":"9.99","account_trade_no":"T1","create_time":"2025-01-02 03:04:05"}` {
		t.Errorf("built record = %s", out)
	}
}

func TestDirection(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		flow, desc string
		want       Direction
	}{
		{"0", "", DirectionIn}, {"1", "", DirectionOut}, {"", "入账", DirectionIn}, {"", "出账", DirectionOut},
		{"", "", DirectionUnknown}, {"9", "?", DirectionUnknown},
	} {
		if got := (Bill{FundFlow: tt.flow, FundFlowDesc: tt.desc}).Direction(); got != tt.want {
			t.Errorf("Direction(%q,%q) = %v, want %v", tt.flow, tt.desc, got, tt.want)
		}
	}
}

// TestDirectionAndTimeFallbacks: fund_flow, then fund_flow_desc, then
// income_out_direction (1 支出, 2 收入); occur_time, then create_time, then
// event_day (issue 10, item 7).
func TestDirectionAndTimeFallbacks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rec  string
		dir  Direction
		when string
	}{
		{`{"fund_flow":"0","income_out_direction":"1","occur_time":"2024-12-11T00:14:00","create_time":"2025-01-10 23:39:05"}`, DirectionIn, "2024-12-11 00:14:00"},
		{`{"fund_flow_desc":"出账","income_out_direction":"2","create_time":"2025-01-10 23:39:05","event_day":"2024-12-11"}`, DirectionOut, "2025-01-10 23:39:05"},
		{`{"income_out_direction":"1","event_day":"2024-12-11"}`, DirectionOut, "2024-12-11 00:00:00"},
		{`{"income_out_direction":2}`, DirectionIn, ""},
		{`{}`, DirectionUnknown, ""},
	} {
		var b Bill
		if err := json.Unmarshal([]byte(tt.rec), &b); err != nil {
			t.Fatal(err)
		}
		when := ""
		if tm := b.Time(); !tm.IsZero() {
			when = tm.In(tz.Shanghai).Format(dateTimeLayout)
		}
		if b.Direction() != tt.dir || when != tt.when {
			t.Errorf("%s: direction %v time %q, want %v %q", tt.rec, b.Direction(), when, tt.dir, tt.when)
		}
	}
}
