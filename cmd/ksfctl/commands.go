package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The answers' shapes (docs/admin-api.md), as far as the tables need them.
type (
	failedJob struct {
		TaskID      string     `json:"task_id"`
		Kind        string     `json:"kind"`
		State       string     `json:"state"`
		Tenant      string     `json:"tenant"`
		Customer    string     `json:"customer"`
		Period      string     `json:"period"`
		LastError   string     `json:"last_error"`
		Retried     int        `json:"retried"`
		MaxRetry    int        `json:"max_retry"`
		FailedAt    *time.Time `json:"failed_at"`
		ReplayCount int        `json:"replay_count"`
	}
	replayAnswer struct {
		Matched int      `json:"matched"`
		Queued  int      `json:"queued"`
		DryRun  bool     `json:"dry_run"`
		Errors  []string `json:"errors"`
		Tasks   []struct {
			TaskID    string `json:"task_id"`
			Kind      string `json:"kind"`
			State     string `json:"state"`
			Action    string `json:"action"`
			NewTaskID string `json:"new_task_id"`
			Note      string `json:"note"`
		} `json:"tasks"`
		TasksTruncated bool `json:"tasks_truncated"`
	}
	pushEntry struct {
		TaskID        string     `json:"task_id"`
		State         string     `json:"state"`
		Tenant        string     `json:"tenant"`
		DataType      string     `json:"data_type"`
		Origin        string     `json:"origin"`
		CustomerCount int        `json:"customer_count"`
		Customers     []string   `json:"customers"`
		Period        string     `json:"period"`
		ReceivedAt    *time.Time `json:"received_at"`
		LastError     string     `json:"last_error"`
		Result        *struct {
			Customers     int `json:"customers"`
			FannedOut     int `json:"fanned_out"`
			AlreadyQueued int `json:"already_queued"`
			Coalesced     int `json:"coalesced"`
		} `json:"result"`
	}
)

type page[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func (c *cli) failed(args []string) error {
	fs := c.flags()
	var f filterFlags
	f.register(fs)
	pg, per := pageFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	q := url.Values{}
	for k, v := range f.fields() {
		q.Set(k, v)
	}
	pageQuery(q, *pg, *per)
	var p page[failedJob]
	raw, err := c.call("GET", "/admin/api/failed", q, nil, &p)
	if err != nil || c.emit(raw) {
		return err
	}
	if p.Total == 0 {
		fmt.Fprintln(c.out, "no failed jobs match")
		return nil
	}
	tw := c.table("FAILED AT (+08:00)", "STATE", "KIND", "TENANT", "CUSTOMER", "PERIOD", "RETRIED", "TASK ID", "LAST ERROR")
	for _, j := range p.Items {
		row(tw, when(j.FailedAt), j.State, strings.TrimPrefix(j.Kind, "ksf:"), j.Tenant, clip(j.Customer, 30), j.Period,
			fmt.Sprintf("%d/%d", j.Retried, j.MaxRetry), j.TaskID, clip(j.LastError, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "page %d of %d, %d failed jobs\n", p.Page, pages(p.Total, p.PerPage), p.Total)
	return nil
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func (c *cli) replay(args []string) error {
	fs := c.flags()
	var f filterFlags
	f.register(fs)
	var ids listFlag
	fs.Var(&ids, "id", "task id (repeatable, or comma-separated)")
	byFilter := fs.Bool("filter", false, "replay the jobs the filter flags select")
	all := fs.Bool("all", false, "replay every failed job")
	dry := fs.Bool("dry-run", false, "only count what would be replayed")
	if err := parse(fs, args); err != nil {
		return err
	}
	ids = append(ids, fs.Args()...)
	filter := f.fields()
	if len(filter) > 0 && !*byFilter {
		*byFilter = true // filter flags given: that is what is meant
	}
	body := map[string]any{"dry_run": *dry}
	switch {
	case len(ids) > 0 && (*byFilter || *all), *byFilter && *all:
		return usageError{"give task ids, --filter flags or --all, not several"}
	case len(ids) > 0:
		body["task_ids"] = []string(ids)
	case *byFilter && len(filter) == 0:
		return usageError{"--filter without any filter flag would select everything: use --all (try --dry-run first)"}
	case *byFilter:
		body["filter"] = filter
	case *all:
		body["all"] = true
	default:
		return usageError{"nothing to replay: give task ids, filter flags or --all"}
	}
	var a replayAnswer
	raw, err := c.call("POST", "/admin/api/replay", nil, body, &a)
	if err != nil || c.emit(raw) {
		return err
	}
	if len(a.Tasks) > 0 {
		tw := c.table("TASK ID", "KIND", "STATE", "ACTION", "NEW TASK ID", "NOTE")
		for _, t := range a.Tasks {
			action := t.Action
			if a.DryRun && action != "skip" {
				action = "would " + action
			}
			row(tw, t.TaskID, strings.TrimPrefix(t.Kind, "ksf:"), t.State, action, t.NewTaskID, clip(t.Note, 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if a.TasksTruncated {
		fmt.Fprintln(c.out, "(only the first tasks are listed)")
	}
	verb := "queued"
	if a.DryRun {
		verb = "would be queued (dry run: nothing changed)"
	}
	fmt.Fprintf(c.out, "%d matched, %d %s\n", a.Matched, a.Queued, verb)
	for _, e := range a.Errors {
		fmt.Fprintln(c.out, "error:", e)
	}
	if len(a.Errors) > 0 && !a.DryRun {
		return fmt.Errorf("%d of the replays failed", len(a.Errors))
	}
	return nil
}

func (c *cli) delete(args []string) error {
	fs := c.flags()
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"give the task ids to delete"}
	}
	var failed int
	for _, id := range fs.Args() {
		var a struct {
			TaskID      string `json:"task_id"`
			FromAsynq   bool   `json:"deleted_from_asynq"`
			FromRecords bool   `json:"deleted_record"`
		}
		raw, err := c.call("DELETE", "/admin/api/failed/"+url.PathEscape(id), nil, nil, &a)
		if err != nil {
			fmt.Fprintf(c.out, "%s: %v\n", id, err)
			failed++
			continue
		}
		if c.emit(raw) {
			continue
		}
		var from []string
		if a.FromAsynq {
			from = append(from, "asynq")
		}
		if a.FromRecords {
			from = append(from, "the failure records")
		}
		fmt.Fprintf(c.out, "deleted %s from %s\n", id, strings.Join(from, " and "))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deletions failed", failed, fs.NArg())
	}
	return nil
}

func (c *cli) resync(args []string) error {
	fs := c.flags()
	dataType := fs.String("type", "", "ksf_statement or ksf_expense")
	customers := fs.String("customers", "", "customer codes c1,c2 (none: every customer)")
	start := fs.String("start", "", "period start yyyy-MM-dd")
	end := fs.String("end", "", "period end yyyy-MM-dd")
	tenant := fs.String("tenant", os.Getenv("KSF_TENANT_ID"), "tenant id (default $KSF_TENANT_ID, else the listener's KSF_TENANT_ID)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dataType == "" || *start == "" || *end == "" {
		return usageError{"--type, --start and --end are required"}
	}
	body := map[string]any{"data_type": *dataType, "customer_codes": *customers, "start_date": *start, "end_date": *end}
	if *tenant != "" {
		body["tenant_id"] = *tenant
	}
	var a struct {
		TaskID        string   `json:"task_id"`
		TenantID      string   `json:"tenant_id"`
		DataType      string   `json:"data_type"`
		CustomerCodes []string `json:"customer_codes"`
		StartDate     string   `json:"start_date"`
		EndDate       string   `json:"end_date"`
		AlreadyQueued bool     `json:"already_queued"`
	}
	raw, err := c.call("POST", "/admin/api/resync", nil, body, &a)
	if err != nil || c.emit(raw) {
		return err
	}
	who := strconv.Itoa(len(a.CustomerCodes)) + " customers"
	if len(a.CustomerCodes) == 0 {
		who = "every customer"
	}
	verb := "queued"
	if a.AlreadyQueued {
		verb = "already queued"
	}
	fmt.Fprintf(c.out, "%s %s: tenant %s, %s, %s, %s..%s\n", verb, a.TaskID, a.TenantID, a.DataType, who, a.StartDate, a.EndDate)
	return nil
}

func (c *cli) pushes(args []string) error {
	fs := c.flags()
	tenant := fs.String("tenant", "", "tenant id")
	state := fs.String("state", "", "pending, active, scheduled, retry, archived, completed")
	origin := fs.String("origin", "", "push, resync, schedule (every scheduled run) or schedule:NAME")
	dataType := fs.String("type", "", "ksf_statement or ksf_expense")
	pg, per := pageFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"tenant": *tenant, "state": *state, "data_type": *dataType, "origin": *origin} {
		if v != "" {
			q.Set(k, v)
		}
	}
	pageQuery(q, *pg, *per)
	var p page[pushEntry]
	raw, err := c.call("GET", "/admin/api/pushes", q, nil, &p)
	if err != nil || c.emit(raw) {
		return err
	}
	if p.Total == 0 {
		fmt.Fprintln(c.out, "no pushes")
		return nil
	}
	tw := c.table("RECEIVED (+08:00)", "STATE", "ORIGIN", "TYPE", "TENANT", "CUSTOMERS", "PERIOD", "FAN-OUT", "TASK ID", "LAST ERROR")
	for _, e := range p.Items {
		customers := strings.Join(e.Customers, ",")
		if e.CustomerCount == 0 {
			customers = "(all)"
		} else if e.CustomerCount > len(e.Customers) {
			customers += fmt.Sprintf(",… (%d)", e.CustomerCount)
		}
		fan := ""
		if e.Result != nil {
			fan = fmt.Sprintf("%d new, %d existing", e.Result.FannedOut, e.Result.AlreadyQueued)
			if e.Result.Coalesced > 0 {
				fan += fmt.Sprintf(", %d joined", e.Result.Coalesced)
			}
		}
		row(tw, when(e.ReceivedAt), e.State, e.Origin, e.DataType, e.Tenant, clip(customers, 30), e.Period, fan, e.TaskID, clip(e.LastError, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "page %d of %d, %d pushes\n", p.Page, pages(p.Total, p.PerPage), p.Total)
	return nil
}

func (c *cli) repair(args []string) error {
	fs := c.flags()
	dry := fs.Bool("dry-run", false, "only list the dangling task ids")
	if err := parse(fs, args); err != nil {
		return err
	}
	var a struct {
		DryRun   bool `json:"dry_run"`
		Dangling []struct {
			Queue  string `json:"queue"`
			State  string `json:"state"`
			TaskID string `json:"task_id"`
		} `json:"dangling"`
		Removed int `json:"removed"`
	}
	raw, err := c.call("POST", "/admin/api/repair", nil, map[string]bool{"dry_run": *dry}, &a)
	if err != nil || c.emit(raw) {
		return err
	}
	if len(a.Dangling) == 0 {
		fmt.Fprintln(c.out, "no dangling task ids: nothing to repair")
		return nil
	}
	tw := c.table("QUEUE", "STATE", "TASK ID")
	for _, d := range a.Dangling {
		row(tw, d.Queue, d.State, d.TaskID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if a.DryRun {
		fmt.Fprintf(c.out, "%d dangling task ids (dry run: nothing removed)\n", len(a.Dangling))
	} else {
		fmt.Fprintf(c.out, "removed %d dangling task ids\n", a.Removed)
	}
	return nil
}
