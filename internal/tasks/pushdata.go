package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	in, ok := scanData(raw)
	if !ok {
		var err error
		if in, err = decodeData(raw); err != nil {
			return PushData{}, err
		}
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

// dataFields are the fields of data; nil = absent (or null).
type dataFields struct {
	CustomerCode *string `json:"customer_code"`
	StartDate    *string `json:"start_date"`
	EndDate      *string `json:"end_date"`
}

// decodeData reads data with encoding/json: what it accepts is the
// contract.
func decodeData(raw string) (dataFields, error) {
	var in dataFields
	dec := json.NewDecoder(strings.NewReader(raw))
	if err := dec.Decode(&in); err != nil {
		return in, invalid("data is not a JSON object with customer_code, start_date and end_date: %s", jsonReason(err))
	}
	if dec.More() {
		return in, invalid("data has text after its JSON object")
	}
	return in, nil
}

// scanData reads the shape 勤策 sends — one object of plain ASCII string
// values, no escapes, nothing after it but white space — without
// encoding/json's reflection, a third of a push's parsing cost. ok = false
// means "not that shape", and decodeData decides; where scanData answers it
// answers as decodeData would (FuzzScanData).
func scanData(s string) (in dataFields, ok bool) {
	i := skipSpace(s, 0)
	if i == len(s) || s[i] != '{' {
		return in, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return in, skipSpace(s, i+1) == len(s)
	}
	for {
		key, j, ok := plainString(s, i)
		if !ok {
			return in, false
		}
		if i = skipSpace(s, j); i == len(s) || s[i] != ':' {
			return in, false
		}
		val, j, ok := plainString(s, skipSpace(s, i+1))
		if !ok {
			return in, false
		}
		var f **string
		switch key {
		case "customer_code":
			f = &in.CustomerCode
		case "start_date":
			f = &in.StartDate
		case "end_date":
			f = &in.EndDate
		default:
			// encoding/json matches field names case-insensitively.
			if strings.EqualFold(key, "customer_code") || strings.EqualFold(key, "start_date") || strings.EqualFold(key, "end_date") {
				return in, false
			}
		}
		if f != nil {
			if *f != nil {
				return in, false // a repeated key: let the decoder rule
			}
			*f = &val
		}
		switch i = skipSpace(s, j); {
		case i == len(s):
			return in, false
		case s[i] == ',':
			i = skipSpace(s, i+1)
		case s[i] == '}':
			return in, skipSpace(s, i+1) == len(s)
		default:
			return in, false
		}
	}
}

// plainString reads the JSON string at s[i] when it holds only printable
// ASCII and no escape; next is the index after its closing quote.
func plainString(s string, i int) (v string, next int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", j, false
		}
	}
	return "", len(s), false
}

// skipSpace skips JSON white space from s[i].
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
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
	// A few codes are compared directly; a map pays off only for many.
	var seen map[string]struct{}
	if len(codes) > 16 {
		seen = make(map[string]struct{}, len(codes))
	}
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if seen != nil {
			if _, dup := seen[c]; dup {
				continue
			}
			seen[c] = struct{}{}
		} else if slices.Contains(d.CustomerCodes, c) {
			continue
		}
		if n := utf8.RuneCountInString(c); n > MaxCustomerCodeLen || !utf8.ValidString(c) {
			return PushData{}, invalid("customer code %.20q… is longer than %d characters or not UTF-8", c, MaxCustomerCodeLen)
		}
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
