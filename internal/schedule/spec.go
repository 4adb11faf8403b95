// Package schedule runs scheduled reconciliations: per tenant, a cron
// expression (Asia/Shanghai) fires a run that asks for the statements of a
// period exactly as a push would. A run's id is
// schedule:{tenantId}:{name}:{start}:{end}, and it is queued as ksf:push
// tasks whose TaskIDs derive from it, so however many worker processes fire
// the same schedule, asynq's TaskID uniqueness queues one run.
//
// The rules (day 31 in a short month, periods, catch-up) are documented in
// docs/schedules.md.
package schedule

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// Spec is a schedule as configured (the KSF_CONFIG file's schedules: entries
// or the KSF_SCHEDULE_* variables).
type Spec struct {
	Tenant    string   `yaml:"-"` // the tenant block it is in, or KSF_TENANT_ID
	Name      string   `yaml:"name"`
	Cron      string   `yaml:"cron"`
	DataTypes []string `yaml:"data_types"`
	Period    string   `yaml:"period"`
	Customers []string `yaml:"customers"` // empty: every customer getCustomers returns
}

// Schedule is a validated Spec.
type Schedule struct {
	Tenant    string
	Name      string
	Cron      Cron
	DataTypes []string // ksf_statement and/or ksf_expense, no duplicates
	Period    Period
	Customers []string // trimmed, deduplicated; empty = all
}

// Key is tenant/name, unique among the schedules of a process.
func (s Schedule) Key() string { return s.Tenant + "/" + s.Name }

var nameRE = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// Parse validates one spec; the error names the schedule and what to fix.
func Parse(sp Spec) (Schedule, error) {
	s := Schedule{Tenant: sp.Tenant, Name: sp.Name}
	where := fmt.Sprintf("schedule %q", sp.Name)
	if sp.Tenant != "" {
		where = fmt.Sprintf("schedule %q of tenant %q", sp.Name, sp.Tenant)
	}
	var errs []error
	if !nameRE.MatchString(sp.Name) {
		errs = append(errs, fmt.Errorf("name %q: use 1–64 of a-z, 0-9 and -", sp.Name))
	}
	if sp.Tenant == "" {
		errs = append(errs, errors.New("no tenant: put it in a tenants: block or set KSF_TENANT_ID"))
	}
	var err error
	if s.Cron, err = ParseCron(sp.Cron); err != nil {
		errs = append(errs, err)
	}
	if s.Period, err = ParsePeriod(sp.Period); err != nil {
		errs = append(errs, err)
	}
	for _, dt := range sp.DataTypes {
		dt = strings.TrimSpace(dt)
		if !tasks.ValidDataType(dt) {
			errs = append(errs, fmt.Errorf("data type %q: want %s or %s", dt, tasks.DataTypeStatement, tasks.DataTypeExpense))
			continue
		}
		if !slices.Contains(s.DataTypes, dt) {
			s.DataTypes = append(s.DataTypes, dt)
		}
	}
	if len(sp.DataTypes) == 0 {
		errs = append(errs, fmt.Errorf("data_types is empty: list %s and/or %s", tasks.DataTypeStatement, tasks.DataTypeExpense))
	}
	if len(errs) == 0 {
		// The codes obey a push's rules; the dates here are placeholders.
		d, err := tasks.NewPushData(sp.Customers, "2000-01-01", "2000-01-01")
		if err != nil {
			errs = append(errs, fmt.Errorf("customers: %v", err))
		}
		s.Customers = d.CustomerCodes
	}
	if len(errs) > 0 {
		return Schedule{}, fmt.Errorf("%s: %w", where, errors.Join(errs...))
	}
	return s, nil
}

// ParseAll validates every spec and that names are unique per tenant.
func ParseAll(specs []Spec) ([]Schedule, error) {
	var out []Schedule
	var errs []error
	seen := map[string]bool{}
	for _, sp := range specs {
		s, err := Parse(sp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[s.Key()] {
			errs = append(errs, fmt.Errorf("schedule %q of tenant %q is defined twice", s.Name, s.Tenant))
			continue
		}
		seen[s.Key()] = true
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}
