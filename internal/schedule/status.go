package schedule

import (
	"context"
	"time"
)

// Status is a schedule as operators see it (ksfctl schedules, the admin API).
type Status struct {
	Tenant    string   `json:"tenant"`
	Name      string   `json:"name"`
	Cron      string   `json:"cron"`
	Period    string   `json:"period"`
	DataTypes []string `json:"data_types"`
	Customers []string `json:"customers"` // empty: every customer getCustomers returns
	// NextRun is the next fire time and NextStart..NextEnd the period it
	// will ask for.
	NextRun   *time.Time `json:"next_run,omitempty"`
	NextStart string     `json:"next_start_date,omitempty"`
	NextEnd   string     `json:"next_end_date,omitempty"`
	// LastRun is the latest queued run (nil: none recorded in the last 40 days).
	LastRun *Run `json:"last_run,omitempty"`
}

// List describes every schedule with its next fire time and latest run.
func (s *Scheduler) List(ctx context.Context) ([]Status, error) {
	now := s.opt.Clock.Now()
	out := make([]Status, 0, len(s.schedules))
	for _, sch := range s.schedules {
		st := Status{Tenant: sch.Tenant, Name: sch.Name, Cron: sch.Cron.String(), Period: sch.Period.String(),
			DataTypes: sch.DataTypes, Customers: sch.Customers}
		if st.Customers == nil {
			st.Customers = []string{}
		}
		if next := sch.Cron.Next(now); !next.IsZero() {
			st.NextRun = &next
			st.NextStart, st.NextEnd = sch.Period.Range(next)
		}
		last, err := s.opt.Runs.Last(ctx, sch.Tenant, sch.Name)
		if err != nil {
			return nil, err
		}
		st.LastRun = last
		out = append(out, st)
	}
	return out, nil
}
