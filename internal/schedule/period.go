package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// Period kinds of a schedule.
const (
	LastMonth   = "last_month"    // the whole calendar month before the fire date
	MonthToDate = "month_to_date" // the 1st of the fire date's month .. the fire date
	daysPrefix  = "days:"         // days:N: the N days before the fire date
)

// Period is what a schedule builds, relative to the day it fires (in
// Asia/Shanghai).
type Period struct {
	kind string
	days int // days:N
}

// ParsePeriod reads last_month, month_to_date or days:N (1 ≤ N ≤ 366).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == LastMonth || s == MonthToDate:
		return Period{kind: s}, nil
	case strings.HasPrefix(s, daysPrefix):
		n, err := strconv.Atoi(strings.TrimPrefix(s, daysPrefix))
		if err != nil || n < 1 || n > tasks.MaxDays {
			return Period{}, fmt.Errorf("period %q: days:N needs a whole N from 1 to %d", s, tasks.MaxDays)
		}
		return Period{kind: daysPrefix, days: n}, nil
	case s == "":
		return Period{}, fmt.Errorf("period is empty: want %s, %s or days:N", LastMonth, MonthToDate)
	}
	return Period{}, fmt.Errorf("period %q: want %s, %s or days:N", s, LastMonth, MonthToDate)
}

// String is the period as written in the configuration.
func (p Period) String() string {
	if p.kind == daysPrefix {
		return daysPrefix + strconv.Itoa(p.days)
	}
	return p.kind
}

// Range is the first and last date (yyyy-MM-dd) the period covers for a run
// fired at t:
//   - last_month: the calendar month before t's month;
//   - month_to_date: the 1st of t's month through t's date (on the 1st, that
//     one day);
//   - days:N: the N days before t's date, t's date excluded (days:1 is
//     yesterday).
func (p Period) Range(t time.Time) (start, end string) {
	t = t.In(Zone)
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
	first := today.AddDate(0, 0, 1-today.Day())
	var s, e time.Time
	switch p.kind {
	case LastMonth:
		s, e = first.AddDate(0, -1, 0), first.AddDate(0, 0, -1)
	case MonthToDate:
		s, e = first, today
	default:
		s, e = today.AddDate(0, 0, -p.days), today.AddDate(0, 0, -1)
	}
	return s.Format(time.DateOnly), e.Format(time.DateOnly)
}
