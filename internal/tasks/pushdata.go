package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on one push's data. 勤策's own pushes are far smaller; beyond these
// a push is refused with a message rather than flooding the queues.
const (
	MaxCustomers       = 5000 // customer codes in one push
	MaxDays            = 366  // days from start_date to end_date, both included
	MaxCustomerCodeLen = 100  // characters (VARCHAR(100) in 勤策)
)

// ErrInvalidData wraps every validation failure of a push's data; the
// message says what to fix.
var ErrInvalidData = errors.New("invalid data")

const dateLayout = "2006-01-02"

// ParsePushData parses and validates a push's raw `data` JSON:
// {"customer_code":"c1,c2","start_date":"yyyy-MM-dd","end_date":"yyyy-MM-dd"}.
func ParsePushData(raw string) (PushData, error) {
	var in struct {
		CustomerCode *string `json:"customer_code"`
		StartDate    *string `json:"start_date"`
		EndDate      *string `json:"end_date"`
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	if err := dec.Decode(&in); err != nil {
		return PushData{}, invalid("data is not a JSON object with customer_code, start_date and end_date: %s", jsonReason(err))
	}
	if dec.More() {
		return PushData{}, invalid("data has text after its JSON object")
	}
	if in.StartDate == nil {
		return PushData{}, invalid("data.start_date is missing")
	}
	if in.EndDate == nil {
		return PushData{}, invalid("data.end_date is missing")
	}
	var codes []string
	if in.CustomerCode != nil {
		codes = strings.Split(*in.CustomerCode, ",")
	}
	return NewPushData(codes, *in.StartDate, *in.EndDate)
}

// NewPushData validates a request for statements: codes are trimmed, empties
// and duplicates dropped (first occurrence kept); dates must be real
// yyyy-MM-dd dates with start <= end and at most MaxDays days.
func NewPushData(codes []string, start, end string) (PushData, error) {
	d := PushData{StartDate: strings.TrimSpace(start), EndDate: strings.TrimSpace(end)}
	s, err := time.Parse(dateLayout, d.StartDate)
	if err != nil {
		return PushData{}, invalid("start_date %q is not a real date in yyyy-MM-dd form", d.StartDate)
	}
	e, err := time.Parse(dateLayout, d.EndDate)
	if err != nil {
		return PushData{}, invalid("end_date %q is not a real date in yyyy-MM-dd form", d.EndDate)
	}
	if e.Before(s) {
		return PushData{}, invalid("start_date %s is after end_date %s", d.StartDate, d.EndDate)
	}
	if days := int(e.Sub(s).Hours()/24) + 1; days > MaxDays {
		return PushData{}, invalid("period of %d days is longer than the %d allowed: split it", days, MaxDays)
	}
	seen := make(map[string]struct{}, len(codes))
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if _, dup := seen[c]; dup {
			continue
		}
		if n := utf8.RuneCountInString(c); n > MaxCustomerCodeLen || !utf8.ValidString(c) {
			return PushData{}, invalid("customer code %.20q… is longer than %d characters or not UTF-8", c, MaxCustomerCodeLen)
		}
		seen[c] = struct{}{}
		d.CustomerCodes = append(d.CustomerCodes, c)
		if len(d.CustomerCodes) > MaxCustomers {
			return PushData{}, invalid("more than %d customer codes in one push: split it", MaxCustomers)
		}
	}
	return d, nil
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidData, fmt.Sprintf(format, a...))
}

// jsonReason keeps the decoder's reason short and free of Go type names.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field + " must be a string"
	}
	return err.Error()
}
