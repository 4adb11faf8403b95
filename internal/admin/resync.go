package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// OriginResync marks a push an operator asked for (tasks.Push.Origin).
const OriginResync = "resync"

type resyncRequest struct {
	TenantID      string          `json:"tenant_id"`
	DataType      string          `json:"data_type"`
	CustomerCodes json.RawMessage `json:"customer_codes"` // "c1,c2" or ["c1","c2"]; empty: every customer
	StartDate     string          `json:"start_date"`
	EndDate       string          `json:"end_date"`
}

type resyncResult struct {
	TaskID        string   `json:"task_id"`
	TenantID      string   `json:"tenant_id"`
	MsgID         string   `json:"msg_id"`
	DataType      string   `json:"data_type"`
	CustomerCodes []string `json:"customer_codes"` // empty: every customer getCustomers returns
	StartDate     string   `json:"start_date"`
	EndDate       string   `json:"end_date"`
	AlreadyQueued bool     `json:"already_queued"`
}

// codes reads customer_codes as a comma-separated string or an array.
func (r resyncRequest) codes() ([]string, error) {
	raw := strings.TrimSpace(string(r.CustomerCodes))
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(r.CustomerCodes, &s) == nil {
		return strings.Split(s, ","), nil
	}
	var list []string
	if json.Unmarshal(r.CustomerCodes, &list) == nil {
		return list, nil
	}
	return nil, fmt.Errorf("%w: customer_codes must be a string \"c1,c2\" or an array of strings", tasks.ErrInvalidData)
}

// POST /admin/api/resync: what a push would enqueue, for when 勤策 cannot push.
func (s *Server) resync(w http.ResponseWriter, r *http.Request) {
	var req resyncRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.resyncPush(req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	already, err := s.cfg.Enqueue(r.Context(), p)
	if err != nil {
		s.fail(w, r, fmt.Errorf("enqueue resync: %w", err))
		return
	}
	res := resyncResult{TaskID: tasks.PushTaskID(p.TenantID, p.MsgID), TenantID: p.TenantID, MsgID: p.MsgID,
		DataType: p.DataType, CustomerCodes: p.Data.CustomerCodes, StartDate: p.Data.StartDate,
		EndDate: p.Data.EndDate, AlreadyQueued: already}
	if res.CustomerCodes == nil {
		res.CustomerCodes = []string{}
	}
	s.cfg.Logger.Info().Str("task_id", res.TaskID).Str("tenant", p.TenantID).Str("data_type", p.DataType).
		Int("customers", len(p.Data.CustomerCodes)).Str("period", p.Data.StartDate+".."+p.Data.EndDate).Msg("admin: resync queued")
	writeJSON(w, http.StatusAccepted, res)
}

// resyncPush validates a resync exactly as a push is validated and builds
// the push it stands for.
func (s *Server) resyncPush(req resyncRequest) (tasks.Push, error) {
	tenant := strings.TrimSpace(req.TenantID)
	switch {
	case tenant == "" && s.cfg.DefaultTenant == "":
		return tasks.Push{}, errorf(http.StatusBadRequest, "tenant_id is required (or set KSF_TENANT_ID)")
	case tenant == "":
		tenant = s.cfg.DefaultTenant
	case s.cfg.DefaultTenant != "" && tenant != s.cfg.DefaultTenant:
		return tasks.Push{}, errorf(http.StatusBadRequest, "tenant %q is not this deployment's tenant (KSF_TENANT_ID)", tenant)
	}
	if !tasks.ValidDataType(req.DataType) {
		return tasks.Push{}, fmt.Errorf("%w %q: use %s or %s", errUnsupportedType, req.DataType, tasks.DataTypeStatement, tasks.DataTypeExpense)
	}
	codes, err := req.codes()
	if err != nil {
		return tasks.Push{}, err
	}
	data, err := tasks.NewPushData(codes, req.StartDate, req.EndDate)
	if err != nil {
		return tasks.Push{}, err
	}
	now := s.cfg.Now()
	return tasks.Push{
		TenantID:   tenant,
		MsgID:      tasks.ResyncMsgIDPrefix + strings.ReplaceAll(uuid.NewString(), "-", ""),
		DataType:   req.DataType,
		Timestamp:  strconv.FormatInt(now.UnixMilli(), 10),
		Data:       data,
		Origin:     OriginResync,
		ReceivedAt: now,
	}, nil
}

// enqueuePush is the default Config.Enqueue.
func (s *Server) enqueuePush(ctx context.Context, p tasks.Push) (bool, error) {
	task, err := tasks.NewPushTask(p)
	if err != nil {
		return false, err
	}
	_, err = s.client.EnqueueContext(ctx, task)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return true, nil
	}
	return false, err
}
