// Package omstest is a fake 商派 (ShopEx) OMS openapi for tests and the
// embedded demo. It checks what the vendor checks — flag, the sign
// recomputed from the received form, the timestamp (±3600 s, in the
// configured format), repeats of a signed request within the hour, the
// method and its required parameters — and serves bills, account movements
// and balances seeded from Go values or JSON, paged by page_no/page_size
// with the vendor's cap of 100 rows. Failures can be injected per method.
//
// It is safe for concurrent use and needs no *testing.T.
package omstest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/digest"
)

// ServicePath is the endpoint the fake answers on.
const ServicePath = "/index.php/openapi/rpc/service/"

// Dialect chooses the answer shapes.
type Dialect string

const (
	// DialectSource answers like the vendor's public source (the default):
	// {"response":{…}} and {"error_response":{"code":"e0000xx","msg":…}}.
	DialectSource Dialect = "source"
	// DialectPages answers like the vendor's pages: a bare object, and
	// {"code":1003,"msg":"签名错误"} with the pages' numeric codes.
	DialectPages Dialect = "pages"
)

// Config configures a fake. Flag and Token are what clients must use.
type Config struct {
	Flag  string
	Token string
	// TimestampFormat is "datetime" (yyyyMMddHHmmss, default) or "unix".
	TimestampFormat string
	// MaxPageSize caps page_size like the vendor does; 0 = 100.
	MaxPageSize int
	// DefaultPageSize is used when page_size is absent; 0 = 50.
	DefaultPageSize int
	Dialect         Dialect
	// MaxSkew is how far a timestamp may be from Now; 0 = 3600 s.
	MaxSkew time.Duration
	// Now is the fake's clock; nil = time.Now.
	Now func() time.Time
}

// Failure is an answer injected by FailNext instead of the real one (after
// the flag, sign and timestamp checks passed).
type Failure struct {
	// Code is the vendor code: an e-code ("e000008") is answered as
	// {"error_response":…}, a numeric one ("1003", "500") as {"code":N,"msg":…}.
	Code string
	Msg  string
	// Status is the HTTP status; 0 = 200.
	Status int
	// Body, if set, is sent as is (malformed JSON, an HTML error page, any
	// other shape) instead of an error built from Code.
	Body string
	// Delay holds the answer back (until the client gives up, or Close).
	Delay time.Duration
	// Held, if set, is sent a value (without blocking: make it buffered)
	// when the fake starts holding an answer, so a test can wait for that.
	Held chan<- struct{}
	// Drop closes the connection without an answer.
	Drop bool
}

// Server is a running (or mountable) fake.
type Server struct {
	// URL is the base URL clients use (empty for NewHandler).
	URL string

	cfg     Config
	srv     *httptest.Server
	done    chan struct{}
	closing sync.Once

	mu       sync.Mutex
	bills    map[string]bill // by bill_bn
	txs      map[string]tx   // by trans_id
	accounts []Account
	seen     map[string]time.Time // sign → when first accepted
	fails    map[string][]Failure // method ("" = any) → queued failures
	calls    map[string]int
	received map[string][]url.Values
}

type bill struct {
	Bill
	created time.Time
}

type tx struct {
	Transaction
	at time.Time
}

// New starts a fake on a local port; Close it when done.
func New(cfg Config) *Server {
	s := NewHandler(cfg)
	s.srv = httptest.NewServer(s.Handler())
	s.URL = s.srv.URL
	return s
}

// NewHandler returns a fake without a listener, for mounting Handler on
// one's own server (the demo). Its URL is empty.
func NewHandler(cfg Config) *Server {
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 100
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = 50
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = time.Hour
	}
	if cfg.Dialect == "" {
		cfg.Dialect = DialectSource
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{
		cfg:      cfg,
		done:     make(chan struct{}),
		bills:    map[string]bill{},
		txs:      map[string]tx{},
		seen:     map[string]time.Time{},
		fails:    map[string][]Failure{},
		calls:    map[string]int{},
		received: map[string][]url.Values{},
	}
}

// Close releases held (Delay) answers and stops the listener, if any.
func (s *Server) Close() {
	s.closing.Do(func() { close(s.done) })
	if s.srv != nil {
		s.srv.Close()
	}
}

// Handler serves ServicePath (and answers 404 elsewhere).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Load adds a seed's bills, transactions and accounts.
func (s *Server) Load(seed Seed) error {
	for _, b := range seed.Bills {
		if err := s.AddBill(b); err != nil {
			return err
		}
	}
	for _, t := range seed.Transactions {
		if err := s.AddTransaction(t); err != nil {
			return err
		}
	}
	for _, a := range seed.Accounts {
		s.SetBalance(a)
	}
	return nil
}

// AddBill adds or replaces (same bill_bn) a bill.
func (s *Server) AddBill(b Bill) error {
	if b.BillBN == "" {
		return fmt.Errorf("omstest: bill without bill_bn")
	}
	at, err := parseVendorTime(b.CreateTime)
	if err != nil {
		return fmt.Errorf("omstest: bill %s: create_time: %w", b.BillBN, err)
	}
	b.Items = slices.Clone(b.Items)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bills[b.BillBN] = bill{Bill: b, created: at}
	return nil
}

// AddTransaction adds or replaces (same trans_id) an account movement.
func (s *Server) AddTransaction(t Transaction) error {
	if t.TransID == "" {
		return fmt.Errorf("omstest: transaction without trans_id")
	}
	at, err := parseVendorTime(t.TransTime)
	if err != nil {
		return fmt.Errorf("omstest: transaction %s: trans_time: %w", t.TransID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txs[t.TransID] = tx{Transaction: t, at: at}
	return nil
}

// SetBalance adds or replaces (same account_id) an account.
func (s *Server) SetBalance(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.accounts {
		if s.accounts[i].AccountID == a.AccountID {
			s.accounts[i] = a
			return
		}
	}
	s.accounts = append(s.accounts, a)
}

// FailNext makes the next n requests for method ("" = any method) answer f.
func (s *Server) FailNext(method string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails[method] = append(s.fails[method], f)
	}
}

// Calls is how many requests named method arrived, refused ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Received returns the forms of the requests named method, in order.
func (s *Server) Received(method string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]url.Values, len(s.received[method]))
	for i, f := range s.received[method] {
		out[i] = cloneValues(f)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Refusals, each in both dialects. Only e000002, e000008 and e000009 are
// known from the vendor's source; the other e-codes are the fake's own.
type refusal struct {
	num   int
	ecode string
	msg   string
}

var (
	refFlag    = refusal{1001, "e000001", "非法的flag"}
	refExpired = refusal{1002, "e000008", "请求已过期"}
	refSign    = refusal{1003, "e000002", "签名错误"}
	refType    = refusal{1004, "e000003", "不支持的type格式"}
	refMissing = refusal{2001, "e000003", "缺少必要的参数"}
	refInvalid = refusal{2002, "e000003", "非法的请求参数"}
	refMethod  = refusal{2003, "e000004", "接口不存在"}
	// The pages list no code for a repeat; it is the source's check and
	// answers in the source's shape in either dialect.
	refRepeat = refusal{0, "e000009", "请求重复"}
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.TrimSuffix(r.URL.Path, "/") != strings.TrimSuffix(ServicePath, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.refuse(w, refInvalid, "form: "+err.Error())
		return
	}
	form := r.PostForm
	method := form.Get("method")
	s.mu.Lock()
	s.calls[method]++
	s.received[method] = append(s.received[method], cloneValues(form))
	s.mu.Unlock()

	params := make(map[string]string, len(form))
	for k, vs := range form {
		params[k] = vs[0]
	}
	if params["flag"] != s.cfg.Flag {
		s.refuse(w, refFlag, "")
		return
	}
	for _, k := range []string{"method", "ver", "charset", "type", "timestamp", "sign"} {
		if params[k] == "" {
			s.refuse(w, refMissing, k)
			return
		}
	}
	if params["type"] != "json" {
		s.refuse(w, refType, "")
		return
	}
	want := digest.OMS(params, s.cfg.Token)
	if subtle.ConstantTimeCompare([]byte(want), []byte(params["sign"])) != 1 {
		s.refuse(w, refSign, "")
		return
	}
	now := s.cfg.Now()
	if !s.fresh(params["timestamp"], now) {
		s.refuse(w, refExpired, "")
		return
	}
	if !s.first(params["sign"], now) {
		s.refuse(w, refRepeat, "")
		return
	}
	if f, ok := s.nextFailure(method); ok {
		s.fail(w, r, f)
		return
	}
	switch method {
	case "ar.getList":
		s.arList(w, params)
	case "ar.getDetail":
		s.arDetail(w, params)
	case "finance.getTransactionList":
		s.txList(w, params)
	case "finance.getAccountBalance":
		s.balance(w, params)
	default:
		s.refuse(w, refMethod, method)
	}
}

// fresh checks the timestamp in the configured format against ±MaxSkew. An
// unreadable timestamp counts as expired, as in the vendor's source.
func (s *Server) fresh(ts string, now time.Time) bool {
	var t time.Time
	if s.cfg.TimestampFormat == "unix" {
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return false
		}
		t = time.Unix(sec, 0)
	} else {
		var err error
		if t, err = time.ParseInLocation("20060102150405", ts, shanghai); err != nil {
			return false
		}
	}
	d := now.Sub(t)
	return d <= s.cfg.MaxSkew && d >= -s.cfg.MaxSkew
}

// first records sign and reports whether it was not seen within the hour.
func (s *Server) first(sign string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.seen[sign]; ok && now.Sub(at) < time.Hour {
		return false
	}
	if len(s.seen) > 4096 {
		for k, at := range s.seen {
			if now.Sub(at) >= time.Hour {
				delete(s.seen, k)
			}
		}
	}
	s.seen[sign] = now
	return true
}

func (s *Server) nextFailure(method string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []string{method, ""} {
		if q := s.fails[m]; len(q) > 0 {
			s.fails[m] = q[1:]
			return q[0], true
		}
	}
	return Failure{}, false
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, f Failure) {
	if f.Delay > 0 {
		if f.Held != nil {
			select {
			case f.Held <- struct{}{}:
			default:
			}
		}
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // aborts the answer where hijacking is impossible
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body != "" {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	if f.Code == "" {
		w.WriteHeader(status)
		return
	}
	var body any
	if strings.HasPrefix(strings.ToLower(f.Code), "e") {
		body = map[string]any{"error_response": map[string]string{"code": f.Code, "msg": f.Msg}}
	} else if n, err := strconv.Atoi(f.Code); err == nil {
		body = map[string]any{"code": n, "msg": f.Msg}
	} else {
		body = map[string]any{"code": f.Code, "msg": f.Msg}
	}
	writeJSON(w, status, body)
}

func (s *Server) refuse(w http.ResponseWriter, r refusal, detail string) {
	msg := r.msg
	if detail != "" {
		msg += ": " + detail
	}
	if s.cfg.Dialect == DialectPages && r.num != 0 {
		writeJSON(w, http.StatusOK, map[string]any{"code": r.num, "msg": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"error_response": map[string]string{"code": r.ecode, "msg": msg}})
}

func (s *Server) ok(w http.ResponseWriter, payload any) {
	if s.cfg.Dialect == DialectPages {
		writeJSON(w, http.StatusOK, payload)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"response": payload})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// page reads page_no/page_size (defaults 1 and DefaultPageSize, size capped).
func (s *Server) page(p map[string]string) (no, size int, ok bool) {
	no, size = 1, s.cfg.DefaultPageSize
	if v := p["page_no"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		no = n
	}
	if v := p["page_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		size = n
	}
	return no, min(size, s.cfg.MaxPageSize), true
}

func window[T any](rows []T, no, size int) []T {
	from := (no - 1) * size
	if from >= len(rows) || from < 0 {
		return []T{}
	}
	return rows[from:min(from+size, len(rows))]
}

// timeFilter reads start_time/end_time (inclusive bounds).
func timeFilter(p map[string]string) (start, end time.Time, ok bool) {
	var err error
	if v := p["start_time"]; v != "" {
		if start, err = time.ParseInLocation(vendorTime, v, shanghai); err != nil {
			return start, end, false
		}
	}
	if v := p["end_time"]; v != "" {
		if end, err = time.ParseInLocation(vendorTime, v, shanghai); err != nil {
			return start, end, false
		}
	}
	return start, end, true
}

func inRange(t, start, end time.Time) bool {
	return (start.IsZero() || !t.Before(start)) && (end.IsZero() || !t.After(end))
}

func (s *Server) arList(w http.ResponseWriter, p map[string]string) {
	no, size, ok := s.page(p)
	if !ok {
		s.refuse(w, refInvalid, "page_no/page_size")
		return
	}
	start, end, ok := timeFilter(p)
	if !ok {
		s.refuse(w, refInvalid, "start_time/end_time")
		return
	}
	var minAmt, maxAmt *decimal.Decimal
	for k, dst := range map[string]**decimal.Decimal{"amount_min": &minAmt, "amount_max": &maxAmt} {
		if v := p[k]; v != "" {
			d, err := decimal.NewFromString(v)
			if err != nil {
				s.refuse(w, refInvalid, k)
				return
			}
			*dst = &d
		}
	}
	var shops map[string]bool
	if v := p["shop_code"]; v != "" {
		shops = map[string]bool{}
		for _, c := range strings.Split(v, "#") {
			shops[c] = true
		}
	}
	eq := func(k, v string) bool { return p[k] == "" || p[k] == v }

	s.mu.Lock()
	var rows []bill
	for _, b := range s.bills {
		if (shops == nil || shops[b.ShopCode]) && eq("shop_name", b.ShopName) &&
			eq("supplier_code", b.SupplierCode) && eq("supplier_name", b.SupplierName) &&
			eq("bill_bn", b.BillBN) && eq("bill_type", b.BillType) && eq("currency", b.Currency) &&
			eq("status", b.Status) && inRange(b.created, start, end) &&
			(minAmt == nil || !b.Amount.LessThan(*minAmt)) && (maxAmt == nil || !b.Amount.GreaterThan(*maxAmt)) {
			rows = append(rows, b)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(rows, func(a, b bill) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.BillBN, b.BillBN)
	})
	lists := []map[string]any{}
	for _, b := range window(rows, no, size) {
		lists = append(lists, billHead(b.Bill))
	}
	s.ok(w, map[string]any{"count": len(rows), "lists": lists})
}

// billHead renders a bill as the pages show it: money as strings.
func billHead(b Bill) map[string]any {
	return map[string]any{
		"shop_code": b.ShopCode, "shop_name": b.ShopName,
		"supplier_code": b.SupplierCode, "supplier_name": b.SupplierName,
		"bill_bn": b.BillBN, "bill_type": b.BillType, "amount": money(b.Amount),
		"currency": b.Currency, "status": b.Status,
		"create_time": b.CreateTime, "due_date": b.DueDate,
	}
}

func (s *Server) arDetail(w http.ResponseWriter, p map[string]string) {
	bn := p["bill_bn"]
	if bn == "" {
		s.refuse(w, refMissing, "bill_bn")
		return
	}
	s.mu.Lock()
	b, ok := s.bills[bn]
	s.mu.Unlock()
	if !ok {
		// The vendor's answer for an unknown bill is undocumented: an
		// empty object is the fake's choice.
		s.ok(w, map[string]any{})
		return
	}
	out := billHead(b.Bill)
	out["remark"] = b.Remark
	items := []map[string]any{}
	for _, it := range b.Items {
		items = append(items, map[string]any{
			"item_code": it.ItemCode, "item_name": it.ItemName, "amount": money(it.Amount),
			"quantity": it.Quantity.String(), "unit_price": money(it.UnitPrice),
		})
	}
	out["items"] = items
	s.ok(w, out)
}

func (s *Server) txList(w http.ResponseWriter, p map[string]string) {
	no, size, ok := s.page(p)
	if !ok {
		s.refuse(w, refInvalid, "page_no/page_size")
		return
	}
	start, end, ok := timeFilter(p)
	if !ok {
		s.refuse(w, refInvalid, "start_time/end_time")
		return
	}
	s.mu.Lock()
	var rows []tx
	for _, t := range s.txs {
		if (p["account_id"] == "" || p["account_id"] == t.AccountID) &&
			(p["trans_type"] == "" || p["trans_type"] == t.TransType) && inRange(t.at, start, end) {
			rows = append(rows, t)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(rows, func(a, b tx) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.TransID, b.TransID)
	})
	lists := []map[string]any{}
	for _, t := range window(rows, no, size) {
		lists = append(lists, map[string]any{
			"trans_id": t.TransID, "account_id": t.AccountID, "account_name": t.AccountName,
			"trans_type": t.TransType, "amount": json.Number(money(t.Amount)),
			"balance": json.Number(money(t.Balance)), "trans_time": t.TransTime, "remark": t.Remark,
		})
	}
	s.ok(w, map[string]any{"count": len(rows), "lists": lists})
}

func (s *Server) balance(w http.ResponseWriter, p map[string]string) {
	s.mu.Lock()
	accounts := []map[string]any{}
	for _, a := range s.accounts {
		if (p["account_id"] == "" || p["account_id"] == a.AccountID) &&
			(p["account_type"] == "" || p["account_type"] == a.AccountType) {
			accounts = append(accounts, map[string]any{
				"account_id": a.AccountID, "account_name": a.AccountName, "account_type": a.AccountType,
				"balance": json.Number(money(a.Balance)), "currency": a.Currency,
			})
		}
	}
	s.mu.Unlock()
	s.ok(w, map[string]any{"accounts": accounts})
}

// money writes two decimals like the vendor, more if the value has them.
func money(d decimal.Decimal) string {
	if d.Exponent() >= -2 {
		return d.StringFixed(2)
	}
	return d.String()
}
