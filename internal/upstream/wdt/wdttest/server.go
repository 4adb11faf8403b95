// Package wdttest is a fake 奇门 gateway serving wdt.hjy.bill.ext.query.orgs
// the way the vendor does: it recomputes sign and hjySign from the received
// parameters, checks the system parameters, the timestamp (±10 min) and the
// business parameters (required, type/date format coupling, known platform,
// shopNo a JSON array), and answers seeded bills filtered by shop, platform
// and date, paged with nextRequestId, in the vendor's shapes. Failures can
// be injected. It needs no *testing.T: the demo mounts Handler() too.
package wdttest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

// Ending is how the last page says there is no next one.
type Ending int

const (
	EndFalse  Ending = iota // "nextRequestId":"false" (the spec's wording; default)
	EndEmpty                // "nextRequestId":""
	EndAbsent               // no nextRequestId at all
	EndBool                 // "nextRequestId":false (a JSON boolean)
	// EndEcho: the last page echoes the cursor it was asked with (a cursor
	// that does not move; seen on real tenants), so it ends only by being
	// empty. Use it with a full last page (no ExactEnd) to get that empty page.
	EndEcho
)

// Shape is where the records sit in the answer.
type Shape int

const (
	DataArray   Shape = iota // "data":[…] (the response demo; default)
	DataRecords              // "data":{"records":[…]} (the field table)
)

// Money is how amounts are written.
type Money int

const (
	MoneyNumber Money = iota // 20.0000 (the response demo; default)
	MoneyString              // "20.0000" (the field table says String)
)

// Config sets up a fake. Empty credentials get fixed fake values (see
// Server.ClientConfig for a matching client configuration).
type Config struct {
	AppKey, AppSecret, TargetAppKey, HJYAppID, HJYAppKey, SID string

	PageSize int              // records per page; 0 means 200 like the vendor
	Now      func() time.Time // clock for the timestamp check; nil means time.Now
	MaxSkew  time.Duration    // accepted timestamp skew; 0 means 10 minutes

	Ending Ending
	Shape  Shape
	Money  Money
	// WrapResponse wraps every answer in {"response":{…}} as some 奇门
	// routes do.
	WrapResponse bool
	// ExactEnd marks the page holding the last record as the last one even
	// when it is full. Without it the fake behaves like a cursor: a full
	// page always gets a nextRequestId, and the page after the last full one
	// is empty and final.
	ExactEnd bool
	// CursorInData writes nextRequestId inside data ({"records":…,
	// "nextRequestId":…}, with Shape DataRecords) and an empty one at the top
	// level, as the field table's two nextRequestId rows allow.
	CursorInData bool
}

// Failure is an injected answer (see FailNext). Set one of Status, Gateway,
// ResultCode or Malformed; Delay alone delays a normal answer.
type Failure struct {
	Status     int           // answer this HTTP status with a text body
	Gateway    *GatewayError // answer {"error_response":{…}}
	ResultCode string        // answer a 慧经营 refusal with this resultCode…
	Message    string        // …and this message
	Malformed  bool          // answer a body that is not JSON
	Delay      time.Duration // wait first (returns early if the client gives up)
}

// GatewayError is a 奇门/TOP error_response.
type GatewayError struct {
	Code, Msg, SubCode, SubMsg string
}

// Ready-made failures.
var (
	Busy             = Failure{ResultCode: "500", Message: "系统繁忙，请稍后再试"}
	SystemError      = Failure{ResultCode: "500", Message: "系统异常"} // a 5xx without busy wording
	InvalidSignature = Failure{Gateway: &GatewayError{Code: "25", Msg: "Invalid signature", SubCode: "isv.invalid-signature"}}
	CallLimited      = Failure{Gateway: &GatewayError{Code: "7", Msg: "App Call Limited", SubCode: "accesscontrol.limited-by-app-access-count", SubMsg: "This ban will last for 1 more seconds"}}
	ServiceTimeout   = Failure{Gateway: &GatewayError{Code: "15", Msg: "Remote service error", SubCode: "isp.top-remote-connection-timeout", SubMsg: "远程服务调用超时"}}
)

// Stats counts what the fake saw.
type Stats struct {
	Requests int // every HTTP request
	Pages    int // successful answers
	Refused  int // requests refused by a check (signature, parameters, …)
	Injected int // answers replaced by FailNext
}

// Request is a received request's parameters, kept for assertions.
type Request struct {
	Query url.Values // system parameters
	Form  url.Values // business parameters
}

type entry struct {
	seq      int64
	shopNo   string
	platform wdt.Platform
	day      string    // business date yyyy-MM-dd (event_day, else occur date)
	created  time.Time // create_time, else occur_time
	raw      map[string]json.RawMessage
}

// Server is the fake. Safe for concurrent use.
type Server struct {
	URL string // router URL (…/router/qm); empty for NewUnstarted

	cfg Config
	srv *httptest.Server

	mu       sync.Mutex
	bills    []entry
	fails    []Failure
	seq      int64
	received []Request

	requests, pages, refused, injected atomic.Int64
}

// cursorBase makes cursors look like the vendor's 19-digit ids.
const cursorBase = 1760506606618200000

// New starts a fake on a local port; Close stops it.
func New(cfg Config) *Server {
	s := NewUnstarted(cfg)
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL + "/router/qm"
	return s
}

// NewUnstarted returns a fake that listens nowhere: serve Handler() on a
// listener of your own (any path is accepted).
func NewUnstarted(cfg Config) *Server {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.AppKey, "fake-app-key")
	def(&cfg.AppSecret, "fake-app-secret")
	def(&cfg.TargetAppKey, "fake-target-app-key")
	def(&cfg.HJYAppID, "fake-hjy-app-id")
	def(&cfg.HJYAppKey, "fake-hjy-app-key")
	def(&cfg.SID, "fake-sid")
	if cfg.PageSize <= 0 {
		cfg.PageSize = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = 10 * time.Minute
	}
	return &Server{cfg: cfg}
}

// Close stops the listener of New (no-op for NewUnstarted).
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// Handler is the fake gateway as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// ClientConfig is a wdt.Config that talks to this fake with its
// credentials and clock, no rate limit.
func (s *Server) ClientConfig() wdt.Config {
	return wdt.Config{
		RouterURL:    s.URL,
		AppKey:       s.cfg.AppKey,
		AppSecret:    s.cfg.AppSecret,
		TargetAppKey: s.cfg.TargetAppKey,
		HJYAppID:     s.cfg.HJYAppID,
		HJYAppKey:    s.cfg.HJYAppKey,
		SID:          s.cfg.SID,
		CallOptions:  upstream.CallOptions{Now: s.cfg.Now}, // RPS 0: no limit
	}
}

// AddBill seeds one record for shopNo on platform. record is a wdt.Bill
// (written as the vendor would: see wdt.Bill.MarshalJSON), a
// map[string]any, a map[string]json.RawMessage, or JSON text ([]byte,
// json.RawMessage, string). A record without id gets one; one without
// shop_no gets shopNo.
func (s *Server) AddBill(shopNo string, p wdt.Platform, record any) error {
	_, err := s.add(shopNo, p, record)
	return err
}

// add stores a record and returns it as stored (never changed afterwards).
func (s *Server) add(shopNo string, p wdt.Platform, record any) (map[string]json.RawMessage, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("wdttest: unknown platform %q", string(p))
	}
	var b []byte
	var err error
	switch r := record.(type) {
	case []byte:
		b = r
	case json.RawMessage:
		b = r
	case string:
		b = []byte(r)
	default:
		if b, err = json.Marshal(r); err != nil {
			return nil, fmt.Errorf("wdttest: record: %w", err)
		}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("wdttest: record is not a JSON object")
	}
	var bill wdt.Bill
	if err := bill.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("wdttest: %w", err)
	}
	if _, ok := raw["shop_no"]; !ok {
		raw["shop_no"] = mustJSON(shopNo)
	}
	e := entry{shopNo: shopNo, platform: p, day: bill.EventDay, created: bill.CreateTime, raw: raw}
	if e.day == "" && !bill.OccurTime.IsZero() {
		e.day = bill.OccurTime.Format("2006-01-02")
	}
	if e.created.IsZero() {
		e.created = bill.OccurTime
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	e.seq = s.seq
	if _, ok := raw["id"]; !ok {
		raw["id"] = mustJSON(strconv.FormatInt(cursorBase+7_000_000+e.seq, 10))
	}
	s.bills = append(s.bills, e)
	return raw, nil
}

// Seed is one record of a JSON seed file (see LoadJSON).
type Seed struct {
	ShopNo   string          `json:"shopNo"`
	Platform wdt.Platform    `json:"platform"`
	Record   json.RawMessage `json:"record"`
}

// LoadJSON seeds records from JSON text: an array of
// {"shopNo":"…","platform":"9969","record":{…vendor fields…}}.
func (s *Server) LoadJSON(data []byte) error {
	var seeds []Seed
	if err := json.Unmarshal(data, &seeds); err != nil {
		return fmt.Errorf("wdttest: seed file: %w", err)
	}
	for i, sd := range seeds {
		if err := s.AddBill(sd.ShopNo, sd.Platform, sd.Record); err != nil {
			return fmt.Errorf("wdttest: seed %d: %w", i, err)
		}
	}
	return nil
}

// AddSample seeds n generated records for shopNo on platform, occurring
// on day (Shanghai) a minute apart, created the next day, alternating in
// (fund_flow 0) and out (1), with amounts 1.01, 2.02, …; it returns them as
// seeded. Deterministic: for paging tests and the demo.
func (s *Server) AddSample(shopNo string, p wdt.Platform, day time.Time, n int) ([]wdt.Bill, error) {
	y, m, d := day.In(tz.Shanghai).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, tz.Shanghai)
	out := make([]wdt.Bill, 0, n)
	for i := range n {
		amt := decimal.New(int64(i%900+1)*101, -2)
		flow, desc := "0", "入账"
		if i%2 == 1 {
			flow, desc, amt = "1", "出账", amt.Neg()
		}
		b := wdt.Bill{
			AccountTradeNo:  fmt.Sprintf("%s%s%s%06d", start.Format("20060102"), string(p), shopNo, i+1),
			OccurTime:       start.Add(time.Duration(i) * time.Minute),
			EventDay:        start.Format("2006-01-02"),
			CreateTime:      start.Add(24*time.Hour + time.Duration(i)*time.Second),
			AccountAmount:   amt,
			Amount:          amt.Abs(),
			FundFlow:        flow,
			FundFlowDesc:    desc,
			AccountBillDesc: "样例账单",
			Description:     p.Name(),
			BizTypeDesc:     "货款",
			OrderID:         fmt.Sprintf("O%s%06d", start.Format("060102"), i+1),
			ShopNo:          shopNo,
			ShopName:        shopNo + " 旗舰店",
		}
		raw, err := s.add(shopNo, p, b)
		if err != nil {
			return nil, err
		}
		_ = json.Unmarshal(raw["id"], &b.ID) // the id the fake assigned
		b.Raw = raw
		out = append(out, b)
	}
	return out, nil
}

// FailNext queues failures answered, in order, to the next requests.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	s.fails = append(s.fails, f...)
	s.mu.Unlock()
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{Requests: int(s.requests.Load()), Pages: int(s.pages.Load()),
		Refused: int(s.refused.Load()), Injected: int(s.injected.Load())}
}

// Received returns the last requests (at most 256), oldest first.
func (s *Server) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.received...)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if err := r.ParseForm(); err != nil {
		s.refuse(w, &GatewayError{Code: "41", Msg: "Invalid arguments", SubCode: "isv.invalid-parameter", SubMsg: "unreadable form body"})
		return
	}
	query, form := r.URL.Query(), r.PostForm
	s.mu.Lock()
	s.received = append(s.received, Request{Query: query, Form: form})
	if len(s.received) > 256 {
		s.received = s.received[len(s.received)-256:]
	}
	var f *Failure
	if len(s.fails) > 0 {
		f = &s.fails[0]
		s.fails = s.fails[1:]
	}
	s.mu.Unlock()
	if f != nil {
		s.injected.Add(1)
		if done := s.inject(w, r.Context(), *f); done {
			return
		}
	}
	if r.Method != http.MethodPost {
		s.refuse(w, &GatewayError{Code: "9", Msg: "Http Action Not Allowed"})
		return
	}
	if g := s.checkSystem(query, form); g != nil {
		s.refuse(w, g)
		return
	}
	if rc, msg := s.checkBusiness(form); rc != "" {
		s.refused.Add(1)
		s.write(w, s.wrap(map[string]any{"resultCode": rc, "message": msg, "sub_resultCode": "FAIL", "sub_detail": msg, "solution": ""}))
		return
	}
	s.servePage(w, form)
}

// inject answers f; false means "go on and answer normally" (Delay only).
func (s *Server) inject(w http.ResponseWriter, ctx context.Context, f Failure) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return true
		case <-t.C:
		}
	}
	switch {
	case f.Status != 0:
		http.Error(w, http.StatusText(f.Status), f.Status)
	case f.Gateway != nil:
		s.write(w, gatewayBody(f.Gateway))
	case f.ResultCode != "":
		s.write(w, s.wrap(map[string]any{"resultCode": f.ResultCode, "message": f.Message, "sub_resultCode": "FAIL", "sub_detail": f.Message, "solution": ""}))
	case f.Malformed:
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	default:
		return false
	}
	return true
}

var systemParams = []struct{ key, missing, invalid string }{
	{"method", "21/Missing method", "22/Invalid method"},
	{"app_key", "28/Missing app key", "29/Invalid app key"},
	{"target_app_key", "40/Missing required arguments:target_app_key", "41/Invalid arguments:target_app_key"},
	{"v", "32/Missing version", "33/Invalid version"},
	{"format", "40/Missing required arguments:format", "23/Invalid format"},
	{"sign_method", "40/Missing required arguments:sign_method", "41/Invalid arguments:sign_method"},
	{"timestamp", "30/Missing timestamp", "31/Invalid timestamp"},
	{"sign", "24/Missing signature", "25/Invalid signature"},
}

func gw(spec, sub string) *GatewayError {
	code, msg, _ := strings.Cut(spec, "/")
	return &GatewayError{Code: code, Msg: msg, SubCode: sub}
}

// checkSystem checks the 奇门 system parameters (in the query string) and
// the sign over every parameter, as the gateway does.
func (s *Server) checkSystem(query, form url.Values) *GatewayError {
	want := map[string]string{
		"method": wdt.Method, "app_key": s.cfg.AppKey, "target_app_key": s.cfg.TargetAppKey,
		"v": "2.0", "format": "json", "sign_method": "md5",
	}
	for _, p := range systemParams {
		v := query.Get(p.key)
		if v == "" {
			return gw(p.missing, "isv.missing-parameter:"+p.key)
		}
		if w, ok := want[p.key]; ok && v != w {
			return gw(p.invalid, "isv.invalid-parameter:"+p.key)
		}
	}
	ts, err := time.ParseInLocation("2006-01-02 15:04:05", query.Get("timestamp"), tz.Shanghai)
	if err != nil {
		return gw("31/Invalid timestamp", "isv.invalid-parameter:timestamp")
	}
	if d := s.cfg.Now().Sub(ts); d > s.cfg.MaxSkew || d < -s.cfg.MaxSkew {
		return gw("31/Invalid timestamp", "isv.timestamp-limit-error")
	}
	all := map[string]string{}
	for k, v := range form {
		all[k] = v[0]
	}
	for k, v := range query {
		all[k] = v[0]
	}
	sign := digest.Qimen(all, s.cfg.AppSecret)
	if subtle.ConstantTimeCompare([]byte(sign), []byte(strings.ToUpper(query.Get("sign")))) != 1 {
		return gw("25/Invalid signature", "isv.invalid-signature")
	}
	return nil
}

var businessParams = []string{"hjySign", "appId", "sid", "startDate", "endDate", "shopNo", "subBillPlatform", "type"}

// checkBusiness checks the 慧经营 parameters; a refusal is (resultCode,
// message). What the vendor answers exactly is not documented: 403 for
// credentials, 400 for parameters.
func (s *Server) checkBusiness(form url.Values) (string, string) {
	for _, k := range businessParams {
		if strings.TrimSpace(form.Get(k)) == "" {
			return "400", "缺少必填参数: " + k
		}
	}
	params := map[string]string{}
	for k, v := range form {
		params[k] = v[0]
	}
	if subtle.ConstantTimeCompare([]byte(digest.HJY(params, s.cfg.HJYAppKey)), []byte(strings.ToLower(form.Get("hjySign")))) != 1 {
		return "403", "hjySign 签名校验失败"
	}
	if form.Get("appId") != s.cfg.HJYAppID {
		return "403", "appId 无效"
	}
	if form.Get("sid") != s.cfg.SID {
		return "403", "sid 无效"
	}
	layout := map[string]string{"1": "2006-01-02", "2": "2006-01-02 15:04:05"}[form.Get("type")]
	if layout == "" {
		return "400", "type 只能是 1 或 2"
	}
	start, err1 := time.ParseInLocation(layout, form.Get("startDate"), tz.Shanghai)
	end, err2 := time.ParseInLocation(layout, form.Get("endDate"), tz.Shanghai)
	if err1 != nil || err2 != nil {
		return "400", "type 为 " + form.Get("type") + " 时 startDate 和 endDate 必须是 " + strings.NewReplacer("2006", "yyyy", "01", "MM", "02", "dd", "15", "HH", "04", "mm", "05", "ss").Replace(layout) + " 格式"
	}
	if start.After(end) {
		return "400", "startDate 不能晚于 endDate"
	}
	if !wdt.Platform(form.Get("subBillPlatform")).Valid() {
		return "400", "subBillPlatform 不支持: " + form.Get("subBillPlatform")
	}
	var shops []string
	if err := json.Unmarshal([]byte(form.Get("shopNo")), &shops); err != nil || len(shops) == 0 {
		return "400", "shopNo 必须是字符串数组"
	}
	if n := form.Get("nextRequestId"); n != "" {
		v, err := strconv.ParseInt(n, 10, 64)
		s.mu.Lock()
		top := cursorBase + s.seq
		s.mu.Unlock()
		if err != nil || v < cursorBase || v > top {
			return "400", "nextRequestId 无效"
		}
	}
	return "", ""
}

func (s *Server) servePage(w http.ResponseWriter, form url.Values) {
	var shops []string
	_ = json.Unmarshal([]byte(form.Get("shopNo")), &shops) // checked
	inShop := map[string]bool{}
	for _, sh := range shops {
		inShop[sh] = true
	}
	plat := wdt.Platform(form.Get("subBillPlatform"))
	typ := form.Get("type")
	startS, endS := form.Get("startDate"), form.Get("endDate")
	start, _ := time.ParseInLocation("2006-01-02 15:04:05", startS, tz.Shanghai)
	end, _ := time.ParseInLocation("2006-01-02 15:04:05", endS, tz.Shanghai)
	after := int64(0)
	if n := form.Get("nextRequestId"); n != "" {
		v, _ := strconv.ParseInt(n, 10, 64)
		after = v - cursorBase
	}
	match := func(e *entry) bool {
		if e.platform != plat || !inShop[e.shopNo] {
			return false
		}
		if typ == "1" {
			return e.day != "" && e.day >= startS && e.day <= endS
		}
		return !e.created.IsZero() && !e.created.Before(start) && !e.created.After(end)
	}
	var recs []map[string]json.RawMessage
	var lastSeq int64
	more := false
	s.mu.Lock()
	for i := range s.bills {
		e := &s.bills[i]
		if e.seq <= after || !match(e) {
			continue
		}
		if len(recs) == s.cfg.PageSize {
			more = true
			break
		}
		recs = append(recs, e.raw) // raw maps are never changed after AddBill
		lastSeq = e.seq
	}
	s.mu.Unlock()
	last := len(recs) < s.cfg.PageSize || (s.cfg.ExactEnd && !more)
	out := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		out[i] = s.render(r)
	}
	body := map[string]any{"resultCode": "200", "message": "接口调用成功", "sub_resultCode": "SUCCESS", "sub_detail": "业务处理成功", "solution": ""}
	if s.cfg.Shape == DataRecords {
		body["data"] = map[string]any{"records": out}
	} else {
		body["data"] = out
	}
	switch {
	case !last:
		body["nextRequestId"] = strconv.FormatInt(cursorBase+lastSeq, 10)
	case s.cfg.Ending == EndEcho:
		if n := form.Get("nextRequestId"); n != "" {
			body["nextRequestId"] = n
		}
	case s.cfg.Ending == EndFalse:
		body["nextRequestId"] = "false"
	case s.cfg.Ending == EndEmpty:
		body["nextRequestId"] = ""
	case s.cfg.Ending == EndBool:
		body["nextRequestId"] = false
	}
	if next, ok := body["nextRequestId"]; ok && s.cfg.CursorInData && s.cfg.Shape == DataRecords {
		body["data"] = map[string]any{"records": out, "nextRequestId": next}
		body["nextRequestId"] = ""
	}
	s.pages.Add(1)
	s.write(w, s.wrap(body))
}

// Keys written as JSON numbers in MoneyNumber mode (as in the response
// demo); money keys get four decimals like the demo's 20.0000.
var (
	moneyKeys = set("account_amount", "amount", "refund_amount", "post_amount", "commission", "pay_amount",
		"promotion_amount", "channel_fee", "platform_service_fee", "real_free_commission_amount",
		"bank_pay_promotion_amount", "actual_zt_pay_promotion", "actual_zr_pay_promotion", "colonel_service_fee",
		"channel_promotion_fee", "recycler_amount", "post_promotion_amount", "packing_amount",
		"partner_commission_amount", "author_coupon_subsidy", "other_sharing_amount", "income_amount",
		"expend_amount", "order_amount", "actual_amount", "settle_amount")
	codeKeys = set("fund_flow", "account_type", "account_bill_desc_tag", "biz_type", "order_type")
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// render writes a record in the configured money style.
func (s *Server) render(rec map[string]json.RawMessage) json.RawMessage {
	m := make(map[string]json.RawMessage, len(rec))
	for k, v := range rec {
		v = bytes.TrimSpace(v)
		switch {
		case s.cfg.Money == MoneyString && isNumber(v):
			m[k] = mustJSON(string(v))
		case s.cfg.Money == MoneyNumber && (moneyKeys[k] || codeKeys[k]) && len(v) > 0 && v[0] == '"':
			var str string
			_ = json.Unmarshal(v, &str)
			if d, err := decimal.NewFromString(str); err == nil && moneyKeys[k] && isNumber([]byte(str)) {
				m[k] = json.RawMessage(d.StringFixed(4))
			} else if isNumber([]byte(str)) {
				m[k] = json.RawMessage(str)
			} else {
				m[k] = v
			}
		default:
			m[k] = v
		}
	}
	return mustJSON(m)
}

// isNumber reports whether b is a JSON number literal.
func isNumber(b []byte) bool {
	return len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) && json.Valid(b)
}

func (s *Server) wrap(body map[string]any) any {
	if s.cfg.WrapResponse {
		return map[string]any{"response": body}
	}
	return body
}

func gatewayBody(g *GatewayError) any {
	e := map[string]any{"code": g.Code, "msg": g.Msg, "request_id": "fake" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
	if g.SubCode != "" {
		e["sub_code"] = g.SubCode
	}
	if g.SubMsg != "" {
		e["sub_msg"] = g.SubMsg
	}
	return map[string]any{"error_response": e}
}

func (s *Server) refuse(w http.ResponseWriter, g *GatewayError) {
	s.refused.Add(1)
	s.write(w, gatewayBody(g))
}

func (s *Server) write(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with values that marshal
	}
	return b
}
