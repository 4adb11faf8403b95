// Package demo runs the four vendors' fakes on loopback, seeded with sample
// data dated relative to today, and points a configuration at them: with
// nothing configured, `go run ./cmd/receiver` shows the whole flow without
// any real account.
package demo

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy/jdytest"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt/wdttest"
)

// Customers are the demo's 勤策 customers (getCustomers answers them):
// C001 buys and pays, its statement reconciles; C002 also returns goods,
// which its ledger does not show, so its statement carries a 对账差异;
// C003 did nothing, its balances come from the account.
var Customers = []string{"C001", "C002", "C003"}

// Fake credentials the configuration is pointed at (not secrets).
const (
	waiqinOpenID = "demo000000000000001" // 19 characters, like a real openid
	waiqinAppKey = "demoappkey00000001"  // 18 characters
	omsFlag      = "ksfdemo"
	omsToken     = "demo-oms-token"
)

// Fakes are the running vendor fakes.
type Fakes struct {
	Waiqin *waiqintest.Server
	OMS    *omstest.Server
	JDY    *jdytest.Server
	WDT    *wdttest.Server
}

// Start starts the fakes and seeds them for the current and the last
// calendar month of now (Asia/Shanghai).
func Start(now time.Time) (*Fakes, error) {
	f := &Fakes{
		Waiqin: waiqintest.New(waiqintest.Config{OpenID: waiqinOpenID, AppKey: waiqinAppKey, Customers: Customers}),
		OMS:    omstest.New(omstest.Config{Flag: omsFlag, Token: omsToken}),
		JDY:    jdytest.New(jdytest.Config{}),
		WDT:    wdttest.New(wdttest.Config{}),
	}
	if err := f.seed(now.In(tz.Shanghai)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Configure points cfg's 勤策 and source settings at the fakes.
func (f *Fakes) Configure(cfg *config.Config) {
	cfg.Waiqin.BaseURL, cfg.Waiqin.OpenID, cfg.Waiqin.AppKey = f.Waiqin.URL, waiqinOpenID, config.Secret(waiqinAppKey)
	cfg.OMS.BaseURL, cfg.OMS.Flag, cfg.OMS.Token = f.OMS.URL, omsFlag, config.Secret(omsToken)
	j := f.JDY.ClientConfig()
	cfg.JDY.BaseURL, cfg.JDY.ClientID, cfg.JDY.ClientSecret = j.BaseURL, j.ClientID, config.Secret(j.ClientSecret)
	cfg.JDY.AppKey, cfg.JDY.AppSecret, cfg.JDY.Domain = j.AppKey, config.Secret(j.AppSecret), j.Domain
	w := f.WDT.ClientConfig()
	cfg.WDT.RouterURL, cfg.WDT.AppKey, cfg.WDT.AppSecret, cfg.WDT.TargetAppKey = f.WDT.URL, w.AppKey, config.Secret(w.AppSecret), w.TargetAppKey
	cfg.WDT.HJYAppID, cfg.WDT.HJYAppKey, cfg.WDT.SID = w.HJYAppID, config.Secret(w.HJYAppKey), w.SID
	cfg.WDT.Platforms = []string{string(wdt.PlatformAlipay), "9969"}
	// The fakes are local: no need to pace the calls.
	cfg.Waiqin.RPS, cfg.OMS.RPS, cfg.JDY.RPS, cfg.WDT.RPS = 0, 0, 0, 0
}

// Close stops the fakes.
func (f *Fakes) Close() {
	for _, c := range []interface{ Close() }{f.Waiqin, f.OMS, f.JDY, f.WDT} {
		if c != nil {
			c.Close()
		}
	}
}

// StateHandler serves, read-only, what the 勤策 fake holds: the statements,
// expense statements and error logs the worker saved (?full=1 for the
// documents themselves).
func (f *Fakes) StateHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/_fake/state"
		f.Waiqin.Handler().ServeHTTP(w, r2)
	})
}

var d = decimal.RequireFromString

type sku struct {
	code, name string
	price      decimal.Decimal
}

var skus = []sku{
	{"SKU-TEA-500", "冰红茶500ml×15", d("48.00")},
	{"SKU-WATER-550", "矿物质水550ml×24", d("32.00")},
	{"SKU-JASMINE-500", "茉莉清茶500ml×15", d("45.00")},
}

// seed writes, for the last and the current month, bills, their ledger
// movements (the deposit convention: a sale is paid from the deposit) and
// payments, plus 金蝶 monthly figures and 旺店通 platform bills.
func (f *Fakes) seed(now time.Time) error {
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, tz.Shanghai)
	months := []time.Time{thisMonth.AddDate(0, -1, 0), thisMonth}
	f.OMS.SetBalance(omstest.Account{AccountID: "C003", AccountName: "C003 预付款", AccountType: "deposit", Balance: d("5000.00"), Currency: "CNY"})
	for ci, code := range Customers[:2] {
		var moves []omstest.Transaction // the ledger, balanced in time order below
		for mi, month := range months {
			for k := range 3 {
				at := month.AddDate(0, 0, 2+k*7+ci).Add(9*time.Hour + 30*time.Minute)
				if at.After(now) {
					break
				}
				no := fmt.Sprintf("AR%s%02d%d", at.Format("20060102"), ci+1, k)
				items, amount := billItems(ci, mi, k)
				if err := f.OMS.AddBill(omstest.Bill{ShopCode: code, ShopName: code + " 经销商", SupplierCode: "KSF", SupplierName: "康师傅饮品",
					BillBN: no, BillType: "销售单", Amount: amount, Currency: "CNY", Status: "未结算",
					CreateTime: at.Format(time.DateTime), Items: items}); err != nil {
					return err
				}
				moves = append(moves, omstest.Transaction{TransID: "T" + no, TransType: "expense", Amount: amount,
					TransTime: at.Format(time.DateTime), Remark: "货款扣款 " + no})
			}
			if pay := month.AddDate(0, 0, 15+ci).Add(10 * time.Hour); !pay.After(now) {
				moves = append(moves, omstest.Transaction{TransID: fmt.Sprintf("PAY%s%02d", pay.Format("20060102"), ci+1),
					TransType: "income", Amount: d("3000.00").Add(decimal.NewFromInt(int64(500 * ci))),
					TransTime: pay.Format(time.DateTime), Remark: "银行转账缴款"})
			}
			// C002 returns goods; its ledger does not show the credit: 对账差异.
			if ret := month.AddDate(0, 0, 20).Add(16 * time.Hour); ci == 1 && !ret.After(now) {
				if err := f.OMS.AddBill(omstest.Bill{ShopCode: code, ShopName: code + " 经销商", BillBN: "RT" + ret.Format("20060102") + "02",
					BillType: "销售退货单", Amount: d("-96.00"), Currency: "CNY", Status: "已结算", Remark: "破损退货",
					CreateTime: ret.Format(time.DateTime),
					Items:      []omstest.Item{{ItemCode: skus[0].code, ItemName: skus[0].name, Amount: d("-96.00"), Quantity: d("-2"), UnitPrice: skus[0].price}}}); err != nil {
					return err
				}
			}
		}
		slices.SortFunc(moves, func(a, b omstest.Transaction) int { return strings.Compare(a.TransTime, b.TransTime) })
		balance := d("20000.00").Add(decimal.NewFromInt(int64(ci) * 5000))
		for _, m := range moves {
			if m.TransType == "income" {
				balance = balance.Add(m.Amount)
			} else {
				balance = balance.Sub(m.Amount)
			}
			m.AccountID, m.AccountName, m.Balance = code, code+" 预付款", balance
			if err := f.OMS.AddTransaction(m); err != nil {
				return err
			}
		}
		f.OMS.SetBalance(omstest.Account{AccountID: code, AccountName: code + " 预付款", AccountType: "deposit", Balance: balance, Currency: "CNY"})
	}
	for i, code := range Customers {
		f.JDY.SetBusiness(code, jdy.Business{
			MonthTransactionFees: d("2350.75").Mul(decimal.NewFromInt(int64(3 - i))), MonthRefundFees: d("10.01").Mul(decimal.NewFromInt(int64(i))),
			LastMonthSalFees: d("8800.00").Sub(decimal.NewFromInt(int64(1000 * i))), LastMonthRefundFees: d("120.50"),
			LatelyTransactionFees: d("480.00"), LatelyTransactionDate: now.Add(-26 * time.Hour).Truncate(time.Hour),
		})
		for _, p := range []wdt.Platform{wdt.PlatformAlipay, "9969"} {
			for _, month := range months {
				if day := month.AddDate(0, 0, 4+i); !day.After(now) {
					if _, err := f.WDT.AddSample(code, p, day, 3+i); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// billItems gives each bill a few lines whose amounts add up to the bill's.
func billItems(ci, mi, k int) ([]omstest.Item, decimal.Decimal) {
	var items []omstest.Item
	total := decimal.Zero
	for j := range 1 + (k+ci)%3 {
		s := skus[(j+k+mi)%len(skus)]
		qty := decimal.NewFromInt(int64(5 + 3*j + 2*k + ci + mi))
		amt := s.price.Mul(qty)
		total = total.Add(amt)
		items = append(items, omstest.Item{ItemCode: s.code, ItemName: s.name, Amount: amt, Quantity: qty, UnitPrice: s.price})
	}
	return items, total
}

// Summary describes the fakes for the startup log.
func (f *Fakes) Summary() map[string]string {
	return map[string]string{"waiqin": f.Waiqin.URL, "oms": f.OMS.URL, "jdy": f.JDY.URL, "wdt": f.WDT.URL}
}
