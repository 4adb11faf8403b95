package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

type scheduleEntry struct {
	Tenant    string     `json:"tenant"`
	Name      string     `json:"name"`
	Cron      string     `json:"cron"`
	Period    string     `json:"period"`
	DataTypes []string   `json:"data_types"`
	Customers []string   `json:"customers"`
	NextRun   *time.Time `json:"next_run"`
	NextStart string     `json:"next_start_date"`
	NextEnd   string     `json:"next_end_date"`
	LastRun   *struct {
		ID          string     `json:"run_id"`
		QueuedAt    *time.Time `json:"queued_at"`
		CompletedAt *time.Time `json:"completed_at"`
		Jobs        int        `json:"jobs"`
		Done        int        `json:"done"`
		Failed      int        `json:"failed"`
		Coalesced   int        `json:"coalesced"`
	} `json:"last_run"`
}

// schedules lists the schedules, or with "run NAME" queues a run now.
func (c *cli) schedules(args []string) error {
	if len(args) > 0 && args[0] == "run" {
		return c.runSchedule(args[1:])
	}
	fs := c.flags()
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (ksfctl schedules run NAME runs one)", fs.Arg(0))}
	}
	var a struct {
		Items []scheduleEntry `json:"items"`
	}
	raw, err := c.call("GET", "/admin/api/schedules", nil, nil, &a)
	if err != nil || c.emit(raw) {
		return err
	}
	if len(a.Items) == 0 {
		fmt.Fprintln(c.out, "no schedules are configured")
		return nil
	}
	tw := c.table("TENANT", "NAME", "CRON", "PERIOD", "TYPES", "CUSTOMERS", "NEXT RUN", "NEXT PERIOD", "LAST RUN", "LAST RUN STATE")
	for _, s := range a.Items {
		customers := "(all)"
		if len(s.Customers) > 0 {
			customers = clip(strings.Join(s.Customers, ","), 30)
		}
		next := ""
		if s.NextStart != "" {
			next = s.NextStart + ".." + s.NextEnd
		}
		last, state := "", "never run"
		if r := s.LastRun; r != nil {
			last = r.ID
			switch {
			case r.CompletedAt != nil:
				state = fmt.Sprintf("complete %s: %d saved, %d failed", when(r.CompletedAt), r.Done, r.Failed)
			default:
				state = fmt.Sprintf("running since %s: %d/%d done, %d failed", when(r.QueuedAt), r.Done+r.Failed, r.Jobs, r.Failed)
			}
			if r.Coalesced > 0 {
				state += fmt.Sprintf(", %d joined other requests", r.Coalesced)
			}
		}
		row(tw, s.Tenant, s.Name, s.Cron, s.Period, strings.Join(s.DataTypes, ","), customers, when(s.NextRun), next, last, state)
	}
	return tw.Flush()
}

func (c *cli) runSchedule(args []string) error {
	c.name = "schedules run"
	fs := c.flags()
	tenant := fs.String("tenant", "", "tenant id (needed when several tenants have a schedule of that name)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"give the name of one schedule: ksfctl schedules run NAME"}
	}
	q := url.Values{}
	if *tenant != "" {
		q.Set("tenant", *tenant)
	}
	var a struct {
		RunID         string   `json:"run_id"`
		Start         string   `json:"start_date"`
		End           string   `json:"end_date"`
		Queued        []string `json:"queued"`
		AlreadyQueued []string `json:"already_queued"`
	}
	raw, err := c.call("POST", "/admin/api/schedules/"+url.PathEscape(fs.Arg(0))+"/run", q, nil, &a)
	if err != nil || c.emit(raw) {
		return err
	}
	fmt.Fprintf(c.out, "queued run %s for %s..%s: %s", a.RunID, a.Start, a.End, strings.Join(a.Queued, ", "))
	if len(a.AlreadyQueued) > 0 {
		fmt.Fprintf(c.out, " (already queued: %s)", strings.Join(a.AlreadyQueued, ", "))
	}
	fmt.Fprintln(c.out)
	return nil
}
