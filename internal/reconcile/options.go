package reconcile

import (
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// TradeMonthMode says when a statement carries trade_month (yyyy-MM). 勤策
// needs trade_month or both dates; its query endpoints search by month.
type TradeMonthMode int

const (
	// TradeMonthSingle (the default) writes trade_month when the period lies
	// inside one calendar month, and leaves it out otherwise.
	TradeMonthSingle TradeMonthMode = iota
	// TradeMonthStart always writes the start date's month.
	TradeMonthStart
	// TradeMonthOmit never writes trade_month; start and end dates only.
	TradeMonthOmit
)

// Options are the mapping's choices. The zero value is DESIGN.md's default
// mapping; each field documents its default.
type Options struct {
	// GoodsPrefix starts goods statement numbers. Default "HK".
	GoodsPrefix string
	// ExpensePrefix starts expense statement numbers. Default "FY".
	ExpensePrefix string
	// ReturnMarkers: an AR bill whose bill_type contains any of these is a
	// return (退货), every other bill a sale. Default ["退"].
	ReturnMarkers []string
	// IncomeTypes and ExpenseTypes are the OMS trans_type values that add
	// to and subtract from the account balance (KSF_OMS_INCOME_TYPES,
	// KSF_OMS_EXPENSE_TYPES). Income transactions are the payments (缴款).
	// Compared case-insensitively. Defaults ["income"] and ["expense"].
	IncomeTypes, ExpenseTypes []string
	// SkipTypes are trans_type values left out of the statement entirely
	// (KSF_OMS_SKIP_TYPES): no row, no total, no balance. Default none. A
	// type in none of the three lists fails the statement, naming the type
	// and these settings.
	SkipTypes []string
	// PaymentDesc is the trade_desc of a payment row. Default "缴款".
	PaymentDesc string
	// DifferenceKey is the statement ext that carries the reconciliation
	// difference. Default "对账差异".
	DifferenceKey string
	// DifferenceTolerance: a difference whose absolute value (rounded to
	// cents) is at most this is not reported. Default 0: every cent counts.
	DifferenceTolerance decimal.Decimal
	// OmitDifference leaves the difference out of the statement; Result
	// still reports it. Default false: the ext is written.
	OmitDifference bool
	// TradeMonth: see TradeMonthMode. Default TradeMonthSingle.
	TradeMonth TradeMonthMode
	// JDYWholeMonth serves a jdy period only when it is the whole calendar
	// month (its monthly figures cannot be split by day). Default false:
	// any period inside the current or last month is served, as DESIGN.md
	// says, with the whole month's figures.
	JDYWholeMonth bool
}

// Validate reports a value that would make statements unrepresentable.
func (o Options) Validate() error {
	for _, p := range []struct{ name, v string }{{"GoodsPrefix", o.GoodsPrefix}, {"ExpensePrefix", o.ExpensePrefix}} {
		if utf8.RuneCountInString(p.v) > MaxPrefix || strings.TrimFunc(p.v, isASCIIAlnum) != "" {
			return newError(ErrInvalidInput, p.name, p.name+" must be at most 4 ASCII letters or digits", zhConfig)
		}
	}
	for _, f := range []struct{ name, v string }{{"PaymentDesc", o.PaymentDesc}, {"DifferenceKey", o.DifferenceKey}} {
		if utf8.RuneCountInString(f.v) > MaxField || !utf8.ValidString(f.v) {
			return newError(ErrInvalidInput, f.name, f.name+" must be valid text of at most 32 characters", zhConfig)
		}
	}
	for _, m := range o.ReturnMarkers {
		if m == "" {
			return newError(ErrInvalidInput, "ReturnMarkers", "ReturnMarkers must not contain an empty marker", zhConfig)
		}
	}
	seen := map[string]string{}
	for _, l := range []struct {
		name  string
		types []string
	}{{"IncomeTypes", o.IncomeTypes}, {"ExpenseTypes", o.ExpenseTypes}, {"SkipTypes", o.SkipTypes}} {
		for _, t := range l.types {
			k := strings.ToLower(strings.TrimSpace(t))
			if k == "" {
				return newError(ErrInvalidInput, l.name, l.name+" must not contain an empty type", zhConfig)
			}
			if other, dup := seen[k]; dup {
				return newError(ErrInvalidInput, l.name, "type "+quote(t)+" is in both "+other+" and "+l.name, zhConfig)
			}
			seen[k] = l.name
		}
	}
	if o.DifferenceTolerance.IsNegative() {
		return newError(ErrInvalidInput, "DifferenceTolerance", "DifferenceTolerance must not be negative", zhConfig)
	}
	if o.TradeMonth < TradeMonthSingle || o.TradeMonth > TradeMonthOmit {
		return newError(ErrInvalidInput, "TradeMonth", "TradeMonth is not a known mode", zhConfig)
	}
	return nil
}

func isASCIIAlnum(r rune) bool {
	return r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
}

// WithDefaults fills o's zero fields with the defaults and validates the
// result (a default may collide with a configured list; a default never
// makes a valid field invalid, so one check after filling suffices).
func (o Options) WithDefaults() (Options, error) {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.GoodsPrefix, "HK")
	def(&o.ExpensePrefix, "FY")
	def(&o.PaymentDesc, "缴款")
	def(&o.DifferenceKey, "对账差异")
	if o.ReturnMarkers == nil {
		o.ReturnMarkers = []string{"退"}
	}
	if len(o.IncomeTypes) == 0 {
		o.IncomeTypes = []string{"income"}
	}
	if len(o.ExpenseTypes) == 0 {
		o.ExpenseTypes = []string{"expense"}
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

func (o *Options) isReturn(billType string) bool {
	for _, m := range o.ReturnMarkers {
		if strings.Contains(billType, m) {
			return true
		}
	}
	return false
}

func (o *Options) tradeMonth(p Period) string {
	m, single := p.month()
	switch o.TradeMonth {
	case TradeMonthStart:
		return m
	case TradeMonthSingle:
		if single {
			return m
		}
	}
	return ""
}

// direction is +1 for income, -1 for expense, 0 for another type (skipped
// or unknown).
func (o *Options) direction(transType string) int {
	switch {
	case has(o.IncomeTypes, transType):
		return 1
	case has(o.ExpenseTypes, transType):
		return -1
	}
	return 0
}

// Skips reports whether transactions of transType are left out (SkipTypes).
func (o Options) Skips(transType string) bool { return has(o.SkipTypes, transType) }

func has(types []string, t string) bool {
	t = strings.TrimSpace(t)
	for _, x := range types {
		if strings.EqualFold(strings.TrimSpace(x), t) {
			return true
		}
	}
	return false
}
