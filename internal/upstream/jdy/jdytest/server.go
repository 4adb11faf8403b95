// Package jdytest is a fake 金蝶精斗云 v2 gateway for tests and the embedded
// demo: kingdee_auth_token and /jdy/v2/arap/customer_business.
//
// It checks what the vendor checks: every header, the 5-minute timestamp
// window, the nonce, X-Api-Signature recomputed from the request exactly as
// documented, app_signature, and a valid unexpired app-token with the right
// X-GW-Router-Addr. It answers in the vendor's envelope
// {"errcode","description","data"} and can be told to fail (FailNext).
// Errcodes other than 0 and 2000002000 are ksfsync's assumptions, listed
// in the jdy package.
//
// New starts a loopback listener (URL); Handler can also be mounted on any
// listener, under any path prefix. Safe for concurrent use.
package jdytest

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
)

// Credentials used when Config leaves them empty.
const (
	DefaultClientID     = "205022"
	DefaultClientSecret = "fake-jdy-client-secret"
	DefaultAppKey       = "fakeAppK"
	DefaultAppSecret    = "fake-jdy-app-secret"
	DefaultDomain       = "https://tf.jdy.com"
	DefaultTokenTTL     = 24 * time.Hour
	// TimestampWindow is how far X-Api-TimeStamp may be from the server's clock.
	TimestampWindow = 5 * time.Minute
)

// Config is the account set the fake serves. Empty fields take the defaults.
type Config struct {
	ClientID     string
	ClientSecret string
	AppKey       string
	AppSecret    string
	Domain       string           // the X-GW-Router-Addr required on business calls
	TokenTTL     time.Duration    // lifetime of issued app-tokens
	Now          func() time.Time // server clock; share it with the client in tests
}

// Endpoint selects which requests a Failure applies to.
type Endpoint string

// Endpoints.
const (
	AnyEndpoint Endpoint = ""
	Token       Endpoint = "token"
	Business    Endpoint = "business"
)

// Failure is one injected misbehaviour, applied to the next request of its
// Endpoint that passes the header and signature checks. Fields combine in
// this order: Delay, ExpireToken, then the answer: Status, Malformed,
// Errcode (if none of these is set the request is served normally).
type Failure struct {
	Endpoint    Endpoint
	Delay       time.Duration // wait before answering (ends early if the client goes away)
	ExpireToken bool          // expire every issued app-token now
	Status      int           // answer this HTTP status: plain text, or the envelope if Errcode is set
	Malformed   bool          // answer a truncated JSON body
	Errcode     int64         // answer this errcode with HTTP 200
	Description string        // description for Errcode; default a generic text
}

// Server is the fake gateway.
type Server struct {
	// URL is the base URL of the loopback listener started by New.
	URL string

	cfg Config
	ts  *httptest.Server

	mu           sync.Mutex
	business     map[string]jdy.Business
	tokens       map[string]time.Time // app-token → expiry
	failures     []Failure
	tokenReqs    int
	businessReqs int
	refused      int
}

// New starts a fake gateway. Close it when done.
func New(cfg Config) *Server {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&cfg.ClientID, DefaultClientID)
	def(&cfg.ClientSecret, DefaultClientSecret)
	def(&cfg.AppKey, DefaultAppKey)
	def(&cfg.AppSecret, DefaultAppSecret)
	def(&cfg.Domain, DefaultDomain)
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, business: map[string]jdy.Business{}, tokens: map[string]time.Time{}}
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Close stops the listener started by New.
func (s *Server) Close() { s.ts.Close() }

// Handler serves the gateway; mount it anywhere (a path prefix is fine: the
// signature is checked against the path the client sent).
func (s *Server) Handler() http.Handler { return s }

// ClientConfig is a jdy.Config pointing at this server with its
// credentials and clock. Add a Limiter or Observer as needed.
func (s *Server) ClientConfig() jdy.Config {
	return jdy.Config{
		BaseURL:      s.URL,
		ClientID:     s.cfg.ClientID,
		ClientSecret: s.cfg.ClientSecret,
		AppKey:       s.cfg.AppKey,
		AppSecret:    s.cfg.AppSecret,
		Domain:       s.cfg.Domain,
		CallOptions:  upstream.CallOptions{Now: s.cfg.Now},
	}
}

// SetBusiness seeds (or replaces) one customer's data.
func (s *Server) SetBusiness(customerID string, b jdy.Business) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.business[customerID] = b
}

// SeedJSON seeds customers from a JSON object mapping customer_id to the
// vendor's data object (money as strings or numbers), as in
// testdata/business.json.
func (s *Server) SeedJSON(r io.Reader) error {
	var m map[string]jdy.Business
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return fmt.Errorf("jdytest: seed: %w", err)
	}
	for id, b := range m {
		s.SetBusiness(id, b)
	}
	return nil
}

//go:embed testdata/business.json
var demoSeed string

// SeedDemo seeds the demo customers of testdata/business.json (C001…).
func (s *Server) SeedDemo() error { return s.SeedJSON(strings.NewReader(demoSeed)) }

// FailNext queues failures; each is used once, in order, by the next
// matching request.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f...)
}

// ExpireTokens expires every app-token issued so far.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
}

func (s *Server) expireLocked() {
	now := s.cfg.Now()
	for t := range s.tokens {
		s.tokens[t] = now
	}
}

// TokenRequests counts requests to kingdee_auth_token (refused ones included).
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

// BusinessRequests counts requests to customer_business (refused ones included).
func (s *Server) BusinessRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.businessReqs
}

// Refused counts requests refused by the header/signature/token checks.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// answer is the vendor's envelope.
type answer struct {
	Errcode     int64  `json:"errcode"`
	Description string `json:"description"`
	Data        any    `json:"data"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ep Endpoint
	switch {
	case strings.HasSuffix(r.URL.Path, jdy.TokenPath):
		ep = Token
	case strings.HasSuffix(r.URL.Path, jdy.BusinessPath):
		ep = Business
	default:
		write(w, http.StatusNotFound, answer{Errcode: jdy.ErrcodeBadRequest, Description: "接口不存在"})
		return
	}
	s.mu.Lock()
	if ep == Token {
		s.tokenReqs++
	} else {
		s.businessReqs++
	}
	s.mu.Unlock()

	if r.Method != http.MethodGet {
		write(w, http.StatusMethodNotAllowed, answer{Errcode: jdy.ErrcodeBadRequest, Description: "请求方式错误"})
		return
	}
	if code, desc := s.verify(r); code != 0 {
		s.refuse(w, code, desc)
		return
	}
	if f, ok := s.nextFailure(ep); ok && s.inject(w, r, f) {
		return
	}
	if ep == Token {
		s.serveToken(w, r)
		return
	}
	s.serveBusiness(w, r)
}

func (s *Server) refuse(w http.ResponseWriter, code int64, desc string) {
	s.mu.Lock()
	s.refused++
	s.mu.Unlock()
	write(w, http.StatusOK, answer{Errcode: code, Description: desc})
}

// verify checks the v2 signature headers as the gateway does.
func (s *Server) verify(r *http.Request) (int64, string) {
	h := r.Header
	if ct := h.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return jdy.ErrcodeBadRequest, "Content-Type 必须为 application/json"
	}
	if h.Get("X-Api-ClientID") == "" {
		return jdy.ErrcodeBadRequest, "缺少 X-Api-ClientID"
	}
	if h.Get("X-Api-ClientID") != s.cfg.ClientID {
		return jdy.ErrcodeUnknownClient, "X-Api-ClientID 不存在"
	}
	if h.Get("X-Api-Auth-Version") != jdy.AuthVersion {
		return jdy.ErrcodeBadRequest, "X-Api-Auth-Version 必须为 2.0"
	}
	if !strings.EqualFold(h.Get("X-Api-SignHeaders"), jdy.SignHeaders) {
		return jdy.ErrcodeBadRequest, "X-Api-SignHeaders 必须为 X-Api-TimeStamp,X-Api-Nonce"
	}
	ts := h.Get("X-Api-TimeStamp")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms <= 0 {
		return jdy.ErrcodeBadRequest, "X-Api-TimeStamp 格式错误"
	}
	if d := s.cfg.Now().Sub(time.UnixMilli(ms)); d > TimestampWindow || d < -TimestampWindow {
		return jdy.ErrcodeTimestamp, "X-Api-TimeStamp 已过期"
	}
	nonce := h.Get("X-Api-Nonce")
	if n, err := strconv.ParseUint(nonce, 10, 64); err != nil || n == 0 {
		return jdy.ErrcodeBadRequest, "X-Api-Nonce 必须为正整数"
	}
	want := digest.JDY(s.cfg.ClientSecret, digest.JDYStringToSign(r.Method, sentPath(r), r.URL.Query(), nonce, ts))
	if subtle.ConstantTimeCompare([]byte(h.Get("X-Api-Signature")), []byte(want)) != 1 {
		return jdy.ErrcodeBadSignature, "签名校验失败"
	}
	return 0, ""
}

// sentPath is the path as the client sent it, before any StripPrefix.
func sentPath(r *http.Request) string {
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.Path != "" {
		return u.Path
	}
	return r.URL.Path
}

func (s *Server) nextFailure(ep Endpoint) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		if f.Endpoint == AnyEndpoint || f.Endpoint == ep {
			s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			return f, true
		}
	}
	return Failure{}, false
}

// inject applies f and reports whether it answered the request.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, f Failure) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.ExpireToken {
		s.ExpireTokens()
	}
	desc := f.Description
	if desc == "" {
		desc = "injected failure"
	}
	switch {
	case f.Status != 0 && f.Errcode != 0:
		write(w, f.Status, answer{Errcode: f.Errcode, Description: desc})
	case f.Status != 0:
		// What a gateway or proxy says on its own: no envelope.
		http.Error(w, http.StatusText(f.Status), f.Status)
	case f.Malformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"errcode":0,"description":"success","data":{"month_transaction_fees":`)
	case f.Errcode != 0:
		write(w, http.StatusOK, answer{Errcode: f.Errcode, Description: desc})
	default:
		return false
	}
	return true
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("app_key") == "" || q.Get("app_signature") == "" {
		s.refuse(w, jdy.ErrcodeBadRequest, "缺少 app_key 或 app_signature")
		return
	}
	want := digest.JDYAppSignature(s.cfg.AppKey, s.cfg.AppSecret)
	if q.Get("app_key") != s.cfg.AppKey || subtle.ConstantTimeCompare([]byte(q.Get("app_signature")), []byte(want)) != 1 {
		s.refuse(w, jdy.ErrcodeBadAppSignature, "app_key 或 app_signature 错误")
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	exp := s.cfg.Now().Add(s.cfg.TokenTTL)
	s.mu.Lock()
	s.tokens[tok] = exp
	s.mu.Unlock()
	write(w, http.StatusOK, answer{Description: "success", Data: map[string]any{
		"app-token": tok,
		"expires":   exp.UnixMilli(),
		"domain":    s.cfg.Domain,
	}})
}

func (s *Server) serveBusiness(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-GW-Router-Addr") != s.cfg.Domain {
		s.refuse(w, jdy.ErrcodeBadRequest, "X-GW-Router-Addr 错误")
		return
	}
	tok := r.Header.Get("app-token")
	s.mu.Lock()
	exp, known := s.tokens[tok]
	now := s.cfg.Now()
	s.mu.Unlock()
	switch {
	case tok == "" || !known:
		s.refuse(w, jdy.ErrcodeTokenInvalid, "app-token 无效")
		return
	case !now.Before(exp):
		s.refuse(w, jdy.ErrcodeTokenExpired, "app-token 已过期")
		return
	}
	id := r.URL.Query().Get("customer_id")
	if id == "" {
		write(w, http.StatusOK, answer{Errcode: jdy.ErrcodeBadRequest, Description: "customer_id 不能为空"})
		return
	}
	s.mu.Lock()
	b, ok := s.business[id]
	s.mu.Unlock()
	if !ok {
		write(w, http.StatusOK, answer{Errcode: jdy.ErrcodeCustomerNotFound, Description: "客户不存在"})
		return
	}
	write(w, http.StatusOK, answer{Description: "success", Data: b})
}

func write(w http.ResponseWriter, status int, a answer) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}
