package admin_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// protected lists every route behind the token.
var protected = []struct{ method, path, body string }{
	{"GET", "/metrics", ""},
	{"GET", "/monitoring", ""},
	{"GET", "/monitoring/", ""},
	{"GET", "/monitoring/queues/sync/archived", ""},
	{"GET", "/monitoring/api/queues", ""},
	{"DELETE", "/monitoring/api/queues/sync/archived_tasks:delete_all", ""},
	{"GET", "/admin/api/failed", ""},
	{"DELETE", "/admin/api/failed/sync:t1:m1:ksf_statement:c1", ""},
	{"POST", "/admin/api/replay", `{"all":true}`},
	{"POST", "/admin/api/resync", `{"tenant_id":"t1","data_type":"ksf_statement","customer_codes":"c1","start_date":"2026-11-01","end_date":"2026-11-30"}`},
	{"GET", "/admin/api/pushes", ""},
	{"POST", "/admin/api/repair", `{"dry_run":false}`},
	{"GET", "/admin/api/schedules", ""},
	{"POST", "/admin/api/schedules/monthly-close/run", ""},
	{"GET", "/admin/api/no-such-route", ""},
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func TestAuthRefusedOnEveryRoute(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	noToken := setup(t, admin.Config{})
	const wrong = "wrong-token-should-not-be-logged"
	for _, rt := range protected {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			t.Parallel()
			var body any
			if rt.body != "" {
				body = rt.body
			}
			for name, auth := range map[string]string{
				"no header":     "",
				"wrong bearer":  "Bearer " + wrong,
				"token prefix":  "Bearer " + token[:len(token)-1],
				"token suffix":  "Bearer " + token + "x",
				"wrong basic":   basic("admin", wrong),
				"other scheme":  "Token " + token,
				"empty bearer":  "Bearer ",
				"basic no pass": basic(token, ""),
			} {
				var out map[string]string
				if code := f.callAs(t, auth, rt.method, rt.path, body, &out); code != http.StatusUnauthorized || !strings.Contains(out["error"], "admin token") {
					t.Errorf("%s: %d %v, want 401 with an error", name, code, out)
				}
			}
			// Without a configured token every route refuses, saying how to fix it,
			// even to a caller presenting some token.
			for _, auth := range []string{"", "Bearer " + token, "Bearer "} {
				var out map[string]string
				code := noToken.callAs(t, auth, rt.method, rt.path, body, &out)
				if code != http.StatusServiceUnavailable || !strings.Contains(out["error"], "set KSF_ADMIN_TOKEN") {
					t.Errorf("no token configured (%q): %d %v", auth, code, out)
				}
			}
		})
	}
	t.Cleanup(func() {
		if log := f.log.String(); strings.Contains(log, wrong) || strings.Contains(log, token) {
			t.Errorf("a token reached the log:\n%s", log)
		}
	})
}

func TestAuthAccepted(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	for _, auth := range []string{"Bearer " + token, "bearer " + token, basic("anyone", token)} {
		if code := f.callAs(t, auth, "GET", "/admin/api/failed", nil, nil); code != http.StatusOK {
			t.Errorf("%q: %d", auth, code)
		}
	}
	// The queue UI asks a browser for Basic credentials; the API asks for a bearer token.
	req, _ := http.NewRequest("GET", f.srv.URL+"/monitoring/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Basic ") {
		t.Errorf("UI challenge %q", h)
	}
}

func TestHealthOpen(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	f := setup(t, admin.Config{RedisConnOpt: asynq.RedisClientOpt{Addr: mr.Addr()}})
	for _, p := range []string{"/healthz", "/readyz"} {
		if code := f.callAs(t, "", "GET", p, nil, nil); code != http.StatusOK {
			t.Errorf("%s: %d", p, code)
		}
	}
	mr.Close()
	var out map[string]string
	if code := f.callAs(t, "", "GET", "/readyz", nil, &out); code != http.StatusServiceUnavailable || !strings.Contains(out["error"], "Redis") {
		t.Errorf("readyz with Redis down: %d %v", code, out)
	}
	if code := f.callAs(t, "", "GET", "/healthz", nil, nil); code != http.StatusOK {
		t.Errorf("healthz with Redis down: %d", code)
	}
}

func TestMetricsRoute(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	f.metrics.PushHandled(tasks.DataTypeStatement, "queued", time.Millisecond)
	req, _ := http.NewRequest("GET", f.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(b), `ksf_pushes_total{data_type="ksf_statement",outcome="queued"} 1`) {
		t.Fatalf("%d\n%s", resp.StatusCode, b)
	}
	// A process without metrics answers 404, still behind the token.
	a, err := admin.New(admin.Config{Token: token, RedisConnOpt: f.opt})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("no metrics: %d %s", rec.Code, rec.Body)
	}
}

// seeded is the failure landscape most tests start from.
type seeded struct {
	a, b, c, d, e string
}

// seed: A, B, C archived; D retrying; E archived then dropped by asynq.
func seed(t *testing.T, f *fixture) seeded {
	t.Helper()
	report, err := tasks.NewReportTask(tasks.Report{Sync: tasks.Sync{TenantID: "t2", MsgID: "m1", DataType: tasks.DataTypeStatement,
		CustomerCode: "c3", StartDate: "2026-11-01", EndDate: "2026-11-30"}, Reason: "x", SyncTaskID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	push, err := tasks.NewPushTask(tasks.Push{TenantID: "t1", MsgID: "m-retry", DataType: tasks.DataTypeStatement,
		Data: tasks.PushData{CustomerCodes: []string{"c1", "c4"}, StartDate: "2026-11-01", EndDate: "2026-11-30"}})
	if err != nil {
		t.Fatal(err)
	}
	s := seeded{
		a: syncID("t1", tasks.DataTypeStatement, "c1"),
		b: syncID("t1", tasks.DataTypeExpense, "c2"),
		c: "report:x",
		d: tasks.PushTaskID("t1", "m-retry"),
		e: syncID("t2", tasks.DataTypeStatement, "c5"),
	}
	f.failTasks(t,
		failing{task: syncTask(t, "t1", tasks.DataTypeStatement, "c1", "2026-11-01", "2026-11-30"), err: "商派OMS ar.getList: 2001 bad shop_code"},
		failing{task: syncTask(t, "t1", tasks.DataTypeExpense, "c2", "2026-12-01", "2026-12-31"), err: "旺店通 busy"},
		failing{task: report, err: "勤策 HTTP 502"},
		failing{task: push, err: "getCustomers timeout", retry: true},
		failing{task: syncTask(t, "t2", tasks.DataTypeStatement, "c5", "2026-10-01", "2026-10-31"), err: "period not served by jdy"},
	)
	// asynq drops E (as it does past 90 days or 10,000 archived tasks).
	if err := f.in.DeleteTask(tasks.QueueSync, s.e); err != nil {
		t.Fatal(err)
	}
	return s
}

type failedPage struct {
	Items []struct {
		TaskID        string     `json:"task_id"`
		Kind          string     `json:"kind"`
		Queue         string     `json:"queue"`
		State         string     `json:"state"`
		Tenant        string     `json:"tenant"`
		Customer      string     `json:"customer"`
		Period        string     `json:"period"`
		LastError     string     `json:"last_error"`
		Retried       int        `json:"retried"`
		MaxRetry      int        `json:"max_retry"`
		FailedAt      *time.Time `json:"failed_at"`
		NextProcessAt *time.Time `json:"next_process_at"`
		ReplayCount   int        `json:"replay_count"`
		Recorded      bool       `json:"recorded"`
	} `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func (p failedPage) ids() []string {
	out := []string{}
	for _, it := range p.Items {
		out = append(out, it.TaskID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

func TestListFailedFilters(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	s := seed(t, f)
	tests := []struct {
		query string
		want  []string
	}{
		{"", sorted(s.a, s.b, s.c, s.d, s.e)},
		{"kind=statement", sorted(s.a, s.e)},
		{"kind=ksf:expense", sorted(s.b)},
		{"kind=ksf:push", sorted(s.d)},
		{"queue=report", sorted(s.c)},
		{"tenant=t2", sorted(s.c, s.e)},
		{"customer=c1", sorted(s.a, s.d)},
		{"customer=c4", sorted(s.d)},
		{"start=2026-12-01", sorted(s.b)},
		{"start=2026-11-15&end=2026-11-15", sorted(s.a, s.c, s.d)},
		{"end=2026-10-31", sorted(s.e)},
		{"q=BUSY", sorted(s.b)},
		{"q=" + url.QueryEscape("勤策"), sorted(s.c)},
		{"state=retry", sorted(s.d)},
		{"state=archived", sorted(s.a, s.b, s.c)},
		{"state=dropped", sorted(s.e)},
		{"state=replayed", sorted()},
		{"state=archived,dropped&tenant=t2", sorted(s.c, s.e)},
		{"kind=statement&tenant=t1&customer=c1&start=2026-11-30&q=shop_code", sorted(s.a)},
		{"customer=nobody", sorted()},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var p failedPage
			if code := f.call(t, "GET", "/admin/api/failed?"+tt.query, nil, &p); code != 200 {
				t.Fatalf("status %d", code)
			}
			if got := p.ids(); !slices.Equal(got, tt.want) || p.Total != len(tt.want) {
				t.Fatalf("got %v (total %d), want %v", got, p.Total, tt.want)
			}
		})
	}

	// Each job carries its last error, retry count and times.
	var p failedPage
	f.call(t, "GET", "/admin/api/failed?customer=c4", nil, &p)
	d := p.Items[0]
	if d.State != "retry" || d.Kind != tasks.TypePush || d.Queue != "push" || d.LastError != "getCustomers timeout" ||
		d.Retried != 1 || d.MaxRetry != 25 || d.FailedAt == nil || d.NextProcessAt == nil || d.Customer != "c1,c4" ||
		d.Period != "2026-11-01..2026-11-30" || d.Recorded {
		t.Fatalf("retry job %+v", d)
	}
	if _, off := d.FailedAt.Zone(); off != 8*3600 {
		t.Fatalf("failed_at %v not in Asia/Shanghai", d.FailedAt)
	}
	f.call(t, "GET", "/admin/api/failed?state=dropped", nil, &p)
	if e := p.Items[0]; !e.Recorded || e.LastError == "" || !strings.Contains(e.LastError, "period not served by jdy") || e.Tenant != "t2" {
		t.Fatalf("dropped job %+v", e)
	}
}

func TestListFailedBadQuery(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	for _, q := range []string{"kind=nope", "start=2026-02-30", "start=2026-12-01&end=2026-11-01", "state=bogus", "page=0", "per_page=x"} {
		var out map[string]string
		if code := f.call(t, "GET", "/admin/api/failed?"+q, nil, &out); code != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("%s: %d %v", q, code, out)
		}
	}
}

func TestListFailedNewestFirstPaged(t *testing.T) {
	t.Parallel()
	f := setupToken(t)
	base := time.Now().Add(-time.Hour)
	for i := range 5 {
		r := failures.Record{TaskID: fmt.Sprint("old", i), Kind: tasks.TypeStatement, Queue: tasks.QueueSync,
			LastError: "e", FailedAt: base.Add(time.Duration(i) * time.Minute)}
		if err := f.store.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	var p failedPage
	f.call(t, "GET", "/admin/api/failed?per_page=2&page=2", nil, &p)
	if p.Total != 5 || p.Page != 2 || p.PerPage != 2 || len(p.Items) != 2 || p.Items[0].TaskID != "old2" || p.Items[1].TaskID != "old1" {
		t.Fatalf("page %+v", p)
	}
	f.call(t, "GET", "/admin/api/failed?per_page=2&page=4", nil, &p)
	if p.Total != 5 || len(p.Items) != 0 {
		t.Fatalf("past the end %+v", p)
	}
}
