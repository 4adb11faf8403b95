package oms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Vendor is the name this client puts in every *upstream.Error and reports
// to the Observer.
const Vendor = "oms"

// ServicePath is the one endpoint of the openapi, relative to the base URL.
const ServicePath = "/index.php/openapi/rpc/service/"

// The methods this client calls (the Op of its errors and observations).
const (
	MethodARList       = "ar.getList"
	MethodARDetail     = "ar.getDetail"
	MethodTransactions = "finance.getTransactionList"
	MethodBalance      = "finance.getAccountBalance"
)

// Timestamp formats (KSF_OMS_TIMESTAMP).
const (
	// TimestampDatetime is yyyyMMddHHmmss, Shanghai wall clock, as the
	// vendor's pages say (the default).
	TimestampDatetime = "datetime"
	// TimestampUnix is Unix seconds, which the vendor's public source checks.
	TimestampUnix = "unix"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout  = 30 * time.Second // per HTTP request
	DefaultPageSize = 100              // what the vendor actually serves at most
	MaxPageSize     = 1000             // the pages' documented maximum
)

// maxBody bounds an answer read into memory: a 1000-row page is far smaller.
const maxBody = 32 << 20

// Config configures a Client. BaseURL, Flag and Token are required.
type Config struct {
	BaseURL string // e.g. https://oms.example.com (without ServicePath)
	Flag    string // the caller's application flag
	Token   string // the secret configured for Flag; never logged

	// TimestampFormat is TimestampDatetime (default) or TimestampUnix.
	TimestampFormat string

	PageSize int // page_size asked for; 0 = DefaultPageSize, at most MaxPageSize

	// Rate, timeout, HTTP client, observer and clock, as every vendor
	// client takes them (Timeout 0 = DefaultTimeout).
	upstream.CallOptions
	// Sleep waits d or until ctx is done, before signing again in a second
	// already used for the same query (tests pair it with Now); nil = a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client calls the OMS openapi. It is safe for concurrent use.
type Client struct {
	endpoint string
	flag     string
	token    string
	unix     bool
	hc       *http.Client
	lim      upstream.Limiter
	timeout  time.Duration
	obs      upstream.Observer
	pageSize int
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error

	mu     sync.Mutex
	lastTS map[string]string // query → the timestamp it was last signed with
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("oms: BaseURL %q: want an http(s) URL", cfg.BaseURL)
	}
	if cfg.Flag == "" {
		return nil, errors.New("oms: Flag is required")
	}
	if cfg.Token == "" {
		return nil, errors.New("oms: Token is required")
	}
	call, err := cfg.Resolve("oms", DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint: strings.TrimRight(u.String(), "/") + ServicePath,
		flag:     cfg.Flag,
		token:    cfg.Token,
		hc:       call.HTTPClient,
		lim:      call.Limiter,
		timeout:  call.Timeout,
		obs:      call.Observer,
		pageSize: cfg.PageSize,
		now:      call.Now,
		sleep:    cfg.Sleep,
		lastTS:   map[string]string{},
	}
	switch cfg.TimestampFormat {
	case "", TimestampDatetime:
	case TimestampUnix:
		c.unix = true
	default:
		return nil, fmt.Errorf("oms: TimestampFormat %q: want %q or %q", cfg.TimestampFormat, TimestampDatetime, TimestampUnix)
	}
	if c.pageSize == 0 {
		c.pageSize = DefaultPageSize
	}
	if c.pageSize < 1 || c.pageSize > MaxPageSize {
		return nil, fmt.Errorf("oms: PageSize %d: want 1..%d", cfg.PageSize, MaxPageSize)
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call sends one query and returns the answer's payload. An expired or
// repeated timestamp is re-signed and sent once more; a second such answer
// is a transient failure.
func (c *Client) call(ctx context.Context, method string, biz map[string]string) ([]byte, error) {
	payload, resign, err := c.send(ctx, method, biz)
	if err == nil || !resign {
		return payload, err
	}
	payload, _, err = c.send(ctx, method, biz)
	return payload, err
}

// send makes one signed HTTP request.
func (c *Client) send(ctx context.Context, method string, biz map[string]string) (payload []byte, resign bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if err := c.lim.Wait(ctx); err != nil {
		// Wait refuses at once when the deadline would pass first.
		return nil, false, upstream.Transport(Vendor, method, ctx, fmt.Errorf("rate limit: %w", err))
	}
	ts, err := c.stamp(ctx, method+"\x00"+digest.OMSAssemble(biz))
	if err != nil {
		return nil, false, err
	}
	form := c.form(method, biz, ts)
	sign := form.Get("sign")

	start := time.Now()
	defer func() {
		err = c.redact(err, sign)
		upstream.Observe(c.obs, Vendor, method, start, err)
	}()

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, false, &upstream.Error{Vendor: Vendor, Op: method, Message: "building request", Permanent: true, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, false, upstream.Transport(Vendor, method, ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, false, upstream.Transport(Vendor, method, ctx, err)
	}
	if len(body) > maxBody {
		return nil, false, &upstream.Error{Vendor: Vendor, Op: method, Status: resp.StatusCode, Message: "answer larger than 32 MiB", Permanent: true}
	}
	return interpret(method, resp.StatusCode, body)
}

// form builds the signed request body: system parameters, the business
// parameters, and sign over all of them.
func (c *Client) form(method string, biz map[string]string, ts string) url.Values {
	p := make(map[string]string, len(biz)+7)
	for k, v := range biz {
		p[k] = v
	}
	p["flag"] = c.flag
	p["method"] = method
	p["ver"] = "1"
	p["charset"] = "utf-8"
	p["type"] = "json"
	p["timestamp"] = ts
	p["sign"] = digest.OMS(p, c.token)
	form := make(url.Values, len(p))
	for k, v := range p {
		form.Set(k, v)
	}
	return form
}

// stamp returns the timestamp to sign query with. Timestamps have a
// one-second resolution and the vendor refuses a repeated signed request,
// so the same query is never signed twice with the same timestamp: the
// second caller waits for the next second.
func (c *Client) stamp(ctx context.Context, query string) (string, error) {
	for {
		now := c.now()
		ts := c.format(now)
		c.mu.Lock()
		if c.lastTS[query] != ts {
			if len(c.lastTS) > 256 {
				// Only entries of the current second can still collide.
				for k, v := range c.lastTS {
					if v != ts {
						delete(c.lastTS, k)
					}
				}
			}
			c.lastTS[query] = ts
			c.mu.Unlock()
			return ts, nil
		}
		c.mu.Unlock()
		wait := now.Truncate(time.Second).Add(time.Second).Sub(now)
		if err := c.sleep(ctx, wait); err != nil {
			return "", err
		}
	}
}

func (c *Client) format(t time.Time) string {
	if c.unix {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return t.In(tz.Shanghai).Format("20060102150405")
}

// redact keeps the token and the request's sign out of an error, should the
// vendor echo them in a message.
func (c *Client) redact(err error, sign string) error {
	e, ok := upstream.As(err)
	if !ok {
		return err
	}
	for _, s := range []string{c.token, sign} {
		if s != "" {
			e.Message = strings.ReplaceAll(e.Message, s, "[redacted]")
			e.Code = strings.ReplaceAll(e.Code, s, "[redacted]")
		}
	}
	return err
}
