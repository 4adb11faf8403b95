package console_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/console"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

const testDB = 9 // this package's database on the real test server

type replays struct {
	mu  sync.Mutex
	ids []string
}

func (r *replays) replay(_ context.Context, id string) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, id)
	return "run", "", nil
}

func (r *replays) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.ids) }

type fixture struct {
	srv     *httptest.Server
	store   *history.Store
	replays *replays
	tenant  string
}

var (
	now   = time.Date(2026, 11, 29, 10, 0, 0, 0, tz.Shanghai)
	start = "2026-10-01"
	end   = "2026-10-31"
)

// setup serves a console on a history seeded like the demo: C001 clean,
// C002 with a difference of -96.00, C003 idle, C404 failed, and an expense
// statement of C001.
func setup(t *testing.T) *fixture {
	t.Helper()
	r := redistest.New(t, testDB)
	o, err := redis.ParseURL(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(o)
	t.Cleanup(func() { _ = rdb.Close() })
	f := &fixture{store: history.New(rdb, history.Options{}), replays: &replays{},
		tenant: "console-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000000")}
	c, err := console.New(console.Config{History: f.store, Replay: f.replays.replay,
		TaskState: func(context.Context, string) string { return "archived" }, Logger: zerolog.Nop(),
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(c)
	t.Cleanup(f.srv.Close)
	f.seed(t)
	return f
}

func (f *fixture) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, tz.Shanghai)
	goods := func(code, begin, end2, sales, returns, pay, diff string, i int) {
		st := &statement.Statement{SerialNo: "HK20261001" + code, CustomerCode: code, StartDate: start, EndDate: end,
			BeginBalance: begin, Zchje: sales, Zthje: returns, Zjkje: pay, Zqmye: end2, Zchsl: "10", Zthsl: "2", Zjcsl: "8",
			Trade: []statement.Trade{
				{SerialNo: "1", VoucherNo: "AR" + code, TradeDate: "2026-10-03", TradeDesc: "销售单", TradeAmount: sales, TotalCount: "10",
					Detail: []statement.Detail{{SerialNo: "1", VoucherNo: "AR" + code, ProductCode: "SKU-TEA-500", ProductName: "冰红茶500ml×15", Amount: sales, Number: "10"}}},
				{SerialNo: "2", VoucherNo: "PAY" + code, TradeDate: "2026-10-16", TradeDesc: "缴款", TradeAmount: pay, TotalCount: "0"}},
		}
		b := &tasks.Built{Statement: st}
		if diff != "" {
			b.Difference, b.DifferenceAmount = true, decimal.RequireFromString(diff)
			st.Exts = []statement.Ext{{Key: "对账差异", Value: diff}}
		}
		f.store.RecordRun(ctx, tasks.Run{Sync: tasks.Sync{TenantID: f.tenant, MsgID: "m1", DataType: tasks.DataTypeStatement,
			CustomerCode: code, StartDate: start, EndDate: end}, TaskID: "sync:" + code, Outcome: tasks.RunSaved, Source: "oms",
			Built: b, At: at.Add(time.Duration(i) * time.Minute), Took: 7 * time.Millisecond})
	}
	goods("C001", "20000.00", "19000.00", "4000.00", "0.00", "3000.00", "", 1)
	goods("C002", "25000.00", "24500.00", "4000.00", "96.00", "3500.00", "-96.00", 2)
	goods("C003", "5000.00", "5000.00", "0.00", "0.00", "0.00", "", 3)
	f.store.RecordRun(ctx, tasks.Run{Sync: tasks.Sync{TenantID: f.tenant, MsgID: "resync-abc", DataType: tasks.DataTypeStatement,
		CustomerCode: "C404", StartDate: start, EndDate: end}, TaskID: "sync:demo:resync-abc:ksf_statement:C404",
		Outcome: tasks.RunFailed, Source: "oms", At: at.Add(4 * time.Minute),
		Err:    &upstream.Error{Vendor: "oms", Op: "finance.getAccountBalance", Message: "account C404 not found", Permanent: true},
		Reason: "商派OMS finance.getAccountBalance: account C404 not found"})
	f.store.RecordRun(ctx, tasks.Run{Sync: tasks.Sync{TenantID: f.tenant, MsgID: "m2", DataType: tasks.DataTypeExpense,
		CustomerCode: "C001", StartDate: start, EndDate: end}, TaskID: "sync:e1", Outcome: tasks.RunSaved, Source: "wdt",
		At: at, Built: &tasks.Built{Expense: &statement.Expense{StatementNo: "FY1", CustomerCode: "C001",
			Trade: []statement.ExpenseTrade{{SerialNo: "1", VoucherNo: "ZFB1", TradeDate: "2026-10-05 10:00:00", TradeType: "收入",
				Exts: []statement.Ext{{Key: "金额", Value: "1.01"}, {Key: "平台", Value: "支付宝"}}}},
			Exts: []statement.Ext{{Key: "入账合计", Value: "1.01"}, {Key: "出账合计", Value: "0.00"}}}}})
}

func (f *fixture) get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// element returns the first element (open tag to its close) whose open tag
// matches attr, e.g. `data-field="failed"`; tag is its name.
func element(t *testing.T, body, tag, attr string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<` + tag + `\b[^>]*` + regexp.QuoteMeta(attr) + `[^>]*>.*?</` + tag + `>`)
	m := re.FindString(body)
	if m == "" {
		t.Fatalf("no <%s %s> in the page", tag, attr)
	}
	return m
}

func text(html string) string {
	s := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(html, " ")
	return strings.Join(strings.Fields(s), " ")
}

func rowOf(t *testing.T, body, customer string) string {
	t.Helper()
	for _, m := range regexp.MustCompile(`(?s)<tr class="[^"]*">.*?</tr>`).FindAllString(body, -1) {
		if strings.Contains(m, ">"+customer+"</a>") {
			return m
		}
	}
	t.Fatalf("no row of %s", customer)
	return ""
}

func TestOverviewShowsTheMonth(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body, h := f.get(t, "/console/?tenant="+url.QueryEscape(f.tenant))
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", status, h.Get("Content-Type"))
	}
	if strings.Contains(body, "<script") {
		t.Error("the console must read without JavaScript")
	}
	// The month defaults to the latest written.
	if !strings.Contains(body, `<option value="2026-10" selected>`) {
		t.Error("month 2026-10 is not the selected month")
	}
	for field, want := range map[string]string{"customers": "4 客户", "saved": "4 已保存", "with_difference": "1 有差异",
		"failed": "1 失败", "confirmed": "0 已确认未覆盖", "difference_sum": "-96.00 差异合计"} {
		tag := "a"
		if field == "difference_sum" {
			tag = "div"
		}
		if got := text(element(t, body, tag, `data-field="`+field+`"`)); !strings.HasPrefix(got, want) {
			t.Errorf("card %s = %q, want %q…", field, got, want)
		}
	}
	// The table: C002's row highlighted with its difference, C404 failed
	// with its reason, newest first.
	r2 := rowOf(t, body, "C002")
	if !strings.Contains(r2, `class="saved diff"`) || !strings.Contains(r2, `<strong class="difference">-96.00</strong>`) ||
		!strings.Contains(r2, "25000.00") || !strings.Contains(r2, "96.00") {
		t.Errorf("C002 row: %s", r2)
	}
	r404 := rowOf(t, body, "C404")
	if !strings.Contains(r404, `class="failed"`) || !strings.Contains(r404, "失败") || !strings.Contains(r404, "account C404 not found") {
		t.Errorf("C404 row: %s", r404)
	}
	if strings.Index(body, ">C404</a>") > strings.Index(body, ">C001</a>") {
		t.Error("rows are not newest first")
	}
	// The differences chart: one bar, C002, linked to its statement.
	chart := element(t, body, "svg", `class="bars"`)
	if n := strings.Count(chart, "<rect"); n != 1 || !strings.Contains(chart, ">C002<") || !strings.Contains(chart, ">-96.00<") ||
		!strings.Contains(chart, `class="neg"`) || !strings.Contains(chart, "customer=C002") {
		t.Errorf("difference chart (%d bars): %s", n, chart)
	}
	// The months chart: 6 months, October's saved column labelled 4.
	cols := element(t, body, "svg", `class="columns"`)
	if n := strings.Count(cols, "text-anchor=\"middle\""); n != console.ChartMonths || !strings.Contains(cols, "2026-10: 4") ||
		!strings.Contains(cols, ">2026-05<") {
		t.Errorf("months chart: %s", cols)
	}
	if !strings.Contains(body, `href="/console/export.csv?`) {
		t.Error("no CSV link")
	}
}

func TestOverviewFilters(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tc := range []struct {
		name, query string
		want, not   []string
	}{
		{"difference only", "difference=1", []string{">C002</a>"}, []string{">C001</a>", ">C404</a>"}},
		{"failed", "outcome=failed", []string{">C404</a>"}, []string{">C002</a>"}},
		{"customer", "customer=c00", []string{">C001</a>", ">C002</a>", ">C003</a>"}, []string{">C404</a>"}},
		{"expense", "kind=ksf_expense", []string{">C001</a>", "入账合计 1.01"}, []string{">C002</a>"}},
		{"empty month", "month=2026-01", []string{"没有符合条件的对账单"}, []string{">C002</a>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body, _ := f.get(t, "/console/?tenant="+url.QueryEscape(f.tenant)+"&"+tc.query)
			if status != 200 {
				t.Fatal(status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("should not show %q", n)
				}
			}
		})
	}
	status, body, _ := f.get(t, "/console/?month=2026-13")
	if status != 400 || !strings.Contains(body, "筛选条件有误") {
		t.Errorf("bad month: %d %s", status, body)
	}
}

func (f *fixture) statementPath(kind, customer string) string {
	return "/console/statement?" + url.Values{"tenant": {f.tenant}, "kind": {kind}, "customer": {customer}, "period": {start + ".." + end}}.Encode()
}

func TestStatementPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body, _ := f.get(t, f.statementPath(tasks.DataTypeStatement, "C002"))
	if status != 200 {
		t.Fatal(status, body)
	}
	for field, want := range map[string]string{"begin_balance": "期初余额 begin_balance 25000.00", "zchje": "本期出货金额 zchje 4000.00",
		"zthje": "本期退货金额 zthje 96.00", "zjkje": "本期缴款金额 zjkje 3500.00", "zqmye": "期末余额 zqmye 24500.00",
		"difference": "对账差异 difference -96.00"} {
		if got := text(element(t, body, "div", `data-field="`+field+`"`)); got != want {
			t.Errorf("total %s = %q, want %q", field, got, want)
		}
	}
	// 24500 − 25000 = −500 on the account; 3500 − (4000 − 96) = −404 by the bills.
	eq := element(t, body, "section", `id="equation"`)
	if !strings.Contains(text(element(t, eq, "span", `data-side="moved"`)), "= -500.00") ||
		!strings.Contains(text(element(t, eq, "span", `data-side="explained"`)), "= -404.00") ||
		!strings.Contains(eq, "≠") || !strings.Contains(eq, `<strong class="difference">-96.00</strong>`) {
		t.Errorf("equation: %s", text(eq))
	}
	if n := strings.Count(body, `<tr class="trade">`); n != 2 {
		t.Errorf("%d trade rows, want 2", n)
	}
	if n := strings.Count(body, `<tr class="detail">`); n != 1 || !strings.Contains(body, "冰红茶500ml×15") {
		t.Errorf("%d detail rows, want 1", n)
	}
	if !strings.Contains(body, `<td class="difference">-96.00</td>`) {
		t.Error("the 对账差异 ext is not shown")
	}
	if strings.Contains(body, `id="failure"`) || strings.Contains(body, "/console/replay") {
		t.Error("a saved statement shows a failure or a replay button")
	}

	// A clean one balances.
	_, body, _ = f.get(t, f.statementPath(tasks.DataTypeStatement, "C001"))
	eq = element(t, body, "section", `id="equation"`)
	if !strings.Contains(eq, "无差异") || strings.Contains(eq, "≠") {
		t.Errorf("C001 equation: %s", text(eq))
	}
	// An expense statement: totals in and out, ext columns.
	_, body, _ = f.get(t, f.statementPath("ksf:expense", "C001"))
	if got := text(element(t, body, "div", `data-field="total_in"`)); got != "入账合计 total_in 1.01" ||
		!strings.Contains(body, "<th>平台</th>") || !strings.Contains(body, "<td>支付宝</td>") {
		t.Errorf("expense page: total_in %q", got)
	}
	if status, _, _ := f.get(t, f.statementPath(tasks.DataTypeStatement, "C999")); status != 404 {
		t.Errorf("unknown customer: %d", status)
	}
}

func TestFailedJobPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body, _ := f.get(t, f.statementPath(tasks.DataTypeStatement, "C404"))
	if status != 200 {
		t.Fatal(status)
	}
	box := element(t, body, "section", `id="failure"`)
	txt := text(box)
	for _, want := range []string{"同步失败", "商派OMS finance.getAccountBalance: account C404 not found", "出错方 vendor 商派OMS oms",
		"asynq: archived", "重新执行"} {
		if !strings.Contains(txt, want) {
			t.Errorf("failure box lacks %q: %s", want, txt)
		}
	}
	if !strings.Contains(box, `href="/monitoring/queues/sync/tasks/sync:demo:resync-abc:ksf_statement:C404"`) {
		t.Errorf("no asynqmon link: %s", box)
	}
	form := element(t, box, "form", `action="/console/replay"`)
	if !strings.Contains(form, `method="post"`) || !strings.Contains(form, `name="task_id" value="sync:demo:resync-abc:ksf_statement:C404"`) {
		t.Errorf("replay form: %s", form)
	}
	// Its run history names the resync that caused it.
	if !strings.Contains(body, "手工重推 resync") {
		t.Error("run history does not say the run came from a resync")
	}
}

func TestReplayRefusesCrossOrigin(t *testing.T) {
	t.Parallel()
	f := setup(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(headers map[string]string, back string) *http.Response {
		form := url.Values{"task_id": {"sync:demo:resync-abc:ksf_statement:C404"}, "back": {back}}
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/console/replay", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"a browser from another site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"a sibling subdomain", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.127.0.0.1"}, 403},
		{"an old browser, other origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"the console's own form", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, 303},
		{"an old browser, same origin", map[string]string{"Origin": "http://" + host}, 303},
		{"a non-browser client", nil, 303},
	} {
		before := f.replays.count()
		resp := post(tc.headers, "/console/statement?customer=C404")
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		replayed := f.replays.count() > before
		if replayed != (tc.status == 303) {
			t.Errorf("%s: replayed = %v", tc.name, replayed)
		}
		if tc.status == 303 && resp.Header.Get("Location") != "/console/statement?customer=C404&note=&replayed=run" {
			t.Errorf("%s: redirected to %q", tc.name, resp.Header.Get("Location"))
		}
	}
	// The redirect stays inside the console.
	for _, back := range []string{"https://evil.example/", "//evil.example/console/", "/console/\r\nX: y"} {
		if loc := post(nil, back).Header.Get("Location"); !strings.HasPrefix(loc, "/console/?") {
			t.Errorf("back %q redirected to %q", back, loc)
		}
	}
}

func TestCSVDownloads(t *testing.T) {
	t.Parallel()
	f := setup(t)
	status, body, h := f.get(t, "/console/export.csv?tenant="+url.QueryEscape(f.tenant)+"&month=2026-10&kind=ksf_statement")
	if status != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(h.Get("Content-Disposition"), "statements-2026-10.csv") {
		t.Fatalf("%d %v", status, h)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("no UTF-8 BOM: Excel would garble the Chinese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][2] != "客户编码(customer)" || rows[0][16] != "对账差异(difference)" {
		t.Fatalf("header %v, %d rows", rows[0], len(rows))
	}
	var c2 []string
	for _, r := range rows[1:] {
		if r[2] == "C002" {
			c2 = r
		}
	}
	if c2 == nil || c2[16] != "-96.00" || c2[5] != "已保存" || c2[7] != "25000.00" || c2[20] != "2026-11-01 09:02:00" {
		t.Errorf("C002 row %v", c2)
	}

	status, body, _ = f.get(t, strings.Replace(f.statementPath(tasks.DataTypeStatement, "C002"), "/statement?", "/statement.csv?", 1))
	if status != 200 || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("%d", status)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	var lines [][]string
	for _, row := range all {
		if len(row) == 3 {
			kv[row[1]] = row[2]
		} else if len(row) > 3 {
			lines = append(lines, row)
		}
	}
	if kv["difference"] != "-96.00" || kv["zthje"] != "96.00" || kv["customer_code"] != "C002" {
		t.Errorf("header block %v", kv)
	}
	if len(lines) != 4 || lines[1][0] != "交易" || lines[2][0] != "明细" || lines[2][8] != "冰红茶500ml×15" {
		t.Errorf("rows %v", lines)
	}
}

func TestCSVCellsAreNotFormulas(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	rec := history.Record{Customer: "=HYPERLINK(\"x\")", Reason: "-cmd", Difference: "-1.00", DataType: tasks.DataTypeStatement}
	if err := history.WriteListCSV(&b, []history.Record{rec}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][2] != `'=HYPERLINK("x")` || rows[1][23] != "'-cmd" || rows[1][16] != "-1.00" {
		t.Errorf("row %q", rows[1])
	}
}

func TestNewNeedsHistory(t *testing.T) {
	t.Parallel()
	if _, err := console.New(console.Config{}); err == nil || !strings.Contains(err.Error(), "History") {
		t.Fatalf("err = %v", err)
	}
}
