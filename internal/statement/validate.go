package statement

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Field limits of the 勤策 spec (VARCHAR(n), counted in characters, not
// bytes). The builder uses them to shorten what it writes; Validate refuses
// what exceeds them, it never cuts.
const (
	MaxStatementNo = 32  // serial_no (saveStatement), statement_no (saveExpense)
	MaxCustomer    = 100 // customer_code of a statement
	MaxLogCustomer = 32  // customer_code of an error log
	MaxErrorReason = 100 // error_reason of an error log
	MaxExt         = 32  // ext_key and ext_value
	MaxShort       = 32  // every other VARCHAR(32): amounts, trade and detail fields
	MaxLong        = 100 // every other VARCHAR(100): dates, dept_*, business_*, telphone
)

// Date layouts of the spec, as Go layouts.
const (
	LayoutDate     = "2006-01-02"          // yyyy-MM-dd
	LayoutMonth    = "2006-01"             // yyyy-MM
	LayoutDateTime = "2006-01-02 15:04:05" // yyyy-MM-dd HH:mm:ss
)

// ErrInvalid is matched by errors.Is on every *FieldError.
var ErrInvalid = errors.New("invalid statement")

// Problems a FieldError reports.
const (
	ProblemRequired = "required"
	ProblemTooLong  = "too long"
	ProblemFormat   = "bad format"
	ProblemUTF8     = "not valid UTF-8"
	ProblemMismatch = "mismatch"
	ProblemOrder    = "out of order"
)

// FieldError names the first field of a document that 勤策 would refuse.
type FieldError struct {
	Field   string // JSON path, e.g. "trade[3].exts[0].ext_value"
	Problem string // one of the Problem* constants
	Limit   int    // characters allowed (ProblemTooLong)
	Length  int    // characters found (ProblemTooLong)
	Detail  string // expected format or the related field, for the message
}

func (e *FieldError) Error() string {
	switch e.Problem {
	case ProblemTooLong:
		return fmt.Sprintf("%s: %d characters, limit %d", e.Field, e.Length, e.Limit)
	case ProblemRequired:
		if e.Detail != "" {
			return e.Field + ": required (" + e.Detail + ")"
		}
		return e.Field + ": required"
	case ProblemUTF8:
		return e.Field + ": " + ProblemUTF8
	}
	return e.Field + ": " + e.Detail
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// field is one value to check: its JSON name, value, limit and, for dates,
// the layout it must follow (empty values skip the layout check).
type field struct {
	name   string
	value  string
	limit  int
	layout string
}

// loc is where a row sits ("trade[3].detail[0]."), built only on failure so
// that a valid 50,000-line statement allocates nothing here.
type loc struct {
	outer string
	i     int
	inner string
	j     int
}

func (l loc) path(name string) string {
	if l.outer == "" {
		return name
	}
	p := l.outer + "[" + strconv.Itoa(l.i) + "]."
	if l.inner != "" {
		p += l.inner + "[" + strconv.Itoa(l.j) + "]."
	}
	return p + name
}

func checkFields(l loc, fs []field) error {
	for _, f := range fs {
		if !utf8.ValidString(f.value) {
			// encoding/json would replace the bad bytes: a silent change.
			return &FieldError{Field: l.path(f.name), Problem: ProblemUTF8}
		}
		// Byte length bounds the rune count: skip counting short ASCII-ish values.
		if len(f.value) > f.limit {
			if n := utf8.RuneCountInString(f.value); n > f.limit {
				return &FieldError{Field: l.path(f.name), Problem: ProblemTooLong, Limit: f.limit, Length: n}
			}
		}
		if f.layout != "" && f.value != "" {
			if _, err := time.Parse(f.layout, f.value); err != nil {
				return &FieldError{Field: l.path(f.name), Problem: ProblemFormat,
					Detail: fmt.Sprintf("%q is not %s", f.value, javaLayout(f.layout))}
			}
		}
	}
	return nil
}

func javaLayout(layout string) string {
	switch layout {
	case LayoutDate:
		return "yyyy-MM-dd"
	case LayoutMonth:
		return "yyyy-MM"
	case LayoutDateTime:
		return "yyyy-MM-dd HH:mm:ss"
	}
	return layout
}

func required(name, value string) error {
	if value == "" {
		return &FieldError{Field: name, Problem: ProblemRequired}
	}
	return nil
}

// checkPeriod enforces "交易月份与起止日期不能同时为空": trade_month, or both
// start_date and end_date, and start ≤ end (the layouts are already checked,
// so the strings compare as dates).
func checkPeriod(month, start, end string) error {
	if month == "" && (start == "" || end == "") {
		name := "start_date"
		if start != "" {
			name = "end_date"
		}
		return &FieldError{Field: name, Problem: ProblemRequired, Detail: "trade_month or start_date and end_date"}
	}
	if start != "" && end != "" && end < start {
		return &FieldError{Field: "end_date", Problem: ProblemOrder, Detail: fmt.Sprintf("%s is before start_date %s", end, start)}
	}
	return nil
}

func checkExts(l loc, exts []Ext) error {
	for k := range exts {
		e := &exts[k]
		el := l
		if el.outer == "" {
			el = loc{outer: "exts", i: k}
		} else {
			el.inner, el.j = "exts", k
		}
		fs := [...]field{{"ext_key", e.Key, MaxExt, ""}, {"ext_value", e.Value, MaxExt, ""}}
		if err := checkFields(el, fs[:]); err != nil {
			return err
		}
	}
	return nil
}

// mismatch refuses a non-empty copy (got, at l.name) that differs from the
// value it repeats (want, at ol.oname).
func mismatch(l loc, name, got string, ol loc, oname, want string) error {
	if got == "" || got == want {
		return nil
	}
	return &FieldError{Field: l.path(name), Problem: ProblemMismatch,
		Detail: fmt.Sprintf("%q differs from %s %q", got, ol.path(oname), want)}
}

// Validate checks a goods statement against the saveStatement spec: every
// VARCHAR limit (in characters), the required serial_no and customer_code,
// trade_month or start_date+end_date, the date layouts, and that trade and
// detail rows repeat the statement's number (and a detail its trade's
// voucher) as the spec says. It returns the first problem as a *FieldError.
func (s *Statement) Validate() error {
	if s == nil {
		return &FieldError{Field: "statement", Problem: ProblemRequired}
	}
	if err := required("serial_no", s.SerialNo); err != nil {
		return err
	}
	if err := required("customer_code", s.CustomerCode); err != nil {
		return err
	}
	head := [...]field{
		{"serial_no", s.SerialNo, MaxStatementNo, ""},
		{"customer_code", s.CustomerCode, MaxCustomer, ""},
		{"start_date", s.StartDate, MaxLong, LayoutDate},
		{"end_date", s.EndDate, MaxLong, LayoutDate},
		{"trade_month", s.TradeMonth, MaxLong, LayoutMonth},
		{"dept_code", s.DeptCode, MaxLong, ""},
		{"dept_name", s.DeptName, MaxLong, ""},
		{"dept_source_code", s.DeptSourceCode, MaxLong, ""},
		{"business_name", s.BusinessName, MaxLong, ""},
		{"business_addr", s.BusinessAddr, MaxLong, ""},
		{"telphone", s.Telphone, MaxLong, ""},
		{"begin_balance", s.BeginBalance, MaxShort, ""},
		{"zjkje", s.Zjkje, MaxShort, ""},
		{"zchje", s.Zchje, MaxShort, ""},
		{"zthje", s.Zthje, MaxShort, ""},
		{"zqmye", s.Zqmye, MaxShort, ""},
		{"zchsl", s.Zchsl, MaxShort, ""},
		{"zthsl", s.Zthsl, MaxShort, ""},
		{"zjcsl", s.Zjcsl, MaxShort, ""},
	}
	if err := checkFields(loc{}, head[:]); err != nil {
		return err
	}
	if err := checkPeriod(s.TradeMonth, s.StartDate, s.EndDate); err != nil {
		return err
	}
	for i := range s.Trade {
		t := &s.Trade[i]
		l := loc{outer: "trade", i: i}
		row := [...]field{
			{"statement_no", t.StatementNo, MaxShort, ""},
			{"serial_no", t.SerialNo, MaxShort, ""},
			{"voucher_no", t.VoucherNo, MaxShort, ""},
			{"trade_desc", t.TradeDesc, MaxShort, ""},
			{"trade_amount", t.TradeAmount, MaxShort, ""},
			{"total_count", t.TotalCount, MaxShort, ""},
			{"trade_date", t.TradeDate, MaxLong, LayoutDate},
			{"customer_code", t.CustomerCode, MaxShort, ""},
			{"start_date", t.StartDate, MaxShort, LayoutDate},
		}
		if err := checkFields(l, row[:]); err != nil {
			return err
		}
		if err := mismatch(l, "statement_no", t.StatementNo, loc{}, "serial_no", s.SerialNo); err != nil {
			return err
		}
		if err := checkExts(l, t.Exts); err != nil {
			return err
		}
		for j := range t.Detail {
			d := &t.Detail[j]
			dl := loc{outer: "trade", i: i, inner: "detail", j: j}
			drow := [...]field{
				{"statement_no", d.StatementNo, MaxShort, ""},
				{"serial_no", d.SerialNo, MaxShort, ""},
				{"voucher_no", d.VoucherNo, MaxShort, ""},
				{"product_code", d.ProductCode, MaxShort, ""},
				{"product_name", d.ProductName, MaxShort, ""},
				{"amount", d.Amount, MaxShort, ""},
				{"number", d.Number, MaxShort, ""},
				{"customer_code", d.CustomerCode, MaxShort, ""},
				{"start_date", d.StartDate, MaxShort, LayoutDate},
			}
			if err := checkFields(dl, drow[:]); err != nil {
				return err
			}
			if err := mismatch(dl, "statement_no", d.StatementNo, loc{}, "serial_no", s.SerialNo); err != nil {
				return err
			}
			if err := mismatch(dl, "voucher_no", d.VoucherNo, l, "voucher_no", t.VoucherNo); err != nil {
				return err
			}
		}
	}
	return checkExts(loc{}, s.Exts)
}

// Validate checks an expense statement against the saveExpense spec: every
// VARCHAR limit, the required statement_no and customer_code, trade_month or
// start_date+end_date, and the date layouts (trade_date is
// yyyy-MM-dd HH:mm:ss here). It returns the first problem as a *FieldError.
func (e *Expense) Validate() error {
	if e == nil {
		return &FieldError{Field: "expense", Problem: ProblemRequired}
	}
	if err := required("statement_no", e.StatementNo); err != nil {
		return err
	}
	if err := required("customer_code", e.CustomerCode); err != nil {
		return err
	}
	head := [...]field{
		{"statement_no", e.StatementNo, MaxStatementNo, ""},
		{"customer_code", e.CustomerCode, MaxCustomer, ""},
		{"start_date", e.StartDate, MaxLong, LayoutDate},
		{"end_date", e.EndDate, MaxLong, LayoutDate},
		{"trade_month", e.TradeMonth, MaxLong, LayoutMonth},
		{"dept_code", e.DeptCode, MaxLong, ""},
		{"dept_name", e.DeptName, MaxLong, ""},
		{"dept_source_code", e.DeptSourceCode, MaxLong, ""},
	}
	if err := checkFields(loc{}, head[:]); err != nil {
		return err
	}
	if err := checkPeriod(e.TradeMonth, e.StartDate, e.EndDate); err != nil {
		return err
	}
	for i := range e.Trade {
		t := &e.Trade[i]
		l := loc{outer: "trade", i: i}
		row := [...]field{
			{"serial_no", t.SerialNo, MaxShort, ""},
			{"voucher_no", t.VoucherNo, MaxShort, ""},
			{"trade_date", t.TradeDate, MaxLong, LayoutDateTime},
			{"trade_type", t.TradeType, MaxShort, ""},
		}
		if err := checkFields(l, row[:]); err != nil {
			return err
		}
		if err := checkExts(l, t.Exts); err != nil {
			return err
		}
	}
	return checkExts(loc{}, e.Exts)
}

// Validate checks an error log against the save*Error spec: customer_code
// (VARCHAR(32)) and error_reason (VARCHAR(100) characters) are required,
// start_date is yyyy-MM-dd when present.
func (l ErrorLog) Validate() error {
	if err := required("customer_code", l.CustomerCode); err != nil {
		return err
	}
	if err := required("error_reason", l.ErrorReason); err != nil {
		return err
	}
	fs := [...]field{
		{"customer_code", l.CustomerCode, MaxLogCustomer, ""},
		{"start_date", l.StartDate, MaxShort, LayoutDate},
		{"error_reason", l.ErrorReason, MaxErrorReason, ""},
		{"error_status", l.ErrorStatus, MaxShort, ""},
	}
	return checkFields(loc{}, fs[:])
}
