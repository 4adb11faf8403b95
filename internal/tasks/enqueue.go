package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/asynqwire"
)

// Push origins.
const (
	OriginPush   = "push"   // 勤策 pushed it
	OriginResync = "resync" // an operator asked for it
	// OriginSchedulePrefix + the schedule's name: a scheduled run. Its MsgID
	// is the run id, schedule:{tenantId}:{name}:{start}:{end}.
	OriginSchedulePrefix = "schedule:"
)

// MsgID prefixes of the pushes ksfsync makes itself (the run history tells
// their origin by them).
const (
	ResyncMsgIDPrefix   = "resync-"   // + a random id: an operator's resync
	ScheduleRunIDPrefix = "schedule:" // + {tenantId}:{name}:{start}:{end}: a scheduled run
)

// ScheduleOrigin is the origin of a run of the schedule named name.
func ScheduleOrigin(name string) string { return OriginSchedulePrefix + name }

// Scheduled reports whether p is a scheduled run.
func (p Push) Scheduled() bool { return strings.HasPrefix(p.Origin, OriginSchedulePrefix) }

// TaskID is the ksf:push TaskID of p: push:{tenantId}:{msgId} for a push or a
// resync; for a scheduled run, its run id and the data type (one run may ask
// for both data types, each its own ksf:push).
func (p Push) TaskID() string {
	if p.Scheduled() {
		return p.MsgID + ":" + p.DataType
	}
	return PushTaskID(p.TenantID, p.MsgID)
}

// ErrInvalidPush: the push lacks what its task ID or kind needs; nothing was
// enqueued.
var ErrInvalidPush = errors.New("invalid push")

// Enqueue queues p as its one ksf:push task (queue "push", TaskID
// p.TaskID(), retained PushRetention after completion) and
// returns once Redis holds it. alreadyQueued is true when the task exists
// already, in any state (pending, active, retrying, completed or archived):
// the push was taken before and nothing is added. Any other error means the
// push is not stored; the caller should make the sender retry.
//
// ctx bounds the Redis round trip. A zero ReceivedAt is set to now, an empty
// Origin to OriginPush. The receiver and the operators' resync both call it,
// so a resync enqueues exactly what a push would.
func Enqueue(ctx context.Context, c *asynq.Client, p Push) (alreadyQueued bool, err error) {
	if p, err = p.prepare(); err != nil {
		return false, err
	}
	task, err := NewPushTask(p)
	if err != nil {
		return false, err
	}
	_, err = c.EnqueueContext(ctx, task)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("enqueue %s: %w", p.TaskID(), err)
	}
	return false, nil
}

// prepare checks p as every enqueue of a push must (ErrInvalidPush) and
// fills its defaults: ReceivedAt now, Origin OriginPush.
func (p Push) prepare() (Push, error) {
	switch {
	case p.TenantID == "":
		return p, fmt.Errorf("%w: tenant id is empty", ErrInvalidPush)
	case p.MsgID == "":
		return p, fmt.Errorf("%w: msgId is empty", ErrInvalidPush)
	case !ValidDataType(p.DataType):
		return p, fmt.Errorf("%w: data type %q", ErrInvalidPush, p.DataType)
	}
	if p.ReceivedAt.IsZero() {
		p.ReceivedAt = time.Now()
	}
	if p.Origin == "" {
		p.Origin = OriginPush
	}
	return p, nil
}

// PushMessage is the ksf:push task Enqueue would queue for p, as asynq
// stores it, for a script that queues it itself in the same round trip as
// other work (replay.Guard). p is checked and defaulted as Enqueue does.
func PushMessage(p Push) (asynqwire.Message, error) {
	p, err := p.prepare()
	if err != nil {
		return asynqwire.Message{}, err
	}
	b, err := encodePush(p)
	if err != nil {
		return asynqwire.Message{}, fmt.Errorf("encode push payload: %w", err)
	}
	return asynqwire.Message{Type: TypePush, Payload: b, ID: p.TaskID(), Queue: QueuePush,
		Retry: pushMaxRetry, Timeout: PushTimeout, Retention: PushRetention}, nil
}
