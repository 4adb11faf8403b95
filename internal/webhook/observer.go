package webhook

import "time"

// Observer is told what the push route does; metrics implement it. The
// handler calls it synchronously: implementations must be fast and safe for
// concurrent use.
type Observer interface {
	// PushHandled is called once per push with its data type ("other" when
	// not one ksfsync handles, so labels stay bounded), its outcome (the
	// Outcome* constants) and the time taken to answer.
	PushHandled(dataType, outcome string, d time.Duration)
	// DigestFailed is called when a push is refused for its digest or
	// tenant: reason is "mismatch", "malformed", "too_old", "future", "no_secret" or
	// "unknown_tenant".
	DigestFailed(reason string)
	// Enqueued is called with the time Redis took to store an accepted push.
	Enqueued(d time.Duration)
}

// NopObserver observes nothing: the default.
type NopObserver struct{}

// PushHandled does nothing.
func (NopObserver) PushHandled(string, string, time.Duration) {}

// DigestFailed does nothing.
func (NopObserver) DigestFailed(string) {}

// Enqueued does nothing.
func (NopObserver) Enqueued(time.Duration) {}
