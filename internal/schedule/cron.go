package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ksfsync/ksfsync/internal/tz"
)

// Zone is where cron expressions and periods are evaluated.
var Zone = tz.Shanghai

// starBit is robfig/cron's mark of a field written as * or ?.
const starBit = 1 << 63

// maxSearchDays bounds the search for a next or previous fire time: a valid
// expression fires at least once in 8 years (29 February on a given weekday
// recurs within 28 years, but such expressions are refused by Parse).
const maxSearchDays = 8 * 366

// Cron is a parsed 5-field cron expression (minute hour day-of-month month
// day-of-week) evaluated in Asia/Shanghai.
//
// One rule differs from classic cron: a day of month a month does not have
// (29, 30, 31) means that month's last day. "0 6 31 * *" fires on 31 January,
// 28 (or 29) February, 31 March, 30 April…, never skipping a month; "0 6
// 30,31 * *" fires once in a 30-day month. Classic cron silently skips those
// months, which is never what a monthly close wants.
type Cron struct {
	expr string
	spec *cron.SpecSchedule
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseCron parses expr. Descriptors (@daily, @every) and a time zone prefix
// (CRON_TZ=, TZ=) are refused: the zone is always Asia/Shanghai.
func ParseCron(expr string) (Cron, error) {
	expr = strings.TrimSpace(expr)
	switch {
	case expr == "":
		return Cron{}, errors.New("cron is empty")
	case strings.HasPrefix(expr, "@"):
		return Cron{}, fmt.Errorf("cron %q: descriptors are not supported, write the 5 fields (minute hour day-of-month month day-of-week)", expr)
	case strings.Contains(expr, "TZ="):
		return Cron{}, fmt.Errorf("cron %q: no time zone prefix: schedules are always evaluated in Asia/Shanghai", expr)
	}
	if n := len(strings.Fields(expr)); n != 5 {
		return Cron{}, fmt.Errorf("cron %q has %d fields, want 5 (minute hour day-of-month month day-of-week)", expr, n)
	}
	s, err := parser.Parse(expr)
	if err != nil {
		return Cron{}, fmt.Errorf("cron %q: %v", expr, err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return Cron{}, fmt.Errorf("cron %q: not a 5-field expression", expr)
	}
	c := Cron{expr: expr, spec: spec}
	if c.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, Zone)).IsZero() {
		return Cron{}, fmt.Errorf("cron %q never fires", expr)
	}
	return c, nil
}

// String is the expression as written.
func (c Cron) String() string { return c.expr }

// Next is the first fire time strictly after t (zero if none within
// maxSearchDays), in Zone.
func (c Cron) Next(t time.Time) time.Time {
	t = t.In(Zone).Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
	for i := 0; i < maxSearchDays; i++ {
		d := day.AddDate(0, 0, i)
		if !c.dayMatches(d) {
			continue
		}
		fromH, fromM := 0, 0
		if i == 0 {
			fromH, fromM = t.Hour(), t.Minute()
		}
		for h := fromH; h < 24; h++ {
			if c.spec.Hour&(1<<uint(h)) == 0 {
				continue
			}
			m0 := 0
			if h == fromH {
				m0 = fromM
			}
			for m := m0; m < 60; m++ {
				if c.spec.Minute&(1<<uint(m)) != 0 {
					return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, Zone)
				}
			}
		}
	}
	return time.Time{}
}

// Prev is the last fire time at or before t (zero if none within
// maxSearchDays), in Zone.
func (c Cron) Prev(t time.Time) time.Time {
	t = t.In(Zone).Truncate(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
	for i := 0; i < maxSearchDays; i++ {
		d := day.AddDate(0, 0, -i)
		if !c.dayMatches(d) {
			continue
		}
		fromH, fromM := 23, 59
		if i == 0 {
			fromH, fromM = t.Hour(), t.Minute()
		}
		for h := fromH; h >= 0; h-- {
			if c.spec.Hour&(1<<uint(h)) == 0 {
				continue
			}
			m0 := 59
			if h == fromH {
				m0 = fromM
			}
			for m := m0; m >= 0; m-- {
				if c.spec.Minute&(1<<uint(m)) != 0 {
					return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, Zone)
				}
			}
		}
	}
	return time.Time{}
}

// dayMatches applies the month, day-of-month (with the last-day rule) and
// day-of-week fields to the date d, combined as cron does: both must match
// when either is *, otherwise either may.
func (c Cron) dayMatches(d time.Time) bool {
	s := c.spec
	if s.Month&(1<<uint(d.Month())) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(d.Day())) != 0
	if last := lastDay(d.Year(), d.Month()); d.Day() == last && !dom {
		// Days this month lacks (last+1..31) fall on its last day.
		for day := last + 1; day <= 31; day++ {
			if s.Dom&(1<<uint(day)) != 0 {
				dom = true
				break
			}
		}
	}
	dow := s.Dow&(1<<uint(d.Weekday())) != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// lastDay is the number of days of month m of year y.
func lastDay(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
