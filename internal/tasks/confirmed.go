package tasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// DefaultFinalStates are the statement_status values of a statement its
// customer has signed off (KSF_CONFIRMED_FINAL_STATES): the spec's example
// shows 已确认.
var DefaultFinalStates = []string{"已确认"}

// HeldStatement is one statement 勤策 holds (a row of queryStatement /
// queryExpenseStatement).
type HeldStatement struct {
	Number    string // serial_no
	Status    string // statement_status, e.g. 已确认
	StartDate string // yyyy-MM-dd, may be empty
	EndDate   string
}

// Held asks 勤策 for the statements of a customer in one month: the
// queryStatement / queryExpenseStatement calls. An adapter over the 勤策
// client picks the tenant's credentials.
type Held interface {
	HeldStatements(ctx context.Context, tenantID, dataType, customerCode, month string, fn func(HeldStatement) error) error
}

// ConfirmedPolicy is what a sync job does before it saves
// (KSF_CONFIRMED_POLICY, KSF_CONFIRMED_FINAL_STATES).
type ConfirmedPolicy struct {
	// Overwrite saves without asking (KSF_CONFIRMED_POLICY=overwrite).
	// Default false (keep): a statement of the customer for the period in a
	// final state is kept, and the job reports why with save*Error.
	Overwrite bool
	// FinalStates are the statement_status values that keep a statement;
	// nil = DefaultFinalStates. Compared after trimming spaces.
	FinalStates []string
}

// ErrConfirmed matches (errors.Is) a job stopped because 勤策 holds the
// statement in a final state. It is permanent.
var ErrConfirmed = errors.New("statement confirmed in 勤策: kept, not overwritten")

// confirmedError names the statement that was kept.
type confirmedError struct {
	held HeldStatement
}

func (e *confirmedError) Error() string {
	return fmt.Sprintf("confirmed: 勤策 holds statement %.40q in state %.20q for this customer and period; kept, not overwritten (KSF_CONFIRMED_POLICY=keep)",
		e.held.Number, e.held.Status)
}

func (e *confirmedError) Is(target error) bool {
	return target == ErrConfirmed || target == retry.ErrPermanent
}

// ZhReason is what 勤策 users read.
func (e *confirmedError) ZhReason() string {
	return Truncate("该客户本期对账单在勤策中的状态为“"+e.held.Status+"”(单号"+e.held.Number+"),已保留未覆盖;如需重建,请先在勤策中撤销确认后重新同步", maxReason)
}

// confirmed asks 勤策 whether it holds a statement of s's customer for s's
// period in a final state, month by month (trade_month is what the queries
// search by): a *confirmedError when it does, nil when it does not, the
// query's error when it cannot tell (transient ones retry the job).
func (h *Handlers) confirmed(ctx context.Context, s Sync, number string) error {
	if h.Held == nil {
		return nil
	}
	pol := h.Confirmed[s.TenantID]
	if _, ok := h.Confirmed[s.TenantID]; !ok {
		pol = h.Confirmed[""]
	}
	if pol.Overwrite {
		return nil
	}
	final := pol.FinalStates
	if len(final) == 0 {
		final = DefaultFinalStates
	}
	months, err := periodMonths(s.StartDate, s.EndDate)
	if err != nil {
		return retry.Permanent(err)
	}
	var found *HeldStatement
	errFound := errors.New("found")
	for _, m := range months {
		err := h.Held.HeldStatements(ctx, s.TenantID, s.DataType, s.CustomerCode, m, func(st HeldStatement) error {
			if slices.Contains(final, strings.TrimSpace(st.Status)) && samePeriod(st, s, number) {
				found = &st
				return errFound // stop paging: one is enough
			}
			return nil
		})
		if found != nil {
			return &confirmedError{held: *found}
		}
		if err != nil {
			return fmt.Errorf("ask 勤策 for confirmed statements: %w", err)
		}
	}
	return nil
}

// samePeriod: the held statement is the one about to be saved (same
// number), or covers a day of s's period, or does not say which days it
// covers (then its month, which the query matched, is all there is).
func samePeriod(st HeldStatement, s Sync, number string) bool {
	if st.Number != "" && st.Number == number {
		return true
	}
	start, err1 := time.ParseInLocation(time.DateOnly, st.StartDate, tz.Shanghai)
	end, err2 := time.ParseInLocation(time.DateOnly, st.EndDate, tz.Shanghai)
	if err1 != nil || err2 != nil {
		return true
	}
	return st.StartDate <= s.EndDate && st.EndDate >= s.StartDate && !end.Before(start)
}

// periodMonths lists yyyy-MM of every month start..end touches.
func periodMonths(start, end string) ([]string, error) {
	s, err := time.ParseInLocation(time.DateOnly, start, tz.Shanghai)
	if err != nil {
		return nil, fmt.Errorf("bad start date %.20q", start)
	}
	e, err := time.ParseInLocation(time.DateOnly, end, tz.Shanghai)
	if err != nil || e.Before(s) {
		return nil, fmt.Errorf("bad end date %.20q", end)
	}
	var out []string
	for m := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, tz.Shanghai); !m.After(e); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out, nil
}
