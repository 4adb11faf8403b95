package omstest

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tz"
)

// Bill is a receivable the fake serves from ar.getList and ar.getDetail.
// Times are the vendor's text (yyyy-MM-dd HH:mm:ss, Shanghai); JSON names
// are the vendor's, and money may be a JSON string or number.
type Bill struct {
	ShopCode     string          `json:"shop_code"`
	ShopName     string          `json:"shop_name"`
	SupplierCode string          `json:"supplier_code"`
	SupplierName string          `json:"supplier_name"`
	BillBN       string          `json:"bill_bn"`
	BillType     string          `json:"bill_type"`
	Amount       decimal.Decimal `json:"amount"`
	Currency     string          `json:"currency"`
	Status       string          `json:"status"`
	CreateTime   string          `json:"create_time"`
	DueDate      string          `json:"due_date"`
	Remark       string          `json:"remark"`
	Items        []Item          `json:"items"`
}

// Item is one line of a Bill.
type Item struct {
	ItemCode  string          `json:"item_code"`
	ItemName  string          `json:"item_name"`
	Amount    decimal.Decimal `json:"amount"`
	Quantity  decimal.Decimal `json:"quantity"`
	UnitPrice decimal.Decimal `json:"unit_price"`
}

// Transaction is an account movement served by finance.getTransactionList.
type Transaction struct {
	TransID     string          `json:"trans_id"`
	AccountID   string          `json:"account_id"`
	AccountName string          `json:"account_name"`
	TransType   string          `json:"trans_type"`
	Amount      decimal.Decimal `json:"amount"`
	Balance     decimal.Decimal `json:"balance"`
	TransTime   string          `json:"trans_time"`
	Remark      string          `json:"remark"`
}

// Account is served by finance.getAccountBalance.
type Account struct {
	AccountID   string          `json:"account_id"`
	AccountName string          `json:"account_name"`
	AccountType string          `json:"account_type"`
	Balance     decimal.Decimal `json:"balance"`
	Currency    string          `json:"currency"`
}

// Seed is everything a fake serves, loadable from JSON (see testdata/).
type Seed struct {
	Bills        []Bill        `json:"bills"`
	Transactions []Transaction `json:"transactions"`
	Accounts     []Account     `json:"accounts"`
}

//go:embed testdata/demo.json
var demoFS embed.FS

// DemoSeed is a small consistent data set (two shops, their accounts and
// movements) for the demo and end-to-end tests.
func DemoSeed() Seed {
	b, err := demoFS.ReadFile("testdata/demo.json")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	s, err := ParseSeed(b)
	if err != nil {
		panic(fmt.Sprintf("omstest: embedded demo seed: %v", err))
	}
	return s
}

// ParseSeed reads a Seed from JSON and checks its times.
func ParseSeed(b []byte) (Seed, error) {
	var s Seed
	if err := json.Unmarshal(b, &s); err != nil {
		return Seed{}, fmt.Errorf("omstest: seed: %w", err)
	}
	for _, b := range s.Bills {
		if _, err := parseVendorTime(b.CreateTime); err != nil {
			return Seed{}, fmt.Errorf("omstest: seed bill %s: %w", b.BillBN, err)
		}
	}
	for _, t := range s.Transactions {
		if _, err := parseVendorTime(t.TransTime); err != nil {
			return Seed{}, fmt.Errorf("omstest: seed transaction %s: %w", t.TransID, err)
		}
	}
	return s, nil
}

// LoadFile reads a JSON seed file.
func LoadFile(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, err
	}
	return ParseSeed(b)
}

const vendorTime = "2006-01-02 15:04:05"

var shanghai = tz.Shanghai

func parseVendorTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(vendorTime, strings.TrimSpace(s), shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want yyyy-MM-dd HH:mm:ss", s)
	}
	return t, nil
}
