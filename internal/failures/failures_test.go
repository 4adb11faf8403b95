package failures_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

var t0 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type fixture struct {
	mr    *miniredis.Miniredis
	rdb   redis.UniversalClient
	store *failures.Store
	clock *clock
}

func setup(t *testing.T, opts failures.Options) *fixture {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c := &clock{t: t0}
	opts.Now = c.Now
	return &fixture{mr: mr, rdb: rdb, store: failures.New(rdb, opts), clock: c}
}

func syncRecord(id, tenant, customer, start, end, lastErr string, at time.Time) failures.Record {
	return failures.Record{TaskID: id, Kind: tasks.TypeStatement, Queue: tasks.QueueSync, TenantID: tenant,
		MsgID: "m1", DataType: tasks.DataTypeStatement, CustomerCode: customer, StartDate: start, EndDate: end,
		Payload: []byte(`{"x":1}`), LastError: lastErr, Retried: 10, MaxRetry: 10, FailedAt: at}
}

func TestRecordGetUpdate(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	r := syncRecord("sync:t:m:ksf_statement:c1", "t", "c1", "2026-11-01", "2026-11-30", "oms busy", t0)
	if err := f.store.Record(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, r.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TaskID != r.TaskID || got.LastError != "oms busy" || !got.FailedAt.Equal(t0) || string(got.Payload) != `{"x":1}` || got.Replayed() {
		t.Fatalf("got %+v", got)
	}
	if _, err := f.store.MarkReplayed(ctx, r.TaskID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.store.Get(ctx, r.TaskID); !got.Replayed() || got.ReplayCount != 1 {
		t.Fatalf("after replay: %+v", got)
	}

	// The same task fails again after the replay: one record, updated,
	// its replay history kept, no longer counted as replayed.
	r2 := r
	r2.LastError, r2.FailedAt, r2.Payload = "oms refused", t0.Add(time.Hour), nil
	if err := f.store.Record(ctx, r2); err != nil {
		t.Fatal(err)
	}
	got, _ = f.store.Get(ctx, r.TaskID)
	if got.LastError != "oms refused" || got.ReplayCount != 1 || got.Replayed() || string(got.Payload) != `{"x":1}` {
		t.Fatalf("after second failure: %+v", got)
	}

	// A stale capture of the first failure changes nothing.
	if err := f.store.Record(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.store.Get(ctx, r.TaskID); got.LastError != "oms refused" {
		t.Fatalf("stale record overwrote: %+v", got)
	}
	if _, total, _ := f.store.List(ctx, failures.Filter{}, failures.Page{}); total != 1 {
		t.Fatalf("total %d, want 1", total)
	}
	if err := f.store.Record(ctx, failures.Record{}); err == nil {
		t.Fatal("record without task id accepted")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	if _, err := f.store.Get(ctx, "nope"); !errors.Is(err, failures.ErrNotFound) {
		t.Fatalf("Get: %v", err)
	}
	if err := f.store.Delete(ctx, "nope"); !errors.Is(err, failures.ErrNotFound) {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := f.store.MarkReplayed(ctx, "nope", t0); !errors.Is(err, failures.ErrNotFound) {
		t.Fatalf("MarkReplayed: %v", err)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	for i := range 3 {
		if err := f.store.Record(ctx, syncRecord(fmt.Sprint("id", i), "t", "c", "2026-11-01", "2026-11-01", "e", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.store.Delete(ctx, "id1"); err != nil {
		t.Fatal(err)
	}
	list, total, err := f.store.List(ctx, failures.Filter{}, failures.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || ids(list)[0] != "id2" || ids(list)[1] != "id0" {
		t.Fatalf("after delete: %v (total %d)", ids(list), total)
	}
	if n := f.rdb.Exists(ctx, failures.KeyPrefix+"{v1}:rec:id1").Val(); n != 0 {
		t.Fatal("record key left behind")
	}
}

func ids(rs []failures.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.TaskID
	}
	return out
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	// Recorded out of order: the listing is by failure time, newest first.
	for _, i := range []int{3, 0, 4, 1, 2} {
		if err := f.store.Record(ctx, syncRecord(fmt.Sprint("id", i), "t", "c", "2026-11-01", "2026-11-01", "e", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		page failures.Page
		want []string
	}{
		{failures.Page{}, []string{"id4", "id3", "id2", "id1", "id0"}},
		{failures.Page{Number: 1, Size: 2}, []string{"id4", "id3"}},
		{failures.Page{Number: 3, Size: 2}, []string{"id0"}},
		{failures.Page{Number: 4, Size: 2}, []string{}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.page), func(t *testing.T) {
			t.Parallel()
			list, total, err := f.store.List(ctx, failures.Filter{}, tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if total != 5 || !slices.Equal(ids(list), tt.want) {
				t.Fatalf("got %v total %d, want %v total 5", ids(list), total, tt.want)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	push := failures.Record{TaskID: "push:t1:m9", Kind: tasks.TypePush, Queue: tasks.QueuePush, TenantID: "t1",
		CustomerCode: "c1,c7", StartDate: "2026-10-01", EndDate: "2026-10-31", LastError: "list customers: 勤策 timeout", FailedAt: t0.Add(5 * time.Minute)}
	report := failures.Record{TaskID: "report:x", Kind: tasks.TypeReport, Queue: tasks.QueueReport, TenantID: "t2",
		CustomerCode: "c2", StartDate: "2026-11-01", EndDate: "2026-11-30", LastError: "HTTP 502", FailedAt: t0.Add(6 * time.Minute)}
	noPeriod := failures.Record{TaskID: "bad", Kind: tasks.TypeStatement, Queue: tasks.QueueSync, LastError: "decode sync payload", FailedAt: t0.Add(7 * time.Minute)}
	all := []failures.Record{
		syncRecord("s1", "t1", "c1", "2026-11-01", "2026-11-30", "OMS 2001 bad shop_code", t0),
		syncRecord("s2", "t1", "c2", "2026-11-15", "2026-11-15", "oms busy", t0.Add(time.Minute)),
		syncRecord("s3", "t2", "c1", "2026-12-01", "2026-12-31", "JDY period not served by jdy", t0.Add(2*time.Minute)),
		push, report, noPeriod,
	}
	all[2].Kind, all[2].DataType = tasks.TypeExpense, tasks.DataTypeExpense
	for _, r := range all {
		if err := f.store.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		filter failures.Filter
		want   []string
	}{
		{"none", failures.Filter{}, []string{"bad", "report:x", "push:t1:m9", "s3", "s2", "s1"}},
		{"kind", failures.Filter{Kind: tasks.TypeStatement}, []string{"bad", "s2", "s1"}},
		{"kind short name", failures.Filter{Kind: "expense"}, []string{"s3"}},
		{"queue", failures.Filter{Queue: tasks.QueueReport}, []string{"report:x"}},
		{"tenant", failures.Filter{TenantID: "t2"}, []string{"report:x", "s3"}},
		{"customer incl. push codes", failures.Filter{CustomerCode: "c1"}, []string{"push:t1:m9", "s3", "s1"}},
		{"customer second push code", failures.Filter{CustomerCode: "c7"}, []string{"push:t1:m9"}},
		{"customer is exact", failures.Filter{CustomerCode: "c"}, []string{}},
		{"period equal", failures.Filter{Start: "2026-11-01", End: "2026-11-30"}, []string{"report:x", "s2", "s1"}},
		{"period inside", failures.Filter{Start: "2026-11-15", End: "2026-11-15"}, []string{"report:x", "s2", "s1"}},
		{"period overlapping end", failures.Filter{Start: "2026-11-30", End: "2027-01-01"}, []string{"report:x", "s3", "s1"}},
		{"start only", failures.Filter{Start: "2026-12-01"}, []string{"s3"}},
		{"end only", failures.Filter{End: "2026-10-31"}, []string{"push:t1:m9"}},
		{"error text case-insensitive", failures.Filter{Query: "OMS"}, []string{"s2", "s1"}},
		{"error text unicode", failures.Filter{Query: "勤策"}, []string{"push:t1:m9"}},
		{"combined", failures.Filter{Kind: "statement", TenantID: "t1", CustomerCode: "c2", Start: "2026-11-01", End: "2026-11-30", Query: "busy"}, []string{"s2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			list, total, err := f.store.List(ctx, tt.filter, failures.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(list); !slices.Equal(got, tt.want) || total != len(tt.want) {
				t.Fatalf("got %v (total %d), want %v", got, total, tt.want)
			}
		})
	}
}

func TestBadFilter(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	for _, bad := range []failures.Filter{
		{Kind: "ksf:nope"}, {Start: "2026-13-01"}, {End: "yesterday"}, {Start: "2026-11-02", End: "2026-11-01"},
	} {
		if _, _, err := f.store.List(context.Background(), bad, failures.Page{}); !errors.Is(err, failures.ErrBadFilter) {
			t.Errorf("%+v: err %v, want ErrBadFilter", bad, err)
		}
	}
}

func TestTrim(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{MaxRecords: 3, Retention: 24 * time.Hour})
	ctx := context.Background()
	for i := range 5 {
		if err := f.store.Record(ctx, syncRecord(fmt.Sprint("id", i), "t", "c", "2026-11-01", "2026-11-01", "e", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	list, total, _ := f.store.List(ctx, failures.Filter{}, failures.Page{})
	if total != 3 || !slices.Equal(ids(list), []string{"id4", "id3", "id2"}) {
		t.Fatalf("cap: got %v", ids(list))
	}
	if ttl := f.mr.TTL(failures.KeyPrefix + "{v1}:rec:id4"); ttl != 24*time.Hour+4*time.Minute {
		t.Fatalf("record TTL %v, want the retention from its failure", ttl)
	}
	// Two days later one new failure: everything past the retention goes.
	f.clock.Set(t0.Add(48 * time.Hour))
	if err := f.store.Record(ctx, syncRecord("new", "t", "c", "2026-11-01", "2026-11-01", "e", time.Time{})); err != nil {
		t.Fatal(err)
	}
	list, total, _ = f.store.List(ctx, failures.Filter{}, failures.Page{})
	if total != 1 || list[0].TaskID != "new" || !list[0].FailedAt.Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("retention: got %+v", list)
	}
	if n := f.rdb.ZCard(ctx, failures.KeyPrefix+"{v1}:index").Val(); n != 1 {
		t.Fatalf("index holds %d entries, want 1", n)
	}
}

func TestConcurrentRecord(t *testing.T) {
	t.Parallel()
	f := setup(t, failures.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			// Two tasks, twenty writers each; MarkReplayed interleaved.
			id := fmt.Sprint("id", i%2)
			if err := f.store.Record(ctx, syncRecord(id, "t", "c", "2026-11-01", "2026-11-01", fmt.Sprint("e", i), t0.Add(time.Duration(i)*time.Second))); err != nil {
				errs <- err
			}
			if i%10 < 2 { // i = 0,1,10,11,20,21,30,31: four marks per task

				if _, err := f.store.MarkReplayed(ctx, id, t0); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range []string{"id0", "id1"} {
		r, err := f.store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.ReplayCount != 4 {
			t.Errorf("%s: replay count %d, want 4 (lost update)", id, r.ReplayCount)
		}
	}
	if _, total, _ := f.store.List(ctx, failures.Filter{}, failures.Page{}); total != 2 {
		t.Fatalf("total %d, want 2", total)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		want    failures.Record
	}{
		{"sync", `{"tenant_id":"t","msg_id":"m","data_type":"ksf_expense","customer_code":"c1","start_date":"2026-11-01","end_date":"2026-11-30"}`,
			failures.Record{TenantID: "t", MsgID: "m", DataType: "ksf_expense", CustomerCode: "c1", StartDate: "2026-11-01", EndDate: "2026-11-30"}},
		{"push", `{"tenant_id":"t","msg_id":"m","data_type":"ksf_statement","data":{"customer_codes":["a","b"],"start_date":"2026-11-01","end_date":"2026-11-02"}}`,
			failures.Record{TenantID: "t", MsgID: "m", DataType: "ksf_statement", CustomerCode: "a,b", StartDate: "2026-11-01", EndDate: "2026-11-02"}},
		{"garbage", `not json`, failures.Record{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := failures.Record{Payload: []byte(tt.payload)}
			r.Describe()
			r.Payload = nil
			if fmt.Sprint(r) != fmt.Sprint(tt.want) {
				t.Fatalf("got %+v, want %+v", r, tt.want)
			}
		})
	}
}
