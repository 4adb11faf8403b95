// Package tasks defines the asynq task kinds ksfsync queues, their payloads
// and enqueue options (the contract between receiver, worker and operators),
// and the handlers that process them.
package tasks

import (
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task kinds (asynq type names). Dashboards and operators depend on them.
const (
	TypePush      = "ksf:push"      // one per accepted push, queue "push"
	TypeStatement = "ksf:statement" // one per customer of a ksf_statement push, queue "sync" or "interactive"
	TypeExpense   = "ksf:expense"   // one per customer of a ksf_expense push, queue "sync" or "interactive"
	TypeReport    = "ksf:report"    // a save*Error call that must itself be retried, queue "report"
)

// Queues.
const (
	QueuePush   = "push"
	QueueSync   = "sync" // bulk sync work: large pushes, every customer, scheduled runs
	QueueReport = "report"
	// QueueInteractive holds the sync tasks of small pushes and resyncs
	// (SyncQueue): a person is waiting for them, so workers serve it first.
	QueueInteractive = "interactive"
)

// Queues is every queue ksfsync uses, for code that lists, captures or
// exports them all.
var Queues = []string{QueuePush, QueueInteractive, QueueSync, QueueReport}

// Data types 勤策 pushes.
const (
	DataTypeStatement = "ksf_statement"
	DataTypeExpense   = "ksf_expense"
)

// PushRetention keeps a completed ksf:push task as the audit trail of what
// 勤策 asked (DESIGN: at least 7 days), and longer than 勤策's 10 days of
// retries, so a late retry of a push is still recognised as already queued.
const PushRetention = 11 * 24 * time.Hour

// ValidDataType reports whether dt is a data type ksfsync handles.
func ValidDataType(dt string) bool { return dt == DataTypeStatement || dt == DataTypeExpense }

// SyncKind is the task kind that builds one customer's statement of dataType.
func SyncKind(dataType string) string {
	if dataType == DataTypeExpense {
		return TypeExpense
	}
	return TypeStatement
}

// PushData is the validated `data` field of a push.
type PushData struct {
	// CustomerCodes trimmed, empties and duplicates dropped, in push order.
	// Empty means every customer getCustomers returns.
	CustomerCodes []string `json:"customer_codes"`
	StartDate     string   `json:"start_date"` // yyyy-MM-dd
	EndDate       string   `json:"end_date"`   // yyyy-MM-dd, >= StartDate
}

// Push is the payload of a ksf:push task: every push field but the digest.
type Push struct {
	TenantID    string   `json:"tenant_id"`
	MsgID       string   `json:"msg_id"`
	DataID      string   `json:"data_id,omitempty"`
	DataVersion string   `json:"data_version,omitempty"`
	DataFormat  string   `json:"data_format,omitempty"`
	DataSource  string   `json:"data_source,omitempty"`
	DataType    string   `json:"data_type"`
	Status      string   `json:"status,omitempty"`      // "0" first sync, "2" a retry by 勤策
	StatusTime  string   `json:"status_time,omitempty"` // last failure, yyyy-MM-dd HH:mm:ss
	Timestamp   string   `json:"timestamp"`             // epoch ms as sent
	Data        PushData `json:"data"`
	// Origin is "push" for 勤策 pushes, "resync" for an operator's manual
	// resync, "schedule:{name}" for a scheduled run.
	Origin     string    `json:"origin,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// PushTaskID is the TaskID of a push: the same tenant + msgId is one task,
// so 勤策's retries are recognised as already queued.
func PushTaskID(tenantID, msgID string) string { return "push:" + tenantID + ":" + msgID }

// pushMaxRetry is asynq's default, named so that NewPushTask and
// PushMessage agree.
const pushMaxRetry = 25

// NewPushTask returns the ksf:push task for p with its enqueue options
// (PushMessage is the same task as asynq stores it).
func NewPushTask(p Push) (*asynq.Task, error) {
	b, err := encodePush(p)
	if err != nil {
		return nil, fmt.Errorf("encode push payload: %w", err)
	}
	return asynq.NewTask(TypePush, b,
		asynq.TaskID(p.TaskID()),
		asynq.Queue(QueuePush),
		asynq.Retention(PushRetention),
		asynq.MaxRetry(pushMaxRetry),
		asynq.Timeout(PushTimeout),
	), nil
}

// Sync is the payload of a ksf:statement / ksf:expense task: one customer's
// statement for one period, asked by one push.
type Sync struct {
	TenantID     string `json:"tenant_id"`
	MsgID        string `json:"msg_id"`
	DataType     string `json:"data_type"`
	CustomerCode string `json:"customer_code"`
	StartDate    string `json:"start_date"`
	EndDate      string `json:"end_date"`
}

// Kind is the task kind of s.
func (s Sync) Kind() string { return SyncKind(s.DataType) }

// SyncTaskID derives the TaskID from the push and the customer, so re-running
// a fan-out after a crash adds nothing twice.
func SyncTaskID(tenantID, msgID, dataType, customerCode string) string {
	return "sync:" + tenantID + ":" + msgID + ":" + dataType + ":" + customerCode
}

// Report is the payload of a ksf:report task: a save*Error call to repeat
// for the sync job it names (its fields flattened into the same JSON).
type Report struct {
	Sync
	Reason     string `json:"reason"` // at most 100 characters
	SyncTaskID string `json:"sync_task_id,omitempty"`
}

// ReportTaskID is one report per failed sync task.
func ReportTaskID(syncTaskID string) string { return "report:" + syncTaskID }

// PushResult is what the ksf:push handler writes as the task's result
// (asynq ResultWriter), kept with the completed task for the audit trail.
type PushResult struct {
	Customers     int `json:"customers"`      // customers the push resolved to
	FannedOut     int `json:"fanned_out"`     // sync tasks newly enqueued
	AlreadyQueued int `json:"already_queued"` // sync tasks that existed already (re-run fan-out)
	// Coalesced customers were not queued again: a job of another request for
	// the same customer, kind and period was still waiting (see Coalescer).
	Coalesced    int    `json:"coalesced,omitempty"`
	AllCustomers bool   `json:"all_customers"` // the push named no customer: getCustomers was used
	Kind         string `json:"kind"`          // ksf:statement or ksf:expense
	Queue        string `json:"queue"`         // the sync tasks' lane: interactive or sync
}
