package wdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Bill is one 慧经营 bill record (data.records[i]). The fields a statement
// commonly needs are typed; Raw keeps every field exactly as received (the
// typed ones included), because the record has some 300 optional fields
// whose values arrive as JSON strings or numbers depending on the platform.
type Bill struct {
	ID              string          // id: the record's key
	AccountTradeNo  string          // account_trade_no: 动账流水号, unique
	OccurTime       time.Time       // occur_time: 动账时间, in tz.Shanghai
	EventDay        string          // event_day: 业务日期 yyyy-MM-dd
	CreateTime      time.Time       // create_time: 创建时间 (what type 2 filters on)
	AccountAmount   decimal.Decimal // account_amount: 动账金额 (元), signed as the platform reports it
	Amount          decimal.Decimal // amount: 流水金额
	FundFlow        string          // fund_flow: "0" 入账 (in), "1" 出账 (out); may arrive as a number
	FundFlowDesc    string          // fund_flow_desc: 入账 / 出账
	AccountBillDesc string          // account_bill_desc: 动账摘要
	Description     string          // description: 业务描述
	BizTypeDesc     string          // biz_type_desc: 计费类型描述
	OrderID         string          // order_id: 关联订单号
	ShopOrderID     string          // shop_order_id: 店铺单号
	PlatOrderNo     string          // plat_order_no: 平台订单号
	ShopNo          string          // shop_no
	ShopName        string          // shop_name
	Remark          string          // remark

	// Platform is the subBillPlatform the record was queried with; the
	// client sets it, it is not part of the record.
	Platform Platform `json:"-"`

	// Raw is every field of the record as received, keyed by the vendor's
	// name (account_balance, refund_amount, …). Read it with Text/Decimal.
	Raw map[string]json.RawMessage `json:"-"`
}

// Direction is a bill's money direction.
type Direction int

// Directions, from fund_flow (0 in, 1 out); when that is missing,
// fund_flow_desc (入账/出账); then income_out_direction (收支类型: 1 支出,
// 2 收入). With none of them the caller decides (the amount's sign).
const (
	DirectionUnknown Direction = iota
	DirectionIn
	DirectionOut
)

func (d Direction) String() string {
	switch d {
	case DirectionIn:
		return "in"
	case DirectionOut:
		return "out"
	}
	return "unknown"
}

// Direction reports whether the bill is money in or out.
func (b Bill) Direction() Direction {
	switch strings.TrimSpace(b.FundFlow) {
	case "0":
		return DirectionIn
	case "1":
		return DirectionOut
	}
	switch {
	case strings.Contains(b.FundFlowDesc, "入"):
		return DirectionIn
	case strings.Contains(b.FundFlowDesc, "出"):
		return DirectionOut
	}
	switch d := strings.TrimSpace(b.Text("income_out_direction")); {
	case d == "2" || strings.Contains(d, "收"):
		return DirectionIn
	case d == "1" || strings.Contains(d, "支"):
		return DirectionOut
	}
	return DirectionUnknown
}

// Time is when the record happened: occur_time (动账时间); without it
// create_time (创建时间); without that event_day (业务日期) at midnight,
// Asia/Shanghai. Zero when the record has none of them.
func (b Bill) Time() time.Time {
	switch {
	case !b.OccurTime.IsZero():
		return b.OccurTime
	case !b.CreateTime.IsZero():
		return b.CreateTime
	}
	if t, err := time.ParseInLocation(dateLayout, b.EventDay, tz.Shanghai); err == nil {
		return t
	}
	return time.Time{}
}

// Text returns a field of Raw as text: a JSON string's value, a number's
// literal, "" when absent or null.
func (b Bill) Text(key string) string {
	s, _ := textOf(b.Raw[key])
	return s
}

// Decimal returns a money field of Raw exactly (string or number, never
// through float). Absent, null and "" are zero.
func (b Bill) Decimal(key string) (decimal.Decimal, error) {
	d, err := decimalOf(b.Raw[key])
	if err != nil {
		return decimal.Zero, fmt.Errorf("%s: %w", key, err)
	}
	return d, nil
}

// The typed fields and their wire names, so decoding and encoding stay in step.
var (
	stringFields = []struct {
		key string
		ptr func(*Bill) *string
	}{
		{"id", func(b *Bill) *string { return &b.ID }},
		{"account_trade_no", func(b *Bill) *string { return &b.AccountTradeNo }},
		{"event_day", func(b *Bill) *string { return &b.EventDay }},
		{"fund_flow", func(b *Bill) *string { return &b.FundFlow }},
		{"fund_flow_desc", func(b *Bill) *string { return &b.FundFlowDesc }},
		{"account_bill_desc", func(b *Bill) *string { return &b.AccountBillDesc }},
		{"description", func(b *Bill) *string { return &b.Description }},
		{"biz_type_desc", func(b *Bill) *string { return &b.BizTypeDesc }},
		{"order_id", func(b *Bill) *string { return &b.OrderID }},
		{"shop_order_id", func(b *Bill) *string { return &b.ShopOrderID }},
		{"plat_order_no", func(b *Bill) *string { return &b.PlatOrderNo }},
		{"shop_no", func(b *Bill) *string { return &b.ShopNo }},
		{"shop_name", func(b *Bill) *string { return &b.ShopName }},
		{"remark", func(b *Bill) *string { return &b.Remark }},
	}
	moneyFields = []struct {
		key string
		ptr func(*Bill) *decimal.Decimal
	}{
		{"account_amount", func(b *Bill) *decimal.Decimal { return &b.AccountAmount }},
		{"amount", func(b *Bill) *decimal.Decimal { return &b.Amount }},
	}
	timeFields = []struct {
		key    string
		layout string // how MarshalJSON writes it (the response demo's forms)
		ptr    func(*Bill) *time.Time
	}{
		{"occur_time", "2006-01-02T15:04:05", func(b *Bill) *time.Time { return &b.OccurTime }},
		{"create_time", dateTimeLayout, func(b *Bill) *time.Time { return &b.CreateTime }},
	}
)

// UnmarshalJSON decodes one record. Values may be JSON strings or numbers;
// money is decoded exactly; times are read in Asia/Shanghai.
func (b *Bill) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("bill record is not a JSON object: %w", err)
	}
	if raw == nil {
		return errors.New("bill record is null")
	}
	out := Bill{Raw: raw}
	for _, f := range stringFields {
		s, err := textOf(raw[f.key])
		if err != nil {
			return fmt.Errorf("bill %s: %w", f.key, err)
		}
		*f.ptr(&out) = s
	}
	for _, f := range moneyFields {
		d, err := decimalOf(raw[f.key])
		if err != nil {
			return fmt.Errorf("bill %s: %w", f.key, err)
		}
		*f.ptr(&out) = d
	}
	for _, f := range timeFields {
		t, err := timeOf(raw[f.key])
		if err != nil {
			return fmt.Errorf("bill %s: %w", f.key, err)
		}
		*f.ptr(&out) = t
	}
	// event_day is a date; some platforms send a date-time.
	if len(out.EventDay) > len(dateLayout) {
		if t, err := parseTime(out.EventDay); err == nil {
			out.EventDay = t.Format(dateLayout)
		}
	}
	*b = out
	return nil
}

// MarshalJSON writes the record in the vendor's shape: Raw, with the typed
// fields written over it where they differ from what Raw holds (so a
// decoded record round-trips byte for byte, and a Bill built in Go becomes
// a record the vendor could have sent). Money is written as a string.
func (b Bill) MarshalJSON() ([]byte, error) {
	m := make(map[string]json.RawMessage, len(b.Raw)+len(stringFields)+4)
	for k, v := range b.Raw {
		m[k] = v
	}
	for _, f := range stringFields {
		v := *f.ptr(&b)
		cur, present := m[f.key]
		if present {
			if s, err := textOf(cur); err == nil && s == v {
				continue
			}
		} else if v == "" {
			continue
		}
		m[f.key] = quote(v)
	}
	for _, f := range moneyFields {
		v := *f.ptr(&b)
		cur, present := m[f.key]
		if present {
			if d, err := decimalOf(cur); err == nil && d.Equal(v) {
				continue
			}
		} else if v.IsZero() {
			continue
		}
		m[f.key] = quote(v.String())
	}
	for _, f := range timeFields {
		v := *f.ptr(&b)
		cur, present := m[f.key]
		if present {
			if t, err := timeOf(cur); err == nil && t.Equal(v) {
				continue
			}
		} else if v.IsZero() {
			continue
		}
		s := ""
		if !v.IsZero() {
			s = v.In(tz.Shanghai).Format(f.layout)
		}
		m[f.key] = quote(s)
	}
	return json.Marshal(m)
}

func quote(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// textOf reads a JSON value as text: a string's value, a number's or
// boolean's literal, "" for absent or null; objects and arrays as their
// compact JSON.
func textOf(raw json.RawMessage) (string, error) {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || string(v) == "null" {
		return "", nil
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("bad JSON string: %w", err)
		}
		return s, nil
	}
	if v[0] == '{' || v[0] == '[' {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return "", fmt.Errorf("bad JSON value: %w", err)
		}
		return buf.String(), nil
	}
	return string(v), nil
}

// decimalOf reads money with the rule all vendors share ("20.0000",
// 20.0000, "-20", "" for zero; never through float64).
func decimalOf(raw json.RawMessage) (decimal.Decimal, error) { return upstream.DecodeMoney(raw) }

// timeOf reads a time: "2024-12-11T00:14:00", "2024-12-11 00:14:00",
// with or without fractions or a zone, a bare date, or epoch seconds or
// milliseconds. Zone-less values are Shanghai wall clock. "" is the zero time.
func timeOf(raw json.RawMessage) (time.Time, error) {
	s, err := textOf(raw)
	if err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}

var naiveLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006/01/02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	dateLayout,
}

func parseTime(s string) (time.Time, error) {
	if isDigits(s) && (len(s) == 10 || len(s) == 13) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			if len(s) == 13 {
				return time.UnixMilli(n).In(tz.Shanghai), nil
			}
			return time.Unix(n, 0).In(tz.Shanghai), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(tz.Shanghai), nil
	}
	for _, l := range naiveLayouts {
		if t, err := time.ParseInLocation(l, s, tz.Shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", clip(s))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// clip keeps error messages short when a value is huge.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
