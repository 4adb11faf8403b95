package asynqwire

import (
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// The records asynq's Scheduler writes and the queue UI (asynqmon) reads on
// its Schedulers page: schedule.Scheduler publishes its schedules in them.
// schedule's TestQueueUISchedulerEntries reads them back through asynq.Inspector.

// AllSchedulers is the sorted set of schedulers' entry lists, scored by
// expiry (base.AllSchedulers).
const AllSchedulers = "asynq:schedulers"

// SchedulerEntriesKey is a scheduler's list of encoded entries
// (base.SchedulerEntriesKey).
func SchedulerEntriesKey(schedulerID string) string { return "asynq:schedulers:{" + schedulerID + "}" }

// SchedulerHistoryKey is an entry's sorted set of encoded enqueue events
// (base.SchedulerHistoryKey).
func SchedulerHistoryKey(entryID string) string { return "asynq:scheduler_history:" + entryID }

// SchedulerEntry is asynq's SchedulerEntry message.
type SchedulerEntry struct {
	ID, Spec, TaskType string
	Payload            []byte
	Options            []string // as asynq prints them, e.g. Queue("push")
	Next, Prev         time.Time
}

// Encode marshals e: id 1, spec 2, task_type 3, task_payload 4,
// enqueue_options 5 (repeated), next_enqueue_time 6, prev_enqueue_time 7
// (google.protobuf.Timestamp).
func (e SchedulerEntry) Encode() []byte {
	var b []byte
	b = appendString(b, 1, e.ID)
	b = appendString(b, 2, e.Spec)
	b = appendString(b, 3, e.TaskType)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, e.Payload)
	for _, o := range e.Options {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendString(b, o)
	}
	b = protowire.AppendTag(b, 6, protowire.BytesType)
	b = protowire.AppendBytes(b, timestamp(e.Next))
	b = protowire.AppendTag(b, 7, protowire.BytesType)
	return protowire.AppendBytes(b, timestamp(e.Prev))
}

// EncodeEnqueueEvent is asynq's SchedulerEnqueueEvent: task_id 1,
// enqueue_time 2.
func EncodeEnqueueEvent(taskID string, at time.Time) []byte {
	b := appendString(nil, 1, taskID)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, timestamp(at))
}

// timestamp is a google.protobuf.Timestamp: seconds 1, nanos 2; the zero
// time as asynq writes it (timestamppb.New of time.Time{}).
func timestamp(t time.Time) []byte {
	b := appendVarint(nil, 1, uint64(t.Unix()))
	return appendVarint(b, 2, uint64(t.Nanosecond()))
}
