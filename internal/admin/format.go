package admin

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// FormatPayload shows a ksfsync payload in the queue UI as
// "tenant=… customer=… period=start..end dataType=…" (a push's customers
// abbreviated after 5, a report's reason appended); other payloads as they are.
func FormatPayload(kind string, payload []byte) string {
	switch kind {
	case tasks.TypePush, tasks.TypeStatement, tasks.TypeExpense, tasks.TypeReport:
	default:
		return raw(payload)
	}
	r := failures.Record{Payload: payload}
	r.Describe()
	if r.TenantID == "" && r.DataType == "" {
		return raw(payload)
	}
	customers := r.CustomerCode
	if codes := r.Customers(); len(codes) > 5 {
		customers = fmt.Sprintf("%s,… (%d)", strings.Join(codes[:5], ","), len(codes))
	} else if customers == "" {
		customers = "(all)"
	}
	s := fmt.Sprintf("tenant=%s customer=%s period=%s..%s dataType=%s msgId=%s",
		r.TenantID, customers, r.StartDate, r.EndDate, r.DataType, r.MsgID)
	if kind == tasks.TypeReport {
		var rep tasks.Report
		if json.Unmarshal(payload, &rep) == nil && rep.Reason != "" {
			s += " reason=" + rep.Reason
		}
	}
	return s
}

// FormatResult shows a ksf:push result (the fan-out) readably.
func FormatResult(kind string, result []byte) string {
	if kind == tasks.TypePush && len(result) > 0 {
		var res tasks.PushResult
		if json.Unmarshal(result, &res) == nil {
			return fmt.Sprintf("customers=%d fanned_out=%d already_queued=%d all_customers=%t kind=%s",
				res.Customers, res.FannedOut, res.AlreadyQueued, res.AllCustomers, res.Kind)
		}
	}
	return raw(result)
}

func raw(b []byte) string {
	if !json.Valid(b) && !isText(b) {
		return "non-printable bytes"
	}
	return string(b)
}

func isText(b []byte) bool {
	for _, r := range string(b) {
		if r == '\uFFFD' || (r < ' ' && r != '\n' && r != '\t' && r != '\r') {
			return false
		}
	}
	return true
}
