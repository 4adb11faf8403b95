package webhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/replay"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

const (
	testDB    = 13 // this package's database on the real test server
	newSecret = "NEW-push-secret-1"
	oldSecret = "OLD-push-secret-0"
	stranger  = "stranger" // a tenant the verifier refuses
	goodData  = `{"customer_code":"c1, c2,,c1","start_date":"2026-11-01","end_date":"2026-11-30"}`
)

// env is one test's receiver: a handler on its own Redis.
type env struct {
	t     *testing.T
	h     *webhook.Handler
	redis *redistest.Redis
	conn  *redisconn.Conn
	in    *asynq.Inspector
	logs  *logtest.Buffer
	obs   *recorder
	now   time.Time
	// verifier is the handler's: newSecret and oldSecret, stranger refused.
	verifier func(tenant string) *digest.Verifier
}

type setupOption func(*webhook.Options, *env)

func setup(t *testing.T, opts ...setupOption) *env {
	t.Helper()
	e := &env{t: t, redis: redistest.New(t, testDB), logs: &logtest.Buffer{}, obs: &recorder{}, now: time.Now()}
	conn, err := redisconn.Open(config.Redis{URL: config.Secret(e.redis.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e.conn = conn
	e.in = asynq.NewInspectorFromRedisClient(conn.Client)
	v := digest.NewVerifier([]string{newSecret, oldSecret})
	e.verifier = func(tenant string) *digest.Verifier {
		if tenant == stranger {
			return nil
		}
		return v
	}
	o := webhook.Options{
		Client:   asynq.NewClientFromRedisClient(conn.Client),
		Verifier: e.verifier,
		Ready:    conn.Ping,
		Logger:   zerolog.New(e.logs),
		Observer: e.obs,
		Now:      func() time.Time { return e.now },
	}
	for _, opt := range opts {
		opt(&o, e)
	}
	if e.h, err = webhook.New(o); err != nil {
		t.Fatal(err)
	}
	return e
}

// stopRedis makes Redis unavailable to e's handler: the embedded server is
// stopped; with the real server (which the test must not stop) the handler
// is pointed at a port where nothing listens.
func (e *env) stopRedis(o *webhook.Options) {
	if e.redis.Real() {
		dead, err := redisconn.Open(config.Redis{URL: "redis://127.0.0.1:1"}, redisconn.Options{})
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { dead.Close() })
		o.Client = asynq.NewClientFromRedisClient(dead.Client)
		o.Ready = dead.Ping
		return
	}
	e.redis.Mini.Close()
}

// push is one push's fields, signed by sign.
type push struct {
	fields url.Values
}

func newPush(tenant, msgID, dataType, data, secret string) push {
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	return push{url.Values{
		"msgId": {msgID}, "dataId": {"d-" + msgID}, "dataVersion": {"001"}, "dataFormat": {"json"},
		"dataSource": {"biz"}, "timestamp": {ts}, "status": {"0"}, "statusTime": {""},
		"tenantId": {tenant}, "dataType": {dataType}, "data": {data},
		"digest": {digest.Push(data, secret, ts)},
	}}
}

func (p push) with(k, v string) push {
	f := url.Values{}
	for key, vs := range p.fields {
		f[key] = append([]string(nil), vs...)
	}
	f.Set(k, v)
	return push{f}
}

func (p push) without(k string) push {
	f := url.Values{}
	for key, vs := range p.fields {
		if key != k {
			f[key] = vs
		}
	}
	return push{f}
}

func (p push) form() *http.Request {
	r := httptest.NewRequest(http.MethodPost, webhook.PushPath, strings.NewReader(p.fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	return r
}

func (p push) json() *http.Request {
	m := map[string]string{}
	for k := range p.fields {
		m[k] = p.fields.Get(k)
	}
	b, _ := json.Marshal(m)
	return jsonRequest(string(b))
}

func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, webhook.PushPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

type answer struct {
	ReturnCode string `json:"return_code"`
	ReturnMsg  string `json:"return_msg"`
	MsgID      string `json:"msg_id"`
}

// do serves r and decodes the answer.
func (e *env) do(r *http.Request) (int, answer) {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		e.t.Fatalf("answer %d is not JSON: %q", w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		e.t.Errorf("Content-Type = %q", ct)
	}
	return w.Code, a
}

// tasksOf counts tenant's ksf:push tasks, in every state.
func (e *env) tasksOf(tenant string) int {
	e.t.Helper()
	n := 0
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		e.in.ListPendingTasks, e.in.ListActiveTasks, e.in.ListScheduledTasks, e.in.ListRetryTasks,
		e.in.ListArchivedTasks, e.in.ListCompletedTasks,
	} {
		infos, err := list(tasks.QueuePush, asynq.PageSize(10000))
		if err != nil {
			// No push queued yet on this Redis: the queue is not there.
			if errors.Is(err, asynq.ErrQueueNotFound) || strings.Contains(err.Error(), "does not exist") {
				return 0
			}
			e.t.Fatal(err)
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

func TestPushStatuses(t *testing.T) {
	t.Parallel()
	e := setup(t)
	big := strings.Repeat("x", webhook.MaxBodyBytes)
	tests := []struct {
		name    string
		req     func(tenant string) *http.Request
		status  int
		msg     string // part of return_msg
		queued  int    // tasks of the tenant afterwards
		checkID bool   // msg_id echoed
	}{
		{"form", func(tn string) *http.Request { return newPush(tn, "m1", "ksf_statement", goodData, newSecret).form() },
			200, "success", 1, true},
		{"json", func(tn string) *http.Request { return newPush(tn, "m1", "ksf_expense", goodData, newSecret).json() },
			200, "success", 1, true},
		{"json numeric timestamp", func(tn string) *http.Request {
			data := `{"customer_code": "c9", "start_date": "2026-11-01", "end_date": "2026-11-01"}`
			return jsonRequest(fmt.Sprintf(`{"msgId":"m1","tenantId":%q,"timestamp":1763700000000,"dataType":"ksf_statement","data":%q,"digest":%q}`,
				tn, data, digest.Push(data, newSecret, "1763700000000")))
		}, 200, "success", 1, true},
		// 勤策 sends data as a string; an object has no exact text for the
		// digest, so the sender is told that, not "check the push secret".
		{"json data object", func(tn string) *http.Request {
			data := `{"customer_code": "c9", "start_date": "2026-11-01", "end_date": "2026-11-01"}`
			return jsonRequest(fmt.Sprintf(`{"msgId":"m1","tenantId":%q,"timestamp":1763700000000,"dataType":"ksf_statement","data":%s,"digest":%q}`,
				tn, data, digest.Push(data, newSecret, "1763700000000")))
		}, 400, "field data is a JSON object: send data as a JSON string", 0, false},
		{"json field given twice", func(tn string) *http.Request {
			p := newPush(tn, "m1", "ksf_statement", goodData, newSecret)
			b, _ := json.Marshal(map[string]string{"msgId": "m1", "tenantId": tn, "timestamp": p.fields.Get("timestamp"),
				"dataType": "ksf_statement", "data": goodData, "digest": p.fields.Get("digest")})
			return jsonRequest(strings.Replace(string(b), "{", `{"MSGID":"m2",`, 1))
		}, 400, "field msgId is given twice", 0, false},
		{"timestamp an hour ahead", func(tn string) *http.Request {
			ts := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
			p := newPush(tn, "m1", "ksf_statement", goodData, newSecret)
			return p.with("timestamp", ts).with("digest", digest.Push(goodData, newSecret, ts)).form()
		}, 401, "timestamp is too far in the future", 0, true},
		{"rotation: old secret still accepted", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, oldSecret).form()
		}, 200, "success", 1, true},
		{"uppercase digest", func(tn string) *http.Request {
			p := newPush(tn, "m1", "ksf_statement", goodData, newSecret)
			return p.with("digest", strings.ToUpper(p.fields.Get("digest"))).form()
		}, 200, "success", 1, true},
		{"all customers", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", `{"customer_code":"","start_date":"2026-11-01","end_date":"2026-11-30"}`, newSecret).form()
		}, 200, "success", 1, true},

		{"forged digest", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("digest", "0123456789abcdef0123456789abcdef").form()
		}, 401, "digest does not match", 0, true},
		{"digest over a different data", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("data", strings.Replace(goodData, "c2", "c3", 1)).form()
		}, 401, "digest does not match", 0, true},
		{"retired secret", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, "RETIRED-secret").form()
		}, 401, "digest does not match", 0, true},
		{"digest over a different timestamp", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("timestamp", "1000").form()
		}, 401, "digest does not match", 0, true},
		{"malformed digest", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("digest", "not-hex").form()
		}, 401, "32 hex", 0, true},
		{"unknown tenant", func(string) *http.Request {
			return newPush(stranger, "m1", "ksf_statement", goodData, newSecret).form()
		}, 401, `tenantId "stranger" may not push`, 0, true},

		{"missing msgId", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("msgId").form()
		},
			400, "field msgId is missing", 0, false},
		{"missing tenantId", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("tenantId").form()
		},
			400, "field tenantId is missing", 0, true},
		{"missing timestamp", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("timestamp").form()
		},
			400, "field timestamp is missing", 0, true},
		{"missing digest", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("digest").form()
		},
			400, "field digest is missing", 0, true},
		{"missing dataType", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("dataType").form()
		},
			400, "field dataType is missing", 0, true},
		{"missing data", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("data").form()
		},
			400, "field data is missing", 0, true},
		{"empty msgId in json", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("msgId", "").json()
		},
			400, "field msgId is missing", 0, false},

		{"malformed JSON in data", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", `{"customer_code":"c1","start_date":"2026-11-01"`, newSecret).form()
		}, 400, "data is not a JSON object", 0, true},
		{"start after end", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", `{"customer_code":"c1","start_date":"2026-11-30","end_date":"2026-11-01"}`, newSecret).form()
		}, 400, "start_date 2026-11-30 is after end_date 2026-11-01", 0, true},
		{"2026-02-30", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", `{"customer_code":"c1","start_date":"2026-02-01","end_date":"2026-02-30"}`, newSecret).form()
		}, 400, `end_date "2026-02-30" is not a real date`, 0, true},
		{"period too long", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", `{"customer_code":"c1","start_date":"2025-01-01","end_date":"2026-12-31"}`, newSecret).form()
		}, 400, "longer than the 366 allowed", 0, true},
		{"timestamp not digits", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("timestamp", "2026-11-21").form()
		}, 400, "timestamp", 0, true},
		{"tenant with colon", func(tn string) *http.Request {
			return newPush(tn+":x", "m1", "ksf_statement", goodData, newSecret).form()
		}, 400, "may not contain ':'", 0, true},
		{"control characters in msgId", func(tn string) *http.Request {
			return newPush(tn, "m1\n", "ksf_statement", goodData, newSecret).form()
		}, 400, "control characters", 0, false},
		{"field too long", func(tn string) *http.Request {
			return newPush(tn, strings.Repeat("m", 200), "ksf_statement", goodData, newSecret).form()
		}, 400, "longer than 128 bytes", 0, false},
		{"field given twice", func(tn string) *http.Request {
			p := newPush(tn, "m1", "ksf_statement", goodData, newSecret)
			r := httptest.NewRequest(http.MethodPost, webhook.PushPath, strings.NewReader(p.fields.Encode()+"&data=%7B%7D"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 400, "field data is given twice", 0, false},
		{"bad form escape", func(tn string) *http.Request {
			body := newPush(tn, "m1", "ksf_statement", goodData, newSecret).without("data").fields.Encode() + "&data=%zz"
			r := httptest.NewRequest(http.MethodPost, webhook.PushPath, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 400, "not valid form encoding", 0, false},
		{"malformed JSON body", func(string) *http.Request { return jsonRequest(`{"msgId":"m1",`) }, 400, "not a JSON object", 0, false},
		{"JSON body not an object", func(string) *http.Request { return jsonRequest(`["m1"]`) }, 400, "not a JSON object", 0, false},
		{"JSON field not a string", func(tn string) *http.Request {
			return jsonRequest(fmt.Sprintf(`{"msgId":["m1"],"tenantId":%q}`, tn))
		}, 400, "field msgId must be a string", 0, false},
		{"JSON text after object", func(string) *http.Request { return jsonRequest(`{"msgId":"m1"} {}`) }, 400, "text after", 0, false},

		{"wrong content type", func(tn string) *http.Request {
			r := newPush(tn, "m1", "ksf_statement", goodData, newSecret).form()
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, 400, "application/x-www-form-urlencoded", 0, false},
		{"no content type", func(tn string) *http.Request {
			r := newPush(tn, "m1", "ksf_statement", goodData, newSecret).form()
			r.Header.Del("Content-Type")
			return r
		}, 400, "is not accepted", 0, false},
		{"multipart", func(tn string) *http.Request {
			r := newPush(tn, "m1", "ksf_statement", goodData, newSecret).form()
			r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			return r
		}, 400, "is not accepted", 0, false},

		{"body over 1 MiB", func(tn string) *http.Request {
			return newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("pad", big).form()
		}, 413, "1 MiB", 0, false},
		{"body over 1 MiB without length", func(tn string) *http.Request {
			r := newPush(tn, "m1", "ksf_statement", goodData, newSecret).with("pad", big).form()
			r.ContentLength = -1
			r.Body = io.NopCloser(struct{ io.Reader }{r.Body}) // hide the length
			return r
		}, 413, "1 MiB", 0, false},
		{"body of exactly 1 MiB is read", func(tn string) *http.Request {
			p := newPush(tn, "m1", "ksf_statement", goodData, newSecret)
			enc := p.fields.Encode()
			return p.with("pad", big[:webhook.MaxBodyBytes-len(enc)-len("&pad=")]).form()
		}, 200, "success", 1, true},

		{"unknown dataType", func(tn string) *http.Request { return newPush(tn, "m1", "ksf_order", goodData, newSecret).form() },
			422, `dataType "ksf_order" is not handled here`, 0, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tenant := "t" + strconv.Itoa(i)
			status, a := e.do(tt.req(tenant))
			if status != tt.status || !strings.Contains(a.ReturnMsg, tt.msg) {
				t.Errorf("answer %d %+v, want %d with %q", status, a, tt.status, tt.msg)
			}
			wantCode := "1"
			if tt.status == 200 {
				wantCode = "0"
			}
			if a.ReturnCode != wantCode {
				t.Errorf("return_code %q, want %q", a.ReturnCode, wantCode)
			}
			if tt.checkID && a.MsgID != "m1" {
				t.Errorf("msg_id %q, want m1", a.MsgID)
			}
			if n := e.tasksOf(tenant); n != tt.queued {
				t.Errorf("%d tasks queued, want %d", n, tt.queued)
			}
		})
	}
}

func TestDuplicateMsgID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := newPush("dup", "m-dup", "ksf_statement", goodData, newSecret)
	if status, a := e.do(p.form()); status != 200 || a.ReturnMsg != "success" {
		t.Fatalf("first push: %d %+v", status, a)
	}
	// 勤策's retry of the same push (status=2), re-signed with a new timestamp.
	retry := newPush("dup", "m-dup", "ksf_statement", goodData, newSecret).with("status", "2")
	for _, r := range []*http.Request{p.form(), retry.form(), p.json()} {
		if status, a := e.do(r); status != 200 || a.ReturnMsg != "already queued" || a.ReturnCode != "0" || a.MsgID != "m-dup" {
			t.Errorf("repeated push: %d %+v, want 200 already queued", status, a)
		}
	}
	if n := e.tasksOf("dup"); n != 1 {
		t.Errorf("%d tasks, want exactly 1", n)
	}
}

func TestRedisStopped(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *webhook.Options, e *env) { e.stopRedis(o) })
	start := time.Now()
	status, a := e.do(newPush("down", "m1", "ksf_statement", goodData, newSecret).form())
	if d := time.Since(start); d >= time.Second {
		t.Errorf("503 after %v, want < 1s", d)
	}
	if status != 503 || a.ReturnCode != "1" || !strings.Contains(a.ReturnMsg, "retry") {
		t.Errorf("answer %d %+v, want 503", status, a)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != 503 {
		t.Errorf("/readyz = %d with Redis stopped", w.Code)
	}
	if !strings.Contains(e.logs.String(), `"outcome":"unavailable"`) {
		t.Errorf("log does not say unavailable: %s", e.logs)
	}
}

// TestRedisSilent: a Redis that accepts connections but never answers (hung,
// or a network black hole) still gets a 503 in under a second.
func TestRedisSilent(t *testing.T) {
	t.Parallel()
	addr := fakeServer(t, func(c net.Conn, done <-chan struct{}) { <-done; c.Close() })
	for _, guard := range []bool{false, true} { // asynq's Client, the receiver's replay guard
		e := setup(t, func(o *webhook.Options, e *env) {
			silent, err := redisconn.Open(config.Redis{URL: config.Secret("redis://" + addr)}, redisconn.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { silent.Close() })
			o.Client = asynq.NewClientFromRedisClient(silent.Client)
			if guard {
				o.Replay = replay.New(silent.Client, time.Hour)
			}
		})
		start := time.Now()
		status, _ := e.do(newPush("silent", "m1", "ksf_statement", goodData, newSecret).form())
		if d := time.Since(start); status != 503 || d >= time.Second {
			t.Errorf("guard %v: answer %d after %v, want 503 in < 1s", guard, status, d)
		}
	}
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *webhook.Options, e *env) {
		v := digest.NewVerifier([]string{newSecret}, digest.WithMaxAge(time.Hour))
		o.Verifier = func(string) *digest.Verifier { return v }
	})
	p := newPush("old", "m1", "ksf_statement", goodData, newSecret)
	ts := strconv.FormatInt(time.Now().Add(-2*time.Hour).UnixMilli(), 10)
	p = p.with("timestamp", ts).with("digest", digest.Push(goodData, newSecret, ts))
	if status, a := e.do(p.form()); status != 401 || !strings.Contains(a.ReturnMsg, "KSF_PUSH_MAX_AGE") {
		t.Errorf("answer %d %+v, want 401 too old", status, a)
	}
}

// TestLogLine: one JSON line per push with what operators need, never a
// secret, the digest or the data.
func TestLogLine(t *testing.T) {
	t.Parallel()
	e := setup(t)
	good := newPush("logs", "m-ok", "ksf_statement", goodData, newSecret)
	e.do(good.form())
	e.do(newPush("logs", "m-bad", "ksf_statement", goodData, "WRONG-secret").form())
	e.do(newPush("logs", "m-422", "ksf_xx", goodData, newSecret).form())

	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3:\n%s", len(lines), e.logs)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"level": "info", "message": "push", "msg_id": "m-ok", "tenant": "logs",
		"data_type": "ksf_statement", "customers": 2.0, "outcome": "queued", "status": 200.0, "push_status": "0"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("log %s = %v, want %v", k, first[k], v)
		}
	}
	if _, ok := first["latency_ms"].(float64); !ok {
		t.Errorf("no latency_ms in %s", lines[0])
	}
	if id, _ := first["req_id"].(string); id == "" {
		t.Errorf("no req_id in %s", lines[0])
	}
	for _, l := range lines {
		for _, s := range []string{newSecret, oldSecret, "WRONG-secret", good.fields.Get("digest"), "start_date"} {
			if strings.Contains(l, s) {
				t.Errorf("log line shows %q: %s", s, l)
			}
		}
	}
	if !strings.Contains(lines[1], `"level":"warn"`) || !strings.Contains(lines[1], `"status":401`) || !strings.Contains(lines[1], "digest does not match") {
		t.Errorf("refused push line: %s", lines[1])
	}
}

func TestObserver(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.do(newPush("obs", "m1", "ksf_expense", goodData, newSecret).form())
	e.do(newPush("obs", "m2", "ksf_expense", goodData, "x").form())
	e.do(newPush("obs", "m3", "weird", goodData, newSecret).form())
	e.do(newPush(stranger, "m4", "ksf_expense", goodData, newSecret).form())
	got := e.obs.String()
	want := "enqueued; handled ksf_expense queued; handled ksf_expense unauthorized; digest mismatch; " +
		"handled other unknown_data_type; handled ksf_expense unauthorized; digest unknown_tenant; "
	if got != want {
		t.Errorf("observer saw\n%s\nwant\n%s", got, want)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/nope": 404} {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("GET %s = %d, want %d", path, w.Code, want)
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, webhook.PushPath, nil))
	if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), `"return_code":"1"`) {
		t.Errorf("GET %s = %d %s", webhook.PushPath, w.Code, w.Body)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := newPush("rid", "m1", "ksf_statement", goodData, newSecret).form()
	r.Header.Set(webhook.RequestIDHeader, "from-proxy-1")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if got := w.Header().Get(webhook.RequestIDHeader); got != "from-proxy-1" {
		t.Errorf("request ID %q, want the proxy's", got)
	}
	if !strings.Contains(e.logs.String(), `"req_id":"from-proxy-1"`) {
		t.Errorf("log lacks the request ID: %s", e.logs)
	}
	ids := map[string]bool{}
	for range 3 {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		ids[w.Header().Get(webhook.RequestIDHeader)] = true
	}
	if len(ids) != 3 || ids[""] {
		t.Errorf("generated IDs not unique: %v", ids)
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *webhook.Options, e *env) {
		o.Verifier = func(string) *digest.Verifier { panic("boom") }
	})
	status, a := e.do(newPush("p", "m1", "ksf_statement", goodData, newSecret).form())
	if status != 500 || a.ReturnCode != "1" {
		t.Errorf("answer %d %+v, want 500", status, a)
	}
	if !strings.Contains(e.logs.String(), `"panic":"boom"`) {
		t.Errorf("panic not logged: %s", e.logs)
	}
}

func TestNewRequiresQueueAndVerifier(t *testing.T) {
	t.Parallel()
	v := func(string) *digest.Verifier { return nil }
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { rdb.Close() })
	guard := replay.New(rdb, time.Hour)
	for _, c := range []struct {
		name string
		o    webhook.Options
		ok   bool
	}{
		{"nothing", webhook.Options{}, false},
		{"no verifier", webhook.Options{Replay: guard}, false},
		{"no queue", webhook.Options{Verifier: v}, false},
		{"replay guard", webhook.Options{Verifier: v, Replay: guard}, true},
		{"asynq client", webhook.Options{Verifier: v, Client: asynq.NewClientFromRedisClient(rdb)}, true},
	} {
		if _, err := webhook.New(c.o); (err == nil) != c.ok {
			t.Errorf("%s: New = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// TestIntegrationTask inspects the queue with asynq's Inspector: against the
// real Redis when KSF_TEST_REDIS_URL is set.
func TestIntegrationTask(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.now = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	p := newPush("integ", "m-integ", "ksf_expense", goodData, newSecret).with("status", "2").with("statusTime", "2026-11-20 01:30:00")
	if status, a := e.do(p.form()); status != 200 {
		t.Fatalf("push: %d %+v", status, a)
	}
	info, err := e.in.GetTaskInfo(tasks.QueuePush, "push:integ:m-integ")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != "ksf:push" || info.Queue != "push" || info.ID != "push:integ:m-integ" || info.Retention < 7*24*time.Hour {
		t.Errorf("task type %q queue %q id %q retention %v", info.Type, info.Queue, info.ID, info.Retention)
	}
	var got tasks.Push
	if err := json.Unmarshal(info.Payload, &got); err != nil {
		t.Fatal(err)
	}
	want := tasks.Push{
		TenantID: "integ", MsgID: "m-integ", DataID: "d-m-integ", DataVersion: "001", DataFormat: "json", DataSource: "biz",
		DataType: "ksf_expense", Status: "2", StatusTime: "2026-11-20 01:30:00", Timestamp: p.fields.Get("timestamp"),
		Data:   tasks.PushData{CustomerCodes: []string{"c1", "c2"}, StartDate: "2026-11-01", EndDate: "2026-11-30"},
		Origin: "push", ReceivedAt: e.now,
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("payload\n%+v\nwant\n%+v", got, want)
	}
	if bytes.Contains(info.Payload, []byte(p.fields.Get("digest"))) || bytes.Contains(info.Payload, []byte("digest")) {
		t.Errorf("payload carries the digest: %s", info.Payload)
	}
	t.Logf("real redis: %v", e.redis.Real())
}

// recorder is an Observer writing down what it is told.
type recorder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (r *recorder) PushHandled(dataType, outcome string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.b, "handled %s %s; ", dataType, outcome)
}

func (r *recorder) DigestFailed(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.b, "digest %s; ", reason)
}

func (r *recorder) Enqueued(time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b.WriteString("enqueued; ")
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.String()
}
