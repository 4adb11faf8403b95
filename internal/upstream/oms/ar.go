package oms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// queryTimeLayout is how the vendor wants start_time/end_time.
const queryTimeLayout = "2006-01-02 15:04:05"

// ErrBillNotFound is wrapped by ARDetail's permanent error when the vendor
// answers without a bill.
var ErrBillNotFound = errors.New("oms: bill not found")

// ARQuery holds every filter of ar.getList. Zero fields are not sent.
type ARQuery struct {
	ShopCodes    []string // shop_code; several are joined with '#'
	ShopName     string
	SupplierCode string
	SupplierName string
	BillBN       string
	BillType     string
	Start, End   time.Time // start_time/end_time, sent as Shanghai yyyy-MM-dd HH:mm:ss
	AmountMin    *decimal.Decimal
	AmountMax    *decimal.Decimal
	Currency     string
	Status       string
}

func (q ARQuery) params() (map[string]string, error) {
	p := map[string]string{}
	var codes []string
	for _, c := range q.ShopCodes {
		c = strings.TrimSpace(c)
		if strings.Contains(c, "#") {
			return nil, fmt.Errorf("shop code %q contains '#', the vendor's separator", c)
		}
		if c != "" {
			codes = append(codes, c)
		}
	}
	set(p, "shop_code", strings.Join(codes, "#"))
	set(p, "shop_name", q.ShopName)
	set(p, "supplier_code", q.SupplierCode)
	set(p, "supplier_name", q.SupplierName)
	set(p, "bill_bn", q.BillBN)
	set(p, "bill_type", q.BillType)
	if err := timeRange(p, q.Start, q.End); err != nil {
		return nil, err
	}
	if q.AmountMin != nil {
		p["amount_min"] = q.AmountMin.String()
	}
	if q.AmountMax != nil {
		p["amount_max"] = q.AmountMax.String()
	}
	if q.AmountMin != nil && q.AmountMax != nil && q.AmountMin.GreaterThan(*q.AmountMax) {
		return nil, fmt.Errorf("amount_min %s is above amount_max %s", q.AmountMin, q.AmountMax)
	}
	set(p, "currency", q.Currency)
	set(p, "status", q.Status)
	return p, nil
}

func set(p map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		p[k] = v
	}
}

func timeRange(p map[string]string, start, end time.Time) error {
	if !start.IsZero() {
		p["start_time"] = start.In(tz.Shanghai).Format(queryTimeLayout)
	}
	if !end.IsZero() {
		p["end_time"] = end.In(tz.Shanghai).Format(queryTimeLayout)
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return fmt.Errorf("end %s is before start %s", p["end_time"], p["start_time"])
	}
	return nil
}

// ARBill is one receivable of ar.getList (and the head of ar.getDetail).
type ARBill struct {
	ShopCode     string
	ShopName     string
	SupplierCode string
	SupplierName string
	BillBN       string
	BillType     string // e.g. 销售单; return bills contain 退
	Amount       decimal.Decimal
	Currency     string
	Status       string
	CreateTime   time.Time // Shanghai; zero when the vendor sent none
	DueDate      time.Time // Shanghai; zero when the vendor sent none

	// The vendor's text, kept for statements and error reports.
	RawAmount     string
	RawCreateTime string
	RawDueDate    string
}

// ARDetail is ar.getDetail's answer: the bill, its remark and its items.
type ARDetail struct {
	ARBill
	Remark string
	Items  []ARItem
}

// ARItem is one line of a bill.
type ARItem struct {
	ItemCode  string
	ItemName  string
	Amount    decimal.Decimal
	Quantity  decimal.Decimal
	UnitPrice decimal.Decimal
}

// ARList calls fn with every bill matching q, across all pages, in the
// vendor's order. If it returns an error, the bills already delivered are
// an incomplete set and must be discarded. fn's own error is returned as is.
func (c *Client) ARList(ctx context.Context, q ARQuery, fn func(ARBill) error) error {
	p, err := q.params()
	if err != nil {
		return &upstream.Error{Vendor: Vendor, Op: MethodARList, Message: "invalid query: " + err.Error(), Permanent: true}
	}
	return pageAll(ctx, c, MethodARList, p, decodeARList, func(b ARBill) string { return b.BillBN }, fn)
}

// ARDetail returns one bill with its items. A bill the vendor does not
// know is a permanent error wrapping ErrBillNotFound.
func (c *Client) ARDetail(ctx context.Context, billBN string) (*ARDetail, error) {
	billBN = strings.TrimSpace(billBN)
	if billBN == "" {
		return nil, &upstream.Error{Vendor: Vendor, Op: MethodARDetail, Message: "invalid query: empty bill_bn", Permanent: true}
	}
	payload, err := c.call(ctx, MethodARDetail, map[string]string{"bill_bn": billBN})
	if err != nil {
		return nil, err
	}
	d, err := decodeARDetail(payload)
	if err != nil {
		return nil, malformed(MethodARDetail, err)
	}
	if d.BillBN == "" {
		return nil, &upstream.Error{Vendor: Vendor, Op: MethodARDetail, Message: "bill " + billBN + " not found", Permanent: true, Err: ErrBillNotFound}
	}
	return d, nil
}

type wireBill struct {
	ShopCode     text   `json:"shop_code"`
	ShopName     text   `json:"shop_name"`
	SupplierCode text   `json:"supplier_code"`
	SupplierName text   `json:"supplier_name"`
	BillBN       text   `json:"bill_bn"`
	BillType     text   `json:"bill_type"`
	Amount       number `json:"amount"`
	Currency     text   `json:"currency"`
	Status       text   `json:"status"`
	CreateTime   text   `json:"create_time"`
	DueDate      text   `json:"due_date"`
}

func (w wireBill) bill() (ARBill, error) {
	b := ARBill{
		ShopCode: string(w.ShopCode), ShopName: string(w.ShopName),
		SupplierCode: string(w.SupplierCode), SupplierName: string(w.SupplierName),
		BillBN: string(w.BillBN), BillType: string(w.BillType),
		Currency: string(w.Currency), Status: string(w.Status),
		RawAmount: string(w.Amount), RawCreateTime: string(w.CreateTime), RawDueDate: string(w.DueDate),
	}
	var err error
	if b.Amount, err = w.Amount.decimal("amount"); err != nil {
		return b, err
	}
	if b.CreateTime, err = parseTime("create_time", b.RawCreateTime); err != nil {
		return b, err
	}
	if b.DueDate, err = parseTime("due_date", b.RawDueDate); err != nil {
		return b, err
	}
	return b, nil
}

type wireList[T any] struct {
	Count number     `json:"count"`
	Lists phpList[T] `json:"lists"`
	List  phpList[T] `json:"list"` // seen in other ShopEx answers
}

func (w wireList[T]) rows() []T {
	if len(w.Lists) == 0 {
		return w.List
	}
	return w.Lists
}

// decodeARList reads an ar.getList payload.
func decodeARList(payload []byte) (int, []ARBill, error) {
	var w wireList[wireBill]
	if err := json.Unmarshal(emptyObject(payload), &w); err != nil {
		return 0, nil, err
	}
	n, err := w.Count.count()
	if err != nil {
		return 0, nil, err
	}
	rows := w.rows()
	out := make([]ARBill, 0, len(rows))
	for i, r := range rows {
		b, err := r.bill()
		if err != nil {
			return 0, nil, fmt.Errorf("lists[%d]: %w", i, err)
		}
		out = append(out, b)
	}
	return n, out, nil
}

// decodeARDetail reads an ar.getDetail payload.
func decodeARDetail(payload []byte) (*ARDetail, error) {
	var w struct {
		wireBill
		Remark text `json:"remark"`
		Items  phpList[struct {
			ItemCode  text   `json:"item_code"`
			ItemName  text   `json:"item_name"`
			Amount    number `json:"amount"`
			Quantity  number `json:"quantity"`
			UnitPrice number `json:"unit_price"`
		}] `json:"items"`
	}
	if err := json.Unmarshal(emptyObject(payload), &w); err != nil {
		return nil, err
	}
	b, err := w.bill()
	if err != nil {
		return nil, err
	}
	d := &ARDetail{ARBill: b, Remark: string(w.Remark), Items: make([]ARItem, 0, len(w.Items))}
	for i, it := range w.Items {
		item := ARItem{ItemCode: string(it.ItemCode), ItemName: string(it.ItemName)}
		if item.Amount, err = it.Amount.decimal("amount"); err == nil {
			if item.Quantity, err = it.Quantity.decimal("quantity"); err == nil {
				item.UnitPrice, err = it.UnitPrice.decimal("unit_price")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("items[%d]: %w", i, err)
		}
		d.Items = append(d.Items, item)
	}
	return d, nil
}
