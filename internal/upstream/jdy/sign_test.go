package jdy_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
)

// The two known answers of FACTS.md (金蝶精斗云).
const (
	factsClientSecret = "f2adcfef73369bfc4e1384677d38a0ff"
	factsAppKey       = "bVZgAZOv1"
	factsAppSig       = "MzZlYTk0ODk4MWZlNjdiODNmNWU4YzViNzYxNGM5MTFlOGJkN2NjMzk0MTJkZGNhZGM0NzZhN2YxZDJmOTlkZA=="
	factsNonce        = "4427456950"
	factsTimestamp    = 1670305063559
	factsString       = "GET\n%2Fjdyconnector%2Fapp_management%2Fkingdee_auth_token\napp_key=bVZgAZOv1&app_signature=MzZlYTk0ODk4MWZlNjdiODNmNWU4YzViNzYxNGM5MTFlOGJkN2NjMzk0MTJkZGNhZGM0NzZhN2YxZDJmOTlkZA%253D%253D\nx-api-nonce:4427456950\nx-api-timestamp:1670305063559\n"
	factsSignature    = "OTFiZTliNDFiMjNkYTI3YzVhNzg4MDI4ZGU3MWY1ZTA5ZTk1NjVlNGM1YTI1ZjIxY2Y5YTA3ZGY2OGI1MGQ1MQ=="
	factsAppSigABC    = "ZDljMTI3NGIyNTE1MTRkYzlkNjc1MDNhYjUzMzgzNWMyY2M4YTdjMzdmNmM3YTVlNDkxMTkzNjdiOTFjNzUyZQ=="
)

func TestKnownAnswers(t *testing.T) {
	t.Parallel()
	q := url.Values{"app_key": {factsAppKey}, "app_signature": {factsAppSig}}
	s := digest.JDYStringToSign("GET", jdy.TokenPath, q, factsNonce, "1670305063559")
	if s != factsString {
		t.Fatalf("string to sign =\n%q\nwant\n%q", s, factsString)
	}
	if got := digest.JDY(factsClientSecret, s); got != factsSignature {
		t.Fatalf("X-Api-Signature = %s, want %s", got, factsSignature)
	}
	if got := digest.JDYAppSignature("abc", "abc123"); got != factsAppSigABC {
		t.Fatalf("app_signature = %s, want %s", got, factsAppSigABC)
	}
}

// recorder is a RoundTripper that keeps every request and answers with a
// canned token answer, so the client's real outgoing bytes can be checked.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(r.body)),
		Request:    req,
	}, nil
}

func (r *recorder) first(t *testing.T) *http.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request sent")
	}
	return r.reqs[0]
}

// TestTokenRequestReproducesFACTSVector checks the request the client
// actually sends for kingdee_auth_token, with the vector's nonce, timestamp
// and credentials injected, against the FACTS signature.
func TestTokenRequestReproducesFACTSVector(t *testing.T) {
	t.Parallel()
	rec := &recorder{body: `{"errcode":0,"description":"success","data":{"app-token":"tok","expires":1670391463559}}`}
	c, err := jdy.New(jdy.Config{
		ClientID:     "205022",
		ClientSecret: factsClientSecret,
		AppKey:       factsAppKey,
		AppSecret:    "unknown: the vector's app_signature is injected below",
		Domain:       "https://tf.jdy.com",
		Nonce:        func() string { return factsNonce },
		CallOptions:  upstream.CallOptions{HTTPClient: &http.Client{Transport: rec}, Limiter: rate.NewLimiter(rate.Inf, 0), Now: func() time.Time { return time.UnixMilli(factsTimestamp) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	jdy.SetAppSignature(c, factsAppSig)
	_, _ = c.CustomerBusiness(context.Background(), "1188427222868837376")

	req := rec.first(t)
	if req.URL.Path != jdy.TokenPath || req.Method != http.MethodGet {
		t.Fatalf("first request %s %s, want GET %s", req.Method, req.URL.Path, jdy.TokenPath)
	}
	want := map[string]string{
		"Content-Type":       "application/json",
		"X-Api-ClientID":     "205022",
		"X-Api-Auth-Version": "2.0",
		"X-Api-TimeStamp":    "1670305063559",
		"X-Api-Nonce":        factsNonce,
		"X-Api-SignHeaders":  "X-Api-TimeStamp,X-Api-Nonce",
		"X-Api-Signature":    factsSignature,
	}
	for k, v := range want {
		// Indexed by the exact spelling: the names go out as documented.
		if got := raw(req.Header, k); len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if len(raw(req.Header, "app-token")) != 0 {
		t.Error("token request carries an app-token")
	}
	if got := req.URL.Query().Get("app_signature"); got != factsAppSig {
		t.Errorf("app_signature sent = %q", got)
	}
	if req.URL.RawQuery != "app_key=bVZgAZOv1&app_signature=MzZlYTk0ODk4MWZlNjdiODNmNWU4YzViNzYxNGM5MTFlOGJkN2NjMzk0MTJkZGNhZGM0NzZhN2YxZDJmOTlkZA%3D%3D" {
		t.Errorf("query on the wire = %q", req.URL.RawQuery)
	}
}

// TestAppSignatureSent checks the second FACTS vector on the wire: the
// client derives app_signature from app_key abc and app_secret abc123.
func TestAppSignatureSent(t *testing.T) {
	t.Parallel()
	rec := &recorder{body: `{"errcode":0,"description":"success","data":{"app-token":"tok"}}`}
	c, err := jdy.New(jdy.Config{
		ClientID:     "1",
		ClientSecret: "s",
		AppKey:       "abc",
		AppSecret:    "abc123",
		Domain:       "d",
		CallOptions:  upstream.CallOptions{HTTPClient: &http.Client{Transport: rec}, Limiter: rate.NewLimiter(rate.Inf, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.CustomerBusiness(context.Background(), "c1")
	if got := rec.first(t).URL.Query().Get("app_signature"); got != factsAppSigABC {
		t.Fatalf("app_signature = %q, want %q", got, factsAppSigABC)
	}
}

// TestBusinessRequestHeaders checks the business call: signed over its own
// path and query, with app-token and X-GW-Router-Addr.
func TestBusinessRequestHeaders(t *testing.T) {
	t.Parallel()
	rec := &recorder{body: `{"errcode":0,"description":"success","data":{"app-token":"tok-1","expires":1670391463559}}`}
	c, err := jdy.New(jdy.Config{
		BaseURL:      "https://gw.example/prefix/",
		ClientID:     "1",
		ClientSecret: "cs",
		AppKey:       "k",
		AppSecret:    "as",
		Domain:       "https://tf.jdy.com",
		Nonce:        func() string { return "7" },
		CallOptions:  upstream.CallOptions{HTTPClient: &http.Client{Transport: rec}, Limiter: rate.NewLimiter(rate.Inf, 0), Now: func() time.Time { return time.UnixMilli(factsTimestamp) }},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.CustomerBusiness(context.Background(), "a b=c")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) != 2 {
		t.Fatalf("%d requests, want token + business", len(rec.reqs))
	}
	req := rec.reqs[1]
	path := "/prefix" + jdy.BusinessPath
	if req.URL.Path != path || req.URL.RawQuery != "customer_id=a%20b%3Dc" {
		t.Fatalf("business URL %s ? %s", req.URL.Path, req.URL.RawQuery)
	}
	sts := digest.JDYStringToSign("GET", path, url.Values{"customer_id": {"a b=c"}}, "7", "1670305063559")
	if !strings.Contains(sts, "customer_id=a%2520b%253Dc\n") {
		t.Fatalf("string to sign %q does not double-encode", sts)
	}
	if got, want := raw(req.Header, "X-Api-Signature"), digest.JDY("cs", sts); len(got) != 1 || got[0] != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if got := raw(req.Header, "app-token"); len(got) != 1 || got[0] != "tok-1" {
		t.Errorf("app-token %q", got)
	}
	if got := raw(req.Header, "X-GW-Router-Addr"); len(got) != 1 || got[0] != "https://tf.jdy.com" {
		t.Errorf("X-GW-Router-Addr %q", got)
	}
}

// raw reads a header by its exact spelling: the client sends the vendor's
// names as documented, not canonicalised.
func raw(h http.Header, name string) []string { return h[name] }
