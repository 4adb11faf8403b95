// Package retry is ksfsync's one contract for "do not retry".
//
// Every layer marks a failure that a second attempt cannot fix (a vendor
// refusing the credentials or the parameters, a period a source cannot
// serve, source records that cannot make a statement, a task payload that
// does not decode) so that errors.Is(err, ErrPermanent) is true: vendor
// clients through upstream.Error.Permanent, the statement builders through
// reconcile.Error, everything else with Permanent. Every other error is
// transient and retried with backoff.
//
// Only the queue's edge speaks asynq: internal/tasks turns a permanent error
// into asynq.SkipRetry when it hands it back to asynq. The package imports
// nothing but errors, so pure packages (internal/reconcile) can use it.
package retry

import "errors"

// ErrPermanent matches, with errors.Is, every failure that must not be
// retried.
var ErrPermanent = errors.New("permanent failure")

// Permanent marks err as not worth retrying, keeping its message and chain
// as they are. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanent{err}
}

// IsPermanent reports whether err must not be retried.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

type permanent struct{ err error }

func (p *permanent) Error() string        { return p.err.Error() }
func (p *permanent) Unwrap() error        { return p.err }
func (p *permanent) Is(target error) bool { return target == ErrPermanent }
