package waiqin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"golang.org/x/time/rate"
)

// captured is one request as the server saw it.
type captured struct {
	path string
	body string
	ct   string
}

func capture(t *testing.T, answer string) (*httptest.Server, func() []captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.URL.Path, string(b), r.Header.Get("Content-Type")})
		mu.Unlock()
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// TestVendorKnownAnswer sends the vendor's own example through the client's
// signing path and expects the vendor's URL segments.
func TestVendorKnownAnswer(t *testing.T) {
	t.Parallel()
	srv, got := capture(t, `{"return_code":0}`)
	c, err := New(Config{
		BaseURL: srv.URL + "/api/",
		OpenID:  "5465103569540931532",
		AppKey:  "BFCO0PAgIUgd50c0l6",
		// 14:28:36 in Shanghai
		NewMsgID:    func() string { return "ORG00001" },
		CallOptions: upstream.CallOptions{Now: func() time.Time { return time.Date(2015, 8, 6, 6, 28, 36, 0, time.UTC) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"org_id":"ORG001","org_name":"南京掌控网络","org_parent_id":"","org_sequence":001}`
	if _, err := c.call(t.Context(), IfaceSaveStatement, []byte(body)); err != nil {
		t.Fatal(err)
	}
	r := got()[0]
	want := "/api/ksfStatement/v1/saveStatement/5465103569540931532/20150806142836/74267bf0cae0998a719879ec9b3c7780/ORG00001"
	if r.path != want || r.body != body {
		t.Fatalf("sent %s %s\nwant %s", r.path, r.body, want)
	}
	if !strings.HasPrefix(r.ct, "application/json") {
		t.Fatalf("Content-Type %q", r.ct)
	}
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	ok := Config{OpenID: "5465103569540931532", AppKey: "BFCO0PAgIUgd50c0l6"}
	tests := []struct {
		name   string
		mutate func(*Config)
		bad    bool
	}{
		{"defaults", func(*Config) {}, false},
		{"qince base with /api", func(c *Config) { c.BaseURL = "https://openapi.qince.com/api" }, false},
		{"no openid", func(c *Config) { c.OpenID = "" }, true},
		{"no appkey", func(c *Config) { c.AppKey = "" }, true},
		{"relative base", func(c *Config) { c.BaseURL = "openapi.waiqin365.com" }, true},
		{"ftp base", func(c *Config) { c.BaseURL = "ftp://x" }, true},
		{"negative rps", func(c *Config) { c.RPS = -1 }, true},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.mutate(&cfg)
			c, err := New(cfg)
			if (err != nil) != tt.bad {
				t.Fatalf("New = %v", err)
			}
			if err != nil && (strings.Contains(err.Error(), cfg.AppKey) && cfg.AppKey != "") {
				t.Fatalf("error quotes the appkey: %v", err)
			}
			if c != nil && len(c.Warnings()) != 0 {
				t.Fatalf("warnings for valid credentials: %v", c.Warnings())
			}
		})
	}
	c, _ := New(ok)
	if lim, _ := c.limiter.(*rate.Limiter); c.base != DefaultBaseURL || c.timeout != DefaultTimeout || lim == nil || lim.Limit() != rate.Inf || c.maxPages != DefaultMaxPages {
		t.Fatalf("defaults: %+v", c)
	}
	c, _ = New(Config{BaseURL: "https://openapi.qince.com/api/", OpenID: "short", AppKey: "secret-appkey", CallOptions: upstream.CallOptions{RPS: 5}})
	if lim, _ := c.limiter.(*rate.Limiter); c.base != "https://openapi.qince.com" || lim == nil || lim.Limit() != 5 || lim.Burst() != 1 {
		t.Fatalf("base %q limiter %v", c.base, c.limiter)
	}
	if w := strings.Join(c.Warnings(), "; "); !strings.Contains(w, "openid has 5 characters") || !strings.Contains(w, "appkey has 13") || strings.Contains(w, "secret-appkey") || strings.Contains(w, "short") {
		t.Fatalf("warnings %q", w)
	}
}

func TestTimestampAndMsgID(t *testing.T) {
	t.Parallel()
	if got := Timestamp(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)); got != "20270101000000" {
		t.Fatalf("Timestamp = %s", got)
	}
	if got := Timestamp(time.Date(2026, 1, 1, 0, 0, 0, 0, tz.Shanghai)); got != "20260101000000" {
		t.Fatalf("Timestamp = %s", got)
	}
	a, b := NewMsgID(), NewMsgID()
	if len(a) != 32 || a == b || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("NewMsgID = %q, %q", a, b)
	}
}
