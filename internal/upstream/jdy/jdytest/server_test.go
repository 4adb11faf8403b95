package jdytest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy/jdytest"
)

var t0 = time.Date(2025, 11, 21, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T) (*jdytest.Server, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	s := jdytest.New(jdytest.Config{Now: clk.Now, TokenTTL: time.Hour})
	t.Cleanup(s.Close)
	return s, clk
}

// signed builds a request exactly as the vendor documents it.
func signed(s *jdytest.Server, now time.Time, path string, q url.Values, tok string) *http.Request {
	cfg := s.ClientConfig()
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	nonce := "4427456950"
	u := s.URL + path + "?" + q.Encode()
	req := httptest.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-ClientID", cfg.ClientID)
	req.Header.Set("X-Api-Auth-Version", "2.0")
	req.Header.Set("X-Api-TimeStamp", ts)
	req.Header.Set("X-Api-Nonce", nonce)
	req.Header.Set("X-Api-SignHeaders", "X-Api-TimeStamp,X-Api-Nonce")
	req.Header.Set("X-Api-Signature", digest.JDY(cfg.ClientSecret, digest.JDYStringToSign("GET", path, q, nonce, ts)))
	if tok != "" {
		req.Header.Set("app-token", tok)
		req.Header.Set("X-GW-Router-Addr", cfg.Domain)
	}
	return req
}

type answer struct {
	Errcode     int64           `json:"errcode"`
	Description string          `json:"description"`
	Data        json.RawMessage `json:"data"`
}

func serve(t *testing.T, s *jdytest.Server, req *http.Request) (int, answer) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q: %v", rec.Body.String(), err)
	}
	return rec.Code, a
}

func tokenQuery(s *jdytest.Server) url.Values {
	cfg := s.ClientConfig()
	return url.Values{"app_key": {cfg.AppKey}, "app_signature": {digest.JDYAppSignature(cfg.AppKey, cfg.AppSecret)}}
}

func token(t *testing.T, s *jdytest.Server, now time.Time) string {
	t.Helper()
	_, a := serve(t, s, signed(s, now, jdy.TokenPath, tokenQuery(s), ""))
	var d struct {
		Token   string `json:"app-token"`
		Expires int64  `json:"expires"`
	}
	if a.Errcode != 0 || json.Unmarshal(a.Data, &d) != nil || d.Token == "" {
		t.Fatalf("token answer %+v", a)
	}
	if d.Expires != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("expires = %d", d.Expires)
	}
	return d.Token
}

func TestHeaderChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*http.Request)
		want int64
	}{
		{"valid", func(*http.Request) {}, 0},
		{"no client id", func(r *http.Request) { r.Header.Del("X-Api-ClientID") }, jdy.ErrcodeBadRequest},
		{"unknown client id", func(r *http.Request) { r.Header.Set("X-Api-ClientID", "999") }, jdy.ErrcodeUnknownClient},
		{"auth version", func(r *http.Request) { r.Header.Set("X-Api-Auth-Version", "1.0") }, jdy.ErrcodeBadRequest},
		{"sign headers", func(r *http.Request) { r.Header.Set("X-Api-SignHeaders", "X-Api-Nonce") }, jdy.ErrcodeBadRequest},
		{"content type", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, jdy.ErrcodeBadRequest},
		{"timestamp not a number", func(r *http.Request) { r.Header.Set("X-Api-TimeStamp", "soon") }, jdy.ErrcodeBadRequest},
		{"nonce zero", func(r *http.Request) { r.Header.Set("X-Api-Nonce", "0") }, jdy.ErrcodeBadRequest},
		{"nonce negative", func(r *http.Request) { r.Header.Set("X-Api-Nonce", "-5") }, jdy.ErrcodeBadRequest},
		{"nonce changed after signing", func(r *http.Request) { r.Header.Set("X-Api-Nonce", "4427456951") }, jdy.ErrcodeBadSignature},
		{"signature tampered", func(r *http.Request) { r.Header.Set("X-Api-Signature", "AAAA"+r.Header.Get("X-Api-Signature")[4:]) }, jdy.ErrcodeBadSignature},
		{"query changed after signing", func(r *http.Request) { r.URL.RawQuery += "&uid=1" }, jdy.ErrcodeBadSignature},
		{"wrong app signature", func(r *http.Request) {
			q := r.URL.Query()
			q.Set("app_signature", digest.JDYAppSignature("fakeAppK", "wrong"))
			resign(r, q)
		}, jdy.ErrcodeBadAppSignature},
		{"no app key", func(r *http.Request) { q := r.URL.Query(); q.Del("app_key"); resign(r, q) }, jdy.ErrcodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := setup(t)
			req := signed(s, t0, jdy.TokenPath, tokenQuery(s), "")
			tt.mod(req)
			_, a := serve(t, s, req)
			if a.Errcode != tt.want {
				t.Fatalf("errcode = %d (%s), want %d", a.Errcode, a.Description, tt.want)
			}
			if refused := s.Refused(); (refused == 1) != (tt.want != 0) {
				t.Fatalf("refused = %d", refused)
			}
		})
	}
}

// resign replaces the query and signs it again with the fake's secret.
func resign(r *http.Request, q url.Values) {
	r.URL.RawQuery = q.Encode()
	r.RequestURI = r.URL.RequestURI()
	ts, nonce := r.Header.Get("X-Api-TimeStamp"), r.Header.Get("X-Api-Nonce")
	r.Header.Set("X-Api-Signature", digest.JDY(jdytest.DefaultClientSecret, digest.JDYStringToSign("GET", r.URL.Path, q, nonce, ts)))
}

func TestTimestampWindow(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
		s, _ := setup(t)
		_, a := serve(t, s, signed(s, t0.Add(d), jdy.TokenPath, tokenQuery(s), ""))
		if a.Errcode != jdy.ErrcodeTimestamp {
			t.Fatalf("timestamp off by %v: errcode %d", d, a.Errcode)
		}
	}
	s, _ := setup(t)
	if _, a := serve(t, s, signed(s, t0.Add(-4*time.Minute), jdy.TokenPath, tokenQuery(s), "")); a.Errcode != 0 {
		t.Fatalf("4 minutes old refused: %+v", a)
	}
}

func TestBusinessEndpoint(t *testing.T) {
	t.Parallel()
	s, clk := setup(t)
	s.SetBusiness("c1", jdy.Business{MonthTransactionFees: decimal.RequireFromString("12.30")})
	q := url.Values{"customer_id": {"c1"}}

	if _, a := serve(t, s, signed(s, t0, jdy.BusinessPath, q, "")); a.Errcode != jdy.ErrcodeBadRequest {
		t.Fatalf("no router addr: %+v", a) // X-GW-Router-Addr is checked before the token
	}
	noTok := signed(s, t0, jdy.BusinessPath, q, "")
	noTok.Header.Set("X-GW-Router-Addr", jdytest.DefaultDomain)
	if _, a := serve(t, s, noTok); a.Errcode != jdy.ErrcodeTokenInvalid {
		t.Fatalf("no token: %+v", a)
	}
	if _, a := serve(t, s, signed(s, t0, jdy.BusinessPath, q, "forged")); a.Errcode != jdy.ErrcodeTokenInvalid {
		t.Fatalf("forged token: %+v", a)
	}
	tok := token(t, s, t0)
	_, a := serve(t, s, signed(s, t0, jdy.BusinessPath, q, tok))
	if a.Errcode != 0 || a.Description != "success" {
		t.Fatalf("answer %+v", a)
	}
	var raw map[string]any
	if err := json.Unmarshal(a.Data, &raw); err != nil {
		t.Fatal(err)
	}
	// The vendor's shape: every field a string.
	if raw["month_transaction_fees"] != "12.3" || raw["year_refund_fees"] != "0.0" || raw["lately_transaction_date"] != "" || len(raw) != 8 {
		t.Fatalf("data %v", raw)
	}
	if _, a := serve(t, s, signed(s, t0, jdy.BusinessPath, url.Values{"customer_id": {"nobody"}}, tok)); a.Errcode != jdy.ErrcodeCustomerNotFound {
		t.Fatalf("unknown customer: %+v", a)
	}
	clk.Add(time.Hour)
	if _, a := serve(t, s, signed(s, clk.Now(), jdy.BusinessPath, q, tok)); a.Errcode != jdy.ErrcodeTokenExpired {
		t.Fatalf("expired token: %+v", a)
	}
	if s.TokenRequests() != 1 || s.BusinessRequests() != 6 {
		t.Fatalf("counters: token %d business %d", s.TokenRequests(), s.BusinessRequests())
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown path: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, jdy.TokenPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

func TestFailNextOrderAndEndpoint(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	s.FailNext(
		jdytest.Failure{Endpoint: jdytest.Business, Errcode: jdy.ErrcodeSystem},
		jdytest.Failure{Endpoint: jdytest.Token, Status: http.StatusBadGateway},
		jdytest.Failure{Errcode: 42, Description: "any"},
	)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, signed(s, t0, jdy.TokenPath, tokenQuery(s), ""))
	if rec.Code != http.StatusBadGateway {
		t.Fatalf("first token request: %d %s", rec.Code, rec.Body)
	}
	if _, a := serve(t, s, signed(s, t0, jdy.TokenPath, tokenQuery(s), "")); a.Errcode != 42 || a.Description != "any" {
		t.Fatalf("second token request: %+v", a)
	}
	tok := token(t, s, t0)
	q := url.Values{"customer_id": {"c1"}}
	if _, a := serve(t, s, signed(s, t0, jdy.BusinessPath, q, tok)); a.Errcode != jdy.ErrcodeSystem {
		t.Fatalf("business: %+v", a)
	}
	// A refused request does not use up a failure.
	s.FailNext(jdytest.Failure{Errcode: 7})
	bad := signed(s, t0, jdy.TokenPath, tokenQuery(s), "")
	bad.Header.Set("X-Api-Signature", "x")
	if _, a := serve(t, s, bad); a.Errcode != jdy.ErrcodeBadSignature {
		t.Fatalf("bad signature: %+v", a)
	}
	if _, a := serve(t, s, signed(s, t0, jdy.TokenPath, tokenQuery(s), "")); a.Errcode != 7 {
		t.Fatalf("queued failure lost: %+v", a)
	}
}

func TestSeedJSON(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	f, err := os.Open("testdata/business.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.SeedJSON(f); err != nil {
		t.Fatal(err)
	}
	tok := token(t, s, t0)
	_, a := serve(t, s, signed(s, t0, jdy.BusinessPath, url.Values{"customer_id": {"C002"}}, tok))
	var b jdy.Business
	if err := json.Unmarshal(a.Data, &b); err != nil {
		t.Fatal(err)
	}
	if !b.LastMonthSalFees.Equal(decimal.RequireFromString("1999.9")) || b.LatelyTransactionDate.Format(time.DateTime) != "2021-07-02 15:30:00" {
		t.Fatalf("C002 = %+v", b)
	}
	if err := s.SeedJSON(strings.NewReader(`{"x":{"month_refund_fees":"abc"}}`)); err == nil {
		t.Fatal("bad seed accepted")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	if err := s.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, signed(s, t0, jdy.TokenPath, tokenQuery(s), ""))
			var a struct {
				Data struct {
					Token string `json:"app-token"`
				} `json:"data"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Data.Token == "" {
				t.Errorf("token answer %s", rec.Body)
				return
			}
			s.SetBusiness("x"+strconv.Itoa(i), jdy.Business{})
			_ = s.Refused() + s.TokenRequests()
			rec = httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, signed(s, t0, jdy.BusinessPath, url.Values{"customer_id": {"C001"}}, a.Data.Token))
			if !strings.Contains(rec.Body.String(), `"errcode":0`) {
				t.Errorf("answer %s", rec.Body)
			}
		})
	}
	wg.Wait()
	if s.TokenRequests() != 16 || s.BusinessRequests() != 16 {
		t.Fatalf("counters %d %d", s.TokenRequests(), s.BusinessRequests())
	}
}
