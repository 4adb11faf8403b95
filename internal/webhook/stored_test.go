package webhook_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/replay"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// lateRedis forwards commands to upstream at once but its answers only
// after delay: Redis runs the enqueue, the receiver gives up waiting first
// (what a Redis hung after reading a command, or a slow network, does).
func lateRedis(t *testing.T, upstream string, delay time.Duration) string {
	t.Helper()
	return fakeServer(t, func(c net.Conn, _ <-chan struct{}) {
		defer c.Close()
		u, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		forwarded := make(chan struct{})
		go func() { defer close(forwarded); _, _ = io.Copy(u, c); u.Close() }()
		defer func() { c.Close(); <-forwarded }()
		buf := make([]byte, 32<<10)
		for {
			n, err := u.Read(buf)
			if err != nil {
				return
			}
			time.Sleep(delay) // the slow way back
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	})
}

// fakeServer accepts connections on 127.0.0.1 and serves each with serve
// in a goroutine of its own; when the test ends, done is closed, the
// listener closed and every serve waited for. It returns the address.
func fakeServer(t *testing.T, serve func(c net.Conn, done <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); close(done); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(c, done) })
		}
	})
	return ln.Addr().String()
}

// TestUnconfirmedPushMayBeStored: when the enqueue's answer does not come
// back in time the push may be stored all the same; the 503 says so (not
// "nothing was stored"), and 勤策's retry is answered "already queued" —
// through asynq's Client and through the replay guard the receiver runs.
func TestUnconfirmedPushMayBeStored(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"client", "guard"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			host := strings.TrimPrefix(e.redis.URL, "redis://")
			db := ""
			if i := strings.IndexByte(host, '/'); i >= 0 {
				host, db = host[:i], host[i:]
			}
			slow, err := redisconn.Open(config.Redis{URL: config.Secret("redis://" + lateRedis(t, host, 600*time.Millisecond) + db)},
				redisconn.Options{ReadTimeout: time.Second, MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { slow.Close() })
			tenant := "t-late-" + path
			// The two ways a push is queued, on the slow Redis and on the
			// test's own.
			options := func(c *redisconn.Conn) webhook.Options {
				o := webhook.Options{Client: asynq.NewClientFromRedisClient(c.Client), Verifier: e.verifier}
				if path == "guard" {
					o.Replay = replay.New(c.Client, time.Hour)
				}
				return o
			}
			o := options(slow)
			// Warm up with a patient push: the connection is set up, the queue
			// published and the enqueue script loaded, so the next enqueue is one
			// command on the wire.
			warm := tasks.Push{TenantID: tenant, MsgID: "m-warm", DataType: tasks.DataTypeStatement}
			if o.Replay != nil {
				_, _, err = o.Replay.Enqueue(context.Background(), warm, "0123456789abcdef0123456789abcdef")
			} else {
				_, err = tasks.Enqueue(context.Background(), o.Client, warm)
			}
			if err != nil {
				t.Fatal(err)
			}
			o.EnqueueTimeout = 200 * time.Millisecond
			late, err := webhook.New(o)
			if err != nil {
				t.Fatal(err)
			}
			p := newPush(tenant, "m-late", tasks.DataTypeStatement, goodData, newSecret)
			e.h, e.t = late, t
			status, a := e.do(p.form())
			if status != 503 {
				t.Fatalf("answer %d %+v, want 503", status, a)
			}
			if strings.Contains(a.ReturnMsg, "not stored") || !strings.Contains(a.ReturnMsg, "may") {
				t.Errorf("503 says %q: it must not claim the push was not stored", a.ReturnMsg)
			}
			// Redis ran the command: the task is there, and the retry is recognised.
			if _, err := e.in.GetTaskInfo(tasks.QueuePush, tasks.PushTaskID(tenant, "m-late")); err != nil {
				t.Fatalf("the unconfirmed push is not in Redis (%v): the test did not reproduce the case", err)
			}
			fast, err := webhook.New(options(e.conn))
			if err != nil {
				t.Fatal(err)
			}
			e.h = fast
			if status, a := e.do(p.form()); status != 200 || a.ReturnMsg != "already queued" {
				t.Errorf("retry: %d %+v, want 200 already queued", status, a)
			}
		})
	}
}
