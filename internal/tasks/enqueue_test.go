package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const testDB = 14 // this package's database on the real test server

// setup returns an asynq client and inspector on a fresh test Redis.
func setup(t *testing.T) (*redistest.Redis, *asynq.Client, *asynq.Inspector) {
	t.Helper()
	r := redistest.New(t, testDB)
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(r.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return r, asynq.NewClientFromRedisClient(conn.Client), asynq.NewInspectorFromRedisClient(conn.Client)
}

func samplePush(tenant string) tasks.Push {
	return tasks.Push{
		TenantID: tenant, MsgID: "m-" + tenant, DataID: "d1", DataVersion: "001", DataFormat: "json",
		DataSource: "biz", DataType: tasks.DataTypeStatement, Status: "0", StatusTime: "", Timestamp: "1763700000000",
		Data:       tasks.PushData{CustomerCodes: []string{"c1", "c2"}, StartDate: "2026-11-01", EndDate: "2026-11-30"},
		ReceivedAt: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC),
	}
}

func TestEnqueue(t *testing.T) {
	t.Parallel()
	_, c, in := setup(t)
	tenant := "tenant-" + t.Name()
	p := samplePush(tenant)
	ctx := context.Background()

	already, err := tasks.Enqueue(ctx, c, p)
	if err != nil || already {
		t.Fatalf("first Enqueue = %v, %v; want false, nil", already, err)
	}
	already, err = tasks.Enqueue(ctx, c, p) // 勤策's retry
	if err != nil || !already {
		t.Fatalf("second Enqueue = %v, %v; want true, nil", already, err)
	}

	id := tasks.PushTaskID(p.TenantID, p.MsgID)
	info, err := in.GetTaskInfo(tasks.QueuePush, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != tasks.TypePush || info.Queue != tasks.QueuePush || info.ID != "push:"+tenant+":m-"+tenant ||
		info.Retention < 7*24*time.Hour || info.State != asynq.TaskStatePending {
		t.Errorf("task = type %s queue %s id %s retention %v state %v", info.Type, info.Queue, info.ID, info.Retention, info.State)
	}
	var got tasks.Push
	if err := json.Unmarshal(info.Payload, &got); err != nil {
		t.Fatal(err)
	}
	want := p
	want.Origin = tasks.OriginPush
	if !reflect.DeepEqual(got, want) {
		t.Errorf("payload = %+v\nwant %+v", got, want)
	}
	if n := countTasks(t, in, tenant); n != 1 {
		t.Errorf("%d tasks of tenant %s, want exactly 1", n, tenant)
	}
}

// countTasks counts the push queue's tasks of tenant, in every state.
func countTasks(t *testing.T, in *asynq.Inspector, tenant string) int {
	t.Helper()
	lists := []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		in.ListPendingTasks, in.ListActiveTasks, in.ListScheduledTasks, in.ListRetryTasks, in.ListArchivedTasks, in.ListCompletedTasks,
	}
	n := 0
	for _, list := range lists {
		infos, err := list(tasks.QueuePush, asynq.PageSize(1000))
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			var p tasks.Push
			if json.Unmarshal(info.Payload, &p) == nil && p.TenantID == tenant {
				n++
			}
		}
	}
	return n
}

func TestEnqueueKeepsOriginAndTime(t *testing.T) {
	t.Parallel()
	_, c, in := setup(t)
	p := samplePush("tenant-" + t.Name())
	p.Origin, p.ReceivedAt = tasks.OriginResync, time.Time{}
	before := time.Now()
	if _, err := tasks.Enqueue(context.Background(), c, p); err != nil {
		t.Fatal(err)
	}
	info, err := in.GetTaskInfo(tasks.QueuePush, tasks.PushTaskID(p.TenantID, p.MsgID))
	if err != nil {
		t.Fatal(err)
	}
	var got tasks.Push
	if err := json.Unmarshal(info.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got.Origin != tasks.OriginResync || got.ReceivedAt.Before(before.Add(-time.Second)) {
		t.Errorf("origin %q received %v", got.Origin, got.ReceivedAt)
	}
}

func TestEnqueueInvalid(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t)
	for name, mutate := range map[string]func(*tasks.Push){
		"no tenant":    func(p *tasks.Push) { p.TenantID = "" },
		"no msgId":     func(p *tasks.Push) { p.MsgID = "" },
		"bad dataType": func(p *tasks.Push) { p.DataType = "ksf_other" },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := samplePush("t")
			mutate(&p)
			if _, err := tasks.Enqueue(context.Background(), c, p); !errors.Is(err, tasks.ErrInvalidPush) {
				t.Errorf("Enqueue = %v, want ErrInvalidPush", err)
			}
		})
	}
}

func TestEnqueueRedisDown(t *testing.T) {
	t.Parallel()
	r, c, _ := setup(t)
	if r.Real() {
		// Stand in for a stopped server: nothing listens on port 1.
		conn, err := redisconn.Open(config.Redis{URL: "redis://127.0.0.1:1"}, redisconn.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		c = asynq.NewClientFromRedisClient(conn.Client)
	} else {
		r.Mini.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	already, err := tasks.Enqueue(ctx, c, samplePush("t"))
	if err == nil || already || errors.Is(err, tasks.ErrInvalidPush) {
		t.Errorf("Enqueue = %v, %v; want a Redis error", already, err)
	}
	if d := time.Since(start); d >= time.Second {
		t.Errorf("Enqueue failed after %v, want < 1s", d)
	}
}

func ExampleEnqueue() {
	// A resync by an operator enqueues exactly what a push would; sending
	// it twice adds nothing.
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	c := asynq.NewClient(asynq.RedisClientOpt{Addr: mr.Addr()})
	defer c.Close()
	data, _ := tasks.NewPushData([]string{"c1"}, "2026-11-01", "2026-11-30")
	p := tasks.Push{TenantID: "1234567", MsgID: "resync-42", DataType: tasks.DataTypeStatement,
		Data: data, Origin: tasks.OriginResync}
	for range 2 {
		already, err := tasks.Enqueue(context.Background(), c, p)
		fmt.Println("already queued:", already, "error:", err)
	}
	// Output:
	// already queued: false error: <nil>
	// already queued: true error: <nil>
}

// BenchmarkPushMessage: what the receiver spends turning a push into the
// bytes its task stores (payload and asynq message).
func BenchmarkPushMessage(b *testing.B) {
	p := tasks.Push{TenantID: "bench", MsgID: "load-abcdef01-12345", DataID: "12345", DataVersion: "001", DataFormat: "json",
		DataSource: "biz", DataType: tasks.DataTypeStatement, Status: "0", Timestamp: "1764400000000",
		Data:   tasks.PushData{CustomerCodes: []string{"C1000", "C1001", "C1002"}, StartDate: "2026-10-01", EndDate: "2026-10-31"},
		Origin: tasks.OriginPush, ReceivedAt: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		m, err := tasks.PushMessage(p)
		if err != nil {
			b.Fatal(err)
		}
		_ = m.Encode()
	}
}
