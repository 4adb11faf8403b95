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
	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
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
			wantReason: "商派OMS拒绝了ksfsync的调用,请管理员检查商派OMS接口配置。商派OMS答复: 1003 签名错误",
			wantEvents: []string{"errorlog ksf:statement", "job ksf:statement failed"}},
		{name: "reconcile refuses", dataType: DataTypeExpense, buildErr: FromSource("jdy", jdyRefusal()),
			wantErr: true, wantSkip: true, wantReason: "金蝶精斗云数据: 只提供"},
		{name: "transient retried", dataType: DataTypeStatement, buildErr: transientSource, wantErr: true,
			wantEvents: []string{"job ksf:statement retry"}},
		{name: "transient exhausted", dataType: DataTypeStatement, buildErr: transientSource, final: true, wantErr: true,
			wantReason: "重试3次后仍失败: 旺店通接口调用暂时失败,请稍后在勤策重新发起同步。旺店通答复: 系统繁忙"},
		{name: "waiqin rejects statement", dataType: DataTypeStatement, saveErr: rejected, wantErr: true, wantSkip: true,
			wantReason: "勤策保存货款对账单被拒绝,请核对对账单数据或联系管理员。勤策答复: 100608 对账单号为空"},
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
			task, err := NewReportTask(Report{Sync: Sync{TenantID: "t1", DataType: DataTypeExpense, CustomerCode: "c9", StartDate: "2026-11-01"}, Reason: "x", SyncTaskID: "s"})
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
		{&upstream.Error{Vendor: "jdy", Op: "customer_business", Code: "2000002000", Message: "系统错误"},
			"金蝶精斗云查询客户往来暂时失败,请稍后在勤策重新发起同步。金蝶精斗云答复: 2000002000 系统错误"},
		{&upstream.Error{Vendor: "waiqin", Op: "saveStatement", Status: 502}, "勤策保存货款对账单暂时失败,请稍后在勤策重新发起同步。勤策答复: HTTP 502"},
		{&upstream.Error{Vendor: "jdy", Op: "customer_business", Status: 401, Permanent: true}, "金蝶精斗云拒绝了ksfsync的调用,请管理员检查金蝶精斗云接口配置。金蝶精斗云答复: HTTP 401"},
		{&upstream.Error{Vendor: "wdt", Op: "wdt.hjy.bill.ext.query.orgs", Code: "400", Message: "店铺不存在", Permanent: true},
			"旺店通查询账单被拒绝,请核对该客户在旺店通的资料及客户映射。旺店通答复: 400 店铺不存在"},
		{FromSource("jdy", jdyRefusal()), "金蝶精斗云数据: 只提供2026-05和2026-04的月度汇总,请选择这两个月内的日期重新同步"},
		{WithReason(retry.Permanent(errors.New("customer C9 is not in the customer map")), "客户C9不在客户映射中"), "客户C9不在客户映射中"},
		{retry.Permanent(fmt.Errorf("something else")), "ksfsync处理失败,请联系ksfsync管理员查看日志和失败记录"},
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

// jdyRefusal is a real reconcile refusal: March asked in May.
func jdyRefusal() error {
	p, _ := reconcile.ParsePeriod("2026-03-01", "2026-03-31")
	_, err := reconcile.BuildGoodsFromJDY(reconcile.JDYInput{CustomerCode: "c1", Period: p,
		Today: time.Date(2026, 5, 20, 12, 0, 0, 0, tz.Shanghai)}, reconcile.Options{})
	return err
}

// TestReasonsAreChineseAndShort: every reason sent to 勤策 is at most 100
// characters and mostly Chinese, while the error keeps its English detail
// (issue 10, item 10).
func TestReasonsAreChineseAndShort(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		&upstream.Error{Vendor: "oms", Op: "ar.getDetail", Code: "2002", Message: strings.Repeat("invalid parameter ", 20), Permanent: true},
		&upstream.Error{Vendor: "wdt", Op: "wdt.hjy.bill.ext.query.orgs", Code: "500", Message: "系统异常"},
		FromSource("oms", jdyRefusal()),
		&confirmedError{held: HeldStatement{Number: "HK2026030120260331abcdefabcdef", Status: "已确认"}},
	} {
		got := Reason(err)
		han := 0
		for _, r := range got {
			if r >= 0x4e00 && r <= 0x9fff {
				han++
			}
		}
		if n := len([]rune(got)); n > 100 || han < 10 {
			t.Errorf("reason %q: %d characters, %d Chinese", got, n, han)
		}
		if strings.Contains(err.Error(), "请") {
			t.Errorf("English detail %q carries the Chinese reason", err.Error())
		}
	}
}

// TestErrorLogCustomerFits: a customer code over the error log's 32
// characters is shortened (prefix~hash) and the report is sent, not refused.
func TestErrorLogCustomerFits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("K", 40)
	got := ErrorLogCustomer(long)
	if len([]rune(got)) != 32 || !strings.HasPrefix(got, strings.Repeat("K", 19)+"~") || ErrorLogCustomer("C1") != "C1" {
		t.Fatalf("ErrorLogCustomer = %q", got)
	}
	if ErrorLogCustomer(long+"X") == got {
		t.Fatal("two long codes collide")
	}
	f := setup(t, func(context.Context, Sync) (Built, error) {
		return Built{}, retry.Permanent(errors.New("refused"))
	})
	_ = f.h.HandleSync(context.Background(), syncTask(t, DataTypeStatement, long))
	if len(f.wq.errorLogs) != 1 || f.wq.errorLogs[0].CustomerCode != got {
		t.Fatalf("error logs %+v", f.wq.errorLogs)
	}
	if err := f.wq.errorLogs[0].Validate(); err != nil {
		t.Fatalf("the log 勤策 would get is invalid: %v", err)
	}
	if n := len(pendingIDs(t, f, QueueReport)); n != 0 {
		t.Fatalf("%d report jobs queued", n)
	}
}

// memHeld answers HeldStatements from a list, per month.
type memHeld struct {
	mu     sync.Mutex
	rows   map[string][]HeldStatement // month → rows
	err    error
	months []string
}

func (m *memHeld) HeldStatements(_ context.Context, _, _, _, month string, fn func(HeldStatement) error) error {
	m.mu.Lock()
	m.months = append(m.months, month)
	rows, err := m.rows[month], m.err
	m.mu.Unlock()
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// TestConfirmedStatementKept: before saving, 勤策 is asked for the
// customer's statements of every month of the period; one in a final state
// is kept, reported and the job archived with outcome confirmed (issue 10,
// item 3).
func TestConfirmedStatementKept(t *testing.T) {
	t.Parallel()
	confirmed := HeldStatement{Number: "HK-OLD", Status: "已确认", StartDate: "2026-11-01", EndDate: "2026-11-30"}
	tests := []struct {
		name      string
		rows      map[string][]HeldStatement
		policy    map[string]ConfirmedPolicy
		queryErr  error
		wantSaved int
		wantEvent string
		wantSkip  bool
		wantErr   bool
	}{
		{name: "confirmed kept", rows: map[string][]HeldStatement{"2026-11": {confirmed}},
			wantEvent: "job ksf:statement confirmed", wantSkip: true, wantErr: true},
		{name: "unconfirmed overwritten", rows: map[string][]HeldStatement{"2026-11": {{Number: "HK-OLD", Status: "未确认", StartDate: "2026-11-01", EndDate: "2026-11-30"}}},
			wantSaved: 1, wantEvent: "job ksf:statement ok"},
		{name: "confirmed other period", rows: map[string][]HeldStatement{"2026-11": {{Number: "HK-X", Status: "已确认", StartDate: "2026-10-01", EndDate: "2026-10-31"}}},
			wantSaved: 1, wantEvent: "job ksf:statement ok"},
		{name: "policy overwrite", rows: map[string][]HeldStatement{"2026-11": {confirmed}}, policy: map[string]ConfirmedPolicy{"": {Overwrite: true}},
			wantSaved: 1, wantEvent: "job ksf:statement ok"},
		{name: "tenant's own final states", rows: map[string][]HeldStatement{"2026-11": {{Number: "HK-OLD", Status: "已审核"}}},
			policy: map[string]ConfirmedPolicy{"t1": {FinalStates: []string{"已审核"}}}, wantEvent: "job ksf:statement confirmed", wantSkip: true, wantErr: true},
		{name: "query fails transiently", queryErr: &upstream.Error{Vendor: "waiqin", Op: "queryStatement", Status: 503},
			wantEvent: "job ksf:statement retry", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, okBuilder)
			held := &memHeld{rows: tt.rows, err: tt.queryErr}
			obs := &recObserver{}
			f.h.Held, f.h.Confirmed, f.h.Observer = held, tt.policy, obs
			f.h.attempt = func(context.Context) (int, bool) { return 0, false }
			err := f.h.HandleSync(context.Background(), syncTask(t, DataTypeStatement, "c1"))
			if (err != nil) != tt.wantErr || errors.Is(err, asynq.SkipRetry) != tt.wantSkip {
				t.Fatalf("err = %v", err)
			}
			if len(f.wq.statements) != tt.wantSaved || !slices.Contains(obs.events, tt.wantEvent) {
				t.Fatalf("saved %d, events %v", len(f.wq.statements), obs.events)
			}
			if tt.wantEvent == "job ksf:statement confirmed" {
				if !errors.Is(err, ErrConfirmed) || !strings.HasPrefix(err.Error(), "confirmed:") {
					t.Errorf("err = %v", err)
				}
				if len(f.wq.errorLogs) != 1 || !strings.Contains(f.wq.errorLogs[0].ErrorReason, "已保留未覆盖") {
					t.Errorf("error logs %+v", f.wq.errorLogs)
				}
			}
			if tt.policy[""].Overwrite && len(held.months) != 0 {
				t.Errorf("overwrite asked 勤策 anyway: %v", held.months)
			}
		})
	}
}

func TestPeriodMonths(t *testing.T) {
	t.Parallel()
	got, err := periodMonths("2025-12-20", "2026-02-01")
	if err != nil || strings.Join(got, ",") != "2025-12,2026-01,2026-02" {
		t.Fatalf("periodMonths = %v, %v", got, err)
	}
	if _, err := periodMonths("2026-02-01", "2026-01-01"); err == nil {
		t.Fatal("reversed period accepted")
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
	rep, err := NewReportTask(Report{Sync: Sync{TenantID: "t1", DataType: DataTypeStatement, CustomerCode: "c1", StartDate: "2026-11-01"}, Reason: "x"})
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
