package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/reconcile"
)

// Values of the mapping's and the save policy's choice variables.
const (
	TradeMonthSingle = "single" // trade_month when the period is one calendar month (default)
	TradeMonthStart  = "start"  // always the start date's month
	TradeMonthOmit   = "omit"   // never; start and end dates only

	ConfirmedKeep      = "keep"      // never overwrite a statement in a final state (default)
	ConfirmedOverwrite = "overwrite" // save without asking 勤策

	UnlistedRefuse   = "refuse"   // a customer missing from a configured map fails (default)
	UnlistedIdentity = "identity" // its code is every id
)

// Mapping is the statement mapping's choices and the save policy
// (docs/statement-mapping.md). Globally each field is a KSF_* variable; a
// tenant block of KSF_CONFIG may carry the same keys (the variable's name
// without KSF_, lowercase), which win for that tenant. Every zero value
// means the default written beside it.
type Mapping struct {
	// IncomeTypes (KSF_OMS_INCOME_TYPES): OMS trans_type values that add to
	// the balance; they are the payments (缴款). Default income.
	IncomeTypes []string `yaml:"oms_income_types"`
	// ExpenseTypes (KSF_OMS_EXPENSE_TYPES): trans_type values that subtract.
	// Default expense.
	ExpenseTypes []string `yaml:"oms_expense_types"`
	// SkipTypes (KSF_OMS_SKIP_TYPES): trans_type values left out entirely.
	// Default none: any other type fails the statement.
	SkipTypes []string `yaml:"oms_skip_types"`
	// ReturnMarkers (KSF_RETURN_MARKERS): a bill_type containing one is a
	// return. Default 退.
	ReturnMarkers []string `yaml:"return_markers"`
	// DifferenceTolerance (KSF_DIFFERENCE_TOLERANCE): a 对账差异 whose
	// absolute value is at most this (yuan, decimal) is not reported.
	// Default 0.
	DifferenceTolerance string `yaml:"difference_tolerance"`
	// TradeMonth (KSF_TRADE_MONTH): single (default), start or omit.
	TradeMonth string `yaml:"trade_month"`
	// ConfirmedPolicy (KSF_CONFIRMED_POLICY): keep (default) or overwrite.
	ConfirmedPolicy string `yaml:"confirmed_policy"`
	// ConfirmedFinalStates (KSF_CONFIRMED_FINAL_STATES): statement_status
	// values that keep a statement. Default 已确认.
	ConfirmedFinalStates []string `yaml:"confirmed_final_states"`
	// CustomerMapUnlisted (KSF_CUSTOMER_MAP_UNLISTED): refuse (default when
	// a map is configured) or identity. Without a map every code is its own
	// id whatever this says.
	CustomerMapUnlisted string `yaml:"customer_map_unlisted"`
}

// mappingVariables are the variables of Mapping and the 精斗云 errcode lists,
// registered with the others (so an unknown KSF_* name is still refused).
var mappingVariables = []variable{
	{name: "KSF_OMS_INCOME_TYPES", set: setList(func(c *Config) *[]string { return &c.Mapping.IncomeTypes })},
	{name: "KSF_OMS_EXPENSE_TYPES", set: setList(func(c *Config) *[]string { return &c.Mapping.ExpenseTypes })},
	{name: "KSF_OMS_SKIP_TYPES", set: setList(func(c *Config) *[]string { return &c.Mapping.SkipTypes })},
	{name: "KSF_RETURN_MARKERS", set: setList(func(c *Config) *[]string { return &c.Mapping.ReturnMarkers })},
	{name: "KSF_DIFFERENCE_TOLERANCE", set: func(c *Config, v string) error {
		c.Mapping.DifferenceTolerance = v
		return checkTolerance(v)
	}},
	{name: "KSF_TRADE_MONTH", set: func(c *Config, v string) error {
		c.Mapping.TradeMonth = v
		return oneOf(v, TradeMonthSingle, TradeMonthStart, TradeMonthOmit)
	}},
	{name: "KSF_CONFIRMED_POLICY", set: func(c *Config, v string) error {
		c.Mapping.ConfirmedPolicy = v
		return oneOf(v, ConfirmedKeep, ConfirmedOverwrite)
	}},
	{name: "KSF_CONFIRMED_FINAL_STATES", set: setList(func(c *Config) *[]string { return &c.Mapping.ConfirmedFinalStates })},
	{name: "KSF_CUSTOMER_MAP_UNLISTED", set: func(c *Config, v string) error {
		c.Mapping.CustomerMapUnlisted = v
		return oneOf(v, UnlistedRefuse, UnlistedIdentity)
	}},
	{name: "KSF_JDY_TOKEN_ERRCODES", set: func(c *Config, v string) (err error) {
		c.JDY.TokenErrcodes, err = errcodes(v)
		return err
	}},
	{name: "KSF_JDY_TRANSIENT_ERRCODES", set: func(c *Config, v string) (err error) {
		c.JDY.TransientErrcodes, err = errcodes(v)
		return err
	}},
}

func init() { variables = append(variables, mappingVariables...) }

// setList sets a comma-separated list that must name at least one value.
func setList(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		l := list(v)
		if len(l) == 0 {
			return errors.New("lists no value")
		}
		*field(c) = l
		return nil
	}
}

func checkTolerance(v string) error {
	d, err := decimal.NewFromString(v)
	if err != nil || d.IsNegative() || d.Exponent() < -4 || d.GreaterThan(decimal.NewFromInt(1_000_000)) {
		return errors.New("is not an amount in yuan from 0 to 1000000 such as 0.05")
	}
	return nil
}

func errcodes(v string) ([]int64, error) {
	var out []int64
	for _, s := range list(v) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a numeric errcode", s)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("lists no errcode")
	}
	return out, nil
}

// MappingFor returns tenantID's mapping: its block's values where set, the
// global ones otherwise.
func (c *Config) MappingFor(tenantID string) Mapping {
	m := c.Mapping
	t, ok := c.Tenants[tenantID]
	if !ok {
		return m
	}
	o := t.Mapping
	for _, f := range []struct{ dst, src *[]string }{
		{&m.IncomeTypes, &o.IncomeTypes}, {&m.ExpenseTypes, &o.ExpenseTypes}, {&m.SkipTypes, &o.SkipTypes},
		{&m.ReturnMarkers, &o.ReturnMarkers}, {&m.ConfirmedFinalStates, &o.ConfirmedFinalStates},
	} {
		if len(*f.src) > 0 {
			*f.dst = *f.src
		}
	}
	for _, f := range []struct{ dst, src *string }{
		{&m.DifferenceTolerance, &o.DifferenceTolerance}, {&m.TradeMonth, &o.TradeMonth},
		{&m.ConfirmedPolicy, &o.ConfirmedPolicy}, {&m.CustomerMapUnlisted, &o.CustomerMapUnlisted},
	} {
		if *f.src != "" {
			*f.dst = *f.src
		}
	}
	return m
}

// Options are the reconcile options of m. Its values were checked at Load;
// the error is for a Mapping built in Go.
func (m Mapping) Options() (reconcile.Options, error) {
	o := reconcile.Options{IncomeTypes: m.IncomeTypes, ExpenseTypes: m.ExpenseTypes, SkipTypes: m.SkipTypes,
		ReturnMarkers: m.ReturnMarkers}
	if m.DifferenceTolerance != "" {
		if err := checkTolerance(m.DifferenceTolerance); err != nil {
			return o, fmt.Errorf("difference tolerance %q %v", m.DifferenceTolerance, err)
		}
		o.DifferenceTolerance = decimal.RequireFromString(m.DifferenceTolerance)
	}
	switch m.TradeMonth {
	case "", TradeMonthSingle:
		o.TradeMonth = reconcile.TradeMonthSingle
	case TradeMonthStart:
		o.TradeMonth = reconcile.TradeMonthStart
	case TradeMonthOmit:
		o.TradeMonth = reconcile.TradeMonthOmit
	default:
		return o, fmt.Errorf("trade month %q must be one of single, start, omit", m.TradeMonth)
	}
	if err := checkTypes(o); err != nil {
		return o, err
	}
	return o, nil
}

// checkTypes refuses what reconcile would refuse: a type in two lists
// (reconcile's defaults income/expense included), an empty one.
func checkTypes(o reconcile.Options) error {
	if _, err := o.WithDefaults(); err != nil {
		var re *reconcile.Error
		if errors.As(err, &re) {
			return errors.New(strings.NewReplacer("IncomeTypes", "income types", "ExpenseTypes", "expense types",
				"SkipTypes", "skip types", "ReturnMarkers", "return markers").Replace(re.Reason))
		}
		return err
	}
	return nil
}

// Overwrite reports KSF_CONFIRMED_POLICY=overwrite.
func (m Mapping) Overwrite() bool { return m.ConfirmedPolicy == ConfirmedOverwrite }

// Unlisted is KSF_CUSTOMER_MAP_UNLISTED as the customer map takes it.
func (m Mapping) Unlisted() customermap.Unlisted {
	if m.CustomerMapUnlisted == UnlistedIdentity {
		return customermap.UnlistedIdentity
	}
	return customermap.UnlistedRefuse
}

// checkMappings validates the global mapping and every tenant's, each
// error naming the variable or the tenant's key.
func (c *Config) checkMappings() []error {
	var errs []error
	if _, err := c.Mapping.Options(); err != nil {
		errs = append(errs, fmt.Errorf("KSF_OMS_INCOME_TYPES, KSF_OMS_EXPENSE_TYPES, KSF_OMS_SKIP_TYPES, KSF_RETURN_MARKERS: %v", err))
	}
	for _, id := range c.tenantIDs() {
		t, ok := c.Tenants[id]
		if !ok {
			continue
		}
		where := fmt.Sprintf("KSF_CONFIG: tenant %q: ", id)
		o := t.Mapping
		for _, l := range []struct {
			key string
			v   []string
		}{{"oms_income_types", o.IncomeTypes}, {"oms_expense_types", o.ExpenseTypes}, {"oms_skip_types", o.SkipTypes},
			{"return_markers", o.ReturnMarkers}, {"confirmed_final_states", o.ConfirmedFinalStates}} {
			for _, s := range l.v {
				if strings.TrimSpace(s) == "" {
					errs = append(errs, errors.New(where+l.key+": empty value"))
				}
			}
		}
		if v := o.DifferenceTolerance; v != "" {
			if err := checkTolerance(v); err != nil {
				errs = append(errs, fmt.Errorf("%sdifference_tolerance=%q %v", where, v, err))
			}
		}
		for _, f := range []struct {
			key, v  string
			allowed []string
		}{{"trade_month", o.TradeMonth, []string{TradeMonthSingle, TradeMonthStart, TradeMonthOmit}},
			{"confirmed_policy", o.ConfirmedPolicy, []string{ConfirmedKeep, ConfirmedOverwrite}},
			{"customer_map_unlisted", o.CustomerMapUnlisted, []string{UnlistedRefuse, UnlistedIdentity}}} {
			if f.v != "" {
				if err := oneOf(f.v, f.allowed...); err != nil {
					errs = append(errs, fmt.Errorf("%s%s=%q %v", where, f.key, f.v, err))
				}
			}
		}
		if len(errs) == 0 {
			if _, err := c.MappingFor(id).Options(); err != nil {
				errs = append(errs, fmt.Errorf("%soms_income_types, oms_expense_types, oms_skip_types: %v", where, err))
			}
		}
	}
	return errs
}

// mappingSummary is the mapping for the startup log line.
func (c *Config) mappingSummary() map[string]any {
	m := c.Mapping
	return map[string]any{
		"oms_income_types":       strings.Join(m.IncomeTypes, ","),
		"oms_expense_types":      strings.Join(m.ExpenseTypes, ","),
		"oms_skip_types":         strings.Join(m.SkipTypes, ","),
		"return_markers":         strings.Join(m.ReturnMarkers, ","),
		"difference_tolerance":   m.DifferenceTolerance,
		"trade_month":            m.TradeMonth,
		"confirmed_policy":       m.ConfirmedPolicy,
		"confirmed_final_states": strings.Join(m.ConfirmedFinalStates, ","),
		"customer_map_unlisted":  m.CustomerMapUnlisted,
		"jdy_token_errcodes":     fmt.Sprint(c.JDY.TokenErrcodes),
		"jdy_transient_errcodes": fmt.Sprint(c.JDY.TransientErrcodes),
	}
}
