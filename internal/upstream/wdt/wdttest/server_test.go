package wdttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt/wdttest"
)

var now = time.Date(2025, 1, 15, 9, 0, 0, 0, tz.Shanghai)

func setup(t *testing.T, cfg wdttest.Config) *wdttest.Server {
	t.Helper()
	cfg.Now = func() time.Time { return now }
	s := wdttest.New(cfg)
	t.Cleanup(s.Close)
	seed, err := os.ReadFile("testdata/bills.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadJSON(seed); err != nil {
		t.Fatal(err)
	}
	return s
}

// call signs a request by hand as a client must (mod runs before signing,
// tamper after) and returns the decoded answer.
func call(t *testing.T, s *wdttest.Server, method string, mod func(sys, biz map[string]string), tamper func(q, form url.Values)) map[string]any {
	t.Helper()
	cc := s.ClientConfig()
	sys := map[string]string{"method": wdt.Method, "app_key": cc.AppKey, "target_app_key": cc.TargetAppKey,
		"v": "2.0", "format": "json", "sign_method": "md5", "timestamp": now.Format("2006-01-02 15:04:05")}
	biz := map[string]string{"appId": cc.HJYAppID, "sid": cc.SID, "shopNo": `["mbal"]`, "subBillPlatform": "9969",
		"type": "1", "startDate": "2024-12-01", "endDate": "2024-12-31"}
	if mod != nil {
		mod(sys, biz)
	}
	if _, ok := biz["hjySign"]; !ok {
		biz["hjySign"] = digest.HJY(biz, cc.HJYAppKey)
	}
	all := map[string]string{}
	for k, v := range biz {
		all[k] = v
	}
	for k, v := range sys {
		all[k] = v
	}
	if _, ok := sys["sign"]; !ok {
		sys["sign"] = digest.Qimen(all, cc.AppSecret)
	}
	q, form := url.Values{}, url.Values{}
	for k, v := range sys {
		q.Set(k, v)
	}
	for k, v := range biz {
		form.Set(k, v)
	}
	if tamper != nil {
		tamper(q, form)
	}
	req, err := http.NewRequest(method, s.URL+"?"+q.Encode(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValidRequestServed(t *testing.T) {
	t.Parallel()
	s := setup(t, wdttest.Config{})
	out := call(t, s, http.MethodPost, nil, nil)
	if out["resultCode"] != "200" || out["nextRequestId"] != "false" {
		t.Fatalf("answer %v", out)
	}
	data := out["data"].([]any)
	if len(data) != 2 {
		t.Fatalf("%d records, want 2", len(data))
	}
	// Clock skew within ±10 min is accepted.
	out = call(t, s, http.MethodPost, func(sys, _ map[string]string) {
		sys["timestamp"] = now.Add(-9 * time.Minute).Format("2006-01-02 15:04:05")
	}, nil)
	if out["resultCode"] != "200" {
		t.Fatalf("skewed answer %v", out)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	set := func(k, v string) func(sys, biz map[string]string) {
		return func(sys, biz map[string]string) {
			if _, ok := sys[k]; ok {
				sys[k] = v
			} else {
				biz[k] = v
			}
		}
	}
	del := func(k string) func(sys, biz map[string]string) {
		return func(sys, biz map[string]string) { delete(sys, k); delete(biz, k) }
	}
	tests := []struct {
		name   string
		method string
		mod    func(sys, biz map[string]string)
		tamper func(q, form url.Values)
		code   string // error_response code, or "rc:<resultCode>"
	}{
		{"GET", http.MethodGet, nil, nil, "9"},
		{"no method", "", del("method"), nil, "21"},
		{"other method", "", set("method", "wdt.other"), nil, "22"},
		{"no app_key", "", del("app_key"), nil, "28"},
		{"other app_key", "", set("app_key", "x"), nil, "29"},
		{"other target_app_key", "", set("target_app_key", "x"), nil, "41"},
		{"v 1.0", "", set("v", "1.0"), nil, "33"},
		{"format xml", "", set("format", "xml"), nil, "23"},
		{"sign_method hmac", "", set("sign_method", "hmac"), nil, "41"},
		{"no timestamp", "", del("timestamp"), nil, "30"},
		{"timestamp format", "", set("timestamp", "20250115090000"), nil, "31"},
		{"timestamp 11 min late", "", set("timestamp", now.Add(-11*time.Minute).Format("2006-01-02 15:04:05")), nil, "31"},
		{"timestamp 11 min early", "", set("timestamp", now.Add(11*time.Minute).Format("2006-01-02 15:04:05")), nil, "31"},
		{"no sign", "", nil, func(q, _ url.Values) { q.Del("sign") }, "24"},
		{"wrong sign", "", nil, func(q, _ url.Values) { q.Set("sign", "00000000000000000000000000000000") }, "25"},
		{"sign in lower case", "", nil, func(q, _ url.Values) { q.Set("sign", strings.ToLower(q.Get("sign"))) }, "rc:200"},
		{"body changed after signing", "", nil, func(_, f url.Values) { f.Set("endDate", "2025-12-31") }, "25"},
		{"empty param signed", "", set("remark", ""), nil, "rc:200"}, // an empty extra is harmless when signed as sent
		{"business params in the query", "", nil, func(q, f url.Values) {
			for k, v := range f {
				q[k] = v
			}
			for k := range q {
				f.Del(k)
			}
		}, "rc:400"},
		{"hjySign dropped after signing", "", nil, func(_, f url.Values) { f.Del("hjySign") }, "25"},
		{"wrong hjySign", "", set("hjySign", "0123456789abcdef0123456789abcdef"), nil, "rc:403"},
		{"other appId", "", set("appId", "x"), nil, "rc:403"},
		{"other sid", "", set("sid", "x"), nil, "rc:403"},
		{"missing shopNo", "", del("shopNo"), nil, "rc:400"},
		{"type 3", "", set("type", "3"), nil, "rc:400"},
		{"type 1 with times", "", func(_, b map[string]string) {
			b["startDate"], b["endDate"] = "2024-12-01 00:00:00", "2024-12-31 23:59:59"
		}, nil, "rc:400"},
		{"type 2 with dates", "", set("type", "2"), nil, "rc:400"},
		{"type 2 with times", "", func(_, b map[string]string) {
			b["type"], b["startDate"], b["endDate"] = "2", "2025-01-10 00:00:00", "2025-01-10 23:59:59"
		}, nil, "rc:200"},
		{"start after end", "", set("startDate", "2025-01-01"), nil, "rc:400"},
		{"unknown platform", "", set("subBillPlatform", "1234"), nil, "rc:400"},
		{"shopNo not an array", "", set("shopNo", "mbal"), nil, "rc:400"},
		{"shopNo empty array", "", set("shopNo", "[]"), nil, "rc:400"},
		{"shopNo numbers", "", set("shopNo", "[1,2]"), nil, "rc:400"},
		{"unknown nextRequestId", "", set("nextRequestId", "abc"), nil, "rc:400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t, wdttest.Config{})
			m := tt.method
			if m == "" {
				m = http.MethodPost
			}
			out := call(t, s, m, tt.mod, tt.tamper)
			got := ""
			if er, ok := out["error_response"].(map[string]any); ok {
				got, _ = er["code"].(string)
			} else {
				got = "rc:" + out["resultCode"].(string)
			}
			if got != tt.code {
				t.Fatalf("answer %v, want %s", out, tt.code)
			}
			if st := s.Stats(); (tt.code == "rc:200") != (st.Pages == 1) || (tt.code != "rc:200") != (st.Refused == 1) {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestAnswerStyles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      wdttest.Config
		contains []string
		lacks    []string
	}{
		{"default: numbers, data array, \"false\"", wdttest.Config{},
			[]string{`"data":[{`, `"account_amount":20.0000`, `"account_amount":158.3000`, `"fund_flow":1`, `"fund_flow":0`, `"nextRequestId":"false"`}, []string{`"response"`}},
		{"strings", wdttest.Config{Money: wdttest.MoneyString},
			[]string{`"account_amount":"20.0000"`, `"account_amount":"158.3000"`, `"fund_flow":"1"`, `"account_bill_desc_tag":"23"`}, nil},
		{"records", wdttest.Config{Shape: wdttest.DataRecords}, []string{`"data":{"records":[{`}, nil},
		{"wrapped", wdttest.Config{WrapResponse: true}, []string{`{"response":{`}, nil},
		{"ending empty", wdttest.Config{Ending: wdttest.EndEmpty}, []string{`"nextRequestId":""`}, nil},
		{"ending absent", wdttest.Config{Ending: wdttest.EndAbsent}, nil, []string{`nextRequestId`}},
		{"ending bool", wdttest.Config{Ending: wdttest.EndBool}, []string{`"nextRequestId":false`}, nil},
		{"page size 1", wdttest.Config{PageSize: 1}, []string{`"nextRequestId":"17605066066182`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t, tt.cfg)
			body := rawCall(t, s)
			for _, c := range tt.contains {
				if !strings.Contains(body, c) {
					t.Errorf("answer lacks %s:\n%s", c, body)
				}
			}
			for _, c := range tt.lacks {
				if strings.Contains(body, c) {
					t.Errorf("answer has %s:\n%s", c, body)
				}
			}
		})
	}
}

// rawCall returns the answer text to a valid request for mbal/9969/December.
func rawCall(t *testing.T, s *wdttest.Server) string {
	t.Helper()
	rec := &recorder{}
	cfg := s.ClientConfig()
	cfg.HTTPClient = &http.Client{Transport: rec}
	c, err := wdt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := wdt.BillQuery{ShopNos: []string{"mbal"}, Platform: wdt.PlatformDouyinFunds,
		Start: time.Date(2024, 12, 1, 0, 0, 0, 0, tz.Shanghai), End: time.Date(2024, 12, 31, 0, 0, 0, 0, tz.Shanghai)}
	n := 0
	if err := c.Bills(t.Context(), q, func(wdt.Bill) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d bills through the client, want 2", n)
	}
	return rec.first
}

// recorder keeps the first answer's body while passing it on.
type recorder struct {
	mu    sync.Mutex
	first string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.first == "" {
		r.first = string(b)
	}
	r.mu.Unlock()
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp, nil
}

func TestAddBillRefusesBadRecords(t *testing.T) {
	t.Parallel()
	s := wdttest.NewUnstarted(wdttest.Config{})
	for name, tc := range map[string]struct {
		p   wdt.Platform
		rec any
	}{
		"unknown platform": {"1", map[string]any{}},
		"not an object":    {wdt.PlatformAlipay, "[1]"},
		"null":             {wdt.PlatformAlipay, "null"},
		"bad money":        {wdt.PlatformAlipay, map[string]any{"account_amount": "abc"}},
		"unmarshalable":    {wdt.PlatformAlipay, map[string]any{"x": make(chan int)}},
	} {
		if err := s.AddBill("s", tc.p, tc.rec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.LoadJSON([]byte(`{"not":"an array"}`)); err == nil {
		t.Error("LoadJSON accepted an object")
	}
	if err := s.LoadJSON([]byte(`[{"shopNo":"s","platform":"1","record":{}}]`)); err == nil || !strings.Contains(err.Error(), "seed 0") {
		t.Errorf("LoadJSON err = %v", err)
	}
}

func TestFailuresInOrder(t *testing.T) {
	t.Parallel()
	s := setup(t, wdttest.Config{})
	s.FailNext(wdttest.Busy, wdttest.InvalidSignature)
	if out := call(t, s, http.MethodPost, nil, nil); out["resultCode"] != "500" {
		t.Fatalf("first %v", out)
	}
	if out := call(t, s, http.MethodPost, nil, nil); out["error_response"] == nil {
		t.Fatalf("second %v", out)
	}
	if out := call(t, s, http.MethodPost, nil, nil); out["resultCode"] != "200" {
		t.Fatalf("third %v", out)
	}
	if st := s.Stats(); st != (wdttest.Stats{Requests: 3, Pages: 1, Injected: 2}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestReceivedIsBounded(t *testing.T) {
	t.Parallel()
	s := setup(t, wdttest.Config{})
	for range 260 {
		s.Handler().ServeHTTP(discard{}, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/router/qm"}, Header: http.Header{}})
	}
	if n := len(s.Received()); n != 256 {
		t.Fatalf("%d requests kept", n)
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// TestConcurrentUse seeds and queries at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := setup(t, wdttest.Config{PageSize: 5})
	cfg := s.ClientConfig()
	c, err := wdt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := s.AddSample("mbal", wdt.PlatformDouyinFunds, time.Date(2024, 12, 20+i, 0, 0, 0, 0, tz.Shanghai), 7)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			q := wdt.BillQuery{ShopNos: []string{"mbal"}, Platform: wdt.PlatformDouyinFunds,
				Start: time.Date(2024, 12, 1, 0, 0, 0, 0, tz.Shanghai), End: time.Date(2024, 12, 31, 0, 0, 0, 0, tz.Shanghai)}
			errs <- c.Bills(t.Context(), q, func(wdt.Bill) error { return nil })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Everything seeded is now served exactly once.
	seen := map[string]bool{}
	q := wdt.BillQuery{ShopNos: []string{"mbal"}, Platform: wdt.PlatformDouyinFunds,
		Start: time.Date(2024, 12, 1, 0, 0, 0, 0, tz.Shanghai), End: time.Date(2024, 12, 31, 0, 0, 0, 0, tz.Shanghai)}
	if err := c.Bills(t.Context(), q, func(b wdt.Bill) error {
		if seen[b.ID] {
			t.Errorf("id %s served twice", b.ID)
		}
		seen[b.ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2+4*7 {
		t.Fatalf("%d bills, want %d", len(seen), 2+4*7)
	}
}
