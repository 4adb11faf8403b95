package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// maxShownCodes bounds the customer codes shown per push (a push may name 5,000).
const maxShownCodes = 20

// pushEntry is one ksf:push task of the audit trail.
type pushEntry struct {
	TaskID        string            `json:"task_id"`
	State         string            `json:"state"` // pending, active, scheduled, retry, archived, completed
	Tenant        string            `json:"tenant,omitempty"`
	MsgID         string            `json:"msg_id,omitempty"`
	DataType      string            `json:"data_type,omitempty"`
	Origin        string            `json:"origin,omitempty"` // push, resync or schedule:{name}
	Status        string            `json:"status,omitempty"` // 勤策's status: "2" is its own retry
	CustomerCount int               `json:"customer_count"`   // 0: every customer
	Customers     []string          `json:"customers"`        // the first 20
	Period        string            `json:"period,omitempty"`
	ReceivedAt    *time.Time        `json:"received_at,omitempty"`
	CompletedAt   *time.Time        `json:"completed_at,omitempty"`
	LastError     string            `json:"last_error,omitempty"`
	LastFailedAt  *time.Time        `json:"last_failed_at,omitempty"`
	Retried       int               `json:"retried"`
	MaxRetry      int               `json:"max_retry"`
	NextProcessAt *time.Time        `json:"next_process_at,omitempty"`
	Result        *tasks.PushResult `json:"result,omitempty"` // the fan-out, once completed

	sortAt time.Time
}

func newPushEntry(t *asynq.TaskInfo) pushEntry {
	e := pushEntry{TaskID: t.ID, State: t.State.String(), LastError: t.LastErr, Retried: t.Retried,
		MaxRetry: t.MaxRetry, CompletedAt: shanghai(t.CompletedAt), LastFailedAt: shanghai(t.LastFailedAt),
		Customers: []string{}}
	if t.State != asynq.TaskStateCompleted && t.State != asynq.TaskStateActive {
		e.NextProcessAt = shanghai(t.NextProcessAt)
	}
	var p tasks.Push
	if json.Unmarshal(t.Payload, &p) == nil {
		e.Tenant, e.MsgID, e.DataType, e.Origin, e.Status = p.TenantID, p.MsgID, p.DataType, p.Origin, p.Status
		e.CustomerCount = len(p.Data.CustomerCodes)
		e.Customers = p.Data.CustomerCodes[:min(len(p.Data.CustomerCodes), maxShownCodes)]
		if p.Data.StartDate != "" {
			e.Period = p.Data.StartDate + ".." + p.Data.EndDate
		}
		e.ReceivedAt = shanghai(p.ReceivedAt)
		e.sortAt = p.ReceivedAt
	}
	if len(t.Result) > 0 {
		var res tasks.PushResult
		if json.Unmarshal(t.Result, &res) == nil {
			e.Result = &res
		}
	}
	for _, at := range []time.Time{t.CompletedAt, t.LastFailedAt, t.NextProcessAt} {
		if e.sortAt.IsZero() {
			e.sortAt = at
		}
	}
	return e
}

var pushStates = []string{"pending", "active", "scheduled", "retry", "archived", "completed"}

// GET /admin/api/pushes: the audit trail of what 勤策 (and operators) asked.
func (s *Server) listPushes(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	p, err := pageFrom(v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	state, tenant, dataType, origin := v.Get("state"), v.Get("tenant"), v.Get("data_type"), v.Get("origin")
	if state != "" && !slices.Contains(pushStates, state) {
		s.fail(w, r, errorf(http.StatusBadRequest, "state %q is not one of %v", state, pushStates))
		return
	}
	lists := map[string]func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		"pending": s.inspector.ListPendingTasks, "active": s.inspector.ListActiveTasks,
		"scheduled": s.inspector.ListScheduledTasks, "retry": s.inspector.ListRetryTasks,
		"archived": s.inspector.ListArchivedTasks, "completed": s.inspector.ListCompletedTasks,
	}
	var all []pushEntry
	for _, st := range pushStates {
		if state != "" && st != state {
			continue
		}
		for page := 1; ; page++ {
			infos, err := lists[st](tasks.QueuePush, asynq.Page(page), asynq.PageSize(listPageSize))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, t := range infos {
				e := newPushEntry(t)
				if (tenant == "" || e.Tenant == tenant) && (dataType == "" || e.DataType == dataType) && originMatches(e.Origin, origin) {
					all = append(all, e)
				}
			}
			if len(infos) < listPageSize {
				break
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].sortAt.Equal(all[j].sortAt) {
			return all[i].sortAt.After(all[j].sortAt)
		}
		return all[i].TaskID < all[j].TaskID
	})
	writeJSON(w, http.StatusOK, paginate(all, p))
}

// originMatches: "" matches all, "schedule" every scheduled run, anything
// else exactly (push, resync, schedule:monthly-close).
func originMatches(origin, want string) bool {
	if origin == "" {
		origin = tasks.OriginPush // pushes queued before origins were recorded
	}
	switch want {
	case "":
		return true
	case "schedule":
		return strings.HasPrefix(origin, tasks.OriginSchedulePrefix)
	}
	return origin == want
}
