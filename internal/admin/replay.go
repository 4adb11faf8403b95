package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// maxReplayDetails bounds the per-task lines of a replay answer.
const maxReplayDetails = 1000

type replayRequest struct {
	TaskIDs []string `json:"task_ids,omitempty"`
	Filter  *query   `json:"filter,omitempty"`
	All     bool     `json:"all,omitempty"`
	DryRun  bool     `json:"dry_run,omitempty"`
}

// How a job is replayed.
const (
	viaRun       = "run"       // asynq still has it: Inspector.RunTask moves it to pending
	viaReenqueue = "reenqueue" // asynq dropped it: a new task from the record's payload
	viaSkip      = "skip"      // nothing to do (see note)
)

type replayAction struct {
	TaskID    string `json:"task_id"`
	Kind      string `json:"kind"`
	State     string `json:"state,omitempty"`
	Action    string `json:"action"`
	NewTaskID string `json:"new_task_id,omitempty"`
	Note      string `json:"note,omitempty"`

	queue string
	rec   *failures.Record
}

type replayResult struct {
	Matched int            `json:"matched"`
	Queued  int            `json:"queued"`
	DryRun  bool           `json:"dry_run"`
	Errors  []string       `json:"errors"`
	Tasks   []replayAction `json:"tasks"`
	// TasksTruncated: more than maxReplayDetails tasks; counts are complete.
	TasksTruncated bool `json:"tasks_truncated,omitempty"`
}

// POST /admin/api/replay
func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	var req replayRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	plan, errs, err := s.plan(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := replayResult{Matched: len(plan), DryRun: req.DryRun, Errors: errs}
	for i := range plan {
		a := &plan[i]
		if !req.DryRun && a.Action != viaSkip {
			if err := s.execute(r.Context(), a); err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", a.TaskID, err))
				a.Action, a.Note = viaSkip, "failed: "+err.Error()
			}
		}
		if a.Action != viaSkip {
			res.Queued++
		}
	}
	res.Tasks = plan
	if len(plan) > maxReplayDetails {
		res.Tasks, res.TasksTruncated = plan[:maxReplayDetails], true
	}
	if res.Errors == nil {
		res.Errors = []string{}
	}
	if res.Tasks == nil {
		res.Tasks = []replayAction{}
	}
	if !req.DryRun {
		s.cfg.Logger.Info().Int("matched", res.Matched).Int("queued", res.Queued).Int("errors", len(res.Errors)).
			Strs("task_ids", req.TaskIDs).Bool("all", req.All).Interface("filter", req.Filter).Msg("admin: replay")
	}
	writeJSON(w, http.StatusOK, res)
}

// plan decides what a replay does to each job, without doing it; a dry run
// answers the plan, so its counts are the real run's.
func (s *Server) plan(ctx context.Context, req replayRequest) ([]replayAction, []string, error) {
	hasFilter := req.Filter != nil && !req.Filter.isZero()
	switch {
	case len(req.TaskIDs) > 0 && (hasFilter || req.All):
		return nil, nil, errorf(http.StatusBadRequest, "give task_ids, filter or all, not several")
	case hasFilter && req.All:
		return nil, nil, errorf(http.StatusBadRequest, `"all" replays every failed job: drop the filter, or drop "all"`)
	case len(req.TaskIDs) == 0 && !hasFilter && !req.All:
		return nil, nil, errorf(http.StatusBadRequest,
			`nothing selected: give task_ids or a non-empty filter; to replay every failed job send {"all": true} (try "dry_run": true first)`)
	}
	if len(req.TaskIDs) > 0 {
		return s.planIDs(ctx, req.TaskIDs)
	}
	q := query{}
	if hasFilter {
		q = *req.Filter
	}
	items, err := s.collect(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	plan := make([]replayAction, 0, len(items))
	for _, it := range items {
		a := replayAction{TaskID: it.rec.TaskID, Kind: it.rec.Kind, State: it.state, queue: it.rec.Queue}
		if it.recorded {
			rec := it.rec
			a.rec = &rec
		}
		if it.state == StateArchived || it.state == StateRetry {
			a.Action = viaRun
		} else if err := s.planRecord(&a); err != nil {
			return nil, nil, err
		}
		plan = append(plan, a)
	}
	return plan, nil, nil
}

func (s *Server) planIDs(ctx context.Context, ids []string) ([]replayAction, []string, error) {
	var plan []replayAction
	var errs []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id == "" || seen[id] {
			continue
		}
		seen[id] = true
		info, rec, err := s.find(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case failedState(info):
			a := replayAction{TaskID: id, Kind: info.Type, State: info.State.String(), Action: viaRun, queue: info.Queue, rec: rec}
			plan = append(plan, a)
		case rec != nil:
			a := replayAction{TaskID: id, Kind: rec.Kind, State: StateDropped, queue: rec.Queue, rec: rec}
			if rec.Replayed() {
				a.State = StateReplayed
			}
			if err := s.planRecord(&a); err != nil {
				return nil, nil, err
			}
			plan = append(plan, a)
		case info != nil:
			errs = append(errs, fmt.Sprintf("%s: task is %s, not failed", id, info.State))
		default:
			errs = append(errs, fmt.Sprintf("%s: no failed job with this task id", id))
		}
	}
	if len(plan) == 0 && len(errs) > 0 {
		return nil, nil, errorf(http.StatusNotFound, "nothing to replay: %s", strings.Join(errs, "; "))
	}
	return plan, errs, nil
}

// planRecord plans a job asynq no longer holds as failed: re-enqueue from
// its record, unless the task is back in asynq (re-run from the queue UI).
func (s *Server) planRecord(a *replayAction) error {
	info, err := s.inspector.GetTaskInfo(a.queue, a.TaskID)
	switch {
	case err == nil && failedState(info):
		a.Action = viaRun // failed again between the listing and now
		return nil
	case err == nil:
		a.Action, a.Note = viaSkip, fmt.Sprintf("the task is %s in asynq already", info.State)
		return nil
	case !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound):
		return err
	}
	if a.rec == nil || len(a.rec.Payload) == 0 {
		a.Action, a.Note = viaSkip, "no payload recorded to re-enqueue from"
		return nil
	}
	a.Action, a.NewTaskID = viaReenqueue, fmt.Sprintf("%s:replay:%d", a.TaskID, a.rec.ReplayCount+1)
	return nil
}

// execute carries out one planned replay and notes it in the record.
func (s *Server) execute(ctx context.Context, a *replayAction) error {
	switch a.Action {
	case viaRun:
		if err := s.inspector.RunTask(a.queue, a.TaskID); err != nil {
			return err
		}
	case viaReenqueue:
		task, err := rebuild(*a.rec)
		if err != nil {
			return err
		}
		_, err = s.client.EnqueueContext(ctx, task, asynq.TaskID(a.NewTaskID), asynq.Queue(a.rec.Queue))
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			a.Note = "already queued by an earlier replay"
		} else if err != nil {
			return err
		}
	}
	if a.rec != nil {
		if _, err := s.cfg.Failures.MarkReplayed(ctx, a.TaskID, s.cfg.Now()); err != nil && !errors.Is(err, failures.ErrNotFound) {
			return fmt.Errorf("replayed, but noting it in the failure record failed: %w", err)
		}
	}
	return nil
}

// rebuild makes the task of a record with its kind's usual options (retry
// budget, timeout, retention); the caller sets the new TaskID.
func rebuild(r failures.Record) (*asynq.Task, error) {
	bad := func(err error) error { return fmt.Errorf("recorded %s payload unreadable: %w", r.Kind, err) }
	switch r.Kind {
	case tasks.TypePush:
		var p tasks.Push
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return nil, bad(err)
		}
		return tasks.NewPushTask(p)
	case tasks.TypeStatement, tasks.TypeExpense:
		var sy tasks.Sync
		if err := json.Unmarshal(r.Payload, &sy); err != nil {
			return nil, bad(err)
		}
		return tasks.NewSyncTask(sy)
	case tasks.TypeReport:
		var rp tasks.Report
		if err := json.Unmarshal(r.Payload, &rp); err != nil {
			return nil, bad(err)
		}
		return tasks.NewReportTask(rp)
	}
	opts := []asynq.Option{asynq.Queue(r.Queue)}
	if r.MaxRetry > 0 {
		opts = append(opts, asynq.MaxRetry(r.MaxRetry))
	}
	return asynq.NewTask(r.Kind, r.Payload, opts...), nil
}
