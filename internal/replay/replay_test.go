package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/asynqwire"
	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const testDB = 2 // this package's database on the real test server

func setupGuard(t *testing.T) (*Guard, *redisconn.Conn) {
	t.Helper()
	rd := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return New(conn.Client, time.Hour), conn
}

// testCall builds the script call Enqueue would make for a push.
func (g *Guard) testCall(ctx context.Context, t *testing.T, p tasks.Push, digest string) *call {
	t.Helper()
	msg, err := tasks.PushMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{asynqwire.TaskKey(msg.Queue, msg.ID), asynqwire.PendingKey(msg.Queue), Key(p.Timestamp, digest)}
	return &call{ctx: ctx, keys: keys, args: []any{msg.Encode(), msg.ID, time.Now().UnixNano(), p.TenantID + ":" + p.MsgID, g.ttl},
		done: make(chan struct{})}
}

// TestExecBatch: one pipeline carrying new pushes, a retry of one of them,
// a replay and a push whose time ran out answers each as Enqueue would,
// also when Redis has lost the script (NOSCRIPT: each is run again with it).
func TestExecBatch(t *testing.T) {
	t.Parallel()
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("script flushed ", flush), func(t *testing.T) {
			g, conn := setupGuard(t)
			ctx := context.Background()
			// Enqueue would have published the queue: the Inspector looks for it.
			if err := conn.Client.SAdd(ctx, asynqwire.AllQueues, tasks.QueuePush).Err(); err != nil {
				t.Fatal(err)
			}
			if flush {
				if err := conn.Client.ScriptFlush(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			ts := time.Now().Format("150405.000000000")
			tenant := fmt.Sprintf("batch-%v-%s", flush, ts)
			push := func(msgID, ts string) tasks.Push {
				return tasks.Push{TenantID: tenant, MsgID: msgID, DataType: tasks.DataTypeStatement, Timestamp: ts}
			}
			gone, cancel := context.WithCancel(ctx)
			cancel()
			calls := []*call{
				g.testCall(ctx, t, push("m1", ts), "d1"),
				g.testCall(ctx, t, push("m2", ts), "d2"),
				g.testCall(ctx, t, push("m1", ts), "d1"), // 勤策's retry of m1
				g.testCall(ctx, t, push("m3", ts), "d2"), // m2's signature under another msgId
				g.testCall(gone, t, push("m4", ts), "d4"),
			}
			g.batch.exec(calls)
			want := []string{"1 <nil>", "1 <nil>", "0 <nil>", tenant + ":m2 <nil>", "<nil> context canceled"}
			for i, c := range calls {
				<-c.done
				if got := fmt.Sprint(c.res, " ", c.err); got != want[i] {
					t.Errorf("call %d = %s, want %s", i, got, want[i])
				}
			}
			ins := asynq.NewInspectorFromRedisClient(conn.Client)
			for id, queued := range map[string]bool{"m1": true, "m2": true, "m3": false, "m4": false} {
				if _, err := ins.GetTaskInfo(tasks.QueuePush, tasks.PushTaskID(tenant, id)); (err == nil) != queued {
					t.Errorf("%s queued = %v, want %v", id, err == nil, queued)
				}
			}
		})
	}
}

// TestEnqueueConcurrent: pushes sent at once, many sharing round trips,
// are each queued once; their retries and replays are recognised.
func TestEnqueueConcurrent(t *testing.T) {
	t.Parallel()
	g, conn := setupGuard(t)
	ctx := context.Background()
	tenant := "concurrent-" + time.Now().Format("150405.000000000")
	digest := fmt.Sprintf("%032x", time.Now().UnixNano()) // this run's own replay keys
	const n = 300
	type result struct {
		already bool
		first   string
		err     error
	}
	results := make([]result, 2*n)
	answered := make([]chan struct{}, n) // closed when push i has its answer
	for i := range answered {
		answered[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i := range 2 * n {
		// i < n: push i; i ≥ n: even = a retry of push i-n, odd = its
		// signature under another msgId.
		p := tasks.Push{TenantID: tenant, MsgID: fmt.Sprint("m", i%n), DataType: tasks.DataTypeStatement,
			Timestamp: fmt.Sprint(1764400000000 + i%n)}
		if i >= n && i%2 == 1 {
			p.MsgID = fmt.Sprint("other", i)
		}
		wg.Go(func() {
			if i >= n {
				<-answered[i-n] // after the original has had its answer
			}
			already, first, err := g.Enqueue(ctx, p, digest)
			results[i] = result{already, first, err}
			if i < n {
				close(answered[i])
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		var want result
		switch {
		case i < n:
			want = result{}
		case i%2 == 0:
			want = result{already: true}
		default:
			want = result{first: fmt.Sprint(tenant, ":m", i%n)}
		}
		if r != want {
			t.Errorf("push %d: %+v, want %+v", i, r, want)
		}
	}
	if pending, err := asynq.NewInspectorFromRedisClient(conn.Client).ListPendingTasks(tasks.QueuePush, asynq.PageSize(2*n)); err != nil {
		t.Fatal(err)
	} else if got := countTenant(pending, tenant); got != n {
		t.Errorf("%d tasks queued, want %d", got, n)
	}
}

func countTenant(ts []*asynq.TaskInfo, tenant string) int {
	n := 0
	for _, t := range ts {
		if strings.HasPrefix(t.ID, "push:"+tenant+":") {
			n++
		}
	}
	return n
}

func push(tenant, msgID, ts string) tasks.Push {
	return tasks.Push{TenantID: tenant, MsgID: msgID, DataType: tasks.DataTypeStatement, Timestamp: ts,
		Data: tasks.PushData{StartDate: "2026-10-01", EndDate: "2026-10-31"}}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	g, conn := setupGuard(t)
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
	ttl, err := conn.Client.TTL(ctx, Key(ts, "abcdef0123456789abcdef0123456789")).Result()
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
	g, conn := setupGuard(t)
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
	g, _ := setupGuard(t)
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
	if _, _, err := New(conn.Client, time.Hour).Enqueue(context.Background(), push("t", "m", "1"), "d"); err == nil {
		t.Error("no error without Redis")
	}
}

// TestSenderReturnedAfterPanic: a push whose send panics (the HTTP server
// recovers it) gives its sender back, so later pushes are still sent.
func TestSenderReturnedAfterPanic(t *testing.T) {
	t.Parallel()
	b := &batcher{script: enqueue} // no Redis client: exec panics
	for range maxSenders + 1 {
		func() {
			defer func() { _ = recover() }()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, _ = b.run(ctx, []string{"k"})
		}()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.senders != 0 || len(b.queue) != 0 {
		t.Errorf("after the panics: %d senders busy, %d pushes queued; want 0, 0", b.senders, len(b.queue))
	}
}
