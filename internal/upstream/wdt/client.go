package wdt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redact"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

const (
	// Vendor is the name in every *upstream.Error and observation.
	Vendor = "wdt"
	// Method is the 奇门 service name, also the Op of errors and observations.
	Method = "wdt.hjy.bill.ext.query.orgs"

	// DefaultTimeout bounds one HTTP request (a page of 200 records).
	DefaultTimeout = 30 * time.Second

	maxAnswer = 32 << 20 // a page of 200 records is a few hundred KiB
)

// Config configures a Client. The string fields come from KSF_WDT_*.
type Config struct {
	RouterURL    string // KSF_WDT_ROUTER_URL, e.g. http://{id}.api.taobao.com/router/qm
	AppKey       string // KSF_WDT_APP_KEY: the 奇门 app_key
	AppSecret    string // KSF_WDT_APP_SECRET: signs `sign` (secret)
	TargetAppKey string // KSF_WDT_TARGET_APP_KEY: 旺店通's app key on 奇门
	HJYAppID     string // KSF_WDT_HJY_APP_ID: the appId business parameter
	HJYAppKey    string // KSF_WDT_HJY_APP_KEY: signs hjySign (secret)
	SID          string // KSF_WDT_SID: 卖家账号

	// Platforms queried when a BillQuery names none (KSF_WDT_PLATFORMS,
	// see ParsePlatforms). Empty means all 18.
	Platforms []Platform

	// Rate (KSF_WDT_RPS; 奇门 counts calls per app key), timeout, HTTP
	// client, observer and clock (the signed timestamp), as every vendor
	// client takes them (Timeout 0 = DefaultTimeout).
	upstream.CallOptions
}

// String hides the secrets, so a logged Config leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("wdt.Config{RouterURL:%s AppKey:%s AppSecret:%s TargetAppKey:%s HJYAppID:%s HJYAppKey:%s SID:%s Platforms:%v RPS:%g Burst:%d Timeout:%s}",
		c.RouterURL, c.AppKey, redact.String(c.AppSecret), c.TargetAppKey, c.HJYAppID, redact.String(c.HJYAppKey), c.SID, c.Platforms, c.RPS, c.Burst, c.Timeout)
}

// GoString is String for %#v.
func (c Config) GoString() string { return c.String() }

// Client reads 慧经营 bill records through the 奇门 gateway. It is safe for
// concurrent use.
type Client struct {
	cfg       Config
	router    *url.URL
	hc        *http.Client
	lim       upstream.Limiter
	now       func() time.Time
	platforms []Platform
}

// New checks cfg and returns a client. The error names the bad setting.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.RouterURL)
	switch {
	case cfg.RouterURL == "":
		return nil, errors.New("wdt: RouterURL (KSF_WDT_ROUTER_URL) is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errors.New("wdt: RouterURL (KSF_WDT_ROUTER_URL) must be an http(s) URL such as http://{id}.api.taobao.com/router/qm")
	case u.RawQuery != "" || u.User != nil:
		// Every query parameter would have to be signed; keep them all ours.
		return nil, errors.New("wdt: RouterURL (KSF_WDT_ROUTER_URL) must not carry a query string or user info")
	}
	for _, f := range []struct{ v, name string }{
		{cfg.AppKey, "AppKey (KSF_WDT_APP_KEY)"},
		{cfg.AppSecret, "AppSecret (KSF_WDT_APP_SECRET)"},
		{cfg.TargetAppKey, "TargetAppKey (KSF_WDT_TARGET_APP_KEY)"},
		{cfg.HJYAppID, "HJYAppID (KSF_WDT_HJY_APP_ID)"},
		{cfg.HJYAppKey, "HJYAppKey (KSF_WDT_HJY_APP_KEY)"},
		{cfg.SID, "SID (KSF_WDT_SID)"},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("wdt: %s is required", f.name)
		}
	}
	plats := append([]Platform(nil), cfg.Platforms...)
	if len(plats) == 0 {
		plats = AllPlatforms()
	}
	for _, p := range plats {
		if !p.Valid() {
			return nil, fmt.Errorf("wdt: Platforms (KSF_WDT_PLATFORMS): unknown subBillPlatform code %q", string(p))
		}
	}
	call, err := cfg.Resolve("wdt", DefaultTimeout)
	if err != nil {
		return nil, err
	}
	cfg.Timeout = call.Timeout
	return &Client{cfg: cfg, router: u, hc: call.HTTPClient, lim: call.Limiter, now: call.Now, platforms: plats}, nil
}

// Platforms returns the platforms queried when a BillQuery names none.
func (c *Client) Platforms() []Platform { return append([]Platform(nil), c.platforms...) }

// BillQuery selects bill records.
type BillQuery struct {
	ShopNos  []string // shopNo: one or more shop codes (blanks and duplicates dropped)
	Platform Platform // subBillPlatform; "" means each of Platforms in turn
	// Platforms are queried in turn when Platform is ""; empty means every
	// configured platform (Config.Platforms).
	Platforms []Platform
	Type      QueryType // 0 means ByBusinessDate
	// Start and End bound the period, both inclusive, read in Asia/Shanghai:
	// for ByBusinessDate only their dates count; for ByCreateTime they are
	// sent to the second (set End to 23:59:59 for a whole day).
	Start, End time.Time
}

// Bills calls fn with every record matching q, page after page (following
// nextRequestId until it is empty or "false", or an empty page echoes the
// cursor it was asked with), platform after platform.
// It stops at fn's first error and returns it as is. Failures of the
// vendor are *upstream.Error (Vendor "wdt") classified permanent or
// transient; a cancelled ctx returns ctx.Err(). Records already passed to
// fn are not taken back when a later page fails: a retry starts over.
func (c *Client) Bills(ctx context.Context, q BillQuery, fn func(Bill) error) error {
	base, err := c.baseParams(q)
	if err != nil {
		return err
	}
	plats := []Platform{q.Platform}
	if q.Platform == "" {
		plats = c.platforms
		if len(q.Platforms) > 0 {
			plats = q.Platforms
		}
	}
	for _, p := range plats {
		if err := c.platformBills(ctx, base, p, fn); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) platformBills(ctx context.Context, base map[string]string, p Platform, fn func(Bill) error) error {
	seen := map[string]bool{}
	next := ""
	for {
		params := make(map[string]string, len(base)+3)
		for k, v := range base {
			params[k] = v
		}
		params["subBillPlatform"] = string(p)
		if next != "" {
			params["nextRequestId"] = next
		}
		pg, err := c.call(ctx, params)
		if err != nil {
			return err
		}
		for _, b := range pg.bills {
			b.Platform = p
			if err := fn(b); err != nil {
				return err
			}
		}
		if pg.next == "" {
			return nil
		}
		if len(pg.bills) == 0 && (pg.next == next || seen[pg.next]) {
			// An empty page that only echoes a cursor is the end, not a loop.
			return nil
		}
		if seen[pg.next] {
			// A cursor that comes back would page forever.
			return &upstream.Error{Vendor: Vendor, Op: Method, Permanent: true,
				Message: fmt.Sprintf("paging loop: nextRequestId %q returned twice", clip(pg.next))}
		}
		seen[pg.next] = true
		next = pg.next
	}
}

// baseParams checks q and returns the business parameters every page shares.
func (c *Client) baseParams(q BillQuery) (map[string]string, error) {
	bad := func(format string, a ...any) error {
		return &upstream.Error{Vendor: Vendor, Op: Method, Permanent: true, Message: "invalid query: " + fmt.Sprintf(format, a...)}
	}
	var shops []string
	seen := map[string]bool{}
	for _, s := range q.ShopNos {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			shops = append(shops, s)
		}
	}
	if len(shops) == 0 {
		return nil, bad("no shopNo")
	}
	for _, p := range append([]Platform{q.Platform}, q.Platforms...) {
		if p != "" && !p.Valid() {
			return nil, bad("unknown subBillPlatform %q", string(p))
		}
	}
	typ := q.Type
	if typ == 0 {
		typ = ByBusinessDate
	}
	layout := typ.Layout()
	if layout == "" {
		return nil, bad("type %d is neither 1 (business date) nor 2 (create time)", int(typ))
	}
	if q.Start.IsZero() || q.End.IsZero() {
		return nil, bad("start and end are required")
	}
	start := q.Start.In(tz.Shanghai).Format(layout)
	end := q.End.In(tz.Shanghai).Format(layout)
	if start > end { // both in the same fixed-width layout
		return nil, bad("start %s is after end %s", start, end)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // send shop codes as written, not \u0026
	if err := enc.Encode(shops); err != nil {
		return nil, bad("shopNo: %v", err)
	}
	return map[string]string{
		"appId":     c.cfg.HJYAppID,
		"sid":       c.cfg.SID,
		"shopNo":    strings.TrimSpace(buf.String()),
		"type":      fmt.Sprint(int(typ)),
		"startDate": start,
		"endDate":   end,
	}, nil
}

// call makes one signed request and decodes its answer.
func (c *Client) call(ctx context.Context, biz map[string]string) (page, error) {
	if err := c.lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return page{}, ctx.Err()
		}
		// The limiter refuses a wait that would outlast ctx's deadline.
		return page{}, &upstream.Error{Vendor: Vendor, Op: Method, Message: "rate limit: " + err.Error(), Err: err}
	}
	start := time.Now()
	pg, err := c.do(ctx, biz)
	upstream.Observe(c.cfg.Observer, Vendor, Method, start, err)
	return pg, err
}

func (c *Client) do(ctx context.Context, biz map[string]string) (page, error) {
	req, err := c.request(ctx, biz)
	if err != nil {
		return page{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err := c.hc.Do(req.WithContext(rctx))
	if err != nil {
		return page{}, c.transport(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return page{}, c.transport(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// The gateway may explain itself in an error_response; its
		// classification is better than the status's.
		if _, derr := decodePage(body); derr != nil {
			if e, ok := upstream.As(derr); ok && e.Code != "" {
				e.Status = resp.StatusCode
				return page{}, e
			}
		}
		return page{}, &upstream.Error{Vendor: Vendor, Op: Method, Status: resp.StatusCode,
			Message: http.StatusText(resp.StatusCode), Permanent: upstream.PermanentStatus(resp.StatusCode)}
	}
	if len(body) > maxAnswer {
		return page{}, malformed("answer larger than 32 MiB")
	}
	return decodePage(body)
}

// request signs biz (adding hjySign) and the system parameters, and builds
// the POST: system parameters in the query string, business ones in the
// form body. No parameter is empty (signing empties is where SDKs differ).
func (c *Client) request(ctx context.Context, biz map[string]string) (*http.Request, error) {
	biz["hjySign"] = digest.HJY(biz, c.cfg.HJYAppKey)
	sys := map[string]string{
		"method":         Method,
		"app_key":        c.cfg.AppKey,
		"target_app_key": c.cfg.TargetAppKey,
		"v":              "2.0",
		"format":         "json",
		"sign_method":    "md5",
		"timestamp":      c.now().In(tz.Shanghai).Format(dateTimeLayout),
	}
	all := make(map[string]string, len(sys)+len(biz))
	for k, v := range biz {
		all[k] = v
	}
	for k, v := range sys {
		all[k] = v
	}
	sys["sign"] = digest.Qimen(all, c.cfg.AppSecret)
	q := url.Values{}
	for k, v := range sys {
		q.Set(k, v)
	}
	form := url.Values{}
	for k, v := range biz {
		form.Set(k, v)
	}
	u := *c.router
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &upstream.Error{Vendor: Vendor, Op: Method, Permanent: true, Message: "building request failed"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// transport classifies a failure to get an answer; upstream.Transport drops
// the *url.Error, whose query holds the sign.
func (c *Client) transport(ctx context.Context, err error) error {
	return upstream.Transport(Vendor, Method, ctx, err)
}
