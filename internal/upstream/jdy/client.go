package jdy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redact"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Defaults.
const (
	DefaultBaseURL = "https://api.kingdee.com"
	DefaultTimeout = 20 * time.Second
	// RefreshMargin: a cached app-token is renewed this long before it
	// expires (or at half its lifetime when that is shorter).
	RefreshMargin = 5 * time.Minute
	// MaxRefreshes app-token requests per rolling RefreshWindow.
	MaxRefreshes  = 2
	RefreshWindow = time.Minute
)

// Vendor paths.
const (
	TokenPath    = "/jdyconnector/app_management/kingdee_auth_token"
	BusinessPath = "/jdy/v2/arap/customer_business"
)

// Header names exactly as the vendor spells them.
const (
	hdrClientID    = "X-Api-ClientID"
	hdrAuthVersion = "X-Api-Auth-Version"
	hdrTimestamp   = "X-Api-TimeStamp"
	hdrNonce       = "X-Api-Nonce"
	hdrSignHeaders = "X-Api-SignHeaders"
	hdrSignature   = "X-Api-Signature"
	hdrAppToken    = "app-token"
	hdrRouter      = "X-GW-Router-Addr"

	// SignHeaders is the fixed X-Api-SignHeaders value.
	SignHeaders = "X-Api-TimeStamp,X-Api-Nonce"
	// AuthVersion is the fixed X-Api-Auth-Version value.
	AuthVersion = "2.0"
)

// Config configures a Client. The four credentials are required.
type Config struct {
	BaseURL      string // KSF_JDY_BASE_URL; default https://api.kingdee.com (a path prefix is kept and signed)
	ClientID     string // KSF_JDY_CLIENT_ID: X-Api-ClientID
	ClientSecret string // KSF_JDY_CLIENT_SECRET: key of X-Api-Signature
	AppKey       string // KSF_JDY_APP_KEY
	AppSecret    string // KSF_JDY_APP_SECRET: key of app_signature
	Domain       string // KSF_JDY_DOMAIN: X-GW-Router-Addr; empty = the domain of the token answer

	// Rate (KSF_JDY_RPS; token requests count too), timeout, HTTP client,
	// observer and clock (X-Api-TimeStamp, token expiry), as every vendor
	// client takes them (Timeout 0 = DefaultTimeout).
	upstream.CallOptions

	Nonce func() string // X-Api-Nonce; nil = a random 10-digit positive integer

	// TokenErrcodes mean "app-token invalid or expired"; nil = DefaultTokenErrcodes().
	TokenErrcodes []int64
	// TransientErrcodes are retried later; nil = DefaultTransientErrcodes().
	TransientErrcodes []int64
}

// String hides the secrets, so a Config can be logged.
func (c Config) String() string {
	return fmt.Sprintf("jdy.Config{BaseURL:%q ClientID:%q ClientSecret:%s AppKey:%q AppSecret:%s Domain:%q RPS:%v Burst:%d Timeout:%v}",
		c.BaseURL, c.ClientID, redact.String(c.ClientSecret), c.AppKey, redact.String(c.AppSecret), c.Domain, c.RPS, c.Burst, c.Timeout)
}

// GoString hides the secrets from %#v too.
func (c Config) GoString() string { return c.String() }

// Client calls the 金蝶精斗云 v2 API. It is safe for concurrent use; one
// Client per account set, so that all callers share one app-token.
type Client struct {
	base           *url.URL
	clientID       string
	clientSecret   string
	appKey         string
	appSignature   string
	domain         string
	timeout        time.Duration
	hc             *http.Client
	lim            upstream.Limiter
	now            func() time.Time
	nonce          func() string
	obs            upstream.Observer
	tokenCodes     map[int64]bool
	transientCodes map[int64]bool

	tok tokenCache
}

// New validates cfg and returns a Client. It makes no request: the first
// call fetches the app-token.
func New(cfg Config) (*Client, error) {
	for _, f := range []struct{ name, v string }{
		{"ClientID", cfg.ClientID}, {"ClientSecret", cfg.ClientSecret},
		{"AppKey", cfg.AppKey}, {"AppSecret", cfg.AppSecret},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("jdy: %s is required", f.name)
		}
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.User != nil {
		return nil, fmt.Errorf("jdy: BaseURL %q is not an http(s) URL without query", raw)
	}
	call, err := cfg.Resolve("jdy", DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:           base,
		clientID:       cfg.ClientID,
		clientSecret:   cfg.ClientSecret,
		appKey:         cfg.AppKey,
		appSignature:   digest.JDYAppSignature(cfg.AppKey, cfg.AppSecret),
		domain:         strings.TrimSpace(cfg.Domain),
		timeout:        call.Timeout,
		hc:             call.HTTPClient,
		lim:            call.Limiter,
		now:            call.Now,
		nonce:          cfg.Nonce,
		obs:            call.Observer,
		tokenCodes:     set(cfg.TokenErrcodes, DefaultTokenErrcodes()),
		transientCodes: set(cfg.TransientErrcodes, DefaultTransientErrcodes()),
	}
	if c.nonce == nil {
		c.nonce = randomNonce
	}
	return c, nil
}

func set(codes, def []int64) map[int64]bool {
	if codes == nil {
		codes = def
	}
	m := make(map[int64]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// randomNonce is a 10-digit positive integer, as the vendor's samples use.
// It only has to differ between requests, not be secret.
func randomNonce() string {
	return strconv.FormatInt(1_000_000_000+rand.Int64N(9_000_000_000), 10)
}

// CustomerBusiness returns the transaction summary of one 精斗云 customer
// (GET /jdy/v2/arap/customer_business?customer_id=…). Errors are
// *upstream.Error (permanent or transient) or the caller's ctx.Err().
func (c *Client) CustomerBusiness(ctx context.Context, customerID string) (*Business, error) {
	customerID = strings.TrimSpace(customerID)
	if customerID == "" {
		return nil, &upstream.Error{Vendor: Vendor, Op: OpCustomerBusiness, Message: "empty customer_id", Permanent: true}
	}
	q := url.Values{"customer_id": {customerID}}
	tok, err := c.appToken(ctx, "")
	if err != nil {
		return nil, err
	}
	res, err := c.get(ctx, OpCustomerBusiness, BusinessPath, q, tok)
	if res.tokenFail {
		// The cached token was refused (revoked, expired early, another
		// process renewed it): renew once and try once more. A second
		// refusal stays permanent: the credentials are wrong.
		if tok, err = c.appToken(ctx, tok.value); err != nil {
			return nil, err
		}
		res, err = c.get(ctx, OpCustomerBusiness, BusinessPath, q, tok)
	}
	if err != nil {
		return nil, err
	}
	if len(res.data) == 0 {
		return nil, &upstream.Error{Vendor: Vendor, Op: OpCustomerBusiness, Message: "answer without data for customer " + clip(customerID), Permanent: true}
	}
	var b Business
	if err := json.Unmarshal(res.data, &b); err != nil {
		return nil, &upstream.Error{Vendor: Vendor, Op: OpCustomerBusiness, Message: "malformed data: " + err.Error(), Permanent: true}
	}
	return &b, nil
}

// get makes one signed GET. tok is empty for the token endpoint.
func (c *Client) get(ctx context.Context, op, path string, q url.Values, tok token) (res result, err error) {
	if tok.value != "" && tok.domain == "" {
		return result{}, &upstream.Error{Vendor: Vendor, Op: op, Message: "no X-GW-Router-Addr: set KSF_JDY_DOMAIN (the token answer carried no domain)", Permanent: true}
	}
	if err := c.lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		return result{}, &upstream.Error{Vendor: Vendor, Op: op, Message: "rate limit: no slot before the deadline", Err: err}
	}
	start := time.Now()
	defer func() { upstream.Observe(c.obs, Vendor, op, start, err) }()

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(rctx, path, q, tok)
	if err != nil {
		return result{}, &upstream.Error{Vendor: Vendor, Op: op, Message: "building request failed", Permanent: true}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{}, upstream.Transport(Vendor, op, ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return result{}, upstream.Transport(Vendor, op, ctx, err)
	}
	if len(body) > maxBody {
		return result{}, &upstream.Error{Vendor: Vendor, Op: op, Status: resp.StatusCode, Message: "answer larger than 1 MiB", Permanent: true}
	}
	return c.classify(op, resp.StatusCode, body)
}

// newRequest signs and builds the request. The signed path is the full path
// sent (base path included), which is what the gateway sees.
func (c *Client) newRequest(ctx context.Context, path string, q url.Values, tok token) (*http.Request, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	// RFC 3986 on the wire too (space as %20), matching what is signed.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	ts := strconv.FormatInt(c.now().UnixMilli(), 10)
	nonce := c.nonce()
	sig := digest.JDY(c.clientSecret, digest.JDYStringToSign(http.MethodGet, u.Path, q, nonce, ts))

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	// Assigned directly so the names go out spelled as the vendor documents
	// them (Header.Set would send "X-Api-Clientid").
	h := req.Header
	h["Content-Type"] = []string{"application/json"}
	h[hdrClientID] = []string{c.clientID}
	h[hdrAuthVersion] = []string{AuthVersion}
	h[hdrTimestamp] = []string{ts}
	h[hdrNonce] = []string{nonce}
	h[hdrSignHeaders] = []string{SignHeaders}
	h[hdrSignature] = []string{sig}
	if tok.value != "" {
		h[hdrAppToken] = []string{tok.value}
		h[hdrRouter] = []string{tok.domain}
	}
	return req, nil
}

// errRefreshLimited is the cause when the token refresh budget is spent.
var errRefreshLimited = errors.New("app-token refresh limited to 2 per minute")
