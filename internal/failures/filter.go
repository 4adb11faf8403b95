package failures

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// ErrBadFilter wraps every invalid filter value; the message says which.
var ErrBadFilter = errors.New("invalid filter")

// Filter selects failures. Empty fields select everything.
//
// The period filter selects records whose period overlaps [Start, End]: a
// record of 2026-11-01..2026-11-30 matches Start=2026-11-15, End=2026-12-31
// and also Start=End=2026-11-01. With only Start, records whose period ends on
// or after it; with only End, records whose period starts on or before it.
// A record without a period (a malformed payload) never matches a period filter.
type Filter struct {
	Kind         string `json:"kind,omitempty"`     // ksf:push, ksf:statement, ksf:expense, ksf:report (or push, statement, expense, report)
	Queue        string `json:"queue,omitempty"`    // push, interactive, sync, report
	TenantID     string `json:"tenant,omitempty"`   // exact
	CustomerCode string `json:"customer,omitempty"` // exact, one of a push's codes
	Start        string `json:"start,omitempty"`    // yyyy-MM-dd
	End          string `json:"end,omitempty"`      // yyyy-MM-dd
	Query        string `json:"q,omitempty"`        // substring of the last error, case-insensitive
}

// IsZero reports whether f selects everything.
func (f Filter) IsZero() bool { return f == Filter{} }

// NormalizeKind accepts a task kind or its short name (statement → ksf:statement).
func NormalizeKind(k string) (string, error) {
	k = strings.TrimSpace(k)
	if k == "" {
		return "", nil
	}
	if !strings.HasPrefix(k, "ksf:") {
		k = "ksf:" + k
	}
	if !slices.Contains([]string{tasks.TypePush, tasks.TypeStatement, tasks.TypeExpense, tasks.TypeReport}, k) {
		return "", fmt.Errorf("%w: kind %q is not one of ksf:push, ksf:statement, ksf:expense, ksf:report", ErrBadFilter, k)
	}
	return k, nil
}

// Normalize trims f's fields, expands a short kind name and validates the dates.
func (f Filter) Normalize() (Filter, error) {
	f.Queue = strings.TrimSpace(f.Queue)
	f.TenantID = strings.TrimSpace(f.TenantID)
	f.CustomerCode = strings.TrimSpace(f.CustomerCode)
	f.Start = strings.TrimSpace(f.Start)
	f.End = strings.TrimSpace(f.End)
	var err error
	if f.Kind, err = NormalizeKind(f.Kind); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// Validate checks the kind and the dates.
func (f Filter) Validate() error {
	if f.Kind != "" {
		if _, err := NormalizeKind(f.Kind); err != nil {
			return err
		}
	}
	for _, d := range []struct{ name, v string }{{"start", f.Start}, {"end", f.End}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return fmt.Errorf("%w: %s %q is not a date in yyyy-MM-dd form", ErrBadFilter, d.name, d.v)
		}
	}
	if f.Start != "" && f.End != "" && f.Start > f.End {
		return fmt.Errorf("%w: start %s is after end %s", ErrBadFilter, f.Start, f.End)
	}
	return nil
}

// Match reports whether r is selected by f (f normalized).
func (f Filter) Match(r Record) bool {
	switch {
	case f.Kind != "" && r.Kind != f.Kind,
		f.Queue != "" && r.Queue != f.Queue,
		f.TenantID != "" && r.TenantID != f.TenantID,
		f.CustomerCode != "" && !slices.Contains(r.Customers(), f.CustomerCode):
		return false
	}
	if f.Start != "" || f.End != "" {
		// yyyy-MM-dd strings order as the dates do.
		if r.StartDate == "" || r.EndDate == "" ||
			(f.Start != "" && r.EndDate < f.Start) || (f.End != "" && r.StartDate > f.End) {
			return false
		}
	}
	return f.Query == "" || strings.Contains(strings.ToLower(r.LastError), strings.ToLower(f.Query))
}
