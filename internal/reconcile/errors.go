package reconcile

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/retry"
)

// Sentinels matched with errors.Is on every error the builders return.
var (
	// ErrInvalidInput: the source records are unusable (a missing identifier or
	// time, an unknown transaction type, an absurd number, a bad period).
	ErrInvalidInput = errors.New("invalid source records")
	// ErrUnrepresentable: a value cannot be written within 勤策's field sizes
	// without changing its meaning (an identifier or a number too long).
	ErrUnrepresentable = errors.New("value does not fit 勤策's field")
	// ErrPeriodNotServed: the source cannot answer for the asked period.
	ErrPeriodNotServed = errors.New("period not served by source")
)

// MaxReason is the size of 勤策's error_reason (VARCHAR(100), in characters).
const MaxReason = 100

// Error is a statement that cannot be built. Its message is the reason to
// send to 勤策: English, at most MaxReason characters, naming the 勤策 field
// or the source record at fault. It is permanent: errors.Is(err,
// retry.ErrPermanent) is true, so the worker does not retry it.
type Error struct {
	Kind   error  // ErrInvalidInput, ErrUnrepresentable or ErrPeriodNotServed
	Field  string // 勤策 field ("trade.voucher_no") or source field ("bill.time")
	Reason string // what a person reads; at most MaxReason characters
}

func (e *Error) Error() string { return e.Reason }

// Unwrap exposes Kind to errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Is makes every build failure count as permanent for the worker.
func (e *Error) Is(target error) bool { return target == retry.ErrPermanent }

func newError(kind error, field, reason string) *Error {
	return &Error{Kind: kind, Field: field, Reason: cut(reason, MaxReason)}
}

// tooLong reports an identifier or number that exceeds its field.
func tooLong(field, value string, limit int) *Error {
	return newError(ErrUnrepresentable, field, field+" "+quote(value)+" has "+
		strconv.Itoa(utf8.RuneCountInString(value))+" characters, over the "+strconv.Itoa(limit)+" allowed")
}

// quote shows the start of a value in an error reason.
func quote(s string) string { return strconv.Quote(cut(s, 16)) }
