package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/tz"
)

const dateLayout = "2006-01-02"

// zhPeriod is the Chinese reason of a bad period: 勤策 sent it.
const zhPeriod = "对账日期范围无效(开始、结束日期须为yyyy-MM-dd且开始不晚于结束),请在勤策重新发起"

// Period is a statement's date range, both days included. Only the calendar
// date of Start and End in Asia/Shanghai counts; the time of day is ignored.
// In JSON it is {"start":"yyyy-MM-dd","end":"yyyy-MM-dd"}.
type Period struct {
	Start, End time.Time
}

// ParsePeriod reads two yyyy-MM-dd dates (a push's start_date and end_date).
func ParsePeriod(start, end string) (Period, error) {
	s, err := time.ParseInLocation(dateLayout, start, tz.Shanghai)
	if err != nil {
		return Period{}, newError(ErrInvalidInput, "start_date", "start_date "+quote(start)+" is not a yyyy-MM-dd date", zhPeriod)
	}
	e, err := time.ParseInLocation(dateLayout, end, tz.Shanghai)
	if err != nil {
		return Period{}, newError(ErrInvalidInput, "end_date", "end_date "+quote(end)+" is not a yyyy-MM-dd date", zhPeriod)
	}
	p := Period{Start: s, End: e}
	return p, p.Validate()
}

// Validate checks that both dates are set and Start is not after End.
func (p Period) Validate() error {
	if p.Start.IsZero() || p.End.IsZero() {
		return newError(ErrInvalidInput, "period", "period has no start or end date", zhPeriod)
	}
	if y1, y2 := p.Start.In(tz.Shanghai).Year(), p.End.In(tz.Shanghai).Year(); y1 < 1000 || y2 > 9999 {
		return newError(ErrInvalidInput, "period", "period years must have four digits", zhPeriod)
	}
	if day(p.End).Before(day(p.Start)) {
		return newError(ErrInvalidInput, "period", "start_date "+p.StartDate()+" is after end_date "+p.EndDate(), zhPeriod)
	}
	return nil
}

// StartDate is the first day as yyyy-MM-dd.
func (p Period) StartDate() string { return p.Start.In(tz.Shanghai).Format(dateLayout) }

// EndDate is the last day as yyyy-MM-dd.
func (p Period) EndDate() string { return p.End.In(tz.Shanghai).Format(dateLayout) }

// month returns the period's calendar month as yyyy-MM when both days lie in
// it.
func (p Period) month() (string, bool) {
	s, e := p.Start.In(tz.Shanghai), p.End.In(tz.Shanghai)
	return s.Format("2006-01"), s.Year() == e.Year() && s.Month() == e.Month()
}

// MarshalJSON writes {"start":"yyyy-MM-dd","end":"yyyy-MM-dd"}.
func (p Period) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}{p.StartDate(), p.EndDate()})
}

// UnmarshalJSON reads {"start":"yyyy-MM-dd","end":"yyyy-MM-dd"}.
func (p *Period) UnmarshalJSON(b []byte) error {
	var v struct {
		Start string `json:"start"`
		End   string `json:"end"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	q, err := ParsePeriod(v.Start, v.End)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// day is t's calendar date in Shanghai, at midnight.
func day(t time.Time) time.Time {
	y, m, d := t.In(tz.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, tz.Shanghai)
}

// hashLen is the hex digits of the tenant+customer hash in a statement
// number: 48 bits, so two customers of one tenant collide with odds of about
// n²/2⁴⁹ (one in a hundred million for a thousand customers).
const hashLen = 12

// MaxPrefix is the longest statement number prefix: 4 + 8 + 8 + 12 = 32.
const MaxPrefix = MaxField - 16 - hashLen

// StatementNo is the deterministic statement number: prefix, start and end
// as yyyyMMdd, then the first 12 hex digits of
// sha256(tenantID + "\x1f" + customerCode). E.g. "HK2024010120240131" +
// "3f9a0c51b2d4". The same tenant, customer, period and prefix always give
// the same number, so a replay overwrites the statement in 勤策 instead of
// adding a second one. A prefix longer than MaxPrefix is cut to MaxPrefix
// (Options.Validate refuses such a prefix), so the result is never longer
// than 32 characters.
func StatementNo(prefix, tenantID, customerCode string, p Period) string {
	if utf8.RuneCountInString(prefix) > MaxPrefix {
		prefix = string([]rune(prefix)[:MaxPrefix])
	}
	h := sha256.New()
	h.Write([]byte(tenantID))
	h.Write([]byte{0x1f})
	h.Write([]byte(customerCode))
	var sum [sha256.Size]byte
	var hx [hashLen]byte
	hex.Encode(hx[:], h.Sum(sum[:0])[:hashLen/2])
	s, e := p.Start.In(tz.Shanghai), p.End.In(tz.Shanghai)
	b := make([]byte, 0, MaxField)
	b = append(b, prefix...)
	b = s.AppendFormat(b, "20060102")
	b = e.AppendFormat(b, "20060102")
	b = append(b, hx[:]...)
	return string(b)
}
