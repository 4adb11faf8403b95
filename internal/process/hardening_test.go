package process_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/process"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const strongToken = "hardening-token-0123456789"

func signedPush(tenant, msgID, ts string) url.Values {
	data := `{"customer_code":"C1","start_date":"2026-10-01","end_date":"2026-10-31"}`
	return url.Values{"msgId": {msgID}, "tenantId": {tenant}, "dataType": {tasks.DataTypeStatement},
		"timestamp": {ts}, "data": {data}, "digest": {digest.Push(data, "s", ts)}}
}

// TestReceiverRefusesReplayedPush: the same signed push under three other
// msgIds queues nothing more; a timestamp an hour ahead is refused.
func TestReceiverRefusesReplayedPush(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	r, _ := startReceiver(t, load(t, "KSF_REDIS_URL="+rd.URL, "KSF_PUSH_SECRET=s"))
	tenant := "t-replay-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for i, want := range []string{"success", "already queued", "already queued", "already queued"} {
		code, body := postForm(t, r.PushAddr(), signedPush(tenant, "m"+strconv.Itoa(i), ts))
		if code != 200 || !strings.Contains(body, `"return_msg":"`+want+`"`) {
			t.Errorf("push %d: %d %s, want 200 %s", i, code, body, want)
		}
	}
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: strings.Split(rd.URL, "/")[2], DB: dbOf(rd.URL)})
	defer in.Close()
	n := 0
	for i := range 4 {
		if _, err := in.GetTaskInfo(tasks.QueuePush, tasks.PushTaskID(tenant, "m"+strconv.Itoa(i))); err == nil {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d ksf:push tasks for 4 sends of one signed push, want 1", n)
	}
	ahead := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	if code, body := postForm(t, r.PushAddr(), signedPush(tenant, "future", ahead)); code != 401 || !strings.Contains(body, "future") {
		t.Errorf("timestamp an hour ahead: %d %s, want 401", code, body)
	}
}

func dbOf(u string) int {
	i := strings.LastIndexByte(u, '/')
	n, _ := strconv.Atoi(u[i+1:])
	return n
}

// TestAdminListenersRefuseCrossOrigin: on both processes' admin listeners a
// cross-site POST carrying the token as Basic credentials is refused.
func TestAdminListenersRefuseCrossOrigin(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	cfg := load(t, "KSF_REDIS_URL="+rd.URL, "KSF_PUSH_SECRET=s", "KSF_ADMIN_TOKEN="+strongToken)
	r, _ := startReceiver(t, cfg)
	w := process.NewWorker(cfg, zerolog.Nop())
	w.Handlers = &tasks.Handlers{}
	w.Queues = map[string]int{"hardening-test-idle": 1} // takes no other test's tasks
	w.ShutdownTimeout = time.Second
	if err := w.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	for name, addr := range map[string]string{"receiver": r.AdminAddr(), "worker": w.AdminAddr()} {
		for _, path := range []string{"/admin/api/resync", "/monitoring/api/queues/push:pause"} {
			req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(`{"data_type":"ksf_statement","tenant_id":"x","start_date":"2026-10-01","end_date":"2026-10-31"}`))
			req.SetBasicAuth("ksf", strongToken)
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("Origin", "http://evil.example")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s cross-site: %d %s, want 403", name, path, resp.StatusCode, b)
			}
		}
	}
}

// TestShortAdminTokenOffLoopback: a 1-character token does not start a
// process whose admin listener is reachable from other hosts.
func TestShortAdminTokenOffLoopback(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	env := []string{"KSF_REDIS_URL=" + rd.URL, "KSF_PUSH_SECRET=s", "KSF_ADMIN_TOKEN=x", "KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=0.0.0.0:0"}
	cfg, err := config.Load(env, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := process.NewReceiver(cfg, zerolog.Nop())
	err = r.Open(context.Background())
	if err == nil {
		_ = r.Close(context.Background())
		t.Fatal("receiver started with a 1-character admin token on 0.0.0.0")
	}
	if !strings.Contains(err.Error(), "KSF_ADMIN_TOKEN") {
		t.Errorf("error does not name KSF_ADMIN_TOKEN: %v", err)
	}
	w := process.NewWorker(cfg, zerolog.Nop())
	w.Handlers = &tasks.Handlers{}
	if err := w.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "KSF_ADMIN_TOKEN") {
		_ = w.Close(context.Background())
		t.Errorf("worker: %v, want a start-up error naming KSF_ADMIN_TOKEN", err)
	}
}

// TestRedisDatabaseOutOfRange: a database number Redis does not have is a
// start-up error naming KSF_REDIS_URL, not an outage answered with 503.
func TestRedisDatabaseOutOfRange(t *testing.T) {
	t.Parallel()
	u := redistest.Refusing(t, "ERR DB index is out of range", 99)
	cfg, err := config.Load([]string{"KSF_REDIS_URL=" + u, "KSF_PUSH_SECRET=s", "KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := process.NewReceiver(cfg, zerolog.Nop())
	if err := r.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "KSF_REDIS_URL") {
		if err == nil {
			_ = r.Close(context.Background())
		}
		t.Errorf("receiver: %v, want a start-up error naming KSF_REDIS_URL", err)
	}
	w := process.NewWorker(cfg, zerolog.Nop())
	w.Handlers = &tasks.Handlers{}
	if err := w.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "KSF_REDIS_URL") {
		if err == nil {
			_ = w.Close(context.Background())
		}
		t.Errorf("worker: %v, want a start-up error naming KSF_REDIS_URL", err)
	}
}

// TestReceiverBodyDeadline: KSF_PUSH_BODY_TIMEOUT reaches the push
// listener: a body that stops arriving is answered and its connection
// closed once the deadline has passed.
func TestReceiverBodyDeadline(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	r, _ := startReceiver(t, load(t, "KSF_REDIS_URL="+rd.URL, "KSF_PUSH_SECRET=s", "KSF_PUSH_BODY_TIMEOUT=300ms"))
	// The server counts its deadline from when it starts reading, which can
	// be as soon as it accepts the connection: start the clock before that.
	start := time.Now()
	c, err := net.Dial("tcp", r.PushAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("POST /waiqin/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nmsgId=")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(start.Add(5 * time.Second)) // fail, not hang, without a server deadline
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer within 5 s: %v", err)
	}
	resp.Body.Close()
	if d := time.Since(start); resp.StatusCode != http.StatusBadRequest || d < 300*time.Millisecond {
		t.Errorf("answered %d after %s, want 400 after the 300 ms deadline", resp.StatusCode, d)
	}
}
