package jdy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Business is the answer of /jdy/v2/arap/customer_business for one customer:
// the customer's sales and refunds of this month, last month and this year,
// and the latest transaction.
//
// The vendor documents every field as a string ("0.0", "100.00"); numbers
// are accepted too. Money is decoded into decimal without passing through
// float64. An empty or null field is zero.
type Business struct {
	LastMonthRefundFees   decimal.Decimal // last_month_refund_fees 上月退款金额
	LastMonthSalFees      decimal.Decimal // last_month_sal_fees 上月交易金额
	LatelyTransactionDate time.Time       // lately_transaction_date 最近一次交易时间 (Shanghai); zero if none
	LatelyTransactionFees decimal.Decimal // lately_transaction_fees 最近一次交易金额
	MonthRefundFees       decimal.Decimal // month_refund_fees 本月退款金额
	MonthTransactionFees  decimal.Decimal // month_transaction_fees 本月交易金额
	YearRefundFees        decimal.Decimal // year_refund_fees 年退款金额
	YearTransactionFees   decimal.Decimal // year_transaction_fees 年交易金额
}

// wireBusiness is the vendor's field layout; every value stays raw so that
// each one is decoded exactly (string or number, never float).
type wireBusiness struct {
	LastMonthRefundFees   json.RawMessage `json:"last_month_refund_fees"`
	LastMonthSalFees      json.RawMessage `json:"last_month_sal_fees"`
	LatelyTransactionDate json.RawMessage `json:"lately_transaction_date"`
	LatelyTransactionFees json.RawMessage `json:"lately_transaction_fees"`
	MonthRefundFees       json.RawMessage `json:"month_refund_fees"`
	MonthTransactionFees  json.RawMessage `json:"month_transaction_fees"`
	YearRefundFees        json.RawMessage `json:"year_refund_fees"`
	YearTransactionFees   json.RawMessage `json:"year_transaction_fees"`
}

// UnmarshalJSON decodes the vendor's data object.
func (b *Business) UnmarshalJSON(p []byte) error {
	var w wireBusiness
	if err := json.Unmarshal(p, &w); err != nil {
		return err
	}
	var out Business
	money := []struct {
		name string
		raw  json.RawMessage
		dst  *decimal.Decimal
	}{
		{"last_month_refund_fees", w.LastMonthRefundFees, &out.LastMonthRefundFees},
		{"last_month_sal_fees", w.LastMonthSalFees, &out.LastMonthSalFees},
		{"lately_transaction_fees", w.LatelyTransactionFees, &out.LatelyTransactionFees},
		{"month_refund_fees", w.MonthRefundFees, &out.MonthRefundFees},
		{"month_transaction_fees", w.MonthTransactionFees, &out.MonthTransactionFees},
		{"year_refund_fees", w.YearRefundFees, &out.YearRefundFees},
		{"year_transaction_fees", w.YearTransactionFees, &out.YearTransactionFees},
	}
	for _, m := range money {
		d, err := decodeMoney(m.raw)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		*m.dst = d
	}
	t, err := decodeTime(w.LatelyTransactionDate)
	if err != nil {
		return fmt.Errorf("lately_transaction_date: %w", err)
	}
	out.LatelyTransactionDate = t
	*b = out
	return nil
}

// MarshalJSON writes the vendor's shape: money as strings, the date as the
// vendor's Java timestamp text ("2021-06-28 00:00:00.0"). The fake server
// answers with it.
func (b Business) MarshalJSON() ([]byte, error) {
	date := ""
	if !b.LatelyTransactionDate.IsZero() {
		date = FormatTime(b.LatelyTransactionDate)
	}
	return json.Marshal(map[string]string{
		"last_month_refund_fees":  formatMoney(b.LastMonthRefundFees),
		"last_month_sal_fees":     formatMoney(b.LastMonthSalFees),
		"lately_transaction_date": date,
		"lately_transaction_fees": formatMoney(b.LatelyTransactionFees),
		"month_refund_fees":       formatMoney(b.MonthRefundFees),
		"month_transaction_fees":  formatMoney(b.MonthTransactionFees),
		"year_refund_fees":        formatMoney(b.YearRefundFees),
		"year_transaction_fees":   formatMoney(b.YearTransactionFees),
	})
}

// Money beyond these bounds is not money: refusing it keeps a hostile
// "1e999999999" from turning into a gigabyte-long string later.
const ()

// decodeMoney is the one money rule all vendors share.
func decodeMoney(raw json.RawMessage) (decimal.Decimal, error) { return upstream.DecodeMoney(raw) }

// formatMoney mirrors the vendor: "0.0" for zero, the exact digits otherwise.
func formatMoney(d decimal.Decimal) string {
	if d.IsZero() {
		return "0.0"
	}
	return d.String()
}

// Layouts the vendor's dates come in: the Java timestamp text with or
// without its fraction (the 9s make the fraction optional), and a bare date.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// maxEpochMilli is 9999-12-31 23:59:59.999 in Shanghai: later times have no
// four-digit year to be written back in.
var maxEpochMilli = time.Date(9999, 12, 31, 23, 59, 59, 999e6, tz.Shanghai).UnixMilli()

func decodeTime(raw json.RawMessage) (time.Time, error) {
	s, err := scalar(raw)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	if isDigits(s) && len(s) >= 12 {
		// epoch milliseconds, as other v2 endpoints send their times
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms > maxEpochMilli {
			return time.Time{}, fmt.Errorf("bad epoch milliseconds %q", clip(s))
		}
		return time.UnixMilli(ms).In(tz.Shanghai), nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, tz.Shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", clip(s))
}

// FormatTime writes t as the vendor does: Shanghai wall clock, Java
// timestamp text, always with a fraction ("2021-06-28 00:00:00.0").
func FormatTime(t time.Time) string {
	s := t.In(tz.Shanghai).Format("2006-01-02 15:04:05.999999999")
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// scalar returns a JSON string's text or a JSON number's literal, trimmed;
// null and absent are "".
func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	}
	if raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
	return "", fmt.Errorf("want a string or a number, got %s", clip(string(raw)))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// clip keeps vendor text in errors short.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max]) + "…"
}
