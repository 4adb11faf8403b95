package upstream

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces a client's requests: Wait blocks until one may be sent, or
// returns an error when ctx ends first (or would, before the wait is over).
// *rate.Limiter is one; a limiter shared through Redis is another.
type Limiter interface {
	Wait(ctx context.Context) error
}

// CallOptions are the call settings every vendor client (waiqin, oms, jdy,
// wdt) takes, embedded in its Config, with one meaning of each zero value.
type CallOptions struct {
	// RPS limits the client's requests per second; 0 = no limit. The
	// configured defaults (KSF_*_RPS) are internal/config's business.
	RPS float64
	// Burst is how many requests may go at once when RPS > 0; 0 = 1, so no
	// second ever sees more than max(1, RPS) requests start.
	Burst int
	// Limiter, when set, replaces RPS and Burst: clients of one vendor
	// account share one.
	Limiter Limiter
	// Timeout bounds each HTTP request (not the wait for the limiter);
	// 0 = the client's DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests; nil = a client without a timeout of its
	// own (Timeout applies to each request).
	HTTPClient *http.Client
	// Observer is told of every HTTP request; nil = nobody.
	Observer Observer
	// Now is the clock for signed timestamps and token expiry; nil =
	// time.Now.
	Now func() time.Time
}

// Call is CallOptions resolved: every field set.
type Call struct {
	Limiter    Limiter
	Timeout    time.Duration
	HTTPClient *http.Client
	Observer   Observer // may stay nil: use Observe
	Now        func() time.Time
}

// Resolve applies the zero-value defaults; defaultTimeout is the client's
// own. It refuses negative values and a NaN or infinite rate, naming vendor.
func (o CallOptions) Resolve(vendor string, defaultTimeout time.Duration) (Call, error) {
	switch {
	case o.RPS < 0 || math.IsNaN(o.RPS) || math.IsInf(o.RPS, 0):
		return Call{}, fmt.Errorf("%s: RPS %v: want 0 (no limit) or a positive number", vendor, o.RPS)
	case o.Burst < 0:
		return Call{}, fmt.Errorf("%s: Burst %d: must not be negative", vendor, o.Burst)
	case o.Timeout < 0:
		return Call{}, fmt.Errorf("%s: Timeout %v: must not be negative", vendor, o.Timeout)
	}
	c := Call{Limiter: o.Limiter, Timeout: o.Timeout, HTTPClient: o.HTTPClient, Observer: o.Observer, Now: o.Now}
	if c.Limiter == nil {
		c.Limiter = NewLimiter(o.RPS, o.Burst)
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// NewLimiter is a token bucket of rps requests per second (0 = no limit)
// and burst (0 = 1).
func NewLimiter(rps float64, burst int) Limiter {
	if rps == 0 {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return rate.NewLimiter(rate.Limit(rps), max(1, burst))
}
