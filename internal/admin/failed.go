package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// States of a failed job in the merged view.
const (
	StateArchived = "archived" // asynq gave up; the task is in its archive
	StateRetry    = "retry"    // asynq will retry it
	StateDropped  = "dropped"  // asynq no longer has it; only the failure record remains
	StateReplayed = "replayed" // replayed since its last failure (hidden unless asked for)
)

// defaultStates are what "failed jobs" means when no state is asked for.
var defaultStates = []string{StateArchived, StateRetry, StateDropped}

// queues are the queues ksfsync uses.
var queues = tasks.Queues

// listPageSize is how many tasks to read from asynq at once.
const listPageSize = 500

// query is a filter of failed jobs: the record filter plus states.
type query struct {
	failures.Filter
	State string `json:"state,omitempty"` // comma-separated states, or "all"
}

func (q query) isZero() bool { return q.Filter.IsZero() && q.State == "" }

// states returns the states q selects.
func (q query) states() ([]string, error) {
	if q.State == "" {
		return defaultStates, nil
	}
	var out []string
	for st := range strings.SplitSeq(q.State, ",") {
		switch st = strings.TrimSpace(st); st {
		case "all":
			return []string{StateArchived, StateRetry, StateDropped, StateReplayed}, nil
		case StateArchived, StateRetry, StateDropped, StateReplayed:
			out = append(out, st)
		default:
			return nil, errorf(http.StatusBadRequest, "state %q is not one of archived, retry, dropped, replayed, all", st)
		}
	}
	return out, nil
}

// failedJob is one failed job as the API shows it.
type failedJob struct {
	TaskID        string     `json:"task_id"`
	Kind          string     `json:"kind"`
	Queue         string     `json:"queue"`
	State         string     `json:"state"`
	Tenant        string     `json:"tenant,omitempty"`
	MsgID         string     `json:"msg_id,omitempty"`
	DataType      string     `json:"data_type,omitempty"`
	Customer      string     `json:"customer,omitempty"`
	StartDate     string     `json:"start_date,omitempty"`
	EndDate       string     `json:"end_date,omitempty"`
	Period        string     `json:"period,omitempty"`
	LastError     string     `json:"last_error"`
	Retried       int        `json:"retried"`
	MaxRetry      int        `json:"max_retry"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`
	NextProcessAt *time.Time `json:"next_process_at,omitempty"`
	ReplayedAt    *time.Time `json:"replayed_at,omitempty"`
	ReplayCount   int        `json:"replay_count"`
	Recorded      bool       `json:"recorded"` // a durable failure record exists
}

// item is a failed job while it is being collected.
type item struct {
	rec      failures.Record
	state    string
	next     time.Time
	recorded bool
}

func (it item) job() failedJob {
	r := it.rec
	j := failedJob{TaskID: r.TaskID, Kind: r.Kind, Queue: r.Queue, State: it.state, Tenant: r.TenantID,
		MsgID: r.MsgID, DataType: r.DataType, Customer: r.CustomerCode, StartDate: r.StartDate, EndDate: r.EndDate,
		LastError: r.LastError, Retried: r.Retried, MaxRetry: r.MaxRetry, ReplayCount: r.ReplayCount,
		FailedAt: shanghai(r.FailedAt), NextProcessAt: shanghai(it.next), Recorded: it.recorded}
	if r.ReplayedAt != nil {
		j.ReplayedAt = shanghai(*r.ReplayedAt)
	}
	if r.StartDate != "" {
		j.Period = r.StartDate + ".." + r.EndDate
	}
	return j
}

// shanghai shows times the way the operators (and 勤策) read them.
func shanghai(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(tz.Shanghai)
	return &t
}

// asynqFailed reads every archived and retry task of the queues.
func (s *Server) asynqFailed(queues []string) (map[string]item, error) {
	out := make(map[string]item)
	for _, q := range queues {
		for _, st := range []string{StateArchived, StateRetry} {
			list := s.inspector.ListArchivedTasks
			if st == StateRetry {
				list = s.inspector.ListRetryTasks
			}
			for page := 1; ; page++ {
				infos, err := list(q, asynq.Page(page), asynq.PageSize(listPageSize))
				if errors.Is(err, asynq.ErrQueueNotFound) {
					break // never used: nothing failed there
				}
				if err != nil {
					return nil, err
				}
				for _, t := range infos {
					out[t.ID] = item{rec: failures.FromTaskInfo(t), state: st, next: t.NextProcessAt}
				}
				if len(infos) < listPageSize {
					break
				}
			}
		}
	}
	return out, nil
}

// collect returns the failed jobs matching q, newest failure first: asynq's
// archived and retry tasks merged with the durable records by task id.
func (s *Server) collect(ctx context.Context, q query) ([]item, error) {
	f, err := q.Filter.Normalize()
	if err != nil {
		return nil, err
	}
	states, err := q.states()
	if err != nil {
		return nil, err
	}
	qs := queues
	if f.Queue != "" {
		qs = []string{f.Queue}
	}
	// Every failed task asynq has, unfiltered: a record whose task is still
	// in asynq must not be shown as dropped because the task's own fields
	// did not match.
	inAsynq, err := s.asynqFailed(qs)
	if err != nil {
		return nil, err
	}
	var out []item
	err = s.cfg.Failures.Scan(ctx, f, func(r failures.Record) error {
		if it, ok := inAsynq[r.TaskID]; ok {
			it.recorded = true
			it.rec.ReplayedAt, it.rec.ReplayCount = r.ReplayedAt, r.ReplayCount
			inAsynq[r.TaskID] = it
			return nil
		}
		it := item{rec: r, state: StateDropped, recorded: true}
		if r.Replayed() {
			it.state = StateReplayed
		}
		if slices.Contains(states, it.state) {
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, it := range inAsynq {
		if slices.Contains(states, it.state) && f.Match(it.rec) {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].rec, out[j].rec
		if !a.FailedAt.Equal(b.FailedAt) {
			return a.FailedAt.After(b.FailedAt)
		}
		return a.TaskID < b.TaskID
	})
	return out, nil
}

// queryFrom reads a filter from the URL query.
func queryFrom(v url.Values) query {
	return query{Filter: failures.Filter{Kind: v.Get("kind"), Queue: v.Get("queue"), TenantID: v.Get("tenant"),
		CustomerCode: v.Get("customer"), Start: v.Get("start"), End: v.Get("end"), Query: v.Get("q")}, State: v.Get("state")}
}

func pageFrom(v url.Values) (failures.Page, error) {
	var p failures.Page
	for _, x := range []struct {
		name string
		dst  *int
	}{{"page", &p.Number}, {"per_page", &p.Size}} {
		if s := v.Get(x.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return p, errorf(http.StatusBadRequest, "%s %q is not a positive number", x.name, s)
			}
			*x.dst = n
		}
	}
	return p.Normalize(), nil
}

// pageOf is one page of a listing.
type pageOf[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func paginate[T any](all []T, p failures.Page) pageOf[T] {
	out := pageOf[T]{Items: []T{}, Total: len(all), Page: p.Number, PerPage: p.Size}
	if off := p.Offset(); off < len(all) {
		out.Items = all[off:min(off+p.Size, len(all))]
	}
	return out
}

// GET /admin/api/failed
func (s *Server) listFailed(w http.ResponseWriter, r *http.Request) {
	p, err := pageFrom(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.collect(r.Context(), queryFrom(r.URL.Query()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	jobs := make([]failedJob, len(items))
	for i, it := range items {
		jobs[i] = it.job()
	}
	writeJSON(w, http.StatusOK, paginate(jobs, p))
}

// find locates a task id in asynq (any state) and in the failure records.
// queue is the record's queue if known, else every ksfsync queue is tried.
func (s *Server) find(ctx context.Context, id string) (info *asynq.TaskInfo, rec *failures.Record, err error) {
	r, err := s.cfg.Failures.Get(ctx, id)
	switch {
	case err == nil:
		rec = &r
	case !errors.Is(err, failures.ErrNotFound):
		return nil, nil, err
	}
	qs := queues
	if rec != nil && rec.Queue != "" {
		qs = []string{rec.Queue}
	}
	for _, q := range qs {
		t, err := s.inspector.GetTaskInfo(q, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return t, rec, nil
	}
	return nil, rec, nil
}

func failedState(t *asynq.TaskInfo) bool {
	return t != nil && (t.State == asynq.TaskStateArchived || t.State == asynq.TaskStateRetry)
}

// DELETE /admin/api/failed/{task_id}
func (s *Server) deleteFailed(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "*")
	if id == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "task id missing: DELETE %s/failed/<task_id>", APIPath))
		return
	}
	info, rec, err := s.find(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if info == nil && rec == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "no failed job with task id %q", id))
		return
	}
	if info != nil && !failedState(info) && rec == nil {
		s.fail(w, r, errorf(http.StatusConflict, "task %q is %s, not failed: nothing deleted", id, info.State))
		return
	}
	res := struct {
		TaskID      string `json:"task_id"`
		FromAsynq   bool   `json:"deleted_from_asynq"`
		FromRecords bool   `json:"deleted_record"`
	}{TaskID: id}
	// A replayed task now pending or running is left alone; only its
	// failure record goes.
	if failedState(info) {
		if err := s.inspector.DeleteTask(info.Queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			s.fail(w, r, err)
			return
		}
		res.FromAsynq = true
	}
	if rec != nil {
		if err := s.cfg.Failures.Delete(r.Context(), id); err != nil && !errors.Is(err, failures.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		res.FromRecords = true
	}
	s.cfg.Logger.Info().Str("task_id", id).Bool("from_asynq", res.FromAsynq).Bool("record", res.FromRecords).Msg("admin: failed job deleted")
	writeJSON(w, http.StatusOK, res)
}
