package asynqwire_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/asynqwire"
	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

const testDB = 4 // this package's database on the real test server

func setup(t *testing.T) (redis.UniversalClient, *asynq.Client) {
	t.Helper()
	rd := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.Client, asynq.NewClientFromRedisClient(conn.Client)
}

// TestEncodeAsAsynq: for every option this package models, the message
// asynq.Client stores is byte for byte the one Encode returns.
func TestEncodeAsAsynq(t *testing.T) {
	t.Parallel()
	rdb, client := setup(t)
	run := time.Now().Format("150405.000000000")
	for i, m := range []asynqwire.Message{
		{Type: "ksf:push", Payload: []byte(`{"tenant_id":"t","msg_id":"m"}`), Queue: "push", Retry: 25,
			Timeout: 5 * time.Minute, Retention: 11 * 24 * time.Hour},
		{Type: "k", Payload: []byte("x"), Queue: "q"},                                   // asynq's defaults: no retry, 30 min timeout
		{Type: "kind with 中文", Queue: "default", Retry: 300, Timeout: 90 * time.Second}, // no payload, longer varints
		{Type: "k", Payload: bytes.Repeat([]byte("p"), 70_000), Queue: "push", Retry: 1, Retention: time.Second},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			m.ID = "wire-" + run + "-" + fmt.Sprint(i)
			opts := []asynq.Option{asynq.TaskID(m.ID), asynq.Queue(m.Queue), asynq.MaxRetry(m.Retry)}
			if m.Timeout != 0 {
				opts = append(opts, asynq.Timeout(m.Timeout))
			}
			if m.Retention != 0 {
				opts = append(opts, asynq.Retention(m.Retention))
			}
			if _, err := client.Enqueue(asynq.NewTask(m.Type, m.Payload), opts...); err != nil {
				t.Fatal(err)
			}
			stored, err := rdb.HGet(context.Background(), asynqwire.TaskKey(m.Queue, m.ID), "msg").Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Encode(); !bytes.Equal(got, stored) {
				t.Errorf("Encode = %x\nasynq stored %x", got, stored)
			}
		})
	}
}

// TestEnqueueScriptAsAsynq: a task written by EnqueueScript is the task
// asynq's Client writes (same hash fields, same pending list entry), asynq's
// Inspector reads it back as written, and its id cannot be queued twice.
func TestEnqueueScriptAsAsynq(t *testing.T) {
	t.Parallel()
	rdb, client := setup(t)
	ctx := context.Background()
	queue := "wire-" + time.Now().Format("150405.000000000") // a queue of this test's own
	m := asynqwire.Message{Type: "ksf:push", Payload: []byte(`{"a":1}`), ID: "ours", Queue: queue, Retry: 25,
		Timeout: 5 * time.Minute, Retention: 11 * 24 * time.Hour}
	script := redis.NewScript(asynqwire.EnqueueScript)
	keys := []string{asynqwire.TaskKey(queue, m.ID), asynqwire.PendingKey(queue)}
	if err := rdb.SAdd(ctx, asynqwire.AllQueues, queue).Err(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1, 0} { // the second run: the id exists
		n, err := script.Run(ctx, rdb, keys, m.Encode(), m.ID, time.Now().UnixNano()).Int64()
		if err != nil || n != want {
			t.Fatalf("run %d = %d, %v; want %d", i, n, err, want)
		}
	}
	if _, err := client.Enqueue(asynq.NewTask(m.Type, m.Payload), asynq.TaskID("theirs"), asynq.Queue(queue),
		asynq.MaxRetry(m.Retry), asynq.Timeout(m.Timeout), asynq.Retention(m.Retention)); err != nil {
		t.Fatal(err)
	}
	ours, _ := rdb.HGetAll(ctx, asynqwire.TaskKey(queue, "ours")).Result()
	theirs, _ := rdb.HGetAll(ctx, asynqwire.TaskKey(queue, "theirs")).Result()
	if len(ours) != len(theirs) || ours["state"] != theirs["state"] || ours["pending_since"] == "" {
		t.Errorf("task hash ours %q, asynq's %q", ours, theirs)
	}
	for f := range theirs {
		if _, ok := ours[f]; !ok {
			t.Errorf("field %s written by asynq, not by EnqueueScript", f)
		}
	}
	if pending, _ := rdb.LRange(ctx, asynqwire.PendingKey(queue), 0, -1).Result(); fmt.Sprint(pending) != "[theirs ours]" {
		t.Errorf("pending list %v, want [theirs ours]", pending)
	}
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(queue, "ours")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != m.Type || string(info.Payload) != string(m.Payload) || info.Queue != queue ||
		info.MaxRetry != m.Retry || info.Timeout != m.Timeout || info.Retention != m.Retention ||
		info.State != asynq.TaskStatePending || !info.Deadline.IsZero() {
		t.Errorf("Inspector reads %+v", info)
	}
}
