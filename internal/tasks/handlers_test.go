package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// memWaiqin records what the handlers send to 勤策.
type memWaiqin struct {
	mu         sync.Mutex
	customers  []string
	statements []*statement.Statement
	expenses   []*statement.Expense
	errorLogs  []statement.ErrorLog
	saveErr    error // returned by SaveStatement/SaveExpense
	logErr     error // returned by SaveError
}

func (m *memWaiqin) Customers(_ context.Context, _ string, fn func(string) error) error {
	for _, c := range m.customers {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *memWaiqin) SaveStatement(_ context.Context, _ string, s *statement.Statement) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveErr != nil {
		return m.saveErr
	}
	m.statements = append(m.statements, s)
	return nil
}

func (m *memWaiqin) SaveExpense(_ context.Context, _ string, e *statement.Expense) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveErr != nil {
		return m.saveErr
	}
	m.expenses = append(m.expenses, e)
	return nil
}

func (m *memWaiqin) SaveStatementError(ctx context.Context, tenant string, l statement.ErrorLog) error {
	return m.SaveExpenseError(ctx, tenant, l)
}

func (m *memWaiqin) SaveExpenseError(_ context.Context, _ string, l statement.ErrorLog) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logErr != nil {
		return m.logErr
	}
	m.errorLogs = append(m.errorLogs, l)
	return nil
}

type fixture struct {
	h         *Handlers
	wq        *memWaiqin
	inspector *asynq.Inspector
	client    *asynq.Client
}

func setup(t *testing.T, build BuilderFunc) *fixture {
	t.Helper()
	mr := miniredis.RunT(t)
	opt := asynq.RedisClientOpt{Addr: mr.Addr()}
	client := asynq.NewClient(opt)
	inspector := asynq.NewInspector(opt)
	t.Cleanup(func() { client.Close(); inspector.Close() })
	wq := &memWaiqin{}
	h := &Handlers{Waiqin: wq, Statements: build, Expenses: build, Enqueuer: client, Logger: zerolog.Nop()}
	return &fixture{h: h, wq: wq, inspector: inspector, client: client}
}

func pushTask(t *testing.T, dataType string, codes ...string) *asynq.Task {
	t.Helper()
	task, err := NewPushTask(Push{TenantID: "t1", MsgID: "m1", DataType: dataType,
		Data: PushData{CustomerCodes: codes, StartDate: "2026-11-01", EndDate: "2026-11-30"}})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func syncTask(t *testing.T, dataType, code string) *asynq.Task {
	t.Helper()
	task, err := NewSyncTask(Sync{TenantID: "t1", MsgID: "m1", DataType: dataType, CustomerCode: code,
		StartDate: "2026-11-01", EndDate: "2026-11-30"})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func pendingIDs(t *testing.T, f *fixture, queue string) []string {
	t.Helper()
	infos, err := f.inspector.ListPendingTasks(queue, asynq.PageSize(1000))
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range infos {
		ids = append(ids, i.ID)
	}
	slices.Sort(ids)
	return ids
}

func okBuilder(_ context.Context, s Sync) (Built, error) {
	if s.DataType == DataTypeExpense {
		return Built{Expense: &statement.Expense{StatementNo: "FY1", CustomerCode: s.CustomerCode}}, nil
	}
	return Built{Statement: &statement.Statement{SerialNo: "HK1", CustomerCode: s.CustomerCode}, Difference: true}, nil
}

func TestHandlePushFansOutOncePerCustomer(t *testing.T) {
	t.Parallel()
	f := setup(t, okBuilder)
	ctx := context.Background()
	if err := f.h.HandlePush(ctx, pushTask(t, DataTypeStatement, "c1", "c2", "c3")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		SyncTaskID("t1", "m1", DataTypeStatement, "c1"),
		SyncTaskID("t1", "m1", DataTypeStatement, "c2"),
		SyncTaskID("t1", "m1", DataTypeStatement, "c3"),
	}
	if got := pendingIDs(t, f, QueueSync); !slices.Equal(got, want) {
		t.Fatalf("sync tasks = %v, want %v", got, want)
	}
	// A re-run (worker crashed after fanning out) adds nothing.
	if err := f.h.HandlePush(ctx, pushTask(t, DataTypeStatement, "c1", "c2", "c3")); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, f, QueueSync); !slices.Equal(got, want) {
		t.Fatalf("after re-run sync tasks = %v", got)
	}
	info, err := f.inspector.GetTaskInfo(QueueSync, want[0])
	if err != nil {
		t.Fatal(err)
	}
	var s Sync
	if err := json.Unmarshal(info.Payload, &s); err != nil || s.CustomerCode != "c1" || info.Type != TypeStatement || info.MaxRetry != SyncMaxRetry {
		t.Fatalf("task %+v payload %+v err %v", info, s, err)
	}
}

func TestHandlePushEmptyListMeansEveryCustomer(t *testing.T) {
	t.Parallel()
	f := setup(t, okBuilder)
	f.wq.customers = []string{"a", "b", "a", ""} // duplicates and empties from 勤策 are ignored
	if err := f.h.HandlePush(context.Background(), pushTask(t, DataTypeExpense)); err != nil {
		t.Fatal(err)
	}
	want := []string{SyncTaskID("t1", "m1", DataTypeExpense, "a"), SyncTaskID("t1", "m1", DataTypeExpense, "b")}
	if got := pendingIDs(t, f, QueueSync); !slices.Equal(got, want) {
		t.Fatalf("sync tasks = %v, want %v", got, want)
	}
}

func TestHandlePushMalformed(t *testing.T) {
	t.Parallel()
	f := setup(t, okBuilder)
	err := f.h.HandlePush(context.Background(), asynq.NewTask(TypePush, []byte("{")))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want SkipRetry", err)
	}
}

type recObserver struct {
	mu     sync.Mutex
	events []string
}

func (o *recObserver) add(s string) { o.mu.Lock(); o.events = append(o.events, s); o.mu.Unlock() }
func (o *recObserver) JobProcessed(kind, outcome string, _ time.Duration) {
	o.add("job " + kind + " " + outcome)
}
func (o *recObserver) StatementSaved(kind string)      { o.add("saved " + kind) }
func (o *recObserver) ErrorLogSent(kind string)        { o.add("errorlog " + kind) }
func (o *recObserver) ReconcileDifference(kind string) { o.add("difference " + kind) }

func TestHandleSync(t *testing.T) {
	t.Parallel()
	permanentSource := &upstream.Error{Vendor: "oms", Op: "ar.getList", Code: "1003", Message: "签名错误", Permanent: true}
	transientSource := &upstream.Error{Vendor: "wdt", Op: "bills", Message: "系统繁忙"}
	rejected := &upstream.Error{Vendor: "waiqin", Op: "saveStatement", Code: "100608", Message: "对账单号为空", Permanent: true}
	tests := []struct {
		name        string
		dataType    string
		buildErr    error
		saveErr     error
		logErr      error
		final       bool
		wantErr     bool
		wantSkip    bool
		wantSaved   int
		wantReason  string // substring of the single error log; "" = none
		wantReports int    // ksf:report tasks queued
		wantEvents  []string
	}{
		{name: "saved", dataType: DataTypeStatement, wantSaved: 1,
			wantEvents: []string{"saved ksf:statement", "difference ksf:statement", "job ksf:statement ok"}},
		{name: "expense saved", dataType: DataTypeExpense, wantSaved: 1,
			wantEvents: []string{"saved ksf:expense", "job ksf:expense ok"}},
		{name: "source refuses", dataType: DataTypeStatement, buildErr: permanentSource, wantErr: true, wantSkip: true,
			wantReason: "商派OMS ar.getList: 1003 签名错误",
			wantEvents: []string{"errorlog ksf:statement", "job ksf:statement failed"}},
		{name: "reconcile refuses", dataType: DataTypeExpense, buildErr: retry.Permanent(errors.New("period not served by jdy")),
			wantErr: true, wantSkip: true, wantReason: "period not served by jdy"},
		{name: "transient retried", dataType: DataTypeStatement, buildErr: transientSource, wantErr: true,
			wantEvents: []string{"job ksf:statement retry"}},
		{name: "transient exhausted", dataType: DataTypeStatement, buildErr: transientSource, final: true, wantErr: true,
			wantReason: "重试3次后仍失败: 旺店通 bills: 系统繁忙"},
		{name: "waiqin rejects statement", dataType: DataTypeStatement, saveErr: rejected, wantErr: true, wantSkip: true,
			wantReason: "勤策 saveStatement: 100608 对账单号为空"},
		{name: "error log fails: report job", dataType: DataTypeStatement, buildErr: permanentSource,
			logErr: &upstream.Error{Vendor: "waiqin", Op: "saveStatementError", Status: 502}, wantErr: true, wantSkip: true, wantReports: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, func(ctx context.Context, s Sync) (Built, error) {
				if tt.buildErr != nil {
					return Built{}, tt.buildErr
				}
				return okBuilder(ctx, s)
			})
			obs := &recObserver{}
			f.h.Observer = obs
			f.wq.saveErr, f.wq.logErr = tt.saveErr, tt.logErr
			f.h.attempt = func(context.Context) (int, bool) { return 3, tt.final }
			err := f.h.HandleSync(context.Background(), syncTask(t, tt.dataType, "c1"))
			if (err != nil) != tt.wantErr || errors.Is(err, asynq.SkipRetry) != tt.wantSkip {
				t.Fatalf("err = %v, wantErr %v wantSkip %v", err, tt.wantErr, tt.wantSkip)
			}
			if got := len(f.wq.statements) + len(f.wq.expenses); got != tt.wantSaved {
				t.Errorf("saved %d, want %d", got, tt.wantSaved)
			}
			switch {
			case tt.wantReason == "" && len(f.wq.errorLogs) != 0:
				t.Errorf("unexpected error logs %+v", f.wq.errorLogs)
			case tt.wantReason != "":
				if len(f.wq.errorLogs) != 1 || !strings.Contains(f.wq.errorLogs[0].ErrorReason, tt.wantReason) {
					t.Fatalf("error logs = %+v, want one with %q", f.wq.errorLogs, tt.wantReason)
				}
				if l := f.wq.errorLogs[0]; l.CustomerCode != "c1" || l.StartDate != "2026-11-01" {
					t.Errorf("error log = %+v", l)
				}
			}
			if got := len(pendingIDs(t, f, QueueReport)); got != tt.wantReports {
				t.Errorf("report tasks = %d, want %d", got, tt.wantReports)
			}
			if tt.wantEvents != nil && !slices.Equal(obs.events, tt.wantEvents) {
				t.Errorf("events = %v, want %v", obs.events, tt.wantEvents)
			}
		})
	}
}

func TestHandleReport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		logErr   error
		wantErr  bool
		wantSkip bool
	}{
		{"sent", nil, false, false},
		{"transient", &upstream.Error{Vendor: "waiqin", Op: "saveExpenseError", Status: 503}, true, false},
		{"permanent", &upstream.Error{Vendor: "waiqin", Op: "saveExpenseError", Code: "100608", Permanent: true}, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, okBuilder)
			f.wq.logErr = tt.logErr
			task, err := NewReportTask(Report{TenantID: "t1", DataType: DataTypeExpense, CustomerCode: "c9", StartDate: "2026-11-01", Reason: "x", SyncTaskID: "s"})
			if err != nil {
				t.Fatal(err)
			}
			err = f.h.HandleReport(context.Background(), task)
			if (err != nil) != tt.wantErr || errors.Is(err, asynq.SkipRetry) != tt.wantSkip {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && (len(f.wq.errorLogs) != 1 || f.wq.errorLogs[0].CustomerCode != "c9") {
				t.Fatalf("error logs = %+v", f.wq.errorLogs)
			}
		})
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	long := &upstream.Error{Vendor: "oms", Op: "ar.getDetail", Code: "2002", Message: strings.Repeat("非法的请求参数", 30), Permanent: true}
	tests := []struct {
		err  error
		want string
	}{
		{&upstream.Error{Vendor: "jdy", Op: "customer_business", Code: "2000002000", Message: "系统错误"}, "金蝶精斗云 customer_business: 2000002000 系统错误"},
		{&upstream.Error{Vendor: "waiqin", Op: "saveStatement", Status: 502}, "勤策 saveStatement: HTTP 502"},
		{retry.Permanent(fmt.Errorf("period 2026-01-01..2026-01-31 not served by jdy")), "period 2026-01-01..2026-01-31 not served by jdy"},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason = %q, want %q", got, tt.want)
		}
	}
	if got := Reason(long); len([]rune(got)) != 100 || !strings.HasSuffix(got, "…") {
		t.Errorf("long reason = %q (%d runes)", got, len([]rune(got)))
	}
}

// TestRetryDelayLeaseExpired: a task recovered from a dead worker is not
// made to wait a backoff on top of asynq's recovery time.
func TestRetryDelayLeaseExpired(t *testing.T) {
	t.Parallel()
	for n := range 3 {
		if d := RetryDelay(n, asynq.ErrLeaseExpired, nil); d != 0 {
			t.Errorf("RetryDelay(%d, ErrLeaseExpired) = %v, want 0", n, d)
		}
	}
	if d := RetryDelay(0, errors.New("oms: 502"), nil); d < 5*time.Second {
		t.Errorf("RetryDelay(0, a vendor error) = %v, want the 5–10 s backoff", d)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	for n, bounds := range map[int][2]time.Duration{
		0: {5 * time.Second, 10 * time.Second}, 3: {40 * time.Second, 80 * time.Second},
		9: {RetryCap / 2, RetryCap}, 40: {RetryCap / 2, RetryCap},
	} {
		for range 100 {
			if d := RetryDelay(n, nil, nil); d < bounds[0] || d > bounds[1] {
				t.Fatalf("RetryDelay(%d) = %v, want within %v", n, d, bounds)
			}
		}
	}
}

// TestJobLogLines: every job line is one JSON object with unique keys (kind
// once) and says its unit (latency_ms), for push, sync and report jobs.
func TestJobLogLines(t *testing.T) {
	t.Parallel()
	f := setup(t, okBuilder)
	logs := &logtest.Buffer{}
	f.h.Logger = zerolog.New(logs)
	ctx := context.Background()
	if err := f.h.HandlePush(ctx, pushTask(t, DataTypeStatement, "c1")); err != nil {
		t.Fatal(err)
	}
	if err := f.h.HandleSync(ctx, syncTask(t, DataTypeStatement, "c1")); err != nil {
		t.Fatal(err)
	}
	rep, err := NewReportTask(Report{TenantID: "t1", DataType: DataTypeStatement, CustomerCode: "c1", StartDate: "2026-11-01", Reason: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.h.HandleReport(ctx, rep); err != nil {
		t.Fatal(err)
	}
	_ = f.h.HandleSync(ctx, asynq.NewTask(TypeStatement, []byte("{"))) // malformed
	out := logs.String()
	if bad := logtest.Malformed(out); len(bad) > 0 {
		t.Errorf("log lines an ingester refuses:\n%s", strings.Join(bad, "\n"))
	}
	if n := strings.Count(out, `"message":"job"`); n != 4 || strings.Count(out, `"latency_ms":`) != 4 || strings.Contains(out, `"latency":`) {
		t.Errorf("want 4 job lines each with latency_ms:\n%s", out)
	}
	if strings.Count(out, `"kind":"ksf:statement"`) != 2 {
		t.Errorf("the malformed and the good statement job should each name their kind once:\n%s", out)
	}
}
