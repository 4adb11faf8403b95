package wdt_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt/wdttest"
)

const (
	appSecret = "S3CRET-app-secret"
	hjyAppKey = "HJY-K3Y-secret"
)

var clock = time.Date(2026, 11, 21, 10, 15, 0, 0, tz.Shanghai)

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, tz.Shanghai)
}

// setup starts a fake with distinctive secrets and a fixed clock, and a
// client for it; adjust may change the client's config.
func setup(t *testing.T, fc wdttest.Config, adjust ...func(*wdt.Config)) (*wdttest.Server, *wdt.Client) {
	t.Helper()
	fc.AppSecret, fc.HJYAppKey = appSecret, hjyAppKey
	if fc.Now == nil {
		fc.Now = func() time.Time { return clock }
	}
	s := wdttest.New(fc)
	t.Cleanup(s.Close)
	cfg := s.ClientConfig()
	for _, f := range adjust {
		f(&cfg)
	}
	c, err := wdt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func november(shops ...string) wdt.BillQuery {
	return wdt.BillQuery{ShopNos: shops, Platform: wdt.PlatformDouyinFunds, Start: day(2026, 11, 1), End: day(2026, 11, 30)}
}

func collect(t *testing.T, c *wdt.Client, q wdt.BillQuery) ([]wdt.Bill, error) {
	t.Helper()
	var got []wdt.Bill
	err := c.Bills(context.Background(), q, func(b wdt.Bill) error {
		got = append(got, b)
		return nil
	})
	return got, err
}

func TestPaging(t *testing.T) {
	t.Parallel()
	type tc struct {
		n, pageSize int
		ending      wdttest.Ending
		exact       bool
	}
	var cases []tc
	for _, n := range []int{0, 1, 199, 200, 201, 400, 401} {
		for _, e := range []wdttest.Ending{wdttest.EndFalse, wdttest.EndEmpty, wdttest.EndAbsent, wdttest.EndBool} {
			cases = append(cases, tc{n, 200, e, false})
		}
		cases = append(cases, tc{n, 200, wdttest.EndFalse, true})
	}
	for _, n := range []int{6, 7, 8} { // small pages: multiples and remainders of 3
		cases = append(cases, tc{n, 3, wdttest.EndFalse, false}, tc{n, 3, wdttest.EndEmpty, true})
	}
	for i, tt := range cases {
		name := fmt.Sprintf("n=%d/page=%d/ending=%d/exact=%v", tt.n, tt.pageSize, tt.ending, tt.exact)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Vary the answer's other shapes across cases too.
			fc := wdttest.Config{PageSize: tt.pageSize, Ending: tt.ending, ExactEnd: tt.exact,
				Shape: wdttest.Shape(i % 2), Money: wdttest.Money(i / 2 % 2), WrapResponse: i%3 == 0}
			s, c := setup(t, fc)
			want, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			// Noise the query must not return.
			for _, noise := range []struct {
				shop string
				p    wdt.Platform
				d    time.Time
			}{{"s2", wdt.PlatformDouyinFunds, day(2026, 11, 5)}, {"s1", wdt.PlatformAlipay, day(2026, 11, 5)}, {"s1", wdt.PlatformDouyinFunds, day(2026, 12, 1)}} {
				if _, err := s.AddSample(noise.shop, noise.p, noise.d, 2); err != nil {
					t.Fatal(err)
				}
			}
			got, err := collect(t, c, november("s1"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d bills, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.AccountTradeNo != w.AccountTradeNo || !g.AccountAmount.Equal(w.AccountAmount) || !g.Amount.Equal(w.Amount) ||
					!g.OccurTime.Equal(w.OccurTime) || g.FundFlow != w.FundFlow || g.ID != w.ID || g.Platform != wdt.PlatformDouyinFunds {
					t.Fatalf("bill %d = %+v\nwant %+v", i, g, w)
				}
			}
			pages := tt.n/tt.pageSize + 1 // a cursor learns of the end from a short page
			if tt.exact {
				pages = max(1, (tt.n+tt.pageSize-1)/tt.pageSize)
			}
			if st := s.Stats(); st.Requests != pages || st.Pages != pages {
				t.Fatalf("stats %+v, want %d pages", st, pages)
			}
			for i, r := range s.Received() {
				if has := r.Form.Has("nextRequestId"); has != (i > 0) {
					t.Fatalf("request %d nextRequestId present=%v", i, has)
				}
			}
		})
	}
}

func TestMoneyExactAcrossShapes(t *testing.T) {
	t.Parallel()
	for _, m := range []wdttest.Money{wdttest.MoneyNumber, wdttest.MoneyString} {
		t.Run(fmt.Sprint(m), func(t *testing.T) {
			t.Parallel()
			s, c := setup(t, wdttest.Config{Money: m})
			amounts := []string{"0.1", "0.2", "-20.0000", "12345678901234.5678", "99999999999999999.99"}
			for i, a := range amounts {
				if err := s.AddBill("s1", wdt.PlatformDouyinFunds, map[string]any{
					"account_trade_no": fmt.Sprint("T", i), "account_amount": a, "event_day": "2026-11-02", "fund_flow": "0",
				}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := collect(t, c, november("s1"))
			if err != nil {
				t.Fatal(err)
			}
			sum := decimal.Zero
			for i, b := range got {
				if !b.AccountAmount.Equal(decimal.RequireFromString(amounts[i])) {
					t.Errorf("bill %d amount %s, want %s", i, b.AccountAmount, amounts[i])
				}
				sum = sum.Add(b.AccountAmount)
			}
			if want := decimal.RequireFromString("100012345678901214.8578"); !sum.Equal(want) {
				t.Errorf("sum %s, want %s", sum, want)
			}
		})
	}
}

func TestWrongSignaturesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		adjust func(*wdt.Config)
		code   string
	}{
		{"app secret", func(c *wdt.Config) { c.AppSecret = "wrong" }, "25/isv.invalid-signature"},
		{"hjy app key", func(c *wdt.Config) { c.HJYAppKey = "wrong" }, "403/FAIL"},
		{"app key", func(c *wdt.Config) { c.AppKey = "other" }, "29/isv.invalid-parameter:app_key"},
		{"target app key", func(c *wdt.Config) { c.TargetAppKey = "other" }, "41/isv.invalid-parameter:target_app_key"},
		{"app id", func(c *wdt.Config) { c.HJYAppID = "other" }, "403/FAIL"},
		{"sid", func(c *wdt.Config) { c.SID = "other" }, "403/FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := setup(t, wdttest.Config{}, tt.adjust)
			_, err := collect(t, c, november("s1"))
			e, ok := upstream.As(err)
			if !ok || !e.Permanent || e.Code != tt.code {
				t.Fatalf("err = %v, want permanent code %s", err, tt.code)
			}
			if st := s.Stats(); st.Refused != 1 || st.Pages != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fail      wdttest.Failure
		permanent bool
		code      string
		status    int
	}{
		{"busy", wdttest.Busy, false, "500/FAIL", 0},
		{"system error 500", wdttest.SystemError, false, "500/FAIL", 0},
		{"resultCode 502", wdttest.Failure{ResultCode: "502", Message: "网关错误"}, false, "502/FAIL", 0},
		{"call limited", wdttest.CallLimited, false, "7/accesscontrol.limited-by-app-access-count", 0},
		{"remote timeout", wdttest.ServiceTimeout, false, "15/isp.top-remote-connection-timeout", 0},
		{"invalid signature", wdttest.InvalidSignature, true, "25/isv.invalid-signature", 0},
		{"missing argument", wdttest.Failure{Gateway: &wdttest.GatewayError{Code: "40", Msg: "Missing required arguments:shopNo", SubCode: "isv.missing-parameter:shopNo"}}, true, "40/isv.missing-parameter:shopNo", 0},
		{"business refusal", wdttest.Failure{ResultCode: "400", Message: "参数错误"}, true, "400/FAIL", 0},
		{"HTTP 500", wdttest.Failure{Status: 500}, false, "", 500},
		{"HTTP 502", wdttest.Failure{Status: 502}, false, "", 502},
		{"HTTP 503", wdttest.Failure{Status: 503}, false, "", 503},
		{"HTTP 429", wdttest.Failure{Status: 429}, false, "", 429},
		{"HTTP 408", wdttest.Failure{Status: 408}, false, "", 408},
		{"HTTP 400", wdttest.Failure{Status: 400}, true, "", 400},
		{"HTTP 403", wdttest.Failure{Status: 403}, true, "", 403},
		{"HTTP 404", wdttest.Failure{Status: 404}, true, "", 404},
		{"malformed", wdttest.Failure{Malformed: true}, true, "", 0},
		{"timeout", wdttest.Failure{Delay: time.Minute}, false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := setup(t, wdttest.Config{PageSize: 2}, func(c *wdt.Config) { c.Timeout = 100 * time.Millisecond })
			if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 5); err != nil {
				t.Fatal(err)
			}
			// The failure hits the second page: the first page's bills are delivered.
			s.FailNext(wdttest.Failure{}, tt.fail)
			got, err := collect(t, c, november("s1"))
			if len(got) != 2 {
				t.Errorf("%d bills before the failure, want 2", len(got))
			}
			e, ok := upstream.As(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *upstream.Error", err, err)
			}
			if e.Permanent != tt.permanent || e.Code != tt.code || e.Status != tt.status || e.Vendor != "wdt" {
				t.Fatalf("err = %v: permanent=%v code=%q status=%d; want %v %q %d", e, e.Permanent, e.Code, e.Status, tt.permanent, tt.code, tt.status)
			}
			if retry.IsPermanent(err) != tt.permanent {
				t.Fatal("IsPermanent disagrees")
			}
			if st := s.Stats(); st.Injected != 2 || st.Requests != 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestExpiredTimestampIsTransient(t *testing.T) {
	t.Parallel()
	_, c := setup(t, wdttest.Config{}, func(c *wdt.Config) {
		c.Now = func() time.Time { return clock.Add(-11 * time.Minute) }
	})
	_, err := collect(t, c, november("s1"))
	if e, ok := upstream.As(err); !ok || e.Permanent || !strings.HasPrefix(e.Code, "31") {
		t.Fatalf("err = %v, want transient code 31", err)
	}
}

func TestTransportFailure(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{})
	s.Close() // nothing listens any more
	_, err := collect(t, c, november("s1"))
	e, ok := upstream.As(err)
	if !ok || e.Permanent {
		t.Fatalf("err = %v, want transient", err)
	}
	// The *url.Error (its URL carries the sign) must not stay in the chain.
	var ue *url.Error
	if errors.As(err, &ue) || strings.Contains(err.Error(), "sign=") {
		t.Fatalf("url.Error in chain = %#v (%v)", ue, err)
	}
}

// TestNoSecretInErrors: whatever fails, the error text carries neither the
// app secret, nor the hjy app key, nor the signatures sent.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	fails := []wdttest.Failure{wdttest.Busy, wdttest.InvalidSignature, {Status: 500}, {Malformed: true}, {Delay: time.Minute}}
	for i, f := range fails {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s, c := setup(t, wdttest.Config{}, func(c *wdt.Config) { c.Timeout = 50 * time.Millisecond })
			s.FailNext(f)
			_, err := collect(t, c, november("s1"))
			if err == nil {
				t.Fatal("no error")
			}
			r := s.Received()[0]
			texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
			for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
				texts = append(texts, u.Error())
			}
			for _, txt := range texts {
				for _, secret := range []string{appSecret, hjyAppKey, r.Query.Get("sign"), r.Form.Get("hjySign")} {
					if strings.Contains(txt, secret) {
						t.Fatalf("error %q leaks %q", txt, secret)
					}
				}
			}
		})
	}
	cfg := wdt.Config{AppSecret: appSecret, HJYAppKey: hjyAppKey, AppKey: "visible"}
	for _, txt := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg)} {
		if strings.Contains(txt, appSecret) || strings.Contains(txt, hjyAppKey) || !strings.Contains(txt, "visible") {
			t.Fatalf("Config prints as %s", txt)
		}
	}
}

func TestObserverSeesEveryRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var outcomes []string
	obs := upstream.ObserverFunc(func(vendor, op, outcome string, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if vendor != "wdt" || op != wdt.Method || d < 0 {
			t.Errorf("observed %s %s %v", vendor, op, d)
		}
		outcomes = append(outcomes, outcome)
	})
	s, c := setup(t, wdttest.Config{PageSize: 2}, func(c *wdt.Config) { c.Observer = obs })
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 3); err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, c, november("s1")); err != nil {
		t.Fatal(err)
	}
	s.FailNext(wdttest.Busy)
	_, _ = collect(t, c, november("s1"))
	s.FailNext(wdttest.InvalidSignature)
	_, _ = collect(t, c, november("s1"))
	want := "ok,ok,transient,permanent"
	if got := strings.Join(outcomes, ","); got != want {
		t.Fatalf("outcomes %s, want %s", got, want)
	}
}

type countingLimiter struct {
	mu    sync.Mutex
	waits int
	err   error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits++
	if l.err != nil {
		return l.err
	}
	return ctx.Err()
}

func TestLimiterGatesEveryRequest(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{}
	s, c := setup(t, wdttest.Config{PageSize: 2}, func(c *wdt.Config) { c.Limiter = lim })
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, c, november("s1")); err != nil {
		t.Fatal(err)
	}
	if lim.waits != 3 || s.Stats().Requests != 3 {
		t.Fatalf("waits %d requests %d, want 3", lim.waits, s.Stats().Requests)
	}
	// A limiter that cannot wait long enough (ctx deadline) is transient.
	lim.err = errors.New("rate: Wait(n=1) would exceed context deadline")
	_, err := collect(t, c, november("s1"))
	if e, ok := upstream.As(err); !ok || e.Permanent || s.Stats().Requests != 3 {
		t.Fatalf("err = %v, requests %d", err, s.Stats().Requests)
	}
}

func TestRateLimitFromRPS(t *testing.T) {
	t.Parallel()
	// 2 rps, burst 1: the third request waits ~1 s. A deadline shorter than
	// that makes the limiter refuse at once instead of sleeping.
	s, c := setup(t, wdttest.Config{PageSize: 1}, func(c *wdt.Config) { c.RPS, c.Burst = 2, 1 })
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := c.Bills(ctx, november("s1"), func(wdt.Bill) error { return nil })
	if e, ok := upstream.As(err); !ok || e.Permanent || !strings.Contains(e.Message, "rate limit") {
		t.Fatalf("err = %v", err)
	}
	if n := s.Stats().Requests; n != 1 {
		t.Fatalf("%d requests went out, want 1", n)
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{PageSize: 1})
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := c.Bills(ctx, november("s1"), func(wdt.Bill) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, ok := upstream.As(err); ok {
		t.Fatal("a cancelled caller must not look like a vendor failure")
	}
	// Cancelled while the request is in flight: the fake holds it until
	// the client gives up.
	fake := wdttest.NewUnstarted(wdttest.Config{Now: func() time.Time { return clock }})
	fake.FailNext(wdttest.Failure{Delay: time.Minute})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := fake.ClientConfig()
	cfg.RouterURL = srv.URL + "/router/qm"
	c2, err := wdt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel2()
	}()
	if err := c2.Bills(ctx2, november("s1"), func(wdt.Bill) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("in flight: err = %v", err)
	}
}

func TestCallbackErrorStops(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{PageSize: 2})
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 5); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	n := 0
	err := c.Bills(context.Background(), november("s1"), func(wdt.Bill) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || s.Stats().Requests != 2 {
		t.Fatalf("err = %v after %d requests", err, s.Stats().Requests)
	}
}

func TestQueryValidation(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{})
	q := november("s1")
	tests := []struct {
		name string
		mod  func(*wdt.BillQuery)
		msg  string
	}{
		{"no shop", func(q *wdt.BillQuery) { q.ShopNos = []string{" ", ""} }, "no shopNo"},
		{"unknown platform", func(q *wdt.BillQuery) { q.Platform = "1234" }, `"1234"`},
		{"bad type", func(q *wdt.BillQuery) { q.Type = 3 }, "type 3"},
		{"no start", func(q *wdt.BillQuery) { q.Start = time.Time{} }, "required"},
		{"start after end", func(q *wdt.BillQuery) { q.Start, q.End = q.End, q.Start }, "after"},
		{"start after end, create time", func(q *wdt.BillQuery) { q.Type = wdt.ByCreateTime; q.Start = q.End.Add(time.Second) }, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := q
			tt.mod(&q)
			_, err := collect(t, c, q)
			if !retry.IsPermanent(err) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want permanent containing %s", err, tt.msg)
			}
		})
	}
	t.Cleanup(func() {
		if n := s.Stats().Requests; n != 0 {
			t.Errorf("%d requests sent for invalid queries", n)
		}
	})
}

func TestEveryConfiguredPlatform(t *testing.T) {
	t.Parallel()
	plats := []wdt.Platform{wdt.PlatformAlipay, wdt.PlatformDouyinFunds, wdt.PlatformYoupinPenalties}
	s, c := setup(t, wdttest.Config{}, func(c *wdt.Config) { c.Platforms = plats })
	for _, p := range plats[:2] {
		if _, err := s.AddSample("s1", p, day(2026, 11, 5), 2); err != nil {
			t.Fatal(err)
		}
	}
	q := november("s1")
	q.Platform = ""
	got, err := collect(t, c, q)
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, r := range s.Received() {
		seq = append(seq, r.Form.Get("subBillPlatform"))
	}
	if strings.Join(seq, ",") != "9999,9969,9672" {
		t.Fatalf("platforms asked %v", seq)
	}
	if len(got) != 4 || got[0].Platform != wdt.PlatformAlipay || got[3].Platform != wdt.PlatformDouyinFunds {
		t.Fatalf("bills %d, platforms %v %v", len(got), got[0].Platform, got[len(got)-1].Platform)
	}
	if all := c.Platforms(); len(all) != 3 {
		t.Fatalf("Platforms() = %v", all)
	}
}

func TestQueryByCreateTime(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{})
	// AddSample: created the day after, i seconds past midnight.
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 10); err != nil {
		t.Fatal(err)
	}
	q := november("s1")
	q.Type = wdt.ByCreateTime
	q.Start = day(2026, 11, 6).Add(3 * time.Second)
	q.End = day(2026, 11, 6).Add(6 * time.Second)
	got, err := collect(t, c, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !got[0].CreateTime.Equal(q.Start) || !got[3].CreateTime.Equal(q.End) {
		t.Fatalf("got %d bills", len(got))
	}
	if f := s.Received()[0].Form; f.Get("startDate") != "2026-11-06 00:00:03" || f.Get("type") != "2" {
		t.Fatalf("form %v", f)
	}
}

func TestShopNoEncoding(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{})
	if err := s.AddBill("a&b<c>", wdt.PlatformDouyinFunds, map[string]any{"event_day": "2026-11-03", "account_trade_no": "X"}); err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, c, november(" a&b<c> ", "店铺1", "a&b<c>", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ShopNo != "a&b<c>" {
		t.Fatalf("got %+v", got)
	}
	if sh := s.Received()[0].Form.Get("shopNo"); sh != `["a&b<c>","店铺1"]` {
		t.Fatalf("shopNo sent as %s", sh)
	}
}

func TestPagingLoopDetected(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		_, _ = w.Write([]byte(`{"resultCode":"200","data":[{"account_trade_no":"T"}],"nextRequestId":"123"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := wdt.New(wdt.Config{RouterURL: srv.URL, AppKey: "a", AppSecret: "b", TargetAppKey: "c", HJYAppID: "d", HJYAppKey: "e", SID: "f"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(t, c, november("s1"))
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "paging loop") || calls != 2 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := wdt.Config{RouterURL: "http://x.api.taobao.com/router/qm", AppKey: "a", AppSecret: "b", TargetAppKey: "c", HJYAppID: "d", HJYAppKey: "e", SID: "f"}
	tests := []struct {
		name string
		mod  func(*wdt.Config)
		msg  string // "" means valid
	}{
		{"valid", func(*wdt.Config) {}, ""},
		{"https", func(c *wdt.Config) { c.RouterURL = "https://x/router/qmtest" }, ""},
		{"no router", func(c *wdt.Config) { c.RouterURL = "" }, "KSF_WDT_ROUTER_URL"},
		{"router not a URL", func(c *wdt.Config) { c.RouterURL = "x.api.taobao.com/router/qm" }, "KSF_WDT_ROUTER_URL"},
		{"router with query", func(c *wdt.Config) { c.RouterURL = "http://x/router/qm?a=1" }, "query"},
		{"no app key", func(c *wdt.Config) { c.AppKey = "" }, "KSF_WDT_APP_KEY"},
		{"no secret", func(c *wdt.Config) { c.AppSecret = "" }, "KSF_WDT_APP_SECRET"},
		{"no target", func(c *wdt.Config) { c.TargetAppKey = " " }, "KSF_WDT_TARGET_APP_KEY"},
		{"no hjy id", func(c *wdt.Config) { c.HJYAppID = "" }, "KSF_WDT_HJY_APP_ID"},
		{"no hjy key", func(c *wdt.Config) { c.HJYAppKey = "" }, "KSF_WDT_HJY_APP_KEY"},
		{"no sid", func(c *wdt.Config) { c.SID = "" }, "KSF_WDT_SID"},
		{"bad platform", func(c *wdt.Config) { c.Platforms = []wdt.Platform{"9999", "1"} }, `"1"`},
		{"negative rps", func(c *wdt.Config) { c.RPS = -1 }, "RPS"},
		{"NaN rps", func(c *wdt.Config) { c.RPS = math.NaN() }, "RPS"},
		{"infinite rps", func(c *wdt.Config) { c.RPS = math.Inf(1) }, "RPS"},
		{"negative burst", func(c *wdt.Config) { c.Burst = -1 }, "Burst"},
		{"negative timeout", func(c *wdt.Config) { c.Timeout = -time.Second }, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.mod(&cfg)
			c, err := wdt.New(cfg)
			if tt.msg == "" {
				if err != nil || c == nil {
					t.Fatalf("New = %v", err)
				}
				if len(c.Platforms()) != 18 {
					t.Fatalf("default platforms %d", len(c.Platforms()))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want one containing %s", err, tt.msg)
			}
		})
	}
}

// TestPagingEndsOnEmptyEcho: an empty last page that echoes the cursor it
// was asked with ends paging, with or without the cursor inside data (its
// top-level twin then empty) (issue 10, item 7).
func TestPagingEndsOnEmptyEcho(t *testing.T) {
	t.Parallel()
	for _, inData := range []bool{false, true} {
		t.Run(fmt.Sprintf("cursor in data %v", inData), func(t *testing.T) {
			t.Parallel()
			s, c := setup(t, wdttest.Config{PageSize: 3, Ending: wdttest.EndEcho, Shape: wdttest.DataRecords, CursorInData: inData})
			want, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 6)
			if err != nil {
				t.Fatal(err)
			}
			got, err := collect(t, c, november("s1"))
			if err != nil || len(got) != len(want) {
				t.Fatalf("%d bills, err %v", len(got), err)
			}
			// Pages 1 and 2 are full, page 3 is empty and echoes page 2's cursor.
			if st := s.Stats(); st.Pages != 3 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestRecoversAfterSystemError: a resultCode "500" 系统异常 is transient; the
// same query asked again succeeds.
func TestRecoversAfterSystemError(t *testing.T) {
	t.Parallel()
	s, c := setup(t, wdttest.Config{})
	if _, err := s.AddSample("s1", wdt.PlatformDouyinFunds, day(2026, 11, 5), 2); err != nil {
		t.Fatal(err)
	}
	s.FailNext(wdttest.SystemError)
	if _, err := collect(t, c, november("s1")); !errors.Is(err, upstream.ErrTransient) {
		t.Fatalf("first try: %v", err)
	}
	if got, err := collect(t, c, november("s1")); err != nil || len(got) != 2 {
		t.Fatalf("second try: %d bills, %v", len(got), err)
	}
}
