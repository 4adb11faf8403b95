package waiqintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
)

const (
	testOpenID = "5465103569540931532"
	testAppKey = "BFCO0PAgIUgd50c0l6"
)

// fixed is the fake's clock in these tests.
var fixed = time.Date(2026, 1, 15, 10, 30, 0, 0, tz.Shanghai)

func setup(t *testing.T, mutate ...func(*Config)) *Server {
	t.Helper()
	cfg := Config{OpenID: testOpenID, AppKey: testAppKey, Customers: []string{"C1", "C2", "C3", "C4", "C5"},
		Now: func() time.Time { return fixed }}
	for _, m := range mutate {
		m(&cfg)
	}
	s := New(cfg)
	t.Cleanup(s.Close)
	return s
}

// req is a raw request as 勤策 would receive it; zero fields get valid values.
type req struct {
	path   string // {app}/{version}/{interface}
	openid string
	ts     string
	digest string // "" = computed over body
	msgID  string
	body   string
	method string
}

type reply struct {
	status int
	raw    map[string]json.RawMessage
}

func (r reply) code() string {
	var s string
	if json.Unmarshal(r.raw["return_code"], &s) == nil {
		return s
	}
	return string(r.raw["return_code"])
}

func (r reply) msg() string {
	var s string
	_ = json.Unmarshal(r.raw["return_msg"], &s)
	return s
}

// data decodes response_data, which the fake writes as a JSON string.
func (r reply) data(t *testing.T, into any) {
	t.Helper()
	var s string
	if err := json.Unmarshal(r.raw["response_data"], &s); err != nil {
		t.Fatalf("response_data is not a string: %s", r.raw["response_data"])
	}
	if err := json.Unmarshal([]byte(s), into); err != nil {
		t.Fatalf("response_data: %v", err)
	}
}

func send(t *testing.T, s *Server, r req) reply {
	t.Helper()
	if r.openid == "" {
		r.openid = testOpenID
	}
	if r.ts == "" {
		r.ts = fixed.Format("20060102150405")
	}
	if r.digest == "" {
		r.digest = digest.Waiqin([]byte(r.body), testAppKey, r.ts)
	}
	if r.msgID == "" {
		r.msgID = newID()
	}
	if r.method == "" {
		r.method = http.MethodPost
	}
	u := s.URL + "/api/" + r.path + "/" + r.openid + "/" + r.ts + "/" + r.digest + "/" + r.msgID
	hr, err := http.NewRequestWithContext(t.Context(), r.method, u, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := reply{status: resp.StatusCode}
	if err := json.Unmarshal(b, &out.raw); err != nil {
		t.Fatalf("answer %q is not JSON: %v", b, err)
	}
	if got := out.raw["msg_id"]; r.method == http.MethodPost && resp.StatusCode != http.StatusNotFound && string(got) != `"`+r.msgID+`"` {
		t.Fatalf("msg_id echoed %s, sent %s", got, r.msgID)
	}
	return out
}

var idSeq atomic.Int64

// newID gives distinct 32-character msg_ids.
func newID() string { return fmt.Sprintf("%032d", idSeq.Add(1)) }

func itoa(n int) string { return strconv.Itoa(n) }

const (
	pathStatement = "ksfStatement/v1/saveStatement"
	pathStmtError = "ksfStatement/v1/saveStatementError"
	pathCustomers = "ksfStatement/v1/getCustomers"
	pathExpense   = "ksfreport/v1/saveExpense"
	pathExpError  = "ksfreport/v1/saveExpenseError"
	pathQuery     = "ksfreport/v1/queryStatement"
	pathQueryExp  = "ksfreport/v1/queryExpenseStatement"
)

func goodsJSON(number, customer string) string {
	b, _ := json.Marshal(statement.Statement{
		SerialNo: number, CustomerCode: customer, StartDate: "2026-01-01", EndDate: "2026-01-31",
		BeginBalance: "0.00", Zjkje: "0.00", Zchje: "10.00", Zthje: "0.00", Zqmye: "-10.00", Zchsl: "1", Zthsl: "0", Zjcsl: "1",
		Trade: []statement.Trade{{StatementNo: number, SerialNo: "1", VoucherNo: "V1", TradeDate: "2026-01-02",
			Exts: []statement.Ext{{Key: "k", Value: "v"}}, Detail: []statement.Detail{{StatementNo: number, VoucherNo: "V1", ProductName: "商品"}}}},
		Exts: []statement.Ext{},
	})
	return string(b)
}

func TestSaveAndStore(t *testing.T) {
	t.Parallel()
	s := setup(t)
	if r := send(t, s, req{path: pathStatement, body: goodsJSON("HK1", "C1")}); r.code() != CodeOK || r.status != 200 {
		t.Fatalf("save: %d %s %s", r.status, r.code(), r.msg())
	}
	// The same number replaces.
	if r := send(t, s, req{path: pathStatement, body: goodsJSON("HK1", "C2")}); r.code() != CodeOK {
		t.Fatalf("replace: %s %s", r.code(), r.msg())
	}
	got := s.Statements()
	if len(got) != 1 || got[0].CustomerCode != "C2" || got[0].Trade[0].Detail[0].ProductName != "商品" {
		t.Fatalf("Statements = %+v", got)
	}
	got[0].Trade[0].VoucherNo = "changed"
	if s.Statements()[0].Trade[0].VoucherNo != "V1" {
		t.Fatal("Statements does not return copies")
	}
	exp := `{"statement_no":"FY1","customer_code":"C1","trade_month":"2026-01","trade":[{"serial_no":"1","voucher_no":"v","trade_date":"2026-01-02 10:00:00","trade_type":"返利","exts":[]}],"exts":[]}`
	if r := send(t, s, req{path: pathExpense, body: exp}); r.code() != CodeOK {
		t.Fatalf("expense: %s %s", r.code(), r.msg())
	}
	for _, p := range []string{pathStmtError, pathExpError} {
		for _, reason := range []string{"first", "客户不存在!"} {
			if r := send(t, s, req{path: p, body: `{"customer_code":"C1","start_date":"2026-01-01","error_reason":"` + reason + `"}`}); r.code() != CodeOK {
				t.Fatalf("%s: %s %s", p, r.code(), r.msg())
			}
		}
	}
	if e := s.Expenses(); len(e) != 1 || e[0].Trade[0].TradeType != "返利" {
		t.Fatalf("Expenses = %+v", e)
	}
	// One log per customer and start date: the latest.
	if l := s.StatementErrors(); len(l) != 1 || l[0].ErrorReason != "客户不存在!" {
		t.Fatalf("StatementErrors = %+v", l)
	}
	if l := s.ExpenseErrors(); len(l) != 1 {
		t.Fatalf("ExpenseErrors = %+v", l)
	}
	if s.Calls("saveStatement") != 2 || s.Calls("saveStatementError") != 2 || s.Refused("saveStatement") != 0 {
		t.Fatalf("calls %d %d refused %d", s.Calls("saveStatement"), s.Calls("saveStatementError"), s.Refused("saveStatement"))
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	good := goodsJSON("HK1", "C1")
	ts := fixed.Format("20060102150405")
	tests := []struct {
		name   string
		req    req
		status int
		code   string
		msg    string
	}{
		{"short path", req{path: "ksfStatement/v1"}, 404, CodeFailure, "地址"},
		{"wrong family", req{path: "ksfreport/v1/saveStatement", body: good}, 404, CodeFailure, "接口不存在"},
		{"GET", req{path: pathStatement, body: good, method: http.MethodGet}, 405, CodeFailure, "POST"},
		{"wrong openid", req{path: pathStatement, body: good, openid: "1234567890123456789"}, 200, CodeFailure, "openid"},
		{"unix timestamp", req{path: pathStatement, body: good, ts: "1768444200"}, 200, CodeFailure, "时间戳格式"},
		{"timestamp with dashes", req{path: pathStatement, body: good, ts: "2026-01-15T10:30"}, 200, CodeFailure, "时间戳格式"},
		{"11 minutes old", req{path: pathStatement, body: good, ts: fixed.Add(-11 * time.Minute).Format("20060102150405")}, 200, CodeFailure, "时间戳已失效"},
		{"11 minutes ahead", req{path: pathStatement, body: good, ts: fixed.Add(11 * time.Minute).Format("20060102150405")}, 200, CodeFailure, "时间戳已失效"},
		{"UTC wall clock", req{path: pathStatement, body: good, ts: fixed.UTC().Format("20060102150405")}, 200, CodeFailure, "时间戳已失效"},
		{"wrong appkey", req{path: pathStatement, body: good, digest: digest.Waiqin([]byte(good), "wrong", ts)}, 200, CodeFailure, "签名"},
		// The digest is over the raw bytes: the same JSON re-spaced is another body.
		{"re-encoded body", req{path: pathStatement, body: strings.Replace(good, ",", ", ", 1), digest: digest.Waiqin([]byte(good), testAppKey, ts)}, 200, CodeFailure, "签名"},
		{"msg_id 33", req{path: pathStatement, body: good, msgID: strings.Repeat("a", 33)}, 200, CodeFailure, "消息ID超长"},
		{"not JSON", req{path: pathStatement, body: `serial_no=HK1`}, 200, CodeFailure, "格式"},
		{"number where text", req{path: pathStatement, body: `{"serial_no":1,"customer_code":"C1","trade_month":"2026-01"}`}, 200, CodeFailure, "格式"},
		{"no serial_no", req{path: pathStatement, body: strings.Replace(good, `"serial_no":"HK1"`, `"serial_no":""`, 1)}, 200, CodeValidation, "对账单号为空"},
		{"no customer", req{path: pathStatement, body: `{"serial_no":"HK1","trade_month":"2026-01"}`}, 200, CodeValidation, "客户编码为空"},
		{"no period", req{path: pathStatement, body: `{"serial_no":"HK1","customer_code":"C1"}`}, 200, CodeValidation, "交易月份与起止日期不能同时为空"},
		{"start only", req{path: pathStatement, body: `{"serial_no":"HK1","customer_code":"C1","start_date":"2026-01-01"}`}, 200, CodeValidation, "不能同时为空"},
		{"spec example date", req{path: pathStatement, body: `{"serial_no":"HK1","customer_code":"C1","start_date":"2019-11-26","end_date":"2019 - 11 - 28"}`}, 200, CodeValidation, "end_date格式错误"},
		{"month format", req{path: pathExpense, body: `{"statement_no":"F","customer_code":"C1","trade_month":"2026/01"}`}, 200, CodeValidation, "trade_month格式错误"},
		{"expense trade date", req{path: pathExpense, body: `{"statement_no":"F","customer_code":"C1","trade_month":"2026-01","trade":[{"trade_date":"2026-01-02"}]}`}, 200, CodeValidation, "trade[0].trade_date格式错误"},
		{"serial_no 33", req{path: pathStatement, body: `{"serial_no":"` + strings.Repeat("H", 33) + `","customer_code":"C1","trade_month":"2026-01"}`}, 200, CodeValidation, "serial_no超长(33>32)"},
		{"ext_value 33 characters", req{path: pathStatement, body: `{"serial_no":"H","customer_code":"C1","trade_month":"2026-01","trade":[{},{"exts":[{"ext_key":"k","ext_value":"` + strings.Repeat("值", 33) + `"}]}]}`}, 200, CodeValidation, "trade[1].exts[0].ext_value超长(33>32)"},
		{"no error_reason", req{path: pathStmtError, body: `{"customer_code":"C1","start_date":"2026-01-01"}`}, 200, CodeValidation, "错误原因不能为空"},
		{"error_reason 101", req{path: pathExpError, body: `{"customer_code":"C1","error_reason":"` + strings.Repeat("错", 101) + `"}`}, 200, CodeValidation, "error_reason超长(101>100)"},
		{"query without month", req{path: pathQuery, body: `{}`}, 200, CodeFailure, "对账月份不能为空!"},
		{"query bad month", req{path: pathQueryExp, body: `{"trade_month":"2026-1"}`}, 200, CodeFailure, "对账月份格式"},
		{"query bad page", req{path: pathQuery, body: `{"trade_month":"2026-01","page_number":"0"}`}, 200, CodeFailure, "页数"},
		{"customers not an object", req{path: pathCustomers, body: `[]`}, 200, CodeFailure, "格式"},
	}
	s := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := send(t, s, tt.req)
			if r.status != tt.status || r.code() != tt.code || !strings.Contains(r.msg(), tt.msg) {
				t.Fatalf("answer %d %s %q, want %d %s containing %q", r.status, r.code(), r.msg(), tt.status, tt.code, tt.msg)
			}
		})
	}
	t.Run("accepted", func(t *testing.T) {
		// 32 characters of 3 bytes each fit VARCHAR(32); 10 minutes is within skew.
		body := `{"serial_no":"H","customer_code":"C1","trade_month":"2026-01","exts":[{"ext_key":"k","ext_value":"` + strings.Repeat("值", 32) + `"}]}`
		if r := send(t, s, req{path: pathStatement, body: body, ts: fixed.Add(-10 * time.Minute).Format("20060102150405")}); r.code() != CodeOK {
			t.Fatalf("answer %s %q", r.code(), r.msg())
		}
	})
}

func TestMsgIDReused(t *testing.T) {
	t.Parallel()
	s := setup(t)
	id := newID()
	body := goodsJSON("HK1", "C1")
	if r := send(t, s, req{path: pathStatement, body: body, msgID: id}); r.code() != CodeOK {
		t.Fatalf("first: %s %s", r.code(), r.msg())
	}
	if r := send(t, s, req{path: pathStatement, body: body, msgID: id}); r.code() != CodeFailure || !strings.Contains(r.msg(), "重复") {
		t.Fatalf("reuse: %s %s", r.code(), r.msg())
	}
	// A request refused for its digest does not burn the id.
	id2 := newID()
	send(t, s, req{path: pathStatement, body: body, msgID: id2, digest: strings.Repeat("0", 32)})
	if r := send(t, s, req{path: pathStatement, body: body, msgID: id2}); r.code() != CodeOK {
		t.Fatalf("after a bad digest: %s %s", r.code(), r.msg())
	}
}

func TestUnknownCustomer(t *testing.T) {
	t.Parallel()
	s := setup(t, func(c *Config) { c.RejectUnknownCustomers = true })
	if r := send(t, s, req{path: pathStatement, body: goodsJSON("HK1", "C9")}); r.code() != CodeFailure || !strings.Contains(r.msg(), "客户不存在") {
		t.Fatalf("answer %s %s", r.code(), r.msg())
	}
}

func TestQueriesPage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.SetPageSize(2)
	for _, n := range []string{"HK5", "HK2", "HK4", "HK1", "HK3"} {
		if r := send(t, s, req{path: pathStatement, body: goodsJSON(n, "C1")}); r.code() != CodeOK {
			t.Fatalf("save %s: %s", n, r.msg())
		}
	}
	send(t, s, req{path: pathStatement, body: `{"serial_no":"HKX","customer_code":"C2","trade_month":"2025-12"}`})
	var all []string
	for page, want := range []int{2, 2, 1, 0} {
		r := send(t, s, req{path: pathQuery, body: `{"trade_month":"2026-01","customer_code":"C1","page_number":"` + itoa(page+1) + `"}`})
		var rows []map[string]string
		r.data(t, &rows)
		if len(rows) != want {
			t.Fatalf("page %d: %d rows, want %d", page+1, len(rows), want)
		}
		for _, row := range rows {
			if len(row["statement_id"]) != 19 || row["customer_code"] != "C1" || row["start_date"] != "2026-01-01" {
				t.Fatalf("row %v", row)
			}
			all = append(all, row["serial_no"])
		}
	}
	if strings.Join(all, ",") != "HK1,HK2,HK3,HK4,HK5" {
		t.Fatalf("rows %v", all)
	}
	// page_number as a number is accepted too; another month is filtered out.
	var rows []map[string]string
	send(t, s, req{path: pathQuery, body: `{"trade_month":"2025-12","page_number":1}`}).data(t, &rows)
	if len(rows) != 1 || rows[0]["serial_no"] != "HKX" {
		t.Fatalf("December: %v", rows)
	}
	// No expense statements saved.
	send(t, s, req{path: pathQueryExp, body: `{"trade_month":"2026-01"}`}).data(t, &rows)
	if len(rows) != 0 {
		t.Fatalf("expenses: %v", rows)
	}
}

func TestGetCustomers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var rows []map[string]string
	// Unpaged (as documented): every page is the whole list.
	for _, p := range []string{`{}`, `{"page_number":"2"}`} {
		send(t, s, req{path: pathCustomers, body: p}).data(t, &rows)
		if len(rows) != 5 || rows[0]["customer_code"] != "C1" {
			t.Fatalf("%s: %v", p, rows)
		}
	}
	s.SetPageSize(2)
	send(t, s, req{path: pathCustomers, body: `{"page_number":"3"}`}).data(t, &rows)
	if len(rows) != 1 || rows[0]["customer_code"] != "C5" {
		t.Fatalf("page 3: %v", rows)
	}
	s.SetCustomers(nil)
	send(t, s, req{path: pathCustomers, body: `{}`}).data(t, &rows)
	if len(rows) != 0 {
		t.Fatalf("no customers: %v", rows)
	}
}

func TestCodeAndDataStyles(t *testing.T) {
	t.Parallel()
	s := setup(t)
	first := send(t, s, req{path: pathCustomers, body: `{}`})
	second := send(t, s, req{path: pathCustomers, body: `{}`})
	if string(first.raw["return_code"]) != "0" || string(second.raw["return_code"]) != `"0"` {
		t.Fatalf("alternation: %s then %s", first.raw["return_code"], second.raw["return_code"])
	}
	s.SetCodeStyle(CodeString)
	s.SetDataStyle(DataObject)
	r := send(t, s, req{path: pathCustomers, body: `{}`})
	if string(r.raw["return_code"]) != `"0"` || !bytes.HasPrefix(r.raw["response_data"], []byte("[")) {
		t.Fatalf("string/object: %s %s", r.raw["return_code"], r.raw["response_data"])
	}
	s.SetCodeStyle(CodeNumber)
	if r := send(t, s, req{path: pathStatement, body: `{}`}); string(r.raw["return_code"]) != CodeValidation {
		t.Fatalf("number: %s", r.raw["return_code"])
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.FailNext("saveStatement", 1, Failure{Status: 503})
	s.FailNext("", 1, Failure{Code: "100608", Message: "对账单号为空"})
	s.FailNext("getCustomers", 1, Failure{Malformed: true})
	body := goodsJSON("HK1", "C1")
	if r := send(t, s, req{path: pathStatement, body: body}); r.status != 503 || r.code() != CodeFailure {
		t.Fatalf("503: %d %s", r.status, r.code())
	}
	// The "" failure applies to any interface; getCustomers' own comes first.
	hr, _ := http.NewRequest(http.MethodPost, s.URL+"/api/"+pathCustomers+"/"+testOpenID+"/x/y/"+newID(), strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if json.Valid(b) {
		t.Fatalf("malformed answer is JSON: %s", b)
	}
	if r := send(t, s, req{path: pathStatement, body: body}); r.code() != CodeValidation {
		t.Fatalf("injected code: %s", r.code())
	}
	if len(s.Statements()) != 0 {
		t.Fatal("an injected failure stored the statement")
	}
	if r := send(t, s, req{path: pathStatement, body: body}); r.code() != CodeOK {
		t.Fatalf("after failures: %s %s", r.code(), r.msg())
	}
	if got := s.Refused("saveStatement"); got != 2 {
		t.Fatalf("Refused = %d", got)
	}
}

func TestFailNextDelayAndHangup(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.FailNext("getCustomers", 1, Failure{Delay: time.Hour})
	s.FailNext("getCustomers", 1, Failure{Hangup: true})
	url := s.URL + "/api/" + pathCustomers + "/" + testOpenID + "/" + fixed.Format("20060102150405") + "/" + digest.Waiqin([]byte("{}"), testAppKey, fixed.Format("20060102150405"))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/"+newID(), strings.NewReader("{}"))
	if _, err := http.DefaultClient.Do(hr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed: %v", err)
	}
	hr, _ = http.NewRequest(http.MethodPost, url+"/"+newID(), strings.NewReader("{}"))
	if resp, err := http.DefaultClient.Do(hr); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("hangup answered %d", resp.StatusCode)
	}
	// A slow answer that is still answered.
	s.FailNext("getCustomers", 1, Failure{Delay: time.Millisecond})
	if r := send(t, s, req{path: pathCustomers, body: `{}`}); r.code() != CodeOK {
		t.Fatalf("slow: %s", r.code())
	}
}

func TestWrongMsgID(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.FailNext("saveStatement", 1, Failure{WrongMsgID: true})
	body := goodsJSON("HK1", "C1")
	ts := fixed.Format("20060102150405")
	hr, _ := http.NewRequest(http.MethodPost, s.URL+"/api/"+pathStatement+"/"+testOpenID+"/"+ts+"/"+digest.Waiqin([]byte(body), testAppKey, ts)+"/ID1", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var env struct {
		MsgID string `json:"msg_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.MsgID == "ID1" || len(s.Statements()) != 1 {
		t.Fatalf("msg_id %q err %v stored %d", env.MsgID, err, len(s.Statements()))
	}
}

func TestStateView(t *testing.T) {
	t.Parallel()
	s := setup(t)
	send(t, s, req{path: pathStatement, body: goodsJSON("HK1", "C1")})
	for _, q := range []string{"", "?full=1"} {
		resp, err := http.Get(s.URL + "/_fake/state" + q)
		if err != nil {
			t.Fatal(err)
		}
		var st State
		err = json.NewDecoder(resp.Body).Decode(&st)
		_ = resp.Body.Close()
		if err != nil || len(st.Statements) != 1 || st.Statements[0].Trades != 1 || st.Calls["saveStatement"] != 1 || len(st.Customers) != 5 {
			t.Fatalf("state %+v err %v", st, err)
		}
		if (st.Statements[0].Document != nil) != (q != "") {
			t.Fatalf("document with %q: %v", q, st.Statements[0].Document)
		}
	}
	if resp, err := http.Post(s.URL+"/_fake/state", "application/json", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST state: %v %v", resp, err)
	}
}

func TestUnstartedHandler(t *testing.T) {
	t.Parallel()
	s := NewUnstarted(Config{OpenID: testOpenID, AppKey: testAppKey})
	defer s.Close()
	if s.URL != "" || s.Handler() == nil {
		t.Fatalf("unstarted: %q", s.URL)
	}
}

// TestSchemaCoversModel: every string field of the wire model has a rule,
// so a field added to statement.go is not sent unchecked.
func TestSchemaCoversModel(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		typ    reflect.Type
		schema map[string]rule
	}{
		"statement": {reflect.TypeFor[statement.Statement](), statementSchema},
		"expense":   {reflect.TypeFor[statement.Expense](), expenseSchema},
		"errorlog":  {reflect.TypeFor[statement.ErrorLog](), errorLogSchema},
	} {
		paths := stringPaths(c.typ, "")
		for _, p := range paths {
			if _, ok := c.schema[p]; !ok {
				t.Errorf("%s: no rule for %s", name, p)
			}
		}
		if len(paths) != len(c.schema) {
			t.Errorf("%s: %d fields, %d rules", name, len(paths), len(c.schema))
		}
	}
}

func stringPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		switch t.Field(i).Type.Kind() {
		case reflect.String:
			out = append(out, prefix+name)
		case reflect.Slice:
			out = append(out, stringPaths(t.Field(i).Type.Elem(), prefix+name+".")...)
		}
	}
	return out
}
