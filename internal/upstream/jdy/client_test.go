package jdy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy/jdytest"
)

// clock is a settable clock shared by the client and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 11, 21, 10, 0, 0, 0, tz.Shanghai)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// calls is an Observer recording every call.
type calls struct {
	mu   sync.Mutex
	list []string
	ch   chan string
}

func (o *calls) ObserveCall(vendor, op, outcome string, _ time.Duration) {
	o.mu.Lock()
	o.list = append(o.list, vendor+" "+op+" "+outcome)
	o.mu.Unlock()
	if o.ch != nil {
		o.ch <- op
	}
}

func (o *calls) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.list...)
}

type env struct {
	fake   *jdytest.Server
	client *jdy.Client
	clock  *clock
	obs    *calls
}

// setup starts a fake with seeded customer c1 and a client on it. mod may
// adjust the client's config.
func setup(t *testing.T, mod ...func(*jdy.Config)) *env {
	t.Helper()
	clk := newClock()
	fake := jdytest.New(jdytest.Config{Now: clk.Now, TokenTTL: time.Hour})
	t.Cleanup(fake.Close)
	fake.SetBusiness("c1", jdy.Business{
		MonthTransactionFees:  decimal.RequireFromString("2350.75"),
		MonthRefundFees:       decimal.RequireFromString("10.01"),
		LastMonthSalFees:      decimal.RequireFromString("8800"),
		LatelyTransactionDate: time.Date(2025, 11, 20, 9, 30, 0, 0, tz.Shanghai),
		LatelyTransactionFees: decimal.RequireFromString("100.00"),
	})
	obs := &calls{}
	cfg := fake.ClientConfig()
	cfg.Limiter = rate.NewLimiter(rate.Inf, 0)
	cfg.Observer = obs
	cfg.Timeout = 5 * time.Second
	for _, m := range mod {
		m(&cfg)
	}
	c, err := jdy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, client: c, clock: clk, obs: obs}
}

func TestCustomerBusiness(t *testing.T) {
	t.Parallel()
	e := setup(t)
	b, err := e.client.CustomerBusiness(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if !b.MonthTransactionFees.Equal(decimal.RequireFromString("2350.75")) || !b.MonthRefundFees.Equal(decimal.RequireFromString("10.01")) ||
		!b.LastMonthSalFees.Equal(decimal.NewFromInt(8800)) || !b.YearTransactionFees.IsZero() {
		t.Fatalf("business = %+v", b)
	}
	if want := time.Date(2025, 11, 20, 9, 30, 0, 0, tz.Shanghai); !b.LatelyTransactionDate.Equal(want) || b.LatelyTransactionDate.Location() != tz.Shanghai {
		t.Fatalf("lately_transaction_date = %v", b.LatelyTransactionDate)
	}
	// Cached token: a second call asks no new one.
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
	want := []string{"jdy kingdee_auth_token ok", "jdy customer_business ok", "jdy customer_business ok"}
	if got := e.obs.get(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("observed %q, want %q", got, want)
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fail      []jdytest.Failure
		customer  string
		permanent bool
		code      string
		status    int
	}{
		{"system error 2000002000", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeSystem, Description: "系统错误"}}, "c1", false, "2000002000", 0},
		{"timestamp expired", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeTimestamp}}, "c1", false, "1000001003", 0},
		{"busy wording", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: 424243, Description: "系统繁忙,请稍后再试"}}, "c1", false, "424243", 0},
		{"rate-limit wording", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: 424244, Description: "API调用过于频繁"}}, "c1", false, "424244", 0},
		{"English busy wording", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: 424245, Description: "Server busy"}}, "c1", false, "424245", 0},
		{"unknown errcode", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: 424242, Description: "奇怪的错误"}}, "c1", true, "424242", 0},
		{"bad parameter", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeBadRequest}}, "c1", true, "1000001001", 0},
		{"unknown customer", nil, "nobody", true, "2000002001", 0},
		{"HTTP 500", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 500}}, "c1", false, "", 500},
		{"HTTP 502 on token", []jdytest.Failure{{Endpoint: jdytest.Token, Status: 502}}, "c1", false, "", 502},
		{"HTTP 503", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 503}}, "c1", false, "", 503},
		{"HTTP 429", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 429}}, "c1", false, "", 429},
		{"HTTP 408", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 408}}, "c1", false, "", 408},
		{"HTTP 400", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 400, Errcode: jdy.ErrcodeBadRequest}}, "c1", true, "1000001001", 400},
		{"HTTP 403", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 403}}, "c1", true, "", 403},
		{"HTTP 401 twice", []jdytest.Failure{{Endpoint: jdytest.Business, Status: 401}, {Endpoint: jdytest.Business, Status: 401}}, "c1", true, "", 401},
		{"malformed business answer", []jdytest.Failure{{Endpoint: jdytest.Business, Malformed: true}}, "c1", true, "", 0},
		{"malformed token answer", []jdytest.Failure{{Endpoint: jdytest.Token, Malformed: true}}, "c1", true, "", 0},
		{"token refused twice", []jdytest.Failure{{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeTokenInvalid}, {Endpoint: jdytest.Business, Errcode: jdy.ErrcodeTokenExpired}}, "c1", true, "1000001007", 0},
		{"bad app signature", []jdytest.Failure{{Endpoint: jdytest.Token, Errcode: jdy.ErrcodeBadAppSignature}}, "c1", true, "1000001005", 0},
		{"system error on token", []jdytest.Failure{{Endpoint: jdytest.Token, Errcode: jdy.ErrcodeSystem}}, "c1", false, "2000002000", 0},
		{"empty customer id", nil, " ", true, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.fake.FailNext(tt.fail...)
			_, err := e.client.CustomerBusiness(context.Background(), tt.customer)
			ue, ok := upstream.As(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *upstream.Error", err, err)
			}
			if ue.Permanent != tt.permanent || retry.IsPermanent(err) != tt.permanent || errors.Is(err, upstream.ErrTransient) == tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", ue.Permanent, tt.permanent, err)
			}
			if ue.Vendor != "jdy" || ue.Code != tt.code || ue.Status != tt.status {
				t.Errorf("vendor %q code %q status %d, want jdy %q %d: %v", ue.Vendor, ue.Code, ue.Status, tt.code, tt.status, err)
			}
		})
	}
}

func TestUnknownErrcodeKeepsDescription(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Business, Errcode: 7, Description: "账套已停用"})
	_, err := e.client.CustomerBusiness(context.Background(), "c1")
	if err == nil || !strings.Contains(err.Error(), "账套已停用") || !strings.Contains(err.Error(), "code 7") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfiguredErrcodes(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *jdy.Config) {
		c.TransientErrcodes = []int64{jdy.ErrcodeSystem, 555}
		c.TokenErrcodes = []int64{777}
	})
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Business, Errcode: 555})
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); !errors.Is(err, upstream.ErrTransient) {
		t.Fatalf("555 configured transient: %v", err)
	}
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Business, Errcode: 777})
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatalf("777 configured as token error must refresh and succeed: %v", err)
	}
	if n := e.fake.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
}

func TestWrongSignatureRefusedByFake(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *jdy.Config) { c.ClientSecret = "not-the-secret" })
	_, err := e.client.CustomerBusiness(context.Background(), "c1")
	ue, ok := upstream.As(err)
	if !ok || !ue.Permanent || ue.Code != "1000001002" || ue.Op != jdy.OpToken {
		t.Fatalf("err = %v, want permanent signature refusal on the token call", err)
	}
	if e.fake.Refused() != 1 || e.fake.BusinessRequests() != 0 {
		t.Fatalf("refused %d, business requests %d", e.fake.Refused(), e.fake.BusinessRequests())
	}
}

func TestWrongAppSecretRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *jdy.Config) { c.AppSecret = "wrong" })
	_, err := e.client.CustomerBusiness(context.Background(), "c1")
	if ue, ok := upstream.As(err); !ok || !ue.Permanent || ue.Code != "1000001005" {
		t.Fatalf("err = %v", err)
	}
}

func TestRefreshOnceOnAuthError(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Business, ExpireToken: true})
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := e.fake.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
	if n := e.fake.BusinessRequests(); n != 3 {
		t.Fatalf("business requests = %d, want 3 (ok, refused, retried)", n)
	}
}

func TestRefreshWhenExpiredByClock(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(61 * time.Minute) // TTL is one hour
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if n, r := e.fake.TokenRequests(), e.fake.Refused(); n != 2 || r != 0 {
		t.Fatalf("token requests = %d, refused = %d; want 2 and 0 (renewed before use)", n, r)
	}
}

func TestRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tokens := make(chan string, 4)
	e.obs.ch = tokens
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	drain(t, tokens, 2)
	e.clock.Add(57 * time.Minute) // inside the 5-minute margin, not expired
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	// The cached token served the call; the renewal ran beside it.
	got := drain(t, tokens, 2)
	if !strings.Contains(strings.Join(got, ","), jdy.OpToken) {
		t.Fatalf("calls %v: no background renewal", got)
	}
	if n := e.fake.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
}

func drain(t *testing.T, ch chan string, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case op := <-ch:
			got = append(got, op)
		case <-timeout:
			t.Fatalf("waited for %d calls, got %v", n, got)
		}
	}
	return got
}

// TestConcurrentFirstToken: many callers, no token yet, one token request.
func TestConcurrentFirstToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// A slow token answer makes every caller arrive while it is in flight.
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Token, Delay: 100 * time.Millisecond})
	runConcurrently(t, e, 64)
	if n := e.fake.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want exactly 1", n)
	}
}

// TestConcurrentRefreshAfterRefusal: every caller sees its token refused at
// once; exactly one refresh happens.
func TestConcurrentRefreshAfterRefusal(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	e.fake.ExpireTokens()
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Token, Delay: 50 * time.Millisecond})
	runConcurrently(t, e, 64)
	if n := e.fake.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want exactly 2 (first + one refresh)", n)
	}
}

func runConcurrently(t *testing.T, e *env, n int) {
	t.Helper()
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			_, err := e.client.CustomerBusiness(context.Background(), "c1")
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRefreshCap: at most two token requests per rolling minute, measured
// on the injected clock.
func TestRefreshCap(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	if _, err := e.client.CustomerBusiness(ctx, "c1"); err != nil { // token 1
		t.Fatal(err)
	}
	e.clock.Add(10 * time.Second)
	e.fake.ExpireTokens()
	if _, err := e.client.CustomerBusiness(ctx, "c1"); err != nil { // token 2
		t.Fatal(err)
	}
	e.clock.Add(10 * time.Second)
	e.fake.ExpireTokens()
	_, err := e.client.CustomerBusiness(ctx, "c1") // a third within the minute: refused locally
	if !errors.Is(err, upstream.ErrTransient) || !strings.Contains(err.Error(), "refresh limited") {
		t.Fatalf("third refresh in a minute: err = %v, want transient refresh limit", err)
	}
	if n := e.fake.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
	e.clock.Add(41 * time.Second) // 61 s after the first refresh
	if _, err := e.client.CustomerBusiness(ctx, "c1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if n := e.fake.TokenRequests(); n != 3 {
		t.Fatalf("token requests = %d, want 3", n)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *jdy.Config) { c.Timeout = 50 * time.Millisecond })
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Business, Delay: time.Minute})
	_, err := e.client.CustomerBusiness(context.Background(), "c1")
	if ue, ok := upstream.As(err); !ok || ue.Permanent {
		t.Fatalf("err = %v, want transient *upstream.Error", err)
	}
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.client.CustomerBusiness(ctx, "c1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: err = %v", err)
	}

	// Cancelled while the vendor is slow: the caller's error, not the vendor's.
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, jdy.BusinessPath) {
			arrived <- struct{}{}
		}
		e.fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := e.fake.ClientConfig()
	cfg.BaseURL = srv.URL
	cfg.Limiter = rate.NewLimiter(rate.Inf, 0)
	c, err := jdy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.FailNext(jdytest.Failure{Endpoint: jdytest.Business, Delay: time.Minute})
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.CustomerBusiness(ctx, "c1")
		done <- err
	}()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during: err = %v", err)
	}
}

func TestLimiterWaitsOrGivesUp(t *testing.T) {
	t.Parallel()
	// One request per hour: the token request takes the only slot.
	e := setup(t, func(c *jdy.Config) { c.Limiter = rate.NewLimiter(rate.Every(time.Hour), 1) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := e.client.CustomerBusiness(ctx, "c1")
	if ue, ok := upstream.As(err); !ok || ue.Permanent || !strings.Contains(ue.Message, "rate limit") {
		t.Fatalf("err = %v, want transient rate limit", err)
	}
	if n := e.fake.BusinessRequests(); n != 0 {
		t.Fatalf("business requests = %d, want 0", n)
	}
}

func TestDomainFromTokenAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *jdy.Config) { c.Domain = "" })
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
}

func TestWrongDomainRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *jdy.Config) { c.Domain = "https://other.jdy.com" })
	_, err := e.client.CustomerBusiness(context.Background(), "c1")
	if ue, ok := upstream.As(err); !ok || !ue.Permanent || ue.Code != "1000001001" {
		t.Fatalf("err = %v", err)
	}
}

// TestMountedUnderPrefix: the demo mounts the fake on its own listener
// under a path; the client signs the full path it sends.
func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	fake := jdytest.New(jdytest.Config{})
	t.Cleanup(fake.Close)
	if err := fake.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/fake/jdy/", http.StripPrefix("/fake/jdy", fake.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := fake.ClientConfig()
	cfg.BaseURL = srv.URL + "/fake/jdy"
	cfg.Limiter = rate.NewLimiter(rate.Inf, 0)
	c, err := jdy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CustomerBusiness(context.Background(), "C001")
	if err != nil {
		t.Fatal(err)
	}
	if !b.MonthTransactionFees.Equal(decimal.RequireFromString("2350.75")) {
		t.Fatalf("C001 = %+v", b)
	}
}

func TestNoSecretsInErrors(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var secrets []string
	// Record every secret value the client actually sends.
	capture := func(c *jdy.Config) {
		c.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			for _, h := range []string{"X-Api-Signature", "app-token"} {
				if v := r.Header[h]; len(v) == 1 {
					secrets = append(secrets, v[0])
				}
			}
			if v := r.URL.Query().Get("app_signature"); v != "" {
				secrets = append(secrets, v)
			}
			mu.Unlock()
			return http.DefaultTransport.RoundTrip(r)
		})}
	}
	e := setup(t, capture)
	cfg := e.fake.ClientConfig()
	mu.Lock()
	secrets = append(secrets, cfg.ClientSecret, cfg.AppSecret)
	mu.Unlock()

	var errs []error
	collect := func(f ...jdytest.Failure) {
		e.fake.FailNext(f...)
		_, err := e.client.CustomerBusiness(context.Background(), "c1")
		errs = append(errs, err)
	}
	collect(jdytest.Failure{Endpoint: jdytest.Token, Errcode: jdy.ErrcodeBadAppSignature})
	if _, err := e.client.CustomerBusiness(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	collect(jdytest.Failure{Endpoint: jdytest.Business, Status: 500})
	collect(jdytest.Failure{Endpoint: jdytest.Business, Malformed: true})
	collect(jdytest.Failure{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeTokenInvalid}, jdytest.Failure{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeTokenInvalid})

	// A network failure: the URL (with app_signature in its query) must
	// not leak through the transport error.
	e.fake.Close()
	bad, _ := jdy.New(withCapture(e.fake.ClientConfig(), capture))
	_, err := bad.CustomerBusiness(context.Background(), "c1")
	errs = append(errs, err)

	mu.Lock()
	defer mu.Unlock()
	if len(secrets) < 5 {
		t.Fatalf("captured only %d secrets", len(secrets))
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v", err), s) {
				t.Fatalf("error %q leaks a secret", err)
			}
		}
	}
	for _, s := range []string{cfg.ClientSecret, cfg.AppSecret} {
		if strings.Contains(fmt.Sprint(cfg), s) || strings.Contains(fmt.Sprintf("%#v", cfg), s) {
			t.Fatalf("Config printing leaks %q", s)
		}
	}
}

func withCapture(c jdy.Config, f func(*jdy.Config)) jdy.Config {
	f(&c)
	c.Limiter = rate.NewLimiter(rate.Inf, 0)
	return c
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := jdy.Config{ClientID: "1", ClientSecret: "s", AppKey: "k", AppSecret: "a"}
	tests := []struct {
		name string
		mod  func(*jdy.Config)
		want string
	}{
		{"no client id", func(c *jdy.Config) { c.ClientID = "" }, "ClientID"},
		{"no client secret", func(c *jdy.Config) { c.ClientSecret = " " }, "ClientSecret"},
		{"no app key", func(c *jdy.Config) { c.AppKey = "" }, "AppKey"},
		{"no app secret", func(c *jdy.Config) { c.AppSecret = "" }, "AppSecret"},
		{"bad base", func(c *jdy.Config) { c.BaseURL = "ftp://x" }, "BaseURL"},
		{"base with query", func(c *jdy.Config) { c.BaseURL = "https://x/?a=1" }, "BaseURL"},
		{"negative rps", func(c *jdy.Config) { c.RPS = -1 }, "RPS"},
		{"negative timeout", func(c *jdy.Config) { c.Timeout = -time.Second }, "Timeout"},
		{"valid", func(*jdy.Config) {}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.mod(&cfg)
			_, err := jdy.New(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %s", err, tt.want)
			}
		})
	}
}

// BenchmarkCustomerBusiness is one signed call through loopback HTTP to
// the fake, token cached.
func BenchmarkCustomerBusiness(b *testing.B) {
	fake := jdytest.New(jdytest.Config{})
	defer fake.Close()
	if err := fake.SeedDemo(); err != nil {
		b.Fatal(err)
	}
	cfg := fake.ClientConfig()
	cfg.Limiter = rate.NewLimiter(rate.Inf, 0)
	c, err := jdy.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CustomerBusiness(ctx, "C001"); err != nil {
			b.Fatal(err)
		}
	}
}
