package oms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
)

const (
	testFlag  = "ksf"
	testToken = "tok-secret"
)

// clock is a frozen clock shared by client and fake; Sleep moves it on, so
// waiting for the next second costs no real time.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps int
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 12, 1, 8, 30, 0, 0, tz.Shanghai)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.sleeps++
	return nil
}

func (c *clock) Sleeps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sleeps
}

type env struct {
	c    *Client
	fake *omstest.Server
	clk  *clock
}

// setup starts a fake and a client sharing a frozen clock, without a rate
// limit. mod adjusts the client's Config before New.
func setup(t *testing.T, fcfg omstest.Config, mod func(*Config)) *env {
	t.Helper()
	clk := newClock()
	if fcfg.Flag == "" {
		fcfg.Flag = testFlag
	}
	if fcfg.Token == "" {
		fcfg.Token = testToken
	}
	fcfg.Now = clk.Now
	fake := omstest.New(fcfg)
	t.Cleanup(fake.Close)
	cfg := Config{
		BaseURL:         fake.URL,
		Flag:            testFlag,
		Token:           testToken,
		TimestampFormat: fcfg.TimestampFormat,
		Sleep:           clk.Sleep,
		CallOptions:     upstream.CallOptions{Limiter: rate.NewLimiter(rate.Inf, 1), Now: clk.Now, Timeout: 5 * time.Second},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, fake: fake, clk: clk}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestSignKnownAnswer checks a whole request built by hand. The sign was
// computed outside Go:
//
//	a='charsetutf-8end_time2026-11-30 23:59:59flagksfmethodar.getListpage_no1page_size100shop_codeC001#C002start_time2026-11-01 00:00:00timestamp20261201083000typejsonver1'
//	inner=$(printf '%s' "$a" | md5sum | cut -d' ' -f1 | tr a-f A-F)   # C5B8E3EB6D4273162DD078A788324CC7
//	printf '%s' "${inner}tok-secret" | md5sum | tr a-f A-F            # DDE118CAF0FCA50C862953F4326C3591
//
// i.e. every parameter but sign, keys sorted, key then value, no
// separators; the '#' joining two shop codes and the spaces of the times are
// signed raw (form encoding comes after signing).
func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, nil)
	// Query times given in UTC must be sent as Shanghai wall clock.
	q := ARQuery{
		ShopCodes: []string{"C001", " C002 ", ""},
		Start:     time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC),
		End:       time.Date(2026, 11, 30, 15, 59, 59, 0, time.UTC),
	}
	biz, err := q.params()
	if err != nil {
		t.Fatal(err)
	}
	biz["page_no"], biz["page_size"] = "1", "100"
	form := e.c.form(MethodARList, biz, e.c.format(e.clk.Now()))
	want := url.Values{
		"flag": {"ksf"}, "method": {"ar.getList"}, "ver": {"1"}, "charset": {"utf-8"}, "type": {"json"},
		"timestamp": {"20261201083000"}, "page_no": {"1"}, "page_size": {"100"}, "shop_code": {"C001#C002"},
		"start_time": {"2026-11-01 00:00:00"}, "end_time": {"2026-11-30 23:59:59"},
		"sign": {"DDE118CAF0FCA50C862953F4326C3591"},
	}
	if form.Encode() != want.Encode() {
		t.Fatalf("form\n got %s\nwant %s", form.Encode(), want.Encode())
	}

	// The fake, which recomputes the sign from what it receives, accepts it.
	resp, err := http.Post(e.fake.URL+ServicePath, "application/x-www-form-urlencoded", strings.NewReader(want.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if _, _, err := interpret(MethodARList, resp.StatusCode, body); err != nil {
		t.Fatalf("fake refused the known-answer request: %v (%s)", err, body)
	}
}

func TestTimestampFormats(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC) // 08:30 in Shanghai
	for _, tt := range []struct{ format, want string }{
		{"", "20261201083000"},
		{TimestampDatetime, "20261201083000"},
		{TimestampUnix, "1796085000"},
	} {
		t.Run("format="+tt.format, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{BaseURL: "http://oms.test", Flag: "f", Token: "t", TimestampFormat: tt.format})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.format(at); got != tt.want {
				t.Fatalf("format = %s, want %s", got, tt.want)
			}
		})
	}
	for _, format := range []string{TimestampDatetime, TimestampUnix} {
		t.Run("fake accepts "+format, func(t *testing.T) {
			t.Parallel()
			e := setup(t, omstest.Config{TimestampFormat: format}, nil)
			e.fake.SetBalance(omstest.Account{AccountID: "A1", Balance: dec("1.00")})
			if _, err := e.c.AccountBalance(context.Background(), "A1"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWrongSignRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		dialect omstest.Dialect
		code    string
	}{{omstest.DialectSource, "e000002"}, {omstest.DialectPages, "1003"}} {
		t.Run(string(tt.dialect), func(t *testing.T) {
			t.Parallel()
			e := setup(t, omstest.Config{Dialect: tt.dialect}, func(c *Config) { c.Token = "wrong-token" })
			_, err := e.c.AccountBalance(context.Background(), "")
			ue, ok := upstream.As(err)
			if !ok || !ue.Permanent || ue.Code != tt.code || ue.Vendor != "oms" || ue.Op != MethodBalance {
				t.Fatalf("err = %#v", err)
			}
			if n := e.fake.Calls(MethodBalance); n != 1 {
				t.Fatalf("calls = %d, want 1 (no retry of a permanent refusal)", n)
			}
		})
	}
}

func seedBills(t *testing.T, fake *omstest.Server, n int) []string {
	t.Helper()
	bns := make([]string, n)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, tz.Shanghai)
	for i := range n {
		bns[i] = fmt.Sprintf("AR%05d", i)
		err := fake.AddBill(omstest.Bill{
			ShopCode: "C1", BillBN: bns[i], BillType: "销售单",
			Amount:     decimal.New(int64(i)*100+1, -2),
			CreateTime: base.Add(time.Duration(i) * time.Minute).Format("2006-01-02 15:04:05"),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return bns
}

func TestARListPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rows, ask, cap int
		pages          int
	}{
		{rows: 0, ask: 100, cap: 100, pages: 1},
		{rows: 1, ask: 100, cap: 100, pages: 1},
		{rows: 100, ask: 100, cap: 100, pages: 1},    // exact page
		{rows: 200, ask: 100, cap: 100, pages: 2},    // exact multiple
		{rows: 250, ask: 100, cap: 100, pages: 3},    // remainder
		{rows: 250, ask: 1000, cap: 100, pages: 3},   // asked 1000, served 100
		{rows: 30, ask: 7, cap: 100, pages: 5},       // 7+7+7+7+2
		{rows: 28, ask: 7, cap: 100, pages: 4},       // 7×4
		{rows: 21, ask: 100, cap: 10, pages: 3},      // vendor cap below the ask
		{rows: 1001, ask: 1000, cap: 1000, pages: 2}, // the pages' maximum
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rows=%d/ask=%d/cap=%d", tt.rows, tt.ask, tt.cap), func(t *testing.T) {
			t.Parallel()
			e := setup(t, omstest.Config{MaxPageSize: tt.cap}, func(c *Config) { c.PageSize = tt.ask })
			want := seedBills(t, e.fake, tt.rows)
			var got []string
			err := e.c.ARList(context.Background(), ARQuery{ShopCodes: []string{"C1"}}, func(b ARBill) error {
				got = append(got, b.BillBN)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %d bills %v…, want %d", len(got), got[:min(3, len(got))], len(want))
			}
			if n := e.fake.Calls(MethodARList); n != tt.pages {
				t.Fatalf("requests = %d, want %d", n, tt.pages)
			}
			for i, f := range e.fake.Received(MethodARList) {
				if f.Get("page_no") != fmt.Sprint(i+1) || f.Get("page_size") != fmt.Sprint(tt.ask) {
					t.Fatalf("request %d asked page_no=%s page_size=%s", i, f.Get("page_no"), f.Get("page_size"))
				}
			}
		})
	}
}

func TestARListFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, nil)
	if err := e.fake.Load(omstest.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	lo, hi := dec("0"), dec("2000")
	q := ARQuery{
		ShopCodes: []string{"C001", "C002"},
		Start:     time.Date(2026, 11, 1, 0, 0, 0, 0, tz.Shanghai),
		End:       time.Date(2026, 11, 15, 23, 59, 59, 0, tz.Shanghai),
		AmountMin: &lo, AmountMax: &hi, BillType: "销售单", Currency: "CNY",
	}
	var got []ARBill
	if err := e.c.ARList(context.Background(), q, func(b ARBill) error { got = append(got, b); return nil }); err != nil {
		t.Fatal(err)
	}
	// C002's 2400 is above the maximum; C001's return is outside type and amount.
	if len(got) != 2 || got[0].BillBN != "AR202611010001" || got[1].BillBN != "AR202611120002" {
		t.Fatalf("got %+v", got)
	}
	b := got[1]
	if !b.Amount.Equal(dec("960.50")) || b.RawAmount != "960.50" || b.ShopName != "华东经销商" {
		t.Fatalf("bill = %+v", b)
	}
	if want := time.Date(2026, 11, 12, 14, 5, 0, 0, tz.Shanghai); !b.CreateTime.Equal(want) || b.CreateTime.Location() != tz.Shanghai {
		t.Fatalf("create_time = %v", b.CreateTime)
	}
	f := e.fake.Received(MethodARList)[0]
	for k, v := range map[string]string{"shop_code": "C001#C002", "start_time": "2026-11-01 00:00:00",
		"end_time": "2026-11-15 23:59:59", "amount_min": "0", "amount_max": "2000", "bill_type": "销售单"} {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	for _, k := range []string{"shop_name", "supplier_code", "status", "bill_bn"} {
		if f.Has(k) {
			t.Errorf("empty filter %s was sent", k)
		}
	}
}

func TestARQueryInvalid(t *testing.T) {
	t.Parallel()
	lo, hi := dec("10"), dec("1")
	now := time.Now()
	for name, q := range map[string]ARQuery{
		"separator in code": {ShopCodes: []string{"A#B"}},
		"end before start":  {Start: now, End: now.Add(-time.Second)},
		"min above max":     {AmountMin: &lo, AmountMax: &hi},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, omstest.Config{}, nil)
			err := e.c.ARList(context.Background(), q, func(ARBill) error { return nil })
			if !retry.IsPermanent(err) || e.fake.Calls(MethodARList) != 0 {
				t.Fatalf("err = %v, calls = %d", err, e.fake.Calls(MethodARList))
			}
		})
	}
}

func TestARDetail(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{Dialect: omstest.DialectPages}, nil)
	if err := e.fake.Load(omstest.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	d, err := e.c.ARDetail(context.Background(), "AR202611120002")
	if err != nil {
		t.Fatal(err)
	}
	if d.BillBN != "AR202611120002" || d.Remark != "" || len(d.Items) != 1 {
		t.Fatalf("detail = %+v", d)
	}
	it := d.Items[0]
	if it.ItemCode != "SKU-TEA-500" || !it.Quantity.Equal(dec("20")) || it.UnitPrice.String() != "48.025" || !it.Amount.Equal(dec("960.5")) {
		t.Fatalf("item = %+v", it)
	}
	d, err = e.c.ARDetail(context.Background(), "AR202611050004") // seeded with JSON numbers
	if err != nil || !d.Amount.Equal(dec("2400")) || !d.Items[0].Quantity.Equal(dec("40")) {
		t.Fatalf("detail = %+v, %v", d, err)
	}

	_, err = e.c.ARDetail(context.Background(), "NOPE")
	if !errors.Is(err, ErrBillNotFound) || !retry.IsPermanent(err) {
		t.Fatalf("unknown bill: %v", err)
	}
	_, err = e.c.ARDetail(context.Background(), " ")
	if !retry.IsPermanent(err) {
		t.Fatalf("empty bill_bn: %v", err)
	}
}

func TestTransactionsAndBalance(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, func(c *Config) { c.PageSize = 2 })
	if err := e.fake.Load(omstest.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	// Beyond float64's 15-16 digits: must arrive exactly.
	if err := e.fake.AddTransaction(omstest.Transaction{TransID: "TXBIG", AccountID: "ACC-C001", TransType: "income",
		Amount: dec("12345678901234567.89"), Balance: dec("12345678901235423.39"), TransTime: "2026-11-30 23:59:59"}); err != nil {
		t.Fatal(err)
	}
	var got []Transaction
	q := TxQuery{AccountID: "ACC-C001", TransType: TransIncome,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, tz.Shanghai), End: time.Date(2026, 11, 30, 23, 59, 59, 0, tz.Shanghai)}
	if err := e.c.Transactions(context.Background(), q, func(tx Transaction) error { got = append(got, tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].TransID != "TX202611030001" || got[1].TransID != "TX202611250003" {
		t.Fatalf("got %+v", got)
	}
	if !got[0].Amount.Equal(dec("2000")) || !got[0].Balance.Equal(dec("2500")) || got[0].TransType != TransIncome {
		t.Fatalf("tx = %+v", got[0])
	}
	if got[2].Amount.String() != "12345678901234567.89" || got[2].Balance.String() != "12345678901235423.39" {
		t.Fatalf("big amounts = %s / %s", got[2].Amount, got[2].Balance)
	}
	if e.fake.Calls(MethodTransactions) != 2 {
		t.Fatalf("pages = %d", e.fake.Calls(MethodTransactions))
	}

	accts, err := e.c.AccountBalance(context.Background(), "ACC-C001")
	if err != nil || len(accts) != 1 || !accts[0].Balance.Equal(dec("855.50")) || accts[0].AccountType != "main" {
		t.Fatalf("accounts = %+v, %v", accts, err)
	}
	accts, err = e.c.AccountBalance(context.Background(), "")
	if err != nil || len(accts) != 2 {
		t.Fatalf("all accounts = %+v, %v", accts, err)
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		f         omstest.Failure
		permanent bool
		code      string
		status    int
	}{
		{"1 params", omstest.Failure{Code: "1", Msg: "参数错误"}, true, "1", 0},
		{"400 params", omstest.Failure{Code: "400", Msg: "参数错误"}, true, "400", 0},
		{"401 unauthorised", omstest.Failure{Code: "401", Msg: "未授权访问"}, true, "401", 0},
		{"403 forbidden", omstest.Failure{Code: "403", Msg: "禁止访问"}, true, "403", 0},
		{"500 internal", omstest.Failure{Code: "500", Msg: "服务器内部错误"}, false, "500", 0},
		{"1001 flag", omstest.Failure{Code: "1001", Msg: "非法的flag"}, true, "1001", 0},
		{"1003 sign", omstest.Failure{Code: "1003", Msg: "签名错误"}, true, "1003", 0},
		{"1004 type", omstest.Failure{Code: "1004", Msg: "不支持的type格式"}, true, "1004", 0},
		{"2001 missing", omstest.Failure{Code: "2001", Msg: "缺少必要的参数"}, true, "2001", 0},
		{"2002 invalid", omstest.Failure{Code: "2002", Msg: "非法的请求参数"}, true, "2002", 0},
		{"2003 method", omstest.Failure{Code: "2003", Msg: "接口不存在"}, true, "2003", 0},
		{"e000002 sign", omstest.Failure{Code: "e000002", Msg: "sign error"}, true, "e000002", 0},
		{"unknown e-code busy", omstest.Failure{Code: "e000099", Msg: "系统繁忙"}, false, "e000099", 0},
		{"unknown e-code flag", omstest.Failure{Code: "e000001", Msg: "非法的flag"}, true, "e000001", 0},
		{"rsp fail", omstest.Failure{Body: `{"rsp":"fail","res":"e000002","err_msg":"签名错误"}`}, true, "e000002", 0},
		{"HTTP 500 HTML", omstest.Failure{Status: 500, Body: "<html>Internal Server Error</html>"}, false, "", 500},
		{"HTTP 502 empty", omstest.Failure{Status: 502}, false, "", 502},
		{"HTTP 429", omstest.Failure{Status: 429, Body: "slow down"}, false, "", 429},
		{"HTTP 404", omstest.Failure{Status: 404, Body: "not found"}, true, "", 404},
		{"HTTP 403 with vendor code", omstest.Failure{Status: 403, Code: "1003", Msg: "签名错误"}, true, "1003", 403},
		{"malformed 200", omstest.Failure{Body: `{"response":{"count":`}, true, "", 0},
		{"HTML 200", omstest.Failure{Body: "<html>maintenance</html>"}, true, "", 0},
		{"bad money", omstest.Failure{Body: `{"response":{"accounts":[{"account_id":"A","balance":"12,00"}]}}`}, true, "", 0},
		{"connection dropped", omstest.Failure{Drop: true}, false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, omstest.Config{}, nil)
			e.fake.FailNext(MethodBalance, 1, tt.f)
			_, err := e.c.AccountBalance(context.Background(), "A")
			ue, ok := upstream.As(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *upstream.Error", err, err)
			}
			if ue.Permanent != tt.permanent || ue.Code != tt.code || ue.Status != tt.status {
				t.Fatalf("err = %+v, want permanent=%v code=%q status=%d", ue, tt.permanent, tt.code, tt.status)
			}
			if ue.Vendor != Vendor || ue.Op != MethodBalance {
				t.Fatalf("vendor/op = %s/%s", ue.Vendor, ue.Op)
			}
			if errors.Is(err, retry.ErrPermanent) == errors.Is(err, upstream.ErrTransient) {
				t.Fatal("must be exactly one of permanent/transient")
			}
			if n := e.fake.Calls(MethodBalance); n != 1 {
				t.Fatalf("calls = %d, want 1 (retries are the worker's)", n)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	t.Run("request timeout is transient", func(t *testing.T) {
		t.Parallel()
		e := setup(t, omstest.Config{}, func(c *Config) { c.Timeout = 50 * time.Millisecond })
		e.fake.FailNext(MethodBalance, 1, omstest.Failure{Delay: time.Hour})
		_, err := e.c.AccountBalance(context.Background(), "A")
		if ue, ok := upstream.As(err); !ok || ue.Permanent {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("caller deadline is returned as is", func(t *testing.T) {
		t.Parallel()
		e := setup(t, omstest.Config{}, nil)
		e.fake.FailNext(MethodBalance, 1, omstest.Failure{Delay: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := e.c.AccountBalance(ctx, "A")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if _, ok := upstream.As(err); ok {
			t.Fatal("a caller's deadline is not the vendor's failure")
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		t.Parallel()
		e := setup(t, omstest.Config{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := e.c.ARList(ctx, ARQuery{}, func(ARBill) error { return nil })
		if !errors.Is(err, context.Canceled) || e.fake.Calls(MethodARList) != 0 {
			t.Fatalf("err = %v, calls = %d", err, e.fake.Calls(MethodARList))
		}
	})
}

func TestResign(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		code   string
		times  int
		ok     bool
		skewed bool // the client's clock is two hours behind
	}{
		{name: "e000008 once", code: "e000008", times: 1, ok: true},
		{name: "1002 once", code: "1002", times: 1, ok: true},
		{name: "e000009 once", code: "e000009", times: 1, ok: true},
		{name: "e000008 twice", code: "e000008", times: 2},
		{name: "1002 twice", code: "1002", times: 2},
		{name: "client clock skewed", skewed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var obs []string
			var mu sync.Mutex
			e := setup(t, omstest.Config{}, func(c *Config) {
				c.Observer = upstream.ObserverFunc(func(vendor, op, outcome string, _ time.Duration) {
					mu.Lock()
					defer mu.Unlock()
					obs = append(obs, vendor+" "+op+" "+outcome)
				})
			})
			if tt.skewed {
				e.c.now = func() time.Time { return e.clk.Now().Add(-2 * time.Hour) }
			} else {
				e.fake.FailNext(MethodBalance, tt.times, omstest.Failure{Code: tt.code, Msg: "请求已过期"})
			}
			_, err := e.c.AccountBalance(context.Background(), "A")
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if ue, ok := upstream.As(err); !ok || ue.Permanent {
					t.Fatalf("err = %v, want transient", err)
				}
			}
			got := e.fake.Received(MethodBalance)
			if len(got) != 2 {
				t.Fatalf("requests = %d, want 2 (one re-signed retry)", len(got))
			}
			if got[0].Get("timestamp") == got[1].Get("timestamp") || got[0].Get("sign") == got[1].Get("sign") {
				t.Fatalf("retry not re-signed: %s/%s", got[1].Get("timestamp"), got[1].Get("sign"))
			}
			mu.Lock()
			defer mu.Unlock()
			if len(obs) != 2 || obs[0] != "oms finance.getAccountBalance transient" {
				t.Fatalf("observed %v, want one per HTTP request", obs)
			}
		})
	}
}

func TestSameQueryNeverSignedTwiceInOneSecond(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, nil)
	if err := e.fake.Load(omstest.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.c.ARDetail(context.Background(), "AR202611010001"); err != nil {
			t.Fatal(err)
		}
	}
	got := e.fake.Received(MethodARDetail)
	if len(got) != 3 || e.clk.Sleeps() != 2 {
		t.Fatalf("requests = %d, waits = %d", len(got), e.clk.Sleeps())
	}
	if got[0].Get("timestamp") == got[1].Get("timestamp") || got[1].Get("timestamp") == got[2].Get("timestamp") {
		t.Fatal("same query signed twice in one second")
	}
	// A different query in the same second needs no wait.
	if _, err := e.c.ARDetail(context.Background(), "AR202611120002"); err != nil || e.clk.Sleeps() != 2 {
		t.Fatalf("err = %v, waits = %d", err, e.clk.Sleeps())
	}
}

func TestRepeatFromAnotherClient(t *testing.T) {
	t.Parallel()
	// Two clients (e.g. two worker processes) ask the same query in the same
	// second: the vendor refuses the second as a repeat; it re-signs once.
	e := setup(t, omstest.Config{}, nil)
	if err := e.fake.Load(omstest.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	other, err := New(Config{
		BaseURL:     e.fake.URL,
		Flag:        testFlag,
		Token:       testToken,
		Sleep:       e.clk.Sleep,
		CallOptions: upstream.CallOptions{Limiter: rate.NewLimiter(rate.Inf, 1), Now: e.clk.Now},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Client{e.c, other} {
		if _, err := c.AccountBalance(context.Background(), "ACC-C001"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.fake.Calls(MethodBalance); n != 3 {
		t.Fatalf("calls = %d, want 3 (1 + refused repeat + re-signed)", n)
	}
}

func TestPagingGuards(t *testing.T) {
	t.Parallel()
	page1 := `{"response":{"count":4,"lists":[{"bill_bn":"AR00000","amount":"0.01","create_time":"2026-11-01 00:00:00"},{"bill_bn":"AR00001","amount":"1.01","create_time":"2026-11-01 00:01:00"}]}}`
	tests := []struct {
		name string
		arm  func(e *env)
		fn   func(e *env) func(ARBill) error
		want string
	}{
		{
			name: "count grows mid-way",
			fn: func(e *env) func(ARBill) error {
				var once sync.Once
				return func(ARBill) error {
					once.Do(func() {
						_ = e.fake.AddBill(omstest.Bill{ShopCode: "C1", BillBN: "LATE", CreateTime: "2026-11-30 00:00:00"})
					})
					return nil
				}
			},
			want: "count changed from 4 to 5",
		},
		{
			name: "page_no ignored",
			arm:  func(e *env) { e.fake.FailNext(MethodARList, 1, omstest.Failure{Body: page1}) },
			want: "repeats rows",
		},
		{
			name: "list ends early",
			arm: func(e *env) {
				e.fake.FailNext(MethodARList, 1, omstest.Failure{Body: `{"response":{"count":4,"lists":[]}}`})
			},
			want: "ended at 2 of 4",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, omstest.Config{}, func(c *Config) { c.PageSize = 2 })
			seedBills(t, e.fake, 4)
			fn := func(ARBill) error { return nil }
			if tt.fn != nil {
				fn = tt.fn(e)
			}
			// The first page is real; the armed failure answers the second.
			armed := false
			wrapped := func(b ARBill) error {
				if !armed && tt.arm != nil {
					armed = true
					tt.arm(e)
				}
				return fn(b)
			}
			err := e.c.ARList(context.Background(), ARQuery{}, wrapped)
			ue, ok := upstream.As(err)
			if !ok || ue.Permanent || !strings.Contains(ue.Message, tt.want) {
				t.Fatalf("err = %v, want transient %q", err, tt.want)
			}
		})
	}
}

func TestCallbackErrorStops(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, func(c *Config) { c.PageSize = 2 })
	seedBills(t, e.fake, 5)
	stop := errors.New("stop")
	n := 0
	err := e.c.ARList(context.Background(), ARQuery{}, func(ARBill) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || e.fake.Calls(MethodARList) != 2 {
		t.Fatalf("err = %v, calls = %d", err, e.fake.Calls(MethodARList))
	}
}

func TestRateLimiterIsUsed(t *testing.T) {
	t.Parallel()
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	e := setup(t, omstest.Config{}, func(c *Config) { c.Limiter = lim })
	if _, err := e.c.AccountBalance(context.Background(), "A"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := e.c.AccountBalance(ctx, "B")
	if ue, ok := upstream.As(err); !ok || ue.Permanent {
		t.Fatalf("err = %v, want transient", err)
	}
	if n := e.fake.Calls(MethodBalance); n != 1 {
		t.Fatalf("calls = %d: the limiter was bypassed", n)
	}
}

// echoTransport answers every request with a vendor error whose message
// echoes the request's sign and the token.
type echoTransport struct{}

func (echoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	f, _ := url.ParseQuery(string(b))
	msg := fmt.Sprintf("bad sign %s for token %s", f.Get("sign"), testToken)
	body := fmt.Sprintf(`{"error_response":{"code":"e000002","msg":%q,"sub_msg":"sign=%s"}}`, msg, f.Get("sign"))
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}, Request: r}, nil
}

func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	var sent []string
	c, err := New(Config{
		BaseURL:     "http://oms.test",
		Flag:        testFlag,
		Token:       testToken,
		CallOptions: upstream.CallOptions{Limiter: rate.NewLimiter(rate.Inf, 1), HTTPClient: &http.Client{Transport: recordSign(&sent, echoTransport{})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AccountBalance(context.Background(), "A")
	if err == nil || len(sent) != 1 {
		t.Fatalf("err = %v, sent = %d", err, len(sent))
	}
	for _, secret := range []string{testToken, sent[0]} {
		if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
			t.Fatalf("error leaks a secret: %v", err)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error = %v", err)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func recordSign(sent *[]string, next http.RoundTripper) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(b))
		*sent = append(*sent, f.Get("sign"))
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		return next.RoundTrip(r)
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := Config{BaseURL: "https://oms.example.com", Flag: "f", Token: "t"}
	tests := map[string]func(*Config){
		"no base":        func(c *Config) { c.BaseURL = "" },
		"relative base":  func(c *Config) { c.BaseURL = "oms.example.com" },
		"ftp base":       func(c *Config) { c.BaseURL = "ftp://x" },
		"no flag":        func(c *Config) { c.Flag = "" },
		"no token":       func(c *Config) { c.Token = "" },
		"bad format":     func(c *Config) { c.TimestampFormat = "millis" },
		"page too large": func(c *Config) { c.PageSize = 1001 },
		"negative page":  func(c *Config) { c.PageSize = -1 },
		"negative rps":   func(c *Config) { c.RPS = -1 },
		"negative time":  func(c *Config) { c.Timeout = -time.Second },
	}
	for name, mod := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			mod(&cfg)
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted an invalid config")
			} else if strings.Contains(err.Error(), "secret-token") {
				t.Fatal("error leaks the token")
			}
		})
	}
	c, err := New(Config{BaseURL: "https://oms.example.com/", Flag: "f", Token: "secret-token", CallOptions: upstream.CallOptions{RPS: 2.5}})
	if err != nil {
		t.Fatal(err)
	}
	lim, _ := c.lim.(*rate.Limiter)
	if c.endpoint != "https://oms.example.com/index.php/openapi/rpc/service/" || lim == nil || lim.Burst() != 1 || lim.Limit() != 2.5 || c.pageSize != DefaultPageSize {
		t.Fatalf("endpoint %s limiter %v page %d", c.endpoint, lim, c.pageSize)
	}
}

func TestPagingWithoutCount(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, nil)
	for _, body := range []string{
		`{"response":{"lists":[{"bill_bn":"A"},{"bill_bn":"B"}]}}`,
		`{"response":{"lists":[{"bill_bn":"C"}]}}`,
		`{"response":{"lists":[]}}`,
	} {
		e.fake.FailNext(MethodARList, 1, omstest.Failure{Body: body})
	}
	var got []string
	err := e.c.ARList(context.Background(), ARQuery{}, func(b ARBill) error { got = append(got, b.BillBN); return nil })
	if err != nil || strings.Join(got, "") != "ABC" || e.fake.Calls(MethodARList) != 3 {
		t.Fatalf("got %v, err %v, calls %d", got, err, e.fake.Calls(MethodARList))
	}
}

// TestLaterPagesWithoutCount: the first page's count stands when later
// pages leave it out (issue 10, item 9); reading stops at count rows.
func TestLaterPagesWithoutCount(t *testing.T) {
	t.Parallel()
	e := setup(t, omstest.Config{}, nil)
	for _, body := range []string{
		`{"response":{"count":3,"lists":[{"bill_bn":"A"},{"bill_bn":"B"}]}}`,
		`{"response":{"lists":[{"bill_bn":"C"}]}}`,
	} {
		e.fake.FailNext(MethodARList, 1, omstest.Failure{Body: body})
	}
	var got []string
	err := e.c.ARList(context.Background(), ARQuery{}, func(b ARBill) error { got = append(got, b.BillBN); return nil })
	if err != nil || strings.Join(got, "") != "ABC" || e.fake.Calls(MethodARList) != 2 {
		t.Fatalf("got %v, err %v, calls %d", got, err, e.fake.Calls(MethodARList))
	}
}
