package jdy

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ksfsync/ksfsync/internal/upstream"
)

// token is an app-token with the X-GW-Router-Addr to send beside it.
type token struct {
	value  string
	domain string
}

// tokenCache holds the account set's app-token. At most one refresh is in
// flight; everyone else waits for it (or for their own ctx).
type tokenCache struct {
	mu        sync.Mutex
	cur       token
	expires   time.Time // the vendor's expiry
	refreshAt time.Time // when to renew ahead of it
	flight    *flight
	attempts  []time.Time // refresh starts in the last RefreshWindow
}

type flight struct {
	done chan struct{}
	tok  token
	err  error
}

// appToken returns a usable app-token. stale is a token the vendor just
// refused: it is not returned again, a refresh is forced instead (unless
// another caller already replaced it).
func (c *Client) appToken(ctx context.Context, stale string) (token, error) {
	t := &c.tok
	t.mu.Lock()
	now := c.now()
	cur := t.cur
	usable := cur.value != "" && cur.value != stale && now.Before(t.expires)
	if usable && (stale != "" || now.Before(t.refreshAt)) {
		// Fresh, or a replacement for the refused one fetched meanwhile.
		t.mu.Unlock()
		return cur, nil
	}
	f := t.flight
	if f == nil {
		if !t.allow(now) {
			t.mu.Unlock()
			if usable {
				// Only due for renewal, not expired: keep using it.
				return cur, nil
			}
			return token{}, &upstream.Error{Vendor: Vendor, Op: OpToken, Message: errRefreshLimited.Error(), Err: errRefreshLimited}
		}
		f = &flight{done: make(chan struct{})}
		t.flight = f
		// Detached from the caller's ctx: a caller giving up must not fail
		// the others waiting on the same refresh. The per-request timeout
		// still bounds it.
		go c.refresh(context.WithoutCancel(ctx), f)
	}
	t.mu.Unlock()
	if usable {
		// Renewal ahead of expiry runs in the background; this token
		// still works.
		return cur, nil
	}
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return token{}, ctx.Err()
	}
}

// allow records a refresh start if fewer than MaxRefreshes began in the
// last RefreshWindow. Failed attempts count: they cost the vendor too.
func (t *tokenCache) allow(now time.Time) bool {
	kept := t.attempts[:0]
	for _, a := range t.attempts {
		if now.Sub(a) < RefreshWindow {
			kept = append(kept, a)
		}
	}
	t.attempts = kept
	if len(t.attempts) >= MaxRefreshes {
		return false
	}
	t.attempts = append(t.attempts, now)
	return true
}

func (c *Client) refresh(ctx context.Context, f *flight) {
	tok, expires, err := c.fetchToken(ctx)
	t := &c.tok
	t.mu.Lock()
	if err == nil {
		now := c.now()
		t.cur, t.expires = tok, expires
		margin := RefreshMargin
		if life := expires.Sub(now); life < 2*margin {
			margin = life / 2
		}
		t.refreshAt = expires.Add(-margin)
	}
	f.tok, f.err = tok, err
	t.flight = nil
	t.mu.Unlock()
	close(f.done)
}

// tokenData is the data of the kingdee_auth_token answer. Public clients
// read "app-token"; some read "app_token": both are accepted.
type tokenData struct {
	AppToken   string          `json:"app-token"`
	AppToken2  string          `json:"app_token"`
	Expires    json.RawMessage `json:"expires"`
	Domain     string          `json:"domain"`
	AccessTok  string          `json:"access_token"`
	ExpiresIn  json.RawMessage `json:"expires_in"`
	ExpireTime json.RawMessage `json:"expire_time"`
}

// fetchToken asks kingdee_auth_token for a new app-token.
func (c *Client) fetchToken(ctx context.Context) (token, time.Time, error) {
	q := url.Values{"app_key": {c.appKey}, "app_signature": {c.appSignature}}
	res, err := c.get(ctx, OpToken, TokenPath, q, token{})
	if err != nil {
		return token{}, time.Time{}, err
	}
	malformed := func(msg string) error {
		return &upstream.Error{Vendor: Vendor, Op: OpToken, Message: msg, Permanent: true}
	}
	var d tokenData
	if len(res.data) == 0 || json.Unmarshal(res.data, &d) != nil {
		return token{}, time.Time{}, malformed("malformed token answer")
	}
	tok := token{value: firstNonEmpty(d.AppToken, d.AppToken2, d.AccessTok), domain: c.domain}
	if tok.value == "" {
		return token{}, time.Time{}, malformed("token answer without app-token")
	}
	if tok.domain == "" {
		tok.domain = d.Domain
	}
	raw := d.Expires
	if len(raw) == 0 {
		raw = d.ExpireTime
	}
	exp, err := expiry(raw, d.ExpiresIn, c.now())
	if err != nil {
		return token{}, time.Time{}, malformed("token answer: " + err.Error())
	}
	return tok, exp, nil
}

// DefaultTokenLifetime is assumed when the answer gives no expiry: public
// clients document the app-token as valid for 24 hours.
const DefaultTokenLifetime = 24 * time.Hour

// expiry reads "expires": epoch milliseconds per the docs. Epoch seconds
// and a lifetime in seconds are recognised by size, so a differently shaped
// answer cannot make the token look expired forever or valid forever.
func expiry(raw, in json.RawMessage, now time.Time) (time.Time, error) {
	n, err := integer(raw)
	if err != nil {
		return time.Time{}, err
	}
	if n <= 0 {
		if n, err = integer(in); err != nil {
			return time.Time{}, err
		}
		if n <= 0 {
			return now.Add(DefaultTokenLifetime), nil
		}
	}
	var exp time.Time
	switch {
	case n < 1e9: // a lifetime in seconds
		exp = now.Add(time.Duration(n) * time.Second)
	case n < 1e12: // epoch seconds
		exp = time.Unix(n, 0)
	default: // epoch milliseconds
		exp = time.UnixMilli(n)
	}
	if !exp.After(now) {
		// Already past by our clock (skew): use it briefly; a refusal
		// triggers the normal refresh.
		exp = now.Add(time.Minute)
	}
	return exp, nil
}

func integer(raw json.RawMessage) (int64, error) {
	s, err := scalar(raw)
	if err != nil || s == "" {
		return 0, err
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	return 0, &strconv.NumError{Func: "expires", Num: clip(s), Err: strconv.ErrSyntax}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
