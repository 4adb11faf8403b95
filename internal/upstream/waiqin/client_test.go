package waiqin_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
)

const (
	openID = "5465103569540931532"
	appKey = "BFCO0PAgIUgd50c0l6"
)

// calls records what an Observer was told.
type calls struct {
	mu  sync.Mutex
	ops []string
}

func (c *calls) ObserveCall(vendor, op, outcome string, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = append(c.ops, vendor+" "+op+" "+outcome)
}

func (c *calls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

// setup starts a fake 勤策 and a client for it.
func setup(t *testing.T, mutate ...func(*waiqin.Config)) (*waiqin.Client, *waiqintest.Server, *calls) {
	t.Helper()
	fake := waiqintest.New(waiqintest.Config{OpenID: openID, AppKey: appKey, Customers: []string{"C1", "C2", "C3", "C4", "C5"}})
	t.Cleanup(fake.Close)
	obs := &calls{}
	cfg := waiqin.Config{BaseURL: fake.URL, OpenID: openID, AppKey: appKey, CallOptions: upstream.CallOptions{Observer: obs}}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := waiqin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, obs
}

func goods(number, customer string) *statement.Statement {
	return &statement.Statement{
		SerialNo: number, CustomerCode: customer, StartDate: "2026-01-01", EndDate: "2026-01-31",
		BeginBalance: "100.00", Zjkje: "50.00", Zchje: "80.00", Zthje: "10.00", Zqmye: "80.00",
		Zchsl: "8", Zthsl: "1", Zjcsl: "7",
		Trade: []statement.Trade{{
			StatementNo: number, SerialNo: "1", VoucherNo: "AR001", TradeDesc: "销售出库", TradeAmount: "80.00",
			TotalCount: "8", TradeDate: "2026-01-05", CustomerCode: customer, StartDate: "2026-01-01",
			Exts:   []statement.Ext{{Key: "单据类型", Value: "销售"}},
			Detail: []statement.Detail{{StatementNo: number, SerialNo: "1", VoucherNo: "AR001", ProductCode: "SKU1", ProductName: "红烧牛肉面", Amount: "80.00", Number: "8", CustomerCode: customer, StartDate: "2026-01-01"}},
		}},
		Exts: []statement.Ext{{Key: "对账差异", Value: "0.00"}},
	}
}

func expense(number, customer string) *statement.Expense {
	return &statement.Expense{
		StatementNo: number, CustomerCode: customer, TradeMonth: "2026-01",
		Trade: []statement.ExpenseTrade{{SerialNo: "1", VoucherNo: "T001", TradeDate: "2026-01-05 10:00:00", TradeType: "返利",
			Exts: []statement.Ext{{Key: "金额", Value: "20.00"}, {Key: "方向", Value: "收入"}}}},
		Exts: []statement.Ext{{Key: "收入合计", Value: "20.00"}},
	}
}

func TestSaveRoundTrips(t *testing.T) {
	t.Parallel()
	c, fake, obs := setup(t)
	ctx := t.Context()
	st, ex := goods("HK1", "C1"), expense("FY1", "C2")
	if err := c.SaveStatement(ctx, st); err != nil {
		t.Fatalf("SaveStatement: %v", err)
	}
	if err := c.SaveExpense(ctx, ex); err != nil {
		t.Fatalf("SaveExpense: %v", err)
	}
	sl := statement.ErrorLog{CustomerCode: "C3", StartDate: "2026-01-01", ErrorReason: "客户不存在!", ErrorStatus: "1"}
	if err := c.SaveStatementError(ctx, sl); err != nil {
		t.Fatalf("SaveStatementError: %v", err)
	}
	el := statement.ErrorLog{CustomerCode: "C4", StartDate: "2026-01-01", ErrorReason: "旺店通: 参数错误"}
	if err := c.SaveExpenseError(ctx, el); err != nil {
		t.Fatalf("SaveExpenseError: %v", err)
	}
	if got := fake.Statements(); len(got) != 1 || !reflect.DeepEqual(got[0], *st) {
		t.Fatalf("statement stored\n%+v\nsent\n%+v", got, *st)
	}
	if got := fake.Expenses(); len(got) != 1 || !reflect.DeepEqual(got[0], *ex) {
		t.Fatalf("expense stored %+v", got)
	}
	if got := fake.StatementErrors(); len(got) != 1 || got[0] != sl {
		t.Fatalf("statement errors %+v", got)
	}
	if got := fake.ExpenseErrors(); len(got) != 1 || got[0] != el {
		t.Fatalf("expense errors %+v", got)
	}
	want := []string{"waiqin saveStatement ok", "waiqin saveExpense ok", "waiqin saveStatementError ok", "waiqin saveExpenseError ok"}
	if got := obs.list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("observed %v", got)
	}
}

func collectStatements(t *testing.T, query func(context.Context, waiqin.Query, func(waiqin.StatementInfo) error) error, q waiqin.Query) []string {
	t.Helper()
	var got []string
	if err := query(t.Context(), q, func(s waiqin.StatementInfo) error {
		got = append(got, s.SerialNo+"/"+s.CustomerCode)
		return nil
	}); err != nil {
		t.Fatalf("query: %v", err)
	}
	return got
}

func TestQueriesRoundTrip(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t)
	ctx := t.Context()
	for _, n := range []string{"HK1", "HK2"} {
		if err := c.SaveStatement(ctx, goods(n, "C1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SaveExpense(ctx, expense("FY1", "C2")); err != nil {
		t.Fatal(err)
	}
	if got := collectStatements(t, c.QueryStatement, waiqin.Query{TradeMonth: "2026-01"}); strings.Join(got, ",") != "HK1/C1,HK2/C1" {
		t.Fatalf("QueryStatement = %v", got)
	}
	if got := collectStatements(t, c.QueryExpenseStatement, waiqin.Query{TradeMonth: "2026-01", CustomerCode: "C2"}); strings.Join(got, ",") != "FY1/C2" {
		t.Fatalf("QueryExpenseStatement = %v", got)
	}
	if got := collectStatements(t, c.QueryExpenseStatement, waiqin.Query{TradeMonth: "2026-01", CustomerCode: "C1"}); len(got) != 0 {
		t.Fatalf("QueryExpenseStatement C1 = %v", got)
	}
	var info waiqin.StatementInfo
	_ = c.QueryStatement(ctx, waiqin.Query{TradeMonth: "2026-01"}, func(s waiqin.StatementInfo) error { info = s; return nil })
	if len(info.StatementID) != 19 || info.StartDate != "2026-01-01" || info.ModifyTime == "" || info.StatementStatus == "" {
		t.Fatalf("StatementInfo = %+v", info)
	}
	err := c.QueryStatement(ctx, waiqin.Query{}, func(waiqin.StatementInfo) error { return nil })
	// Two queries of one page each, plus the empty page that ends each: 4.
	if !retry.IsPermanent(err) || !errors.Is(err, statement.ErrInvalid) || fake.Calls("queryStatement") != 4 {
		t.Fatalf("query without month: %v (calls %d)", err, fake.Calls("queryStatement"))
	}
}

func TestPagingAcrossThreePages(t *testing.T) {
	t.Parallel()
	c, fake, obs := setup(t)
	fake.SetPageSize(2)
	for _, n := range []string{"HK1", "HK2", "HK3", "HK4", "HK5"} {
		if err := c.SaveStatement(t.Context(), goods(n, "C1")); err != nil {
			t.Fatal(err)
		}
	}
	got := collectStatements(t, c.QueryStatement, waiqin.Query{TradeMonth: "2026-01"})
	if strings.Join(got, ",") != "HK1/C1,HK2/C1,HK3/C1,HK4/C1,HK5/C1" {
		t.Fatalf("rows %v", got)
	}
	// Pages 1–3 and the empty page 4 that ends the loop, each observed.
	if n := fake.Calls("queryStatement"); n != 4 {
		t.Fatalf("%d requests", n)
	}
	var queries int
	for _, o := range obs.list() {
		if o == "waiqin queryStatement ok" {
			queries++
		}
	}
	if queries != 4 {
		t.Fatalf("observed %d query requests", queries)
	}

	var customers []string
	if err := c.GetCustomers(t.Context(), func(cu waiqin.Customer) error { customers = append(customers, cu.CustomerCode); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(customers, ",") != "C1,C2,C3,C4,C5" || fake.Calls("getCustomers") != 4 {
		t.Fatalf("customers %v in %d requests", customers, fake.Calls("getCustomers"))
	}
}

func TestGetCustomersUnpaged(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t)
	var customers []string
	if err := c.GetCustomers(t.Context(), func(cu waiqin.Customer) error { customers = append(customers, cu.CustomerCode); return nil }); err != nil {
		t.Fatal(err)
	}
	// Page 2 repeats page 1: the tenant does not page; each customer once.
	if strings.Join(customers, ",") != "C1,C2,C3,C4,C5" || fake.Calls("getCustomers") != 2 {
		t.Fatalf("customers %v in %d requests", customers, fake.Calls("getCustomers"))
	}
	fake.SetCustomers(nil)
	customers = nil
	if err := c.GetCustomers(t.Context(), func(cu waiqin.Customer) error { customers = append(customers, cu.CustomerCode); return nil }); err != nil || len(customers) != 0 {
		t.Fatalf("no customers: %v %v", customers, err)
	}
}

func TestPagingStops(t *testing.T) {
	t.Parallel()
	// A tenant that always answers a new, non-empty page.
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		page := n
		mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"return_code":"0","response_data":"[{\"customer_code\":\"c%d\"}]"}`, page)
	}))
	t.Cleanup(srv.Close)
	c, err := waiqin.New(waiqin.Config{BaseURL: srv.URL, OpenID: openID, AppKey: appKey, MaxPages: 5})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = c.GetCustomers(t.Context(), func(waiqin.Customer) error { seen++; return nil })
	if !retry.IsPermanent(err) || seen != 5 || n != 5 {
		t.Fatalf("err %v after %d items, %d requests", err, seen, n)
	}
	// An error from the callback stops at once and comes back unwrapped.
	stop := errors.New("stop")
	n = 0
	err = c.GetCustomers(t.Context(), func(waiqin.Customer) error { return stop })
	if err != stop || n != 1 {
		t.Fatalf("err %v after %d requests", err, n)
	}
}

func TestEnvelopeVariants(t *testing.T) {
	t.Parallel()
	for name, style := range map[string]func(*waiqintest.Server){
		"number codes":  func(s *waiqintest.Server) { s.SetCodeStyle(waiqintest.CodeNumber) },
		"string codes":  func(s *waiqintest.Server) { s.SetCodeStyle(waiqintest.CodeString) },
		"object data":   func(s *waiqintest.Server) { s.SetDataStyle(waiqintest.DataObject) },
		"alternate/str": func(*waiqintest.Server) {},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, fake, _ := setup(t)
			style(fake)
			if err := c.SaveStatement(t.Context(), goods("HK1", "C1")); err != nil {
				t.Fatal(err)
			}
			if got := collectStatements(t, c.QueryStatement, waiqin.Query{TradeMonth: "2026-01"}); len(got) != 1 {
				t.Fatalf("rows %v", got)
			}
			err := c.SaveStatement(t.Context(), &statement.Statement{SerialNo: "H", CustomerCode: "C1", TradeMonth: "2026-01",
				Exts: []statement.Ext{{Key: "k", Value: "v"}}})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failure   waiqintest.Failure
		config    func(*waiqin.Config)
		permanent bool
		code      string
		status    int
		contains  string
	}{
		{"validation 100608", waiqintest.Failure{Code: "100608", Message: "对账单号为空"}, nil, true, "100608", 0, "对账单号为空"},
		{"generic 1", waiqintest.Failure{Code: "1", Message: "对账月份不能为空!"}, nil, true, "1", 0, "对账月份不能为空"},
		{"1 but busy", waiqintest.Failure{Code: "1", Message: "系统繁忙,请稍后再试"}, nil, false, "1", 0, "繁忙"},
		{"unknown code", waiqintest.Failure{Code: "999", Message: "?"}, nil, true, "999", 0, "?"},
		{"configured transient code", waiqintest.Failure{Code: "999", Message: "?"}, func(c *waiqin.Config) { c.TransientCodes = []string{"999"} }, false, "999", 0, "?"},
		{"HTTP 500", waiqintest.Failure{Status: 500}, nil, false, "1", 500, "Internal Server Error"},
		{"HTTP 502", waiqintest.Failure{Status: 502}, nil, false, "1", 502, ""},
		{"HTTP 503", waiqintest.Failure{Status: 503}, nil, false, "1", 503, ""},
		{"HTTP 429", waiqintest.Failure{Status: 429}, nil, false, "1", 429, ""},
		{"HTTP 408", waiqintest.Failure{Status: 408}, nil, false, "1", 408, ""},
		{"HTTP 400", waiqintest.Failure{Status: 400}, nil, true, "1", 400, ""},
		{"HTTP 401", waiqintest.Failure{Status: 401}, nil, true, "1", 401, ""},
		{"HTTP 404", waiqintest.Failure{Status: 404}, nil, true, "1", 404, ""},
		{"malformed answer", waiqintest.Failure{Malformed: true}, nil, true, "", 200, "malformed"},
		{"hang-up", waiqintest.Failure{Hangup: true}, nil, false, "", 0, "request failed"},
		{"timeout", waiqintest.Failure{Delay: time.Hour}, func(c *waiqin.Config) { c.Timeout = 50 * time.Millisecond }, false, "", 0, "no answer within 50ms"},
		{"another msg_id", waiqintest.Failure{WrongMsgID: true}, nil, false, "0", 0, "msg_id"},
		{"wrong appkey", waiqintest.Failure{}, func(c *waiqin.Config) { c.AppKey = "0000000000000000xx" }, true, "1", 0, "签名"},
		{"clock 20 minutes slow", waiqintest.Failure{}, func(c *waiqin.Config) { c.Now = func() time.Time { return time.Now().Add(-20 * time.Minute) } }, true, "1", 0, "时间戳"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mutate []func(*waiqin.Config)
			if tt.config != nil {
				mutate = append(mutate, tt.config)
			}
			c, fake, obs := setup(t, mutate...)
			if tt.failure != (waiqintest.Failure{}) {
				fake.FailNext("saveStatement", 1, tt.failure)
			}
			err := c.SaveStatement(t.Context(), goods("HK1", "C1"))
			e, ok := upstream.As(err)
			if !ok {
				t.Fatalf("err = %v, want *upstream.Error", err)
			}
			if e.Vendor != "waiqin" || e.Op != "saveStatement" || e.Permanent != tt.permanent || e.Code != tt.code || e.Status != tt.status || !strings.Contains(e.Message, tt.contains) {
				t.Fatalf("err = %#v", e)
			}
			if retry.IsPermanent(err) != tt.permanent || errors.Is(err, upstream.ErrTransient) == tt.permanent {
				t.Fatalf("classification of %v", err)
			}
			if tt.name == "malformed answer" && !errors.Is(err, waiqin.ErrMalformed) {
				t.Fatalf("malformed: %v", err)
			}
			outcome := upstream.OutcomeTransient
			if tt.permanent {
				outcome = upstream.OutcomePermanent
			}
			if got := obs.list(); len(got) != 1 || got[0] != "waiqin saveStatement "+outcome {
				t.Fatalf("observed %v", got)
			}
			noSecret(t, err, true)
		})
	}
}

// noSecret fails if err's text holds the appkey or the openid, or (urlToo)
// the request URL.
func noSecret(t *testing.T, err error, urlToo bool) {
	t.Helper()
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, appKey) || strings.Contains(s, openID) || (urlToo && strings.Contains(s, "/api/")) {
			t.Fatalf("error leaks a secret or the URL: %s", s)
		}
	}
}

func TestLocalValidationSendsNothing(t *testing.T) {
	t.Parallel()
	c, fake, obs := setup(t)
	st := goods("HK1", "C1")
	st.Trade[0].Exts[0].Value = strings.Repeat("值", 33)
	err := c.SaveStatement(t.Context(), st)
	var fe *statement.FieldError
	if !retry.IsPermanent(err) || !errors.As(err, &fe) || fe.Field != "trade[0].exts[0].ext_value" || fe.Length != 33 {
		t.Fatalf("err = %v", err)
	}
	long := statement.ErrorLog{CustomerCode: "C1", ErrorReason: strings.Repeat("错", statement.MaxErrorReason+1)}
	if err := c.SaveStatementError(t.Context(), long); !retry.IsPermanent(err) || !strings.Contains(err.Error(), "error_reason: 101 characters, limit 100") {
		t.Fatalf("long reason: %v", err)
	}
	if err := c.SaveExpense(t.Context(), &statement.Expense{CustomerCode: "C1", TradeMonth: "2026-01"}); !retry.IsPermanent(err) {
		t.Fatalf("no number: %v", err)
	}
	if err := c.SaveExpenseError(t.Context(), statement.ErrorLog{CustomerCode: "C1"}); !retry.IsPermanent(err) {
		t.Fatalf("no reason: %v", err)
	}
	if fake.Calls("saveStatement")+fake.Calls("saveStatementError")+fake.Calls("saveExpense")+fake.Calls("saveExpenseError") != 0 || len(obs.list()) != 0 {
		t.Fatal("an invalid document was sent")
	}
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	c, fake, obs := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.SaveStatement(ctx, goods("HK1", "C1")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
	// Cancelled while 勤策 is slow: the caller's cancellation, not a vendor error.
	fake.FailNext("saveStatement", 1, waiqintest.Failure{Delay: time.Hour})
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.SaveStatement(ctx, goods("HK1", "C1")) }()
	waitCalls(t, fake, "saveStatement", 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during: %v", err)
	}
	if got := obs.list(); len(got) != 1 || got[0] != "waiqin saveStatement canceled" {
		t.Fatalf("observed %v", got)
	}
}

// waitCalls waits until the fake has seen n requests to iface.
func waitCalls(t *testing.T, fake *waiqintest.Server, iface string, n int) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for fake.Calls(iface) < n {
		select {
		case <-tick.C:
		case <-t.Context().Done():
			t.Fatal("timed out")
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// Two tokens, then one an hour: the third call cannot start before its
	// deadline, which rate.Limiter knows at once (no wall-clock waiting).
	lim := rate.NewLimiter(rate.Every(time.Hour), 2)
	c, fake, obs := setup(t, func(cfg *waiqin.Config) { cfg.Limiter = lim })
	for i := range 2 {
		if err := c.SaveStatementError(t.Context(), statement.ErrorLog{CustomerCode: "C1", ErrorReason: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := c.SaveStatementError(ctx, statement.ErrorLog{CustomerCode: "C1", ErrorReason: "third"})
	if e, ok := upstream.As(err); !ok || e.Permanent || !strings.Contains(e.Message, "rate") {
		t.Fatalf("third call: %v", err)
	}
	if n := fake.Calls("saveStatementError"); n != 2 || len(obs.list()) != 2 {
		t.Fatalf("%d requests reached 勤策, %d observed", n, len(obs.list()))
	}
	// Paging spends a token per page.
	lim2 := rate.NewLimiter(rate.Every(time.Hour), 1)
	c2, fake2, _ := setup(t, func(cfg *waiqin.Config) { cfg.Limiter = lim2 })
	err = c2.GetCustomers(ctx, func(waiqin.Customer) error { return nil })
	if retry.IsPermanent(err) || err == nil || fake2.Calls("getCustomers") != 1 {
		t.Fatalf("paging under the limit: %v after %d requests", err, fake2.Calls("getCustomers"))
	}
}

func TestFreshSignaturePerRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seg := strings.Split(r.URL.Path, "/")
		sum := md5.Sum([]byte(string(b) + "|" + appKey + "|" + seg[6]))
		if seg[7] != hex.EncodeToString(sum[:]) {
			w.WriteHeader(http.StatusBadRequest)
		}
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"return_code":"0","msg_id":%q,"response_data":"[]"}`, seg[8])
	}))
	t.Cleanup(srv.Close)
	c, _ := waiqin.New(waiqin.Config{BaseURL: srv.URL, OpenID: openID, AppKey: appKey})
	for range 3 {
		if err := c.SaveStatementError(t.Context(), statement.ErrorLog{CustomerCode: "C1", ErrorReason: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, p := range paths {
		seg := strings.Split(p, "/")
		if len(seg) != 9 || seg[2] != "ksfStatement" || seg[3] != "v1" || seg[4] != "saveStatementError" || seg[5] != openID || len(seg[6]) != 14 || len(seg[8]) != 32 {
			t.Fatalf("path %s", p)
		}
		if _, err := time.ParseInLocation("20060102150405", seg[6], tz.Shanghai); err != nil || time.Since(mustParse(seg[6])).Abs() > time.Minute {
			t.Fatalf("timestamp %s is not Shanghai now", seg[6])
		}
		ids[seg[8]] = true
	}
	if len(ids) != 3 {
		t.Fatalf("msg_ids reused: %v", paths)
	}
}

func mustParse(ts string) time.Time {
	t, _ := time.ParseInLocation("20060102150405", ts, tz.Shanghai)
	return t
}

// TestNoSecretInErrors: a vendor that echoes the request URL, and a network
// failure, leave no appkey, openid or digest in the error.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	var digestSeen string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		digestSeen = strings.Split(r.URL.Path, "/")[7]
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, `{"return_code":"1","return_msg":"bad request %s key %s"}`, r.URL.Path, appKey)
	}))
	t.Cleanup(echo.Close)
	c, _ := waiqin.New(waiqin.Config{BaseURL: echo.URL, OpenID: openID, AppKey: appKey})
	err := c.SaveStatement(t.Context(), goods("HK1", "C1"))
	if err == nil || strings.Contains(err.Error(), digestSeen) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("echoing vendor: %v", err)
	}
	noSecret(t, err, false) // the vendor's own text stays, minus the secrets

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ = waiqin.New(waiqin.Config{BaseURL: closed.URL, OpenID: openID, AppKey: appKey})
	err = c.SaveStatement(t.Context(), goods("HK1", "C1"))
	if retry.IsPermanent(err) || err == nil {
		t.Fatalf("connection refused: %v", err)
	}
	noSecret(t, err, true)
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), openID) {
			t.Fatalf("wrapped error keeps the URL: %v", e)
		}
	}
}

func TestTenants(t *testing.T) {
	t.Parallel()
	a, _, _ := setup(t)
	b, _, _ := setup(t)
	tenants := waiqin.NewTenants(a, map[string]*waiqin.Client{"t2": b})
	if c, err := tenants.For("t2"); c != b || err != nil {
		t.Fatalf("t2: %v", err)
	}
	if c, err := tenants.For("other"); c != a || err != nil {
		t.Fatalf("default: %v", err)
	}
	_, err := waiqin.NewTenants(nil, map[string]*waiqin.Client{"t2": b}).For("t9")
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "t9") {
		t.Fatalf("unknown tenant: %v", err)
	}
}

// TestSaveAnswerWithTextData: a success whose response_data is plain text
// ("保存成功") is a success for every save and error log (issue 10, item 6);
// a list query answering text is malformed, never an empty list.
func TestSaveAnswerWithTextData(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t)
	fake.SetSaveText("保存成功")
	ctx := t.Context()
	if err := c.SaveStatement(ctx, goods("HK1", "C1")); err != nil {
		t.Fatalf("SaveStatement: %v", err)
	}
	if err := c.SaveExpense(ctx, expense("FY1", "C2")); err != nil {
		t.Fatalf("SaveExpense: %v", err)
	}
	l := statement.ErrorLog{CustomerCode: "C3", StartDate: "2026-01-01", ErrorReason: "原因"}
	if err := c.SaveStatementError(ctx, l); err != nil {
		t.Fatalf("SaveStatementError: %v", err)
	}
	if err := c.SaveExpenseError(ctx, l); err != nil {
		t.Fatalf("SaveExpenseError: %v", err)
	}
	if len(fake.Statements()) != 1 || len(fake.Expenses()) != 1 {
		t.Fatal("not stored")
	}
}

func TestQueryAnsweringTextIsMalformed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msgID := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		_, _ = io.WriteString(w, `{"msg_id":"`+msgID+`","return_code":"0","response_data":"查询成功"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := waiqin.New(waiqin.Config{BaseURL: srv.URL, OpenID: openID, AppKey: appKey})
	if err != nil {
		t.Fatal(err)
	}
	err = c.QueryStatement(t.Context(), waiqin.Query{TradeMonth: "2026-01"}, func(waiqin.StatementInfo) error { return nil })
	if !errors.Is(err, waiqin.ErrMalformed) || !retry.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
}

// TestSeededConfirmedStatement: the fake answers a seeded statement's status
// in the query, and a later save keeps it.
func TestSeededConfirmedStatement(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t)
	fake.SeedStatement(*goods("HK9", "C1"), waiqintest.StatusConfirmed)
	if err := c.SaveStatement(t.Context(), goods("HK1", "C1")); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	if err := c.QueryStatement(t.Context(), waiqin.Query{TradeMonth: "2026-01", CustomerCode: "C1"}, func(s waiqin.StatementInfo) error {
		got[s.SerialNo] = s.StatementStatus
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got["HK9"] != "已确认" || got["HK1"] != "未确认" {
		t.Fatalf("statuses %v", got)
	}
}
