// Package digest verifies the pushes 勤策 sends and computes every signature
// ksfsync sends to a vendor (勤策 openapi, 商派 OMS, 金蝶精斗云, 奇门, 慧经营).
//
// Each function implements one vendor rule exactly as ../shared/specs/FACTS.md
// states it and is pinned by a known-answer test.
package digest

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors returned by Verifier.Verify. Check them with errors.Is.
var (
	// ErrMissingDigest: the push carried no digest.
	ErrMissingDigest = errors.New("digest: missing digest")
	// ErrMalformedDigest: the digest is not 32 hex characters.
	ErrMalformedDigest = errors.New("digest: digest is not 32 hex characters")
	// ErrMismatch: no configured secret produces the digest.
	ErrMismatch = errors.New("digest: digest does not match")
	// ErrBadTimestamp: the timestamp is not epoch milliseconds.
	ErrBadTimestamp = errors.New("digest: timestamp is not epoch milliseconds")
	// ErrTooOld: the timestamp is older than the verifier's MaxAge.
	ErrTooOld = errors.New("digest: push is older than the allowed age")
	// ErrFuture: the timestamp is further in the future than the verifier's
	// MaxSkew.
	ErrFuture = errors.New("digest: timestamp is too far in the future")
	// ErrNoSecret: the verifier was built without any secret.
	ErrNoSecret = errors.New("digest: no push secret configured")
)

// Push returns md5(data|secret|timestamp) as lowercase hex: the digest 勤策
// puts on every push. data is the raw JSON string exactly as received.
func Push(data, secret, timestamp string) string {
	h := md5.New()
	h.Write([]byte(data))
	h.Write([]byte{'|'})
	h.Write([]byte(secret))
	h.Write([]byte{'|'})
	h.Write([]byte(timestamp))
	return hex.EncodeToString(h.Sum(nil))
}

// Verifier checks push digests against one or more secrets (several during a
// rotation). Build it once and share it: it is safe for concurrent use.
type Verifier struct {
	secrets [][]byte
	maxAge  time.Duration
	maxSkew time.Duration
	now     func() time.Time
}

// DefaultMaxSkew is how far in the future a push's timestamp may be: clocks
// differ, but a push from further ahead would outlive any max age.
const DefaultMaxSkew = 5 * time.Minute

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithMaxAge refuses pushes whose timestamp is older than d. Zero (the
// default) accepts any age: 勤策 retries a failed push for 10 days.
func WithMaxAge(d time.Duration) VerifierOption { return func(v *Verifier) { v.maxAge = d } }

// WithMaxSkew refuses pushes whose timestamp is more than d in the future
// (default DefaultMaxSkew), whether or not a max age is set.
func WithMaxSkew(d time.Duration) VerifierOption {
	return func(v *Verifier) {
		if d > 0 {
			v.maxSkew = d
		}
	}
}

// WithClock injects the clock used for the age check (tests).
func WithClock(now func() time.Time) VerifierOption { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier accepting a digest made with any of secrets.
// Empty secrets are ignored.
func NewVerifier(secrets []string, opts ...VerifierOption) *Verifier {
	v := &Verifier{now: time.Now, maxSkew: DefaultMaxSkew}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify checks that digest is md5(data|secret|timestamp) for one of the
// secrets, case-insensitively and in constant time per secret, and that the
// timestamp is acceptable.
func (v *Verifier) Verify(data, timestamp, digest string) error {
	if len(v.secrets) == 0 {
		return ErrNoSecret
	}
	if digest == "" {
		return ErrMissingDigest
	}
	got := make([]byte, md5.Size)
	if len(digest) != 2*md5.Size {
		return ErrMalformedDigest
	}
	if _, err := hex.Decode(got, []byte(digest)); err != nil {
		return ErrMalformedDigest
	}
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ms <= 0 {
		return ErrBadTimestamp
	}
	// Compare against every secret so timing does not reveal which matched.
	match := 0
	for _, s := range v.secrets {
		h := md5.New()
		h.Write([]byte(data))
		h.Write([]byte{'|'})
		h.Write(s)
		h.Write([]byte{'|'})
		h.Write([]byte(timestamp))
		match |= subtle.ConstantTimeCompare(h.Sum(nil), got)
	}
	if match != 1 {
		return ErrMismatch
	}
	age := v.now().Sub(time.UnixMilli(ms))
	if age < -v.maxSkew {
		return ErrFuture
	}
	if v.maxAge > 0 && age > v.maxAge {
		return ErrTooOld
	}
	return nil
}
