package jdy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// specSample is the response example of the vendor's page.
const specSample = `{
  "data": {
    "last_month_refund_fees": "0.0",
    "last_month_sal_fees": "0.0",
    "lately_transaction_date": "2021-06-28 00:00:00.0",
    "lately_transaction_fees": "100.00",
    "month_refund_fees": "0.0",
    "month_transaction_fees": "0.0",
    "year_refund_fees": "0.0",
    "year_transaction_fees": "0.0"
  },
  "description": "success",
  "errcode": 0
}`

func testClient(t testing.TB) *Client {
	t.Helper()
	c, err := New(Config{ClientID: "1", ClientSecret: "s", AppKey: "k", AppSecret: "a"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecodeSpecSample(t *testing.T) {
	t.Parallel()
	res, err := testClient(t).classify(OpCustomerBusiness, 200, []byte(specSample))
	if err != nil {
		t.Fatal(err)
	}
	var b Business
	if err := json.Unmarshal(res.data, &b); err != nil {
		t.Fatal(err)
	}
	if !b.LatelyTransactionFees.Equal(decimal.RequireFromString("100")) || b.LatelyTransactionFees.String() != "100" ||
		!b.MonthTransactionFees.IsZero() || !b.YearRefundFees.IsZero() {
		t.Fatalf("business = %+v", b)
	}
	want := time.Date(2021, 6, 28, 0, 0, 0, 0, tz.Shanghai)
	if !b.LatelyTransactionDate.Equal(want) || b.LatelyTransactionDate.Location() != tz.Shanghai {
		t.Fatalf("date = %v", b.LatelyTransactionDate)
	}
}

func TestDecodeFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		json  string
		money string // month_transaction_fees
		date  time.Time
		bad   bool
	}{
		{"string", `{"month_transaction_fees":"1234.56"}`, "1234.56", time.Time{}, false},
		{"number", `{"month_transaction_fees":1234.56}`, "1234.56", time.Time{}, false},
		{"many decimals exact", `{"month_transaction_fees":"0.1000000000000000055511151231257827"}`, "0.1000000000000000055511151231257827", time.Time{}, false},
		{"big number not via float", `{"month_transaction_fees":12345678901234567890.01}`, "12345678901234567890.01", time.Time{}, false},
		{"negative", `{"month_transaction_fees":"-5.5"}`, "-5.5", time.Time{}, false},
		{"null", `{"month_transaction_fees":null}`, "0", time.Time{}, false},
		{"empty string", `{"month_transaction_fees":""}`, "0", time.Time{}, false},
		{"padded", `{"month_transaction_fees":" 7.00 "}`, "7", time.Time{}, false},
		{"date with fraction", `{"lately_transaction_date":"2021-06-28 13:14:15.0"}`, "0", time.Date(2021, 6, 28, 13, 14, 15, 0, tz.Shanghai), false},
		{"date without fraction", `{"lately_transaction_date":"2021-06-28 13:14:15"}`, "0", time.Date(2021, 6, 28, 13, 14, 15, 0, tz.Shanghai), false},
		{"date with millis", `{"lately_transaction_date":"2021-06-28 13:14:15.250"}`, "0", time.Date(2021, 6, 28, 13, 14, 15, 250e6, tz.Shanghai), false},
		{"bare date", `{"lately_transaction_date":"2021-06-28"}`, "0", time.Date(2021, 6, 28, 0, 0, 0, 0, tz.Shanghai), false},
		{"epoch millis", `{"lately_transaction_date":1624809600000}`, "0", time.Date(2021, 6, 28, 0, 0, 0, 0, tz.Shanghai), false},
		{"no date", `{"lately_transaction_date":""}`, "0", time.Time{}, false},
		{"words", `{"month_transaction_fees":"abc"}`, "", time.Time{}, true},
		{"NaN", `{"month_transaction_fees":"NaN"}`, "", time.Time{}, true},
		{"huge exponent", `{"month_transaction_fees":"1e999999999"}`, "", time.Time{}, true},
		{"object", `{"month_transaction_fees":{}}`, "", time.Time{}, true},
		{"bool", `{"month_transaction_fees":true}`, "", time.Time{}, true},
		{"bad date", `{"lately_transaction_date":"28/06/2021"}`, "", time.Time{}, true},
		{"array", `[]`, "", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b Business
			err := json.Unmarshal([]byte(tt.json), &b)
			if tt.bad {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !b.MonthTransactionFees.Equal(decimal.RequireFromString(tt.money)) {
				t.Errorf("money = %s, want %s", b.MonthTransactionFees, tt.money)
			}
			if !b.LatelyTransactionDate.Equal(tt.date) {
				t.Errorf("date = %v, want %v", b.LatelyTransactionDate, tt.date)
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	c := testClient(t)
	tests := []struct {
		name      string
		body      string
		ok        bool
		permanent bool
		code      string
	}{
		{"errcode as string", `{"errcode":"0","description":"success","data":{}}`, true, false, ""},
		{"no errcode", `{"description":"success","data":{}}`, false, true, ""},
		{"errcode not a number", `{"errcode":"x"}`, false, true, ""},
		{"errcode float", `{"errcode":1.5}`, false, true, ""},
		{"not json", `<html>`, false, true, ""},
		{"system error as string", `{"errcode":"2000002000","description":"系统错误"}`, false, false, "2000002000"},
		{"token code", `{"errcode":1000001006,"description":"app-token 无效"}`, false, true, "1000001006"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.classify(OpCustomerBusiness, 200, []byte(tt.body))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := upstream.As(err)
			if !ok || e.Permanent != tt.permanent || e.Code != tt.code {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 11, 21, 10, 0, 0, 0, tz.Shanghai)
	tests := []struct {
		name      string
		raw, in   string
		want      time.Time
		wantError bool
	}{
		{"epoch ms", `1763694000000`, ``, time.UnixMilli(1763694000000), false},
		{"epoch ms as string", `"1763694000000"`, ``, time.UnixMilli(1763694000000), false},
		{"epoch seconds", `1763694000`, ``, time.Unix(1763694000, 0), false},
		{"lifetime seconds", `86400`, ``, now.Add(24 * time.Hour), false},
		{"absent", ``, ``, now.Add(DefaultTokenLifetime), false},
		{"expires_in", ``, `7200`, now.Add(2 * time.Hour), false},
		{"past", `1000000000000`, ``, now.Add(time.Minute), false},
		{"garbage", `"soon"`, ``, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := expiry(json.RawMessage(tt.raw), json.RawMessage(tt.in), now)
			if (err != nil) != tt.wantError {
				t.Fatalf("err = %v", err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("expiry = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMarshalVendorShape(t *testing.T) {
	t.Parallel()
	b := Business{
		LatelyTransactionDate: time.Date(2021, 6, 28, 0, 0, 0, 0, tz.Shanghai),
		LatelyTransactionFees: decimal.RequireFromString("100.00"),
	}
	p, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"lately_transaction_date":"2021-06-28 00:00:00.0"`, `"lately_transaction_fees":"100"`, `"month_refund_fees":"0.0"`} {
		if !strings.Contains(string(p), want) {
			t.Fatalf("%s lacks %s", p, want)
		}
	}
}

// FuzzDecodeBusiness runs arbitrary answers through the real decoding path
// (envelope, classification, data). It must never panic; every failure is a
// classified *upstream.Error; whatever decodes survives a round trip
// through the vendor shape unchanged.
func FuzzDecodeBusiness(f *testing.F) {
	f.Add([]byte(specSample))
	f.Add([]byte(`{"errcode":"0","data":{"month_transaction_fees":12.5,"lately_transaction_date":"2021-06-28 00:00:00"}}`))
	f.Add([]byte(`{"errcode":2000002000,"description":"系统错误"}`))
	f.Add([]byte(`{"errcode":0,"data":{"year_transaction_fees":"1e5","lately_transaction_date":1624809600000}}`))
	f.Add([]byte(`{"errcode":0,"data":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"errcode":0,"data":{"lately_transaction_date":253402300799999}}`))
	c := testClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := c.classify(OpCustomerBusiness, 200, body)
		if err != nil {
			if _, ok := upstream.As(err); !ok {
				t.Fatalf("unclassified error %v", err)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("error too long: %d bytes", len(err.Error()))
			}
			return
		}
		if len(res.data) == 0 {
			return
		}
		var b Business
		if err := json.Unmarshal(res.data, &b); err != nil {
			return
		}
		p, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal %+v: %v", b, err)
		}
		var b2 Business
		if err := json.Unmarshal(p, &b2); err != nil {
			t.Fatalf("re-decode %s: %v", p, err)
		}
		if !sameBusiness(b, b2) {
			t.Fatalf("round trip changed %+v into %+v via %s", b, b2, p)
		}
	})
}

func sameBusiness(a, b Business) bool {
	pairs := [][2]decimal.Decimal{
		{a.LastMonthRefundFees, b.LastMonthRefundFees}, {a.LastMonthSalFees, b.LastMonthSalFees},
		{a.LatelyTransactionFees, b.LatelyTransactionFees}, {a.MonthRefundFees, b.MonthRefundFees},
		{a.MonthTransactionFees, b.MonthTransactionFees}, {a.YearRefundFees, b.YearRefundFees},
		{a.YearTransactionFees, b.YearTransactionFees},
	}
	for _, p := range pairs {
		if !p[0].Equal(p[1]) {
			return false
		}
	}
	return a.LatelyTransactionDate.Equal(b.LatelyTransactionDate)
}

func BenchmarkDecodeBusiness(b *testing.B) {
	c := testClient(b)
	body := []byte(specSample)
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.classify(OpCustomerBusiness, 200, body)
		if err != nil {
			b.Fatal(err)
		}
		var x Business
		if err := json.Unmarshal(res.data, &x); err != nil {
			b.Fatal(err)
		}
	}
}
