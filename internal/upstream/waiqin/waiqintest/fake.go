// Package waiqintest is a fake 勤策 openapi for the statement interfaces, for
// tests and the demo. It checks what 勤策 checks — the path shape, the
// openid, the timestamp (format, ±10 minutes), the digest recomputed over the
// raw body, msg_id (≤ 32 characters, never reused), required fields, date
// layouts and field lengths in characters — and answers with 勤策's envelope
// (return_code as a number or a string, response_data as a JSON string).
//
// It keeps what is saved (a statement with the same number replaces the
// earlier one), answers getCustomers and the queries from it, page by page,
// and can be told to fail: an HTTP status, a return code, a slow answer, a
// malformed body, a hang-up. It needs no *testing.T and is safe for
// concurrent use; New starts it on a loopback port, NewUnstarted gives only
// a Handler for the demo to mount.
package waiqintest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// Return codes the fake answers: the ones 勤策 documents. 勤策 publishes no
// code for a bad digest, timestamp or msg_id; the fake answers those with
// CodeFailure, the spec's generic "失败".
const (
	CodeOK         = "0"
	CodeFailure    = "1"
	CodeValidation = "100608"
)

// Defaults.
const (
	DefaultMaxSkew  = 10 * time.Minute
	DefaultPageSize = 20 // of the query interfaces when Config.PageSize is 0
	MaxBody         = 128 << 20
	maxMsgID        = 32
)

// Interface names and their paths ({app}/{version}/{interface}).
var paths = map[string]string{
	"ksfStatement/v1/saveStatement":      "saveStatement",
	"ksfStatement/v1/saveStatementError": "saveStatementError",
	"ksfStatement/v1/getCustomers":       "getCustomers",
	"ksfreport/v1/saveExpense":           "saveExpense",
	"ksfreport/v1/saveExpenseError":      "saveExpenseError",
	"ksfreport/v1/queryStatement":        "queryStatement",
	"ksfreport/v1/queryExpenseStatement": "queryExpenseStatement",
}

// Config seeds a Server.
type Config struct {
	OpenID    string
	AppKey    string
	Customers []string // what getCustomers answers
	// RejectUnknownCustomers refuses saves for customers not in Customers.
	RejectUnknownCustomers bool
	// PageSize > 0 pages the queries and getCustomers by that many items.
	// 0: queries page by DefaultPageSize and getCustomers answers the whole
	// list whatever page_number says (it documents no paging).
	PageSize int
	// Now is the fake's clock for the timestamp check; default time.Now.
	Now func() time.Time
	// MaxSkew is how far a request timestamp may be from Now; default 10 min.
	MaxSkew time.Duration
}

// CodeStyle chooses how return_code is written.
type CodeStyle int

// Code styles.
const (
	CodeAlternate CodeStyle = iota // number, string, number, … (the default)
	CodeNumber                     // "return_code": 0
	CodeString                     // "return_code": "0"
)

// DataStyle chooses how response_data is written.
type DataStyle int

// Data styles.
const (
	DataString DataStyle = iota // a JSON string holding the JSON (documented)
	DataObject                  // the JSON itself
)

// Failure is what the fake does instead of (or before) answering normally.
type Failure struct {
	// Delay waits before answering, ending early if the request is cancelled
	// or the server closes. With no other field set the answer is then normal.
	Delay time.Duration
	// Status answers this HTTP status with an envelope (Code, or "1").
	Status int
	// Code and Message answer this return_code and return_msg (HTTP 200
	// unless Status is set); nothing is processed.
	Code    string
	Message string
	// Malformed answers HTTP 200 with a body that is not an envelope.
	Malformed bool
	// Hangup closes the connection without an answer.
	Hangup bool
	// WrongMsgID processes the request but echoes another msg_id.
	WrongMsgID bool
}

// Server is the fake. Its fields are read-only.
type Server struct {
	URL string // base URL when started by New; "" for NewUnstarted

	cfg     Config
	ts      *httptest.Server
	handler http.Handler
	done    chan struct{}
	once    sync.Once

	mu         sync.Mutex
	statements map[string]*saved[statement.Statement]
	expenses   map[string]*saved[statement.Expense]
	stmtErrors map[string]statement.ErrorLog
	expErrors  map[string]statement.ErrorLog
	customers  []string
	pageSize   int
	codeStyle  CodeStyle
	dataStyle  DataStyle
	answers    uint64
	failures   map[string][]Failure
	calls      map[string]int
	refused    map[string]int
	seen       map[string]time.Time
	nextID     int
	saveText   string
}

type saved[T any] struct {
	doc      T
	id       string
	modified time.Time
	status   string // statement_status; "" answers StatusUnconfirmed
}

// Statement states 勤策 shows (statement_status). The spec's example has
// 已确认; the fake answers StatusUnconfirmed for what it saved itself.
const (
	StatusConfirmed   = "已确认"
	StatusUnconfirmed = "未确认"
)

// New starts a fake on a loopback port; Close stops it.
func New(cfg Config) *Server {
	s := NewUnstarted(cfg)
	s.ts = httptest.NewServer(s.handler)
	s.URL = s.ts.URL
	return s
}

// NewUnstarted returns a fake without a listener: mount Handler anywhere.
func NewUnstarted(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	s := &Server{
		cfg:        cfg,
		done:       make(chan struct{}),
		statements: map[string]*saved[statement.Statement]{},
		expenses:   map[string]*saved[statement.Expense]{},
		stmtErrors: map[string]statement.ErrorLog{},
		expErrors:  map[string]statement.ErrorLog{},
		customers:  slices.Clone(cfg.Customers),
		pageSize:   cfg.PageSize,
		failures:   map[string][]Failure{},
		calls:      map[string]int{},
		refused:    map[string]int{},
		seen:       map[string]time.Time{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("GET /_fake/state", s.serveState)
	s.handler = mux
	return s
}

// Handler serves /api/… (the openapi) and GET /_fake/state (a read-only
// JSON view of what the fake holds, for the demo page).
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the server; delayed answers end at once.
func (s *Server) Close() {
	s.once.Do(func() { close(s.done) })
	if s.ts != nil {
		s.ts.Close()
	}
}

// FailNext makes the next n requests to iface ("" for any interface) fail
// as f says. Failures queued for an interface come before those for "".
func (s *Server) FailNext(iface string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[iface] = append(s.failures[iface], f)
	}
}

// SetPageSize changes Config.PageSize.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = max(n, 0)
}

// SetCodeStyle chooses how return_code is written.
func (s *Server) SetCodeStyle(c CodeStyle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codeStyle = c
}

// SetDataStyle chooses how response_data is written.
func (s *Server) SetDataStyle(d DataStyle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dataStyle = d
}

// SetSaveText makes every successful save and error log answer with
// response_data holding this plain text (e.g. "保存成功"), as some 勤策
// tenants do; "" (the default) answers without response_data.
func (s *Server) SetSaveText(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveText = text
}

// SeedStatement stores a goods statement as if a 勤策 user had made or
// confirmed it: status is its statement_status (StatusConfirmed, …).
func (s *Server) SeedStatement(st statement.Statement, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := keepID(s, s.statements[st.SerialNo], cloneStatement(st))
	v.status = status
	s.statements[st.SerialNo] = v
}

// SeedExpense is SeedStatement for an expense statement.
func (s *Server) SeedExpense(e statement.Expense, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := keepID(s, s.expenses[e.StatementNo], cloneExpense(e))
	v.status = status
	s.expenses[e.StatementNo] = v
}

// SetCustomers replaces what getCustomers answers.
func (s *Server) SetCustomers(codes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers = slices.Clone(codes)
}

// Calls counts requests that reached an interface (refused ones included).
func (s *Server) Calls(iface string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[iface]
}

// Refused counts requests to iface answered with a non-zero return_code or
// a non-2xx status (injected failures included).
func (s *Server) Refused(iface string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[iface]
}

// Statements returns copies of the saved goods statements by serial_no.
func (s *Server) Statements() []statement.Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]statement.Statement, 0, len(s.statements))
	for _, k := range sortedKeys(s.statements) {
		out = append(out, cloneStatement(s.statements[k].doc))
	}
	return out
}

// Expenses returns copies of the saved expense statements by statement_no.
func (s *Server) Expenses() []statement.Expense {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]statement.Expense, 0, len(s.expenses))
	for _, k := range sortedKeys(s.expenses) {
		out = append(out, cloneExpense(s.expenses[k].doc))
	}
	return out
}

// StatementErrors returns the saveStatementError logs, one per customer and
// start date (the latest), sorted.
func (s *Server) StatementErrors() []statement.ErrorLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return logs(s.stmtErrors)
}

// ExpenseErrors returns the saveExpenseError logs, like StatementErrors.
func (s *Server) ExpenseErrors() []statement.ErrorLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return logs(s.expErrors)
}

func logs(m map[string]statement.ErrorLog) []statement.ErrorLog {
	out := make([]statement.ErrorLog, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func cloneStatement(st statement.Statement) statement.Statement {
	st.Exts = slices.Clone(st.Exts)
	st.Trade = slices.Clone(st.Trade)
	for i := range st.Trade {
		st.Trade[i].Exts = slices.Clone(st.Trade[i].Exts)
		st.Trade[i].Detail = slices.Clone(st.Trade[i].Detail)
	}
	return st
}

func cloneExpense(e statement.Expense) statement.Expense {
	e.Exts = slices.Clone(e.Exts)
	e.Trade = slices.Clone(e.Trade)
	for i := range e.Trade {
		e.Trade[i].Exts = slices.Clone(e.Trade[i].Exts)
	}
	return e
}

// answer is what a handler decided: HTTP status, return_code, return_msg and
// response_data (nil: none).
type answer struct {
	status int
	code   string
	msg    string
	data   []byte
	text   string // plain-text response_data (always a JSON string)
}

func refuse(code, msg string) answer { return answer{status: http.StatusOK, code: code, msg: msg} }

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	if len(segs) != 7 || slices.Contains(segs, "") {
		s.write(w, "", "", answer{status: http.StatusNotFound, code: CodeFailure, msg: "请求地址错误"})
		return
	}
	iface, ok := paths[strings.Join(segs[:3], "/")]
	if !ok {
		s.write(w, "", "", answer{status: http.StatusNotFound, code: CodeFailure, msg: "接口不存在"})
		return
	}
	openid, ts, sig, msgID := segs[3], segs[4], segs[5], segs[6]
	if r.Method != http.MethodPost {
		s.write(w, iface, msgID, answer{status: http.StatusMethodNotAllowed, code: CodeFailure, msg: "请使用POST"})
		return
	}
	f, failing := s.begin(iface)
	if failing {
		if !s.delay(r, f.Delay) {
			return
		}
		switch {
		case f.Hangup:
			s.hangup(w)
			return
		case f.Malformed:
			s.count(iface, true)
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
			return
		case f.Status != 0 || f.Code != "":
			code, msg := f.Code, f.Message
			if code == "" {
				code = CodeFailure
			}
			if msg == "" {
				msg = http.StatusText(f.Status)
			}
			status := f.Status
			if status == 0 {
				status = http.StatusOK
			}
			s.write(w, iface, msgID, answer{status: status, code: code, msg: msg})
			return
		}
	}
	body, err := readBody(w, r)
	if err != nil {
		s.write(w, iface, msgID, answer{status: http.StatusRequestEntityTooLarge, code: CodeFailure, msg: "请求数据过大"})
		return
	}
	a := s.authenticate(openid, ts, sig, msgID, body)
	if a.code == CodeOK {
		a = s.dispatch(iface, body)
	}
	if failing && f.WrongMsgID {
		msgID = "not" + msgID
	}
	s.write(w, iface, msgID, a)
}

// begin counts a call and takes its injected failure, if any.
func (s *Server) begin(iface string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[iface]++
	for _, key := range []string{iface, ""} {
		if q := s.failures[key]; len(q) > 0 {
			s.failures[key] = q[1:]
			return q[0], true
		}
	}
	return Failure{}, false
}

func (s *Server) count(iface string, refused bool) {
	if !refused {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[iface]++
}

// delay waits d; false if the request was cancelled or the server closed.
func (s *Server) delay(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func (s *Server) hangup(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2 or a wrapped writer: abort the stream
}

// readBody reads the raw body into one exactly sized buffer when the length
// is known: a 50,000-line statement is tens of MiB.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, MaxBody)
	if n := r.ContentLength; n >= 0 && n <= MaxBody {
		b := make([]byte, n)
		if _, err := io.ReadFull(rd, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(rd)
}

// authenticate checks what 勤策 checks before reading the body.
func (s *Server) authenticate(openid, ts, sig, msgID string, body []byte) answer {
	if openid != s.cfg.OpenID {
		return refuse(CodeFailure, "openid不存在")
	}
	t, err := time.ParseInLocation("20060102150405", ts, tz.Shanghai)
	if err != nil || len(ts) != 14 {
		return refuse(CodeFailure, "时间戳格式错误,应为yyyyMMddHHmmss")
	}
	now := s.cfg.Now()
	if d := now.Sub(t); d > s.cfg.MaxSkew || d < -s.cfg.MaxSkew {
		return refuse(CodeFailure, "时间戳已失效")
	}
	if !strings.EqualFold(sig, digest.Waiqin(body, s.cfg.AppKey, ts)) {
		return refuse(CodeFailure, "数据签名错误")
	}
	if len(msgID) > maxMsgID {
		return refuse(CodeFailure, "消息ID超长")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.seen[msgID]; dup {
		return refuse(CodeFailure, "消息ID重复")
	}
	s.seen[msgID] = now
	if len(s.seen) > 4096 {
		// An id older than twice the skew cannot come back with a valid timestamp.
		for id, at := range s.seen {
			if now.Sub(at) > 2*s.cfg.MaxSkew {
				delete(s.seen, id)
			}
		}
	}
	return answer{code: CodeOK}
}

func (s *Server) dispatch(iface string, body []byte) answer {
	switch iface {
	case "saveStatement":
		return s.saveStatement(body)
	case "saveExpense":
		return s.saveExpense(body)
	case "saveStatementError":
		return s.saveError(body, s.stmtErrors)
	case "saveExpenseError":
		return s.saveError(body, s.expErrors)
	case "queryStatement":
		return s.query(body, true)
	case "queryExpenseStatement":
		return s.query(body, false)
	default:
		return s.getCustomers(body)
	}
}

func badBody() answer { return refuse(CodeFailure, "请求数据格式错误") }

func period(month, start, end string) answer {
	if month == "" && (start == "" || end == "") {
		return refuse(CodeValidation, "交易月份与起止日期不能同时为空")
	}
	return answer{code: CodeOK}
}

func (s *Server) knownCustomer(code string) bool {
	return !s.cfg.RejectUnknownCustomers || slices.Contains(s.customers, code)
}

func (s *Server) saveStatement(body []byte) answer {
	var st statement.Statement
	if json.Unmarshal(body, &st) != nil {
		return badBody()
	}
	switch {
	case st.SerialNo == "":
		return refuse(CodeValidation, "对账单号为空")
	case st.CustomerCode == "":
		return refuse(CodeValidation, "客户编码为空")
	}
	if msg := checkSchema(reflect.ValueOf(st), statementSchema); msg != "" {
		return refuse(CodeValidation, msg)
	}
	if a := period(st.TradeMonth, st.StartDate, st.EndDate); a.code != CodeOK {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.knownCustomer(st.CustomerCode) {
		return refuse(CodeFailure, "客户不存在")
	}
	s.statements[st.SerialNo] = keepID(s, s.statements[st.SerialNo], st)
	return s.saved()
}

func (s *Server) saveExpense(body []byte) answer {
	var e statement.Expense
	if json.Unmarshal(body, &e) != nil {
		return badBody()
	}
	switch {
	case e.StatementNo == "":
		return refuse(CodeValidation, "对账单号为空")
	case e.CustomerCode == "":
		return refuse(CodeValidation, "客户编码为空")
	}
	if msg := checkSchema(reflect.ValueOf(e), expenseSchema); msg != "" {
		return refuse(CodeValidation, msg)
	}
	if a := period(e.TradeMonth, e.StartDate, e.EndDate); a.code != CodeOK {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.knownCustomer(e.CustomerCode) {
		return refuse(CodeFailure, "客户不存在")
	}
	s.expenses[e.StatementNo] = keepID(s, s.expenses[e.StatementNo], e)
	return s.saved()
}

// keepID stores doc, keeping the statement_id of the one it replaces.
func keepID[T any](s *Server, old *saved[T], doc T) *saved[T] {
	id := ""
	if old != nil {
		id = old.id
	} else {
		s.nextID++
		id = strconv.FormatInt(7628813591021350000+int64(s.nextID), 10)
	}
	status := ""
	if old != nil {
		status = old.status // a save does not undo a confirmation
	}
	return &saved[T]{doc: doc, id: id, modified: s.cfg.Now(), status: status}
}

func (s *Server) saveError(body []byte, into map[string]statement.ErrorLog) answer {
	var l statement.ErrorLog
	if json.Unmarshal(body, &l) != nil {
		return badBody()
	}
	switch {
	case l.ErrorReason == "":
		return refuse(CodeValidation, "错误原因不能为空")
	case l.CustomerCode == "":
		return refuse(CodeValidation, "客户编码为空")
	}
	if msg := checkSchema(reflect.ValueOf(l), errorLogSchema); msg != "" {
		return refuse(CodeValidation, msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	into[l.CustomerCode+"|"+l.StartDate] = l
	return s.saved()
}

// saved is the success answer of a save; s.mu is held.
func (s *Server) saved() answer {
	a := answer{code: CodeOK}
	if s.saveText != "" {
		a.text = s.saveText
	}
	return a
}

// text reads a request field that 勤策 accepts as a string or a number.
func text(m map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// page reads page_number: absent means 1.
func page(m map[string]json.RawMessage) (int, bool) {
	p, ok := text(m, "page_number")
	if !ok {
		return 0, false
	}
	if p == "" {
		return 1, true
	}
	n, err := strconv.Atoi(p)
	return n, err == nil && n >= 1
}

// info is one row of a query answer, as 勤策 documents it.
type info struct {
	StatementID     string `json:"statement_id"`
	SerialNo        string `json:"serial_no"`
	CustomerCode    string `json:"customer_code"`
	CustomerName    string `json:"customer_name"`
	StartDate       string `json:"start_date"`
	EndDate         string `json:"end_date"`
	LastPerson      string `json:"last_person"`
	LastDate        string `json:"last_date"`
	StatementStatus string `json:"statement_status"`
	CustomerID      string `json:"customer_id"`
	ModifyTime      string `json:"modify_time"`
	ApproveName     string `json:"approve_name"`
	ApproveTime     string `json:"approve_time"`
}

func makeInfo(id, number, customer, start, end, status string, modified time.Time) info {
	h := fnv.New64a()
	_, _ = h.Write([]byte(customer))
	m := modified.In(tz.Shanghai)
	if status == "" {
		status = StatusUnconfirmed
	}
	return info{
		StatementID: id, SerialNo: number, CustomerCode: customer, CustomerName: "客户" + customer,
		StartDate: start, EndDate: end, LastPerson: "ksfsync", LastDate: m.Format(date),
		StatementStatus: status, CustomerID: strconv.FormatUint(h.Sum64()>>1, 10),
		ModifyTime: m.Format(dateTime),
	}
}

// inMonth reports whether a statement of month or start..end covers m.
func inMonth(m, month, start, end string) bool {
	if month != "" {
		return month == m
	}
	return len(start) >= 7 && len(end) >= 7 && start[:7] <= m && m <= end[:7]
}

func (s *Server) query(body []byte, goods bool) answer {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return badBody()
	}
	tradeMonth, ok1 := text(m, "trade_month")
	customer, ok2 := text(m, "customer_code")
	p, ok3 := page(m)
	switch {
	case !ok1 || !ok2:
		return badBody()
	case tradeMonth == "":
		return refuse(CodeFailure, "对账月份不能为空!")
	case !ok3:
		return refuse(CodeFailure, "页数格式错误")
	}
	if _, err := time.Parse(month, tradeMonth); err != nil {
		return refuse(CodeFailure, "对账月份格式错误,应为yyyy-MM")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []info
	if goods {
		for _, k := range sortedKeys(s.statements) {
			v := s.statements[k]
			d := v.doc
			if (customer == "" || d.CustomerCode == customer) && inMonth(tradeMonth, d.TradeMonth, d.StartDate, d.EndDate) {
				rows = append(rows, makeInfo(v.id, d.SerialNo, d.CustomerCode, d.StartDate, d.EndDate, v.status, v.modified))
			}
		}
	} else {
		for _, k := range sortedKeys(s.expenses) {
			v := s.expenses[k]
			d := v.doc
			if (customer == "" || d.CustomerCode == customer) && inMonth(tradeMonth, d.TradeMonth, d.StartDate, d.EndDate) {
				rows = append(rows, makeInfo(v.id, d.StatementNo, d.CustomerCode, d.StartDate, d.EndDate, v.status, v.modified))
			}
		}
	}
	size := s.pageSize
	if size == 0 {
		size = DefaultPageSize
	}
	return list(pageOf(rows, p, size))
}

func pageOf[T any](rows []T, p, size int) []T {
	from := (p - 1) * size
	if from >= len(rows) || from < 0 {
		return []T{}
	}
	return rows[from:min(from+size, len(rows))]
}

func list[T any](rows []T) answer {
	b, err := json.Marshal(rows)
	if err != nil {
		return refuse(CodeFailure, "系统错误")
	}
	return answer{status: http.StatusOK, code: CodeOK, msg: "成功", data: b}
}

type customer struct {
	CustomerCode string `json:"customer_code"`
	UseSignature string `json:"use_signature"`
}

func (s *Server) getCustomers(body []byte) answer {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return badBody()
	}
	p, ok := page(m)
	if !ok {
		return refuse(CodeFailure, "页数格式错误")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := make([]customer, len(s.customers))
	for i, c := range s.customers {
		rows[i] = customer{CustomerCode: c, UseSignature: "0"}
	}
	if s.pageSize > 0 {
		rows = pageOf(rows, p, s.pageSize)
	}
	return list(rows)
}

// write answers in 勤策's envelope and counts refusals.
func (s *Server) write(w http.ResponseWriter, iface, msgID string, a answer) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	s.mu.Lock()
	s.answers++
	asNumber := s.codeStyle == CodeNumber || (s.codeStyle == CodeAlternate && s.answers%2 == 1)
	asObject := s.dataStyle == DataObject
	if iface != "" && (a.code != CodeOK || a.status >= 300) {
		s.refused[iface]++
	}
	s.mu.Unlock()

	var b bytes.Buffer
	b.WriteString(`{"msg_id":`)
	writeJSON(&b, msgID)
	b.WriteString(`,"return_code":`)
	if _, err := strconv.ParseInt(a.code, 10, 64); err == nil && asNumber {
		b.WriteString(a.code)
	} else {
		writeJSON(&b, a.code)
	}
	if a.msg != "" {
		b.WriteString(`,"return_msg":`)
		writeJSON(&b, a.msg)
	}
	if a.text != "" {
		b.WriteString(`,"response_data":`)
		writeJSON(&b, a.text)
	} else if a.data != nil {
		b.WriteString(`,"response_data":`)
		if asObject {
			b.Write(a.data)
		} else {
			writeJSON(&b, string(a.data))
		}
	}
	b.WriteString("}")
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(a.status)
	_, _ = w.Write(b.Bytes())
}

func writeJSON(b *bytes.Buffer, v string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b.Truncate(b.Len() - 1) // Encode's newline
}

// State is the JSON view served at GET /_fake/state.
type State struct {
	Customers       []string             `json:"customers"`
	Statements      []Summary            `json:"statements"`
	Expenses        []Summary            `json:"expenses"`
	StatementErrors []statement.ErrorLog `json:"statement_errors"`
	ExpenseErrors   []statement.ErrorLog `json:"expense_errors"`
	Calls           map[string]int       `json:"calls"`
	Refused         map[string]int       `json:"refused"`
}

// Summary is one saved statement in State; Document is set with ?full=1.
type Summary struct {
	StatementID  string          `json:"statement_id"`
	Number       string          `json:"number"`
	CustomerCode string          `json:"customer_code"`
	StartDate    string          `json:"start_date,omitempty"`
	EndDate      string          `json:"end_date,omitempty"`
	TradeMonth   string          `json:"trade_month,omitempty"`
	Trades       int             `json:"trades"`
	Exts         []statement.Ext `json:"exts"`
	Modified     string          `json:"modified"`
	Document     any             `json:"document,omitempty"`
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	full := r.URL.Query().Get("full") == "1"
	s.mu.Lock()
	st := State{
		Customers:       slices.Clone(s.customers),
		Statements:      []Summary{},
		Expenses:        []Summary{},
		StatementErrors: logs(s.stmtErrors),
		ExpenseErrors:   logs(s.expErrors),
		Calls:           maps.Clone(s.calls),
		Refused:         maps.Clone(s.refused),
	}
	for _, k := range sortedKeys(s.statements) {
		v := s.statements[k]
		d := v.doc
		sum := Summary{StatementID: v.id, Number: d.SerialNo, CustomerCode: d.CustomerCode, StartDate: d.StartDate,
			EndDate: d.EndDate, TradeMonth: d.TradeMonth, Trades: len(d.Trade), Exts: slices.Clone(d.Exts),
			Modified: v.modified.In(tz.Shanghai).Format(dateTime)}
		if full {
			sum.Document = cloneStatement(d)
		}
		st.Statements = append(st.Statements, sum)
	}
	for _, k := range sortedKeys(s.expenses) {
		v := s.expenses[k]
		d := v.doc
		sum := Summary{StatementID: v.id, Number: d.StatementNo, CustomerCode: d.CustomerCode, StartDate: d.StartDate,
			EndDate: d.EndDate, TradeMonth: d.TradeMonth, Trades: len(d.Trade), Exts: slices.Clone(d.Exts),
			Modified: v.modified.In(tz.Shanghai).Format(dateTime)}
		if full {
			sum.Document = cloneExpense(d)
		}
		st.Expenses = append(st.Expenses, sum)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st)
}

// String describes the fake for logs (no secrets).
func (s *Server) String() string { return fmt.Sprintf("waiqintest.Server(%s)", s.URL) }
