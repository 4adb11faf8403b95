package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
)

// Fake credentials (not secrets) the worker is configured with.
const (
	omsFlag      = "syncload"
	omsToken     = "syncload-oms-token"
	waiqinOpenID = "syncload00000000001" // 19 characters, like a real openid
	waiqinAppKey = "syncloadappkey0001"  // 18 characters
)

// The period every statement covers; its transactions give the balances,
// so no later-transaction or balance query is needed.
const (
	periodStart = "2025-03-01"
	periodEnd   = "2025-03-31"
)

// fakeVendors are the 商派 OMS and 勤策 fakes the worker calls, each behind a
// listener of its own that delays every answer by latency.
type fakeVendors struct {
	oms      *omstest.Server
	waiqin   *waiqintest.Server
	omsSrv   *httptest.Server
	waiqSrv  *httptest.Server
	recorder *saveRecorder
	// omsCount and waiqinCount count each fake's requests per second.
	omsCount, waiqinCount *perSecond
}

func startVendors(latency time.Duration) *fakeVendors {
	v := &fakeVendors{
		oms:    omstest.NewHandler(omstest.Config{Flag: omsFlag, Token: omsToken}),
		waiqin: waiqintest.NewUnstarted(waiqintest.Config{OpenID: waiqinOpenID, AppKey: waiqinAppKey}),
	}
	v.recorder = newSaveRecorder(delayed(v.waiqin.Handler(), latency))
	v.omsCount = countPerSecond(delayed(v.oms.Handler(), latency))
	v.waiqinCount = countPerSecond(v.recorder)
	v.omsSrv = httptest.NewServer(v.omsCount)
	v.waiqSrv = httptest.NewServer(v.waiqinCount)
	return v
}

func (v *fakeVendors) Close() {
	v.omsSrv.Close()
	v.waiqSrv.Close()
	v.oms.Close()
	v.waiqin.Close()
}

// delayed holds every answer of h back by d (a vendor's latency), ending
// early if the caller goes away.
func delayed(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		h.ServeHTTP(w, r)
	})
}

// saveRecorder notes when the 勤策 fake has stored each customer's statement
// (after the fake answered saveStatement, which it does once it holds the
// statement) and each error log.
type saveRecorder struct {
	next http.Handler
	wake chan struct{}

	mu     sync.Mutex
	saved  map[string]time.Time // customer code → first time stored
	failed map[string]string    // customer code → error reason (saveStatementError)
	order  []time.Time          // every first save, in order
}

func newSaveRecorder(next http.Handler) *saveRecorder {
	return &saveRecorder{next: next, wake: make(chan struct{}, 1), saved: map[string]time.Time{}, failed: map[string]string{}}
}

// ok200 records the status and whether the answer's return_code was 0.
type ok200 struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (o *ok200) WriteHeader(code int) { o.status = code; o.ResponseWriter.WriteHeader(code) }
func (o *ok200) Write(b []byte) (int, error) {
	if o.body.Len() < 4096 {
		o.body.Write(b)
	}
	return o.ResponseWriter.Write(b)
}

func (o *ok200) succeeded() bool {
	if o.status != 0 && o.status != http.StatusOK {
		return false
	}
	var env struct {
		Code json.RawMessage `json:"return_code"`
	}
	if json.Unmarshal(o.body.Bytes(), &env) != nil {
		return false
	}
	c := strings.Trim(string(env.Code), `"`)
	return c == "0"
}

func (s *saveRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	save := strings.Contains(r.URL.Path, "/saveStatement/")
	errLog := strings.Contains(r.URL.Path, "/saveStatementError/")
	if !save && !errLog {
		s.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var doc struct {
		CustomerCode string `json:"customer_code"`
		ErrorReason  string `json:"error_reason"`
	}
	_ = json.Unmarshal(body, &doc)
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	rec := &ok200{ResponseWriter: w}
	s.next.ServeHTTP(rec, r)
	now := time.Now()
	if !rec.succeeded() {
		return
	}
	s.mu.Lock()
	if save {
		if _, dup := s.saved[doc.CustomerCode]; !dup {
			s.saved[doc.CustomerCode] = now
			s.order = append(s.order, now)
		}
	} else {
		s.failed[doc.CustomerCode] = doc.ErrorReason
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// done counts the customers whose statement was saved or reported failed.
func (s *saveRecorder) done() (saved, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.saved), len(s.failed)
}

func (s *saveRecorder) savedAt(code string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.saved[code]
	return t, ok
}

func (s *saveRecorder) firstFailure() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c, r := range s.failed {
		return c + ": " + r
	}
	return ""
}

// seedCustomer gives a customer `bills` (at most 1,000) sales bills of two items in the
// period, each paid from the deposit (an expense movement), and one payment:
// a statement of bills+1 trade rows and 2·bills detail rows that reconciles.
func seedCustomer(oms *omstest.Server, code string, bills int) error {
	d := decimal.RequireFromString
	month := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	balance := d("50000.00")
	oms.SetBalance(omstest.Account{AccountID: code, AccountName: code + " 预付款", AccountType: "deposit", Balance: balance, Currency: "CNY"})
	for k := range bills {
		at := month.Add(9*time.Hour + time.Duration(k)*37*time.Minute).Format(time.DateTime) // in time order
		no := fmt.Sprintf("AR%s-%04d", code, k)
		items := []omstest.Item{
			{ItemCode: "SKU-TEA-500", ItemName: "冰红茶500ml×15", Amount: d("480.00"), Quantity: d("10"), UnitPrice: d("48.00")},
			{ItemCode: "SKU-WATER-550", ItemName: "矿物质水550ml×24", Amount: d("96.00"), Quantity: d("3"), UnitPrice: d("32.00")},
		}
		amount := d("576.00")
		if err := oms.AddBill(omstest.Bill{ShopCode: code, ShopName: code + " 经销商", BillBN: no, BillType: "销售单",
			Amount: amount, Currency: "CNY", Status: "未结算", CreateTime: at, Items: items}); err != nil {
			return err
		}
		balance = balance.Sub(amount)
		if err := oms.AddTransaction(omstest.Transaction{TransID: "T" + no, AccountID: code, AccountName: code + " 预付款",
			TransType: "expense", Amount: amount, Balance: balance, TransTime: at, Remark: "货款扣款 " + no}); err != nil {
			return err
		}
	}
	pay := d("3000.00")
	balance = balance.Add(pay)
	return oms.AddTransaction(omstest.Transaction{TransID: "PAY" + code, AccountID: code, AccountName: code + " 预付款",
		TransType: "income", Amount: pay, Balance: balance, TransTime: "2025-03-30 10:00:00", Remark: "银行转账缴款"})
}
