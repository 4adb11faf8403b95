package upstream

import (
	"context"
	"errors"
	"time"

	"github.com/ksfsync/ksfsync/internal/retry"
)

// Outcomes reported to an Observer.
const (
	OutcomeOK        = "ok"
	OutcomePermanent = "permanent"
	OutcomeTransient = "transient"
	OutcomeCanceled  = "canceled"
)

// Observer is told of every call a client makes to a vendor (one per HTTP
// request, retries and pages included). Metrics implement it; nil is allowed
// everywhere an Observer is accepted.
type Observer interface {
	ObserveCall(vendor, op, outcome string, d time.Duration)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(vendor, op, outcome string, d time.Duration)

// ObserveCall calls f.
func (f ObserverFunc) ObserveCall(vendor, op, outcome string, d time.Duration) {
	f(vendor, op, outcome, d)
}

// Outcome classifies err for an Observer.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case retry.IsPermanent(err):
		return OutcomePermanent
	}
	if _, ok := As(err); ok {
		return OutcomeTransient
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeCanceled
	default:
		return OutcomeTransient
	}
}

// Observe reports one call to o if o is not nil.
func Observe(o Observer, vendor, op string, start time.Time, err error) {
	if o != nil {
		o.ObserveCall(vendor, op, Outcome(err), time.Since(start))
	}
}
