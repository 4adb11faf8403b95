package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

type resyncAnswer struct {
	TaskID        string   `json:"task_id"`
	TenantID      string   `json:"tenant_id"`
	MsgID         string   `json:"msg_id"`
	DataType      string   `json:"data_type"`
	CustomerCodes []string `json:"customer_codes"`
	StartDate     string   `json:"start_date"`
	EndDate       string   `json:"end_date"`
	AlreadyQueued bool     `json:"already_queued"`
}

// A resync enqueues exactly the ksf:push task a push with the same data
// would, apart from the message id and the times.
func TestResyncEqualsPush(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	for name, codes := range map[string]any{"string": " c1 ,c2,,c1", "array": []string{"c1", " c2", "c1", ""}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var a resyncAnswer
			code := f.call(t, "POST", "/admin/api/resync", map[string]any{"tenant_id": "t1", "data_type": "ksf_statement",
				"customer_codes": codes, "start_date": "2026-11-01", "end_date": "2026-11-30"}, &a)
			if code != http.StatusAccepted {
				t.Fatalf("status %d %+v", code, a)
			}
			if !regexp.MustCompile(`^resync-[0-9a-f]{32}$`).MatchString(a.MsgID) || a.TaskID != tasks.PushTaskID("t1", a.MsgID) || a.AlreadyQueued {
				t.Fatalf("answer %+v", a)
			}
			info, err := f.in.GetTaskInfo(tasks.QueuePush, a.TaskID)
			if err != nil {
				t.Fatal(err)
			}
			var got tasks.Push
			if err := json.Unmarshal(info.Payload, &got); err != nil {
				t.Fatal(err)
			}
			data, err := tasks.ParsePushData(`{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}`)
			if err != nil {
				t.Fatal(err)
			}
			// What the receiver builds from a push with this data.
			want, err := tasks.NewPushTask(tasks.Push{TenantID: "t1", MsgID: got.MsgID, DataType: tasks.DataTypeStatement,
				Timestamp: got.Timestamp, Data: data, Origin: admin.OriginResync, ReceivedAt: got.ReceivedAt})
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != want.Type() || string(info.Payload) != string(want.Payload()) {
				t.Fatalf("payload\n got %s\nwant %s", info.Payload, want.Payload())
			}
			if info.Queue != tasks.QueuePush || info.MaxRetry != 25 || info.Retention != tasks.PushRetention || info.ID != tasks.PushTaskID("t1", got.MsgID) {
				t.Fatalf("options %+v", info)
			}
			if ts := time.UnixMilli(mustAtoi(t, got.Timestamp)); time.Since(ts) > time.Minute || got.ReceivedAt.IsZero() {
				t.Fatalf("timestamp %s received %v", got.Timestamp, got.ReceivedAt)
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestResyncValidation(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	withTenant := setup(t, admin.Config{Token: token, DefaultTenant: "t1"})
	tests := []struct {
		name string
		fx   *fixture
		body string
		code int
		msg  string
	}{
		{"bad data type", f, `{"tenant_id":"t1","data_type":"ksf_other","start_date":"2026-11-01","end_date":"2026-11-01"}`, 422, "data_type"},
		{"start after end", f, `{"tenant_id":"t1","data_type":"ksf_expense","start_date":"2026-11-02","end_date":"2026-11-01"}`, 400, "after end_date"},
		{"not a date", f, `{"tenant_id":"t1","data_type":"ksf_expense","start_date":"2026-02-30","end_date":"2026-03-01"}`, 400, "not a real date"},
		{"missing dates", f, `{"tenant_id":"t1","data_type":"ksf_expense"}`, 400, "start_date"},
		{"too long", f, `{"tenant_id":"t1","data_type":"ksf_expense","start_date":"2025-01-01","end_date":"2026-12-31"}`, 400, "split it"},
		{"codes not strings", f, `{"tenant_id":"t1","data_type":"ksf_expense","customer_codes":[1,2],"start_date":"2026-11-01","end_date":"2026-11-01"}`, 400, "customer_codes"},
		{"no tenant", f, `{"data_type":"ksf_expense","start_date":"2026-11-01","end_date":"2026-11-01"}`, 400, "tenant_id is required"},
		{"unknown field", f, `{"tenant":"t1","data_type":"ksf_expense","start_date":"2026-11-01","end_date":"2026-11-01"}`, 400, "unknown field"},
		{"other tenant", withTenant, `{"tenant_id":"t2","data_type":"ksf_expense","start_date":"2026-11-01","end_date":"2026-11-01"}`, 400, "KSF_TENANT_ID"},
		{"default tenant", withTenant, `{"data_type":"ksf_expense","start_date":"2026-11-01","end_date":"2026-11-01"}`, 202, ""},
		{"every customer", f, `{"tenant_id":"t1","data_type":"ksf_expense","customer_codes":"","start_date":"2026-11-01","end_date":"2026-11-01"}`, 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out map[string]any
			code := tt.fx.call(t, "POST", "/admin/api/resync", tt.body, &out)
			if code != tt.code {
				t.Fatalf("status %d %v, want %d", code, out, tt.code)
			}
			if msg, _ := out["error"].(string); tt.msg != "" && !strings.Contains(msg, tt.msg) {
				t.Fatalf("error %q, want it to mention %q", msg, tt.msg)
			}
			if code == 202 && out["tenant_id"] != "t1" {
				t.Fatalf("tenant %v", out["tenant_id"])
			}
		})
	}
}

func TestResyncUsesEnqueueFunc(t *testing.T) {
	t.Parallel()
	got := make(chan tasks.Push, 1)
	f := setup(t, admin.Config{Token: token, Enqueue: func(_ context.Context, p tasks.Push) (bool, error) {
		got <- p
		return true, nil
	}})
	var a resyncAnswer
	code := f.call(t, "POST", "/admin/api/resync", `{"tenant_id":"t1","data_type":"ksf_expense","customer_codes":["c1"],"start_date":"2026-11-01","end_date":"2026-11-01"}`, &a)
	if code != 202 || !a.AlreadyQueued {
		t.Fatalf("%d %+v", code, a)
	}
	if p := <-got; p.Origin != "resync" || p.MsgID != a.MsgID || p.Data.CustomerCodes[0] != "c1" {
		t.Fatalf("push %+v", p)
	}

	failing := setup(t, admin.Config{Token: token, Enqueue: func(context.Context, tasks.Push) (bool, error) {
		return false, errors.New("redis: connection pool timeout")
	}})
	var out map[string]string
	if code := failing.call(t, "POST", "/admin/api/resync", `{"tenant_id":"t1","data_type":"ksf_expense","start_date":"2026-11-01","end_date":"2026-11-01"}`, &out); code != 500 || strings.Contains(out["error"], "pool") {
		t.Fatalf("enqueue failure: %d %v (details belong in the log)", code, out)
	}
}

type pushesPage struct {
	Items []struct {
		TaskID        string            `json:"task_id"`
		State         string            `json:"state"`
		Tenant        string            `json:"tenant"`
		MsgID         string            `json:"msg_id"`
		Origin        string            `json:"origin"`
		CustomerCount int               `json:"customer_count"`
		Customers     []string          `json:"customers"`
		Period        string            `json:"period"`
		LastError     string            `json:"last_error"`
		Result        *tasks.PushResult `json:"result"`
	} `json:"items"`
	Total int `json:"total"`
}

func TestPushesAuditTrail(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	base := time.Now().Add(-time.Hour)
	push := func(msg string, i int, codes ...string) *asynq.Task {
		task, err := tasks.NewPushTask(tasks.Push{TenantID: "t1", MsgID: msg, DataType: tasks.DataTypeStatement, Origin: "push",
			Data:       tasks.PushData{CustomerCodes: codes, StartDate: "2026-11-01", EndDate: "2026-11-30"},
			ReceivedAt: base.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	for _, task := range []*asynq.Task{push("ok", 0, "c1", "c2", "c3"), push("bad", 1, "c1")} {
		if _, err := f.client.Enqueue(task); err != nil {
			t.Fatal(err)
		}
	}
	// A worker whose push handler writes the fan-out as the task's result.
	done := make(chan struct{}, 2)
	srv := asynq.NewServer(f.opt, asynq.Config{Queues: map[string]int{tasks.QueuePush: 1}, TaskCheckInterval: 10 * time.Millisecond,
		LogLevel: asynq.FatalLevel})
	err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		defer func() { done <- struct{}{} }()
		var p tasks.Push
		_ = json.Unmarshal(task.Payload(), &p)
		if p.MsgID == "bad" {
			return errors.Join(errors.New("unknown data type"), asynq.SkipRetry)
		}
		b, _ := json.Marshal(tasks.PushResult{Customers: 3, FannedOut: 2, AlreadyQueued: 1, Kind: tasks.TypeStatement})
		_, err := task.ResultWriter().Write(b)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	<-done
	<-done
	srv.Shutdown() // waits until both tasks are completed / archived
	if _, err := f.client.Enqueue(push("waiting", 2)); err != nil {
		t.Fatal(err)
	}

	var p pushesPage
	if code := f.call(t, "GET", "/admin/api/pushes", nil, &p); code != 200 || p.Total != 3 {
		t.Fatalf("%d %+v", code, p)
	}
	waiting, bad, ok := p.Items[0], p.Items[1], p.Items[2]
	if waiting.MsgID != "waiting" || waiting.State != "pending" || waiting.CustomerCount != 0 {
		t.Fatalf("newest %+v", waiting)
	}
	if bad.State != "archived" || !strings.Contains(bad.LastError, "unknown data type") || bad.Result != nil {
		t.Fatalf("failed push %+v", bad)
	}
	if ok.State != "completed" || ok.Result == nil || *ok.Result != (tasks.PushResult{Customers: 3, FannedOut: 2, AlreadyQueued: 1, Kind: tasks.TypeStatement}) ||
		ok.CustomerCount != 3 || strings.Join(ok.Customers, ",") != "c1,c2,c3" || ok.Period != "2026-11-01..2026-11-30" || ok.TaskID != tasks.PushTaskID("t1", "ok") {
		t.Fatalf("completed push %+v", ok)
	}
	if f.call(t, "GET", "/admin/api/pushes?state=completed", nil, &p); p.Total != 1 || p.Items[0].MsgID != "ok" {
		t.Fatalf("state filter %+v", p)
	}
	if f.call(t, "GET", "/admin/api/pushes?tenant=t2", nil, &p); p.Total != 0 {
		t.Fatalf("tenant filter %+v", p)
	}
	if code := f.call(t, "GET", "/admin/api/pushes?state=bogus", nil, nil); code != 400 {
		t.Fatalf("bad state: %d", code)
	}
}

func TestMonitoringUI(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	f.failTasks(t, failing{task: syncTask(t, "t1", tasks.DataTypeStatement, "c1", "2026-11-01", "2026-11-30"), err: "boom"})

	get := func(path, auth string) (int, string, string) {
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	// The browser's way in: Basic auth with the token as password.
	code, ctype, body := get("/monitoring/", basic("ops", token))
	if code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "<title>Asynq - Monitoring</title>") || !strings.Contains(body, `ROOT_PATH="\/monitoring"`) {
		i := strings.Index(body, "ROOT_PATH")
		t.Fatalf("index: %d %s\n%.300s", code, ctype, body[max(i, 0):])
	}
	code, _, body = get("/monitoring/api/queues", "Bearer "+token)
	var queues struct {
		Queues []struct {
			Queue    string `json:"queue"`
			Archived int    `json:"archived"`
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(body), &queues); code != 200 || err != nil || len(queues.Queues) != 1 || queues.Queues[0].Queue != "sync" || queues.Queues[0].Archived != 1 {
		t.Fatalf("queues: %d %v %s", code, err, body)
	}
	code, _, body = get("/monitoring/api/queues/sync/archived_tasks", "Bearer "+token)
	var archived struct {
		Tasks []struct {
			Payload string `json:"payload"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(body), &archived); code != 200 || err != nil || len(archived.Tasks) != 1 {
		t.Fatalf("archived: %d %v %s", code, err, body)
	}
	if want := "tenant=t1 customer=c1 period=2026-11-01..2026-11-30 dataType=ksf_statement msgId=m1"; archived.Tasks[0].Payload != want {
		t.Fatalf("payload shown as %q, want %q", archived.Tasks[0].Payload, want)
	}
}

func TestFormatPayload(t *testing.T) {
	t.Parallel()
	many := `["a","b","c","d","e","f","g"]`
	tests := []struct {
		kind, payload, want string
	}{
		{tasks.TypeStatement, `{"tenant_id":"t","msg_id":"m","data_type":"ksf_statement","customer_code":"c","start_date":"2026-11-01","end_date":"2026-11-02"}`,
			"tenant=t customer=c period=2026-11-01..2026-11-02 dataType=ksf_statement msgId=m"},
		{tasks.TypePush, `{"tenant_id":"t","msg_id":"m","data_type":"ksf_expense","data":{"customer_codes":` + many + `,"start_date":"2026-11-01","end_date":"2026-11-02"}}`,
			"tenant=t customer=a,b,c,d,e,… (7) period=2026-11-01..2026-11-02 dataType=ksf_expense msgId=m"},
		{tasks.TypePush, `{"tenant_id":"t","msg_id":"m","data_type":"ksf_expense","data":{"start_date":"2026-11-01","end_date":"2026-11-02"}}`,
			"tenant=t customer=(all) period=2026-11-01..2026-11-02 dataType=ksf_expense msgId=m"},
		{tasks.TypeReport, `{"tenant_id":"t","msg_id":"m","data_type":"ksf_statement","customer_code":"c","start_date":"2026-11-01","end_date":"2026-11-02","reason":"jdy refused"}`,
			"tenant=t customer=c period=2026-11-01..2026-11-02 dataType=ksf_statement msgId=m reason=jdy refused"},
		{"other:kind", `{"a":1}`, `{"a":1}`},
		{tasks.TypeStatement, `garbage`, `garbage`},
		{"other:kind", "\x00\x01", "non-printable bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+tt.want, func(t *testing.T) {
			t.Parallel()
			if got := admin.FormatPayload(tt.kind, []byte(tt.payload)); got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	res := admin.FormatResult(tasks.TypePush, []byte(`{"customers":3,"fanned_out":2,"already_queued":1,"all_customers":false,"kind":"ksf:statement"}`))
	if res != "customers=3 fanned_out=2 already_queued=1 all_customers=false kind=ksf:statement" {
		t.Fatalf("result %q", res)
	}
}

func ExampleNew() {
	srv, err := admin.New(admin.Config{
		Token:        "s3cret", // KSF_ADMIN_TOKEN
		RedisConnOpt: asynq.RedisClientOpt{Addr: "127.0.0.1:6379"},
		Logger:       zerolog.Nop(),
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	// Serve srv on the admin listener: http.ListenAndServe(KSF_ADMIN_ADDR, srv).
	for _, auth := range []string{"", "Bearer s3cret"} {
		req := httptest.NewRequest("GET", "/admin/api/nope", nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// 401 {"error":"missing or wrong admin token: send \"Authorization: Bearer <KSF_ADMIN_TOKEN>\""}
	// 404 {"error":"no route GET /admin/api/nope: see docs/admin-api.md"}
}
