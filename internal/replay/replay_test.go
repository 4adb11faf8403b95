package replay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/asynqwire"
	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/replay"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const testDB = 2 // this package's database on the real test server

func setup(t *testing.T) (*replay.Guard, *redisconn.Conn) {
	t.Helper()
	rd := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return replay.New(conn.Client, time.Hour), conn
}

func push(tenant, msgID, ts string) tasks.Push {
	return tasks.Push{TenantID: tenant, MsgID: msgID, DataType: tasks.DataTypeStatement, Timestamp: ts,
		Data: tasks.PushData{StartDate: "2026-10-01", EndDate: "2026-10-31"}}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	g, conn := setup(t)
	ctx := context.Background()
	ts := time.Now().Format("20060102150405.000000000") // unique per run
	t1, t2 := "t1-"+ts, "t2-"+ts
	steps := []struct {
		name    string
		p       tasks.Push
		digest  string
		already bool
		first   string
	}{
		{"first push", push(t1, "m1", ts), "ABCDEF0123456789abcdef0123456789", false, ""},
		{"勤策's retry of it", push(t1, "m1", ts), "abcdef0123456789abcdef0123456789", true, ""},
		{"same signature, another msgId", push(t1, "m2", ts), "abcdef0123456789abcdef0123456789", false, t1 + ":m1"},
		{"same signature, another tenant", push(t2, "m1", ts), "ABCDEF0123456789ABCDEF0123456789", false, t1 + ":m1"},
		{"another timestamp", push(t1, "m2", ts+"1"), "abcdef0123456789abcdef0123456789", false, ""},
	}
	for _, s := range steps { // in order: each step builds on the ones before
		already, first, err := g.Enqueue(ctx, s.p, s.digest)
		if err != nil || already != s.already || first != s.first {
			t.Errorf("%s: Enqueue = %v, %q, %v; want %v, %q", s.name, already, first, err, s.already, s.first)
		}
	}
	ins := asynq.NewInspectorFromRedisClient(conn.Client)
	for _, c := range []struct {
		tenant, msgID string
		queued        bool
	}{{t1, "m1", true}, {t1, "m2", true}, {t2, "m1", false}} {
		_, err := ins.GetTaskInfo(tasks.QueuePush, tasks.PushTaskID(c.tenant, c.msgID))
		if queued := err == nil; queued != c.queued {
			t.Errorf("%s:%s queued %v (%v), want %v", c.tenant, c.msgID, queued, err, c.queued)
		}
	}
	ttl, err := conn.Client.TTL(ctx, replay.Key(ts, "abcdef0123456789abcdef0123456789")).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL %s, %v; want about the hour given", ttl, err)
	}
	if queues, _ := conn.Client.SMembers(ctx, asynqwire.AllQueues).Result(); !slices.Contains(queues, tasks.QueuePush) {
		t.Errorf("asynq:queues = %v, want the push queue in it", queues)
	}
}

// TestEnqueueAsTasksEnqueue: the Guard queues the very task tasks.Enqueue
// (asynq's Client) queues, byte for byte.
func TestEnqueueAsTasksEnqueue(t *testing.T) {
	t.Parallel()
	g, conn := setup(t)
	ctx := context.Background()
	p := push("same-"+time.Now().Format("150405.000000000"), "m1", "1764400000000")
	p.DataID, p.Status, p.ReceivedAt = "d1", "2", time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	p.Data.CustomerCodes = []string{"C001", "客户002"}
	key := asynqwire.TaskKey(tasks.QueuePush, p.TaskID())
	if _, err := tasks.Enqueue(ctx, asynq.NewClientFromRedisClient(conn.Client), p); err != nil {
		t.Fatal(err)
	}
	theirs, _ := conn.Client.HGet(ctx, key, "msg").Bytes()
	conn.Client.Del(ctx, key)
	conn.Client.LRem(ctx, asynqwire.PendingKey(tasks.QueuePush), 0, p.TaskID())
	digest := fmt.Sprintf("%032x", time.Now().UnixNano()) // this run's own replay key
	if already, first, err := g.Enqueue(ctx, p, digest); already || first != "" || err != nil {
		t.Fatalf("Enqueue = %v, %q, %v", already, first, err)
	}
	ours, _ := conn.Client.HGet(ctx, key, "msg").Bytes()
	if len(theirs) == 0 || !bytes.Equal(ours, theirs) {
		t.Errorf("Guard stored %x\ntasks.Enqueue %x", ours, theirs)
	}
}

func TestEnqueueInvalid(t *testing.T) {
	t.Parallel()
	g, _ := setup(t)
	p := push("t", "", "1")
	if _, _, err := g.Enqueue(context.Background(), p, "d"); !errors.Is(err, tasks.ErrInvalidPush) {
		t.Errorf("a push without msgId: %v, want ErrInvalidPush", err)
	}
}

func TestEnqueueRedisDown(t *testing.T) {
	t.Parallel()
	conn, err := redisconn.Open(config.Redis{URL: "redis://127.0.0.1:1"}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := replay.New(conn.Client, time.Hour).Enqueue(context.Background(), push("t", "m", "1"), "d"); err == nil {
		t.Error("no error without Redis")
	}
}
