// Package asynqwire holds the asynq records ksfsync writes itself
// (github.com/hibiken/asynq v0.26; asynq keeps their formats in an internal
// package): a pending task the way asynq's Client writes it (its
// TaskMessage protobuf, keys and enqueue script), so that a Lua script of
// ours can queue a task and do more in the same round trip (replay.Guard
// records the push's signature there); and the scheduler entries and
// enqueue events the queue UI lists (scheduler.go). The known-answer tests
// compare what this package stores with what asynq.Client stores, byte for
// byte, and schedule's tests read the scheduler records back through
// asynq.Inspector, so an asynq upgrade that changes them fails the tests.
package asynqwire

import (
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// AllQueues is the set of queue names asynq's servers and Inspector list
// (base.AllQueues).
const AllQueues = "asynq:queues"

// TaskKey is the hash holding a task's message and state (base.TaskKey).
func TaskKey(queue, id string) string { return "asynq:{" + queue + "}:t:" + id }

// PendingKey is the list of a queue's pending task ids (base.PendingKey).
func PendingKey(queue string) string { return "asynq:{" + queue + "}:pending" }

// HashTag is the part of a key Redis Cluster hashes for queue: a key of ours
// holding it lies in the queue's slot and can be written by the same script.
func HashTag(queue string) string { return "{" + queue + "}" }

// Message is a task as asynq.Client.EnqueueContext builds it for an
// immediate enqueue with a TaskID, a queue, MaxRetry, Timeout and Retention
// (no deadline, no uniqueness, no group, no headers).
type Message struct {
	Type      string
	Payload   []byte
	ID        string
	Queue     string
	Retry     int
	Timeout   time.Duration // 0 = asynq's default, 30 min
	Retention time.Duration
}

// defaultTimeout is asynq's when neither a timeout nor a deadline is set.
const defaultTimeout = 30 * time.Minute

// Encode is the message as asynq's base.EncodeMessage marshals it: proto3,
// fields in the order of asynq.proto, zero values left out.
func (m Message) Encode() []byte {
	timeout := m.Timeout
	if timeout == 0 {
		timeout = defaultTimeout
	}
	b := make([]byte, 0, len(m.Payload)+len(m.Type)+2*len(m.ID)+len(m.Queue)+32)
	b = appendString(b, 1, m.Type)
	if len(m.Payload) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, m.Payload)
	}
	b = appendString(b, 3, m.ID)
	b = appendString(b, 4, m.Queue)
	b = appendVarint(b, 5, uint64(int32(m.Retry)))
	// The deadline asynq stores without one is time.Unix(0, 0).Unix() = 0.
	b = appendVarint(b, 8, uint64(int64(timeout.Seconds())))
	b = appendVarint(b, 12, uint64(int64(m.Retention.Seconds())))
	return b
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// EnqueueScript is asynq's enqueueCmd: KEYS[1] = TaskKey, KEYS[2] =
// PendingKey; ARGV[1] = the encoded message, ARGV[2] = the task id, ARGV[3]
// = now in Unix nanoseconds. 0 means the task id exists already. A script
// of ours that queues a task runs these same lines.
const EnqueueScript = `
if redis.call("EXISTS", KEYS[1]) == 1 then
	return 0
end
redis.call("HSET", KEYS[1],
           "msg", ARGV[1],
           "state", "pending",
           "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
return 1
`
