// Package waiqin is the client of 勤策 (waiqin365) openapi for the customer
// statement interfaces: saveStatement, saveStatementError, saveExpense,
// saveExpenseError, queryStatement, queryExpenseStatement and getCustomers.
//
// Every request is a POST of a JSON body to
// {base}/api/{app}/{version}/{interface}/{openid}/{timestamp}/{digest}/{msg_id},
// signed with digest.Waiqin over the exact bytes sent. A Client makes one
// attempt per call (retrying is the worker's job); paged queries make one
// request per page. Failures are *upstream.Error with Vendor "waiqin", Op the
// interface name and Code the return_code, classified permanent or transient
// (see docs/waiqin.md). No error carries the URL, the appkey, the openid or
// a digest, and the client logs nothing.
//
// Package waiqintest beside it is a fake 勤策 for tests and the demo.
package waiqin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Vendor is the Vendor of every *upstream.Error and observed call.
const Vendor = "waiqin"

// Defaults.
const (
	DefaultBaseURL  = "https://openapi.waiqin365.com"
	DefaultTimeout  = 10 * time.Second
	DefaultMaxPages = 10_000
	// MaxMsgID is the length limit of msg_id (VARCHAR(32)).
	MaxMsgID = 32
	// maxAnswer bounds what is read of one answer.
	maxAnswer = 64 << 20
)

// Interface names: the {interface} path segment and the Op of errors.
const (
	IfaceSaveStatement         = "saveStatement"
	IfaceSaveStatementError    = "saveStatementError"
	IfaceGetCustomers          = "getCustomers"
	IfaceSaveExpense           = "saveExpense"
	IfaceSaveExpenseError      = "saveExpenseError"
	IfaceQueryStatement        = "queryStatement"
	IfaceQueryExpenseStatement = "queryExpenseStatement"
)

// paths maps each interface to its {app}/{version}/{interface}: note the two
// families, ksfStatement and ksfreport (queryStatement is a ksfreport one).
var paths = map[string]string{
	IfaceSaveStatement:         "ksfStatement/v1/saveStatement",
	IfaceSaveStatementError:    "ksfStatement/v1/saveStatementError",
	IfaceGetCustomers:          "ksfStatement/v1/getCustomers",
	IfaceSaveExpense:           "ksfreport/v1/saveExpense",
	IfaceSaveExpenseError:      "ksfreport/v1/saveExpenseError",
	IfaceQueryStatement:        "ksfreport/v1/queryStatement",
	IfaceQueryExpenseStatement: "ksfreport/v1/queryExpenseStatement",
}

// Path returns the {app}/{version}/{interface} part of iface's URL.
func Path(iface string) (string, bool) {
	p, ok := paths[iface]
	return p, ok
}

// ErrMalformed is the cause (errors.Is) of a permanent error for an answer
// that is not 勤策's envelope.
var ErrMalformed = errMalformed

// Config configures one tenant's Client.
type Config struct {
	BaseURL string // default DefaultBaseURL; a trailing "/api" is tolerated
	OpenID  string // required; 勤策 issues 19 characters
	AppKey  string // required; 勤策 issues 18 characters; never logged
	// Rate (KSF_WAIQIN_RPS; tenants sharing one 勤策 account can share one
	// Limiter), timeout, HTTP client, observer and clock (the request
	// timestamp), as every vendor client takes them (Timeout 0 =
	// DefaultTimeout).
	upstream.CallOptions
	// NewMsgID gives a fresh msg_id per request (at most 32 characters);
	// default 32 random hex digits.
	NewMsgID func() string
	// TransientCodes are return codes worth retrying. 勤策 publishes none,
	// so by default every non-zero code is permanent unless its message says
	// the service is busy.
	TransientCodes []string
	// MaxPages stops a paged query that never ends; default DefaultMaxPages.
	MaxPages int
}

// Client calls 勤策 openapi for one tenant. It is safe for concurrent use.
type Client struct {
	base           string
	openid         string
	openidPath     string
	appkey         string
	timeout        time.Duration
	hc             *http.Client
	limiter        upstream.Limiter
	now            func() time.Time
	newMsgID       func() string
	obs            upstream.Observer
	transientCodes map[string]struct{}
	maxPages       int
	warnings       []string
}

// New checks cfg and returns a Client. Errors name the field, never a value.
func New(cfg Config) (*Client, error) {
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("waiqin: base URL must be an absolute http(s) URL without query")
	}
	base = strings.TrimSuffix(strings.TrimRight(base, "/"), "/api")
	if cfg.OpenID == "" {
		return nil, errors.New("waiqin: openid is required")
	}
	if cfg.AppKey == "" {
		return nil, errors.New("waiqin: appkey is required")
	}
	if cfg.MaxPages < 0 {
		return nil, errors.New("waiqin: max pages must not be negative")
	}
	call, err := cfg.Resolve("waiqin", DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		openid:     cfg.OpenID,
		openidPath: url.PathEscape(cfg.OpenID),
		appkey:     cfg.AppKey,
		timeout:    call.Timeout,
		hc:         call.HTTPClient,
		limiter:    call.Limiter,
		now:        call.Now,
		newMsgID:   cfg.NewMsgID,
		obs:        call.Observer,
		maxPages:   cfg.MaxPages,
	}
	if c.newMsgID == nil {
		c.newMsgID = NewMsgID
	}
	if c.maxPages == 0 {
		c.maxPages = DefaultMaxPages
	}
	c.transientCodes = make(map[string]struct{}, len(cfg.TransientCodes))
	for _, code := range cfg.TransientCodes {
		c.transientCodes[strings.TrimSpace(code)] = struct{}{}
	}
	if n := len([]rune(cfg.OpenID)); n != 19 {
		c.warnings = append(c.warnings, fmt.Sprintf("openid has %d characters, 勤策 issues 19", n))
	}
	if n := len([]rune(cfg.AppKey)); n != 18 {
		c.warnings = append(c.warnings, fmt.Sprintf("appkey has %d characters, 勤策 issues 18", n))
	}
	return c, nil
}

// Warnings lists doubts about the configuration worth logging at warn level
// (credential lengths unlike 勤策's). They contain no secret.
func (c *Client) Warnings() []string { return append([]string(nil), c.warnings...) }

// NewMsgID returns 32 random lowercase hex digits.
func NewMsgID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}

// Timestamp formats t as 勤策 wants it: yyyyMMddHHmmss, Shanghai wall clock.
func Timestamp(t time.Time) string { return t.In(tz.Shanghai).Format("20060102150405") }

// call sends one signed request and returns response_data (nil if none).
func (c *Client) call(ctx context.Context, iface string, body []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.limiter.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The wait would outlast ctx's deadline: try later.
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Message: "rate limit: " + err.Error()}
	}
	start := time.Now()
	data, err := c.send(ctx, iface, body)
	upstream.Observe(c.obs, Vendor, iface, start, err)
	return data, err
}

func (c *Client) send(ctx context.Context, iface string, body []byte) ([]byte, error) {
	// Signed after the limiter's wait, so the timestamp is the sending time.
	ts := Timestamp(c.now())
	msgID := c.newMsgID()
	if msgID == "" || len(msgID) > MaxMsgID {
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Permanent: true, Message: "msg_id generator gave an empty or over-long id"}
	}
	sig := digest.Waiqin(body, c.appkey, ts)
	u := c.base + "/api/" + paths[iface] + "/" + c.openidPath + "/" + ts + "/" + sig + "/" + url.PathEscape(msgID)

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		// The error would quote the URL: say only what failed.
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Permanent: true, Message: "cannot build the request URL"}
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transport(ctx, iface, sig, err)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := readAnswer(resp)
	if err != nil {
		return nil, c.transport(ctx, iface, sig, err)
	}
	if len(answer) > maxAnswer {
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Status: resp.StatusCode, Permanent: true,
			Message: fmt.Sprintf("answer larger than %d MiB", maxAnswer>>20), Err: ErrMalformed}
	}
	return c.interpret(iface, msgID, sig, resp.StatusCode, answer)
}

func readAnswer(resp *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxAnswer {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxAnswer+1))
	return buf.Bytes(), err
}

// transport classifies a failure to get an answer. The *url.Error is
// dropped: its URL holds the openid and the digest.
func (c *Client) transport(ctx context.Context, iface, sig string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &upstream.Error{Vendor: Vendor, Op: iface, Message: fmt.Sprintf("no answer within %s", c.timeout), Err: context.DeadlineExceeded}
	}
	out := upstream.Transport(Vendor, iface, ctx, err)
	if e, ok := upstream.As(out); ok {
		e.Message = c.redact(e.Message, sig)
	}
	return out
}

// interpret turns an HTTP answer into response_data or a classified error.
func (c *Client) interpret(iface, msgID, sig string, status int, answer []byte) ([]byte, error) {
	env, derr := decodeEnvelope(answer)
	if status < 200 || status > 299 {
		e := &upstream.Error{Vendor: Vendor, Op: iface, Status: status, Permanent: upstream.PermanentStatus(status), Message: http.StatusText(status)}
		if derr == nil && env.Code != CodeOK {
			e.Code = env.Code
			if env.Msg != "" {
				e.Message = c.redact(env.Msg, sig)
			}
		}
		return nil, e
	}
	if derr != nil {
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Status: status, Permanent: true, Message: derr.Error(), Err: ErrMalformed}
	}
	if env.Code != CodeOK {
		msg := c.redact(env.Msg, sig)
		if msg == "" {
			msg = "refused without a message"
		}
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Code: env.Code, Message: msg, Permanent: c.permanentCode(env.Code, env.Msg)}
	}
	// A success for another request proves nothing about this one; saves
	// are idempotent (same statement number replaces), so asking again is safe.
	if env.MsgID != "" && env.MsgID != msgID {
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Code: env.Code,
			Message: fmt.Sprintf("answer echoes msg_id %.40q, not the one sent", env.MsgID)}
	}
	// Plain text in response_data ("保存成功") confirms a save; a list query
	// that answers text has answered no list, and reading it as an empty one
	// could hide a confirmed statement.
	if env.Text != "" && listInterface(iface) {
		return nil, &upstream.Error{Vendor: Vendor, Op: iface, Status: status, Permanent: true,
			Message: "response_data is text, not a list", Err: ErrMalformed}
	}
	return env.Data, nil
}

func listInterface(iface string) bool {
	return iface == IfaceGetCustomers || iface == IfaceQueryStatement || iface == IfaceQueryExpenseStatement
}

// redact removes the credentials and the digest from vendor text that might
// echo them.
func (c *Client) redact(s, sig string) string {
	for _, secret := range []string{c.appkey, sig, c.openid} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// Tenants selects a tenant's Client by 勤策 tenantId.
type Tenants struct {
	byID map[string]*Client
	def  *Client
}

// NewTenants returns a selector over byID (copied) falling back to def
// (nil: unknown tenants are refused).
func NewTenants(def *Client, byID map[string]*Client) *Tenants {
	t := &Tenants{byID: make(map[string]*Client, len(byID)), def: def}
	for id, c := range byID {
		if c != nil {
			t.byID[id] = c
		}
	}
	return t
}

// For returns the Client of tenantID, or the default. A tenant without
// credentials is a permanent *upstream.Error: retrying cannot fix it.
func (t *Tenants) For(tenantID string) (*Client, error) {
	if c, ok := t.byID[tenantID]; ok {
		return c, nil
	}
	if t.def != nil {
		return t.def, nil
	}
	return nil, &upstream.Error{Vendor: Vendor, Op: "tenant", Permanent: true,
		Message: fmt.Sprintf("no 勤策 credentials for tenant %.40q", tenantID)}
}
