package omstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
)

var now = time.Date(2026, 12, 1, 8, 30, 0, 0, tz.Shanghai)

func setup(t *testing.T, cfg omstest.Config) *omstest.Server {
	t.Helper()
	cfg.Flag, cfg.Token = "ksf", "tok"
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	s := omstest.New(cfg)
	t.Cleanup(s.Close)
	if err := s.Load(omstest.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	return s
}

// signed is a request as a correct client builds it; mod may break it after
// signing (or before, by setting sign itself).
func signed(method string, biz map[string]string, ts string, mod func(map[string]string)) url.Values {
	p := map[string]string{"flag": "ksf", "method": method, "ver": "1", "charset": "utf-8", "type": "json", "timestamp": ts}
	for k, v := range biz {
		p[k] = v
	}
	p["sign"] = digest.OMS(p, "tok")
	if mod != nil {
		mod(p)
	}
	f := url.Values{}
	for k, v := range p {
		if v != "\x00" { // "\x00" drops the parameter
			f.Set(k, v)
		}
	}
	return f
}

func post(t *testing.T, s *omstest.Server, f url.Values) (int, map[string]any) {
	t.Helper()
	status, m, err := postErr(s, f)
	if err != nil {
		t.Fatal(err)
	}
	return status, m
}

// postErr is post for goroutines other than the test's.
func postErr(s *omstest.Server, f url.Values) (int, map[string]any, error) {
	resp, err := http.PostForm(s.URL+omstest.ServicePath, f)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return 0, nil, fmt.Errorf("answer %q: %v", b, err)
	}
	return resp.StatusCode, m, nil
}

// errCode reads the code of either error shape ("" for success).
func errCode(m map[string]any) string {
	if er, ok := m["error_response"].(map[string]any); ok {
		return fmt.Sprint(er["code"])
	}
	if c, ok := m["code"]; ok {
		return fmt.Sprint(c)
	}
	return ""
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ts := "20261201083000"
	tests := []struct {
		name          string
		form          url.Values
		source, pages string
	}{
		{"ok", signed("finance.getAccountBalance", nil, ts, nil), "", ""},
		{"unknown flag", signed("finance.getAccountBalance", nil, ts, func(p map[string]string) { p["flag"] = "other" }), "e000001", "1001"},
		{"bad sign", signed("finance.getAccountBalance", nil, ts, func(p map[string]string) { p["sign"] = strings.ToLower(p["sign"]) }), "e000002", "1003"},
		{"param changed after signing", signed("ar.getList", map[string]string{"shop_code": "C001"}, ts, func(p map[string]string) { p["shop_code"] = "C002" }), "e000002", "1003"},
		{"no sign", signed("finance.getAccountBalance", nil, ts, func(p map[string]string) { p["sign"] = "\x00" }), "e000003", "2001"},
		{"type xml", signed("finance.getAccountBalance", map[string]string{"type": "xml"}, ts, nil), "e000003", "1004"},
		{"stale by 3601 s", signed("finance.getAccountBalance", nil, "20261201072959", nil), "e000008", "1002"},
		{"early by 3600 s is fine", signed("finance.getAccountBalance", nil, "20261201093000", nil), "", ""},
		{"unix timestamp while datetime", signed("finance.getAccountBalance", nil, "1796085000", nil), "e000008", "1002"},
		{"unknown method", signed("ar.delete", nil, ts, nil), "e000004", "2003"},
		{"detail without bill_bn", signed("ar.getDetail", nil, ts, nil), "e000003", "2001"},
		{"bad page_no", signed("ar.getList", map[string]string{"page_no": "0"}, ts, nil), "e000003", "2002"},
		{"bad start_time", signed("ar.getList", map[string]string{"start_time": "2026-11-01"}, ts, nil), "e000003", "2002"},
		{"bad amount", signed("ar.getList", map[string]string{"amount_min": "ten"}, ts, nil), "e000003", "2002"},
	}
	for _, dialect := range []omstest.Dialect{omstest.DialectSource, omstest.DialectPages} {
		for _, tt := range tests {
			t.Run(string(dialect)+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				s := setup(t, omstest.Config{Dialect: dialect})
				status, m := post(t, s, tt.form)
				want := tt.source
				if dialect == omstest.DialectPages {
					want = tt.pages
				}
				if status != 200 || errCode(m) != want {
					t.Fatalf("status %d answer %v, want code %q", status, m, want)
				}
				if _, wrapped := m["response"]; want == "" && wrapped != (dialect == omstest.DialectSource) {
					t.Fatalf("success shape %v for dialect %s", m, dialect)
				}
			})
		}
	}
}

func TestRepeatRefusedWithinTheHour(t *testing.T) {
	t.Parallel()
	clock := now
	var mu sync.Mutex
	s := setup(t, omstest.Config{Dialect: omstest.DialectPages, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}})
	f := signed("finance.getAccountBalance", nil, "20261201083000", nil)
	for i, want := range []string{"", "e000009"} {
		if _, m := post(t, s, f); errCode(m) != want {
			t.Fatalf("attempt %d: %v", i, m)
		}
	}
	// A fresh timestamp is a different signed request.
	if _, m := post(t, s, signed("finance.getAccountBalance", nil, "20261201083001", nil)); errCode(m) != "" {
		t.Fatalf("fresh: %v", m)
	}
	// An hour later the first is no longer a repeat (and still within skew).
	mu.Lock()
	clock = now.Add(time.Hour)
	mu.Unlock()
	if _, m := post(t, s, f); errCode(m) != "" {
		t.Fatalf("an hour later: %v", m)
	}
	if s.Calls("finance.getAccountBalance") != 4 {
		t.Fatalf("calls = %d", s.Calls("finance.getAccountBalance"))
	}
}

func TestUnixTimestamps(t *testing.T) {
	t.Parallel()
	s := setup(t, omstest.Config{TimestampFormat: "unix"})
	for ts, want := range map[string]string{"1796085000": "", "1796081399": "e000008", "20261201083000": "e000008"} {
		if _, m := post(t, s, signed("finance.getAccountBalance", nil, ts, nil)); errCode(m) != want {
			t.Errorf("ts %s: %v, want %q", ts, m, want)
		}
	}
}

func TestPagingAndFilters(t *testing.T) {
	t.Parallel()
	s := setup(t, omstest.Config{MaxPageSize: 2, Dialect: omstest.DialectPages})
	ts := "20261201083000"
	list := func(biz map[string]string) (string, []string) {
		t.Helper()
		_, m := post(t, s, signed("ar.getList", biz, ts, nil))
		var bns []string
		rows, _ := m["lists"].([]any)
		for _, r := range rows {
			bns = append(bns, r.(map[string]any)["bill_bn"].(string))
		}
		return fmt.Sprint(m["count"]), bns
	}
	tests := []struct {
		biz   map[string]string
		count string
		bns   string
	}{
		{map[string]string{"page_size": "1000"}, "4", "AR202611010001 AR202611050004"}, // capped to 2
		{map[string]string{"page_no": "2", "page_size": "2"}, "4", "AR202611120002 AR202611200003"},
		{map[string]string{"page_no": "3", "page_size": "2"}, "4", ""},
		{map[string]string{"shop_code": "C002#NONE"}, "1", "AR202611050004"},
		{map[string]string{"shop_code": "C001", "start_time": "2026-11-12 14:05:00", "end_time": "2026-11-20 16:45:00"}, "2", "AR202611120002 AR202611200003"},
		{map[string]string{"bill_type": "销售退货单"}, "1", "AR202611200003"},
		{map[string]string{"amount_min": "1000", "amount_max": "2400"}, "2", "AR202611010001 AR202611050004"},
	}
	for _, tt := range tests {
		count, bns := list(tt.biz)
		if count != tt.count || strings.Join(bns, " ") != tt.bns {
			t.Errorf("%v: count %s rows %v", tt.biz, count, bns)
		}
	}
	// Money: strings on ar.getList (as the pages show), numbers on finance.
	_, m := post(t, s, signed("ar.getList", map[string]string{"bill_bn": "AR202611050004"}, ts, nil))
	if a := m["lists"].([]any)[0].(map[string]any)["amount"]; a != "2400.00" {
		t.Errorf("ar amount = %#v", a)
	}
	_, m = post(t, s, signed("finance.getTransactionList", map[string]string{"account_id": "ACC-C001", "trans_type": "expense"}, ts, nil))
	rows := m["lists"].([]any)
	if m["count"] != json.Number("2") || rows[1].(map[string]any)["amount"] != json.Number("864.50") {
		t.Errorf("transactions = %v", m)
	}
	_, m = post(t, s, signed("finance.getAccountBalance", map[string]string{"account_id": "ACC-C002"}, ts, nil))
	if accts := m["accounts"].([]any); len(accts) != 1 || accts[0].(map[string]any)["balance"] != json.Number("600.00") {
		t.Errorf("accounts = %v", m)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := setup(t, omstest.Config{})
	s.FailNext("ar.getDetail", 1, omstest.Failure{Code: "500", Msg: "boom"})
	s.FailNext("", 1, omstest.Failure{Code: "e000123", Msg: "any"})
	ts := 0
	next := func(method string, biz map[string]string, mod ...func(map[string]string)) map[string]any {
		ts++
		var m0 func(map[string]string)
		if len(mod) > 0 {
			m0 = mod[0]
		}
		_, m := post(t, s, signed(method, biz, fmt.Sprintf("202612010830%02d", ts), m0))
		return m
	}
	if m := next("finance.getAccountBalance", nil); errCode(m) != "e000123" {
		t.Fatalf("any-method failure: %v", m)
	}
	if m := next("ar.getDetail", map[string]string{"bill_bn": "AR202611010001"}); errCode(m) != "500" {
		t.Fatalf("method failure: %v", m)
	}
	if m := next("ar.getDetail", map[string]string{"bill_bn": "AR202611010001"}); errCode(m) != "" {
		t.Fatalf("failures not used up: %v", m)
	}
	// A wrongly signed request does not consume an injected failure.
	s.FailNext("ar.getDetail", 1, omstest.Failure{Status: 503, Body: "<html>busy</html>"})
	if m := next("ar.getDetail", map[string]string{"bill_bn": "X"}, func(p map[string]string) { p["sign"] = "x" }); errCode(m) != "e000002" {
		t.Fatalf("bad sign: %v", m)
	}
	resp, err := http.PostForm(s.URL+omstest.ServicePath, signed("ar.getDetail", map[string]string{"bill_bn": "X"}, "20261201083059", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(b) != "<html>busy</html>" {
		t.Fatalf("raw failure: %d %q", resp.StatusCode, b)
	}
}

func TestCloseReleasesDelayedAnswers(t *testing.T) {
	t.Parallel()
	s := omstest.New(omstest.Config{Flag: "ksf", Token: "tok", Now: func() time.Time { return now }})
	held := make(chan struct{}, 1)
	s.FailNext("", 1, omstest.Failure{Delay: time.Hour, Code: "500", Held: held})
	done := make(chan error, 1)
	go func() {
		resp, err := http.PostForm(s.URL+omstest.ServicePath, signed("finance.getAccountBalance", nil, "20261201083000", nil))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Close must not wait the hour out; it returns once the held answer is released.
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("request ended before Close: %v", err)
	}
	s.Close()
	<-done
}

func TestHTTPLevel(t *testing.T) {
	t.Parallel()
	s := setup(t, omstest.Config{})
	resp, err := http.Get(s.URL + omstest.ServicePath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET = %d", resp.StatusCode)
	}
	resp, err = http.PostForm(s.URL+"/elsewhere", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other path = %d", resp.StatusCode)
	}
}

func TestMountedHandler(t *testing.T) {
	t.Parallel()
	fake := omstest.NewHandler(omstest.Config{Flag: "ksf", Token: "tok", Now: func() time.Time { return now }})
	mux := http.NewServeMux()
	mux.Handle(omstest.ServicePath, fake.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fake.SetBalance(omstest.Account{AccountID: "A", Balance: decimal.RequireFromString("1.5")})
	resp, err := http.PostForm(srv.URL+omstest.ServicePath, signed("finance.getAccountBalance", nil, "20261201083000", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"balance":1.50`) {
		t.Fatalf("answer %s", b)
	}
	if fake.URL != "" {
		t.Fatal("an unstarted fake has no URL")
	}
}

func TestSeeds(t *testing.T) {
	t.Parallel()
	seed, err := omstest.LoadFile("testdata/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(seed.Bills) != 4 || len(seed.Transactions) != 6 || len(seed.Accounts) != 2 {
		t.Fatalf("seed sizes %d %d %d", len(seed.Bills), len(seed.Transactions), len(seed.Accounts))
	}
	// JSON numbers and strings both load exactly.
	if seed.Bills[3].Amount.String() != "2400" || seed.Bills[1].Items[0].UnitPrice.String() != "48.025" {
		t.Fatalf("amounts %s %s", seed.Bills[3].Amount, seed.Bills[1].Items[0].UnitPrice)
	}
	for name, body := range map[string]string{
		"bad time":  `{"bills":[{"bill_bn":"B","create_time":"2026/11/01"}]}`,
		"bad money": `{"transactions":[{"trans_id":"T","amount":"1,5","trans_time":"2026-11-01 00:00:00"}]}`,
		"not json":  `{`,
	} {
		if _, err := omstest.ParseSeed([]byte(body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	s := omstest.NewHandler(omstest.Config{})
	if err := s.AddBill(omstest.Bill{BillBN: "B"}); err == nil {
		t.Error("bill without create_time accepted")
	}
	if err := s.AddTransaction(omstest.Transaction{TransTime: "2026-11-01 00:00:00"}); err == nil {
		t.Error("transaction without id accepted")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := setup(t, omstest.Config{})
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for i := range 20 {
		wg.Go(func() {
			ts := fmt.Sprintf("202612010830%02d", i)
			_, m, err := postErr(s, signed("ar.getList", map[string]string{"shop_code": "C001"}, ts, nil))
			if err != nil || errCode(m) != "" {
				errs <- fmt.Sprint(m, err)
			}
		})
		wg.Go(func() {
			_ = s.AddBill(omstest.Bill{ShopCode: "C9", BillBN: fmt.Sprintf("N%d", i), CreateTime: "2026-11-02 00:00:00"})
			s.FailNext("none", 1, omstest.Failure{})
			_ = s.Received("ar.getList")
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := s.Calls("ar.getList"); n != 20 {
		t.Fatalf("calls = %d", n)
	}
}
