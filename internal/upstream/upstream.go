// Package upstream holds what every external API client shares: the one
// failure classification the worker acts on (permanent: report and stop;
// transient: retry), and the vendors' time zone.
//
// Each vendor lives in its own sub-package (waiqin, oms, jdy, wdt) with a
// fake server beside it for tests and the demo.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ksfsync/ksfsync/internal/retry"
)

// ErrTransient matches, with errors.Is, a vendor failure that may succeed
// later (network, timeout, 5xx, 429, busy, expired timestamp). A permanent
// one (bad credentials, refused parameters, validation, unknown method,
// malformed answer) matches retry.ErrPermanent instead: the one "do not
// retry" contract of every layer.
var ErrTransient = errors.New("transient upstream failure")

// Error is a failed call to an external API. It never carries a secret:
// clients put the vendor's code and message here, not the request.
type Error struct {
	Vendor    string // "waiqin", "oms", "jdy", "wdt"
	Op        string // endpoint or method, e.g. "saveStatement", "ar.getList"
	Code      string // the vendor's code as text ("100608", "e000002", "1003"); empty if none
	Message   string // the vendor's message, or what went wrong
	Status    int    // HTTP status when there was one, else 0
	Permanent bool
	Err       error // underlying cause, if any
}

func (e *Error) Error() string {
	s := e.Vendor + " " + e.Op + ": "
	if e.Status != 0 {
		s += fmt.Sprintf("HTTP %d: ", e.Status)
	}
	if e.Code != "" {
		s += "code " + e.Code + ": "
	}
	s += e.Message
	if e.Err != nil && e.Message == "" {
		s += e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, retry.ErrPermanent) / errors.Is(err, ErrTransient)
// work.
func (e *Error) Is(target error) bool {
	switch target {
	case retry.ErrPermanent:
		return e.Permanent
	case ErrTransient:
		return !e.Permanent
	}
	return false
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// PermanentStatus is the HTTP classification shared by all vendors: 4xx is
// permanent except 408 (timeout) and 429 (rate limit); everything else
// (5xx, 3xx) is transient.
func PermanentStatus(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// Transport wraps a failure to get an answer at all (dial, TLS, timeout,
// reset) as a transient *Error. A cancelled caller context is returned as is:
// it is not the vendor's fault and must not be reported to 勤策.
//
// A *url.Error is unwrapped and dropped: its URL may carry signatures or
// tokens (勤策 puts the digest in the path), so it must not stay in the chain.
func Transport(vendor, op string, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return &Error{Vendor: vendor, Op: op, Message: "request failed: " + err.Error(), Err: err}
}

// busyWords mark a vendor's refusal that says "try again later", whatever
// its code, in the words the vendors use.
var busyWords = []string{"繁忙", "频繁", "限流", "稍后", "超时", "busy", "rate limit", "too many", "timeout", "timed out", "try again"}

// SaysBusy reports whether msg, a vendor's error text, says the service is
// busy or rate-limited: in busyWords, or in the vendor's own words (more).
// Such a refusal is worth retrying whatever its code.
func SaysBusy(msg string, more ...string) bool {
	m := strings.ToLower(msg)
	for _, w := range busyWords {
		if strings.Contains(m, w) {
			return true
		}
	}
	for _, w := range more {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
