package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

const testDB = 12 // this package's database on the real test server

func load(t *testing.T, env ...string) *config.Config {
	t.Helper()
	env = append(env, "KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=127.0.0.1:0")
	c, err := config.Load(env, func(string) ([]byte, error) { return nil, io.EOF })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startReceiver opens a receiver for cfg and closes it when the test ends.
func startReceiver(t *testing.T, cfg *config.Config) (*Receiver, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	r := NewReceiver(cfg, zerolog.New(logs))
	r.Banner = logs
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return r, logs
}

func postForm(t *testing.T, addr string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm("http://"+addr+webhook.PushPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReceiverDemo: with nothing configured, the receiver runs on an
// embedded Redis and prints a curl line whose push it accepts.
func TestReceiverDemo(t *testing.T) {
	t.Parallel()
	cfg := load(t)
	if !cfg.Demo() || !cfg.DemoSecret {
		t.Fatal("empty configuration is not the demo")
	}
	r, logs := startReceiver(t, cfg)
	out := logs.String()
	if !strings.Contains(out, "NOTHING PERSISTS") || !strings.Contains(out, "curl -sS http://"+r.PushAddr()+"/waiqin/push") {
		t.Fatalf("no warning or curl line:\n%s", out)
	}
	// Replay the printed command's fields, as curl --data-urlencode would.
	form := url.Values{}
	for _, m := range regexp.MustCompile(`--data-urlencode '([^=]+)=([^']*)'`).FindAllStringSubmatch(out, -1) {
		form.Set(m[1], m[2])
	}
	if len(form) != 7 {
		t.Fatalf("curl line has %d fields: %v", len(form), form)
	}
	if status, body := postForm(t, r.PushAddr(), form); status != 200 || !strings.Contains(body, `"return_msg":"success"`) {
		t.Errorf("demo push: %d %s", status, body)
	}
	if status, body := postForm(t, r.PushAddr(), form); status != 200 || !strings.Contains(body, "already queued") {
		t.Errorf("demo push again: %d %s", status, body)
	}
	for _, addr := range []string{r.PushAddr(), r.AdminAddr()} {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code := get(t, "http://"+addr+path); code != 200 {
				t.Errorf("GET %s%s = %d", addr, path, code)
			}
		}
	}
	if !strings.Contains(out, `"message":"receiver started"`) || strings.Contains(out, `"push_secrets":["demo-secret"]`) {
		t.Errorf("startup line missing or showing secrets:\n%s", out)
	}
}

func TestDemoCurlDates(t *testing.T) {
	t.Parallel()
	// 2026-03-01 00:30 in Shanghai is still February in UTC: the period is Shanghai's last month.
	now := time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC)
	line := DemoCurl("http://127.0.0.1:8080/waiqin/push", "s", now)
	if !strings.Contains(line, `"start_date":"2026-02-01","end_date":"2026-02-28"`) {
		t.Errorf("DemoCurl period wrong:\n%s", line)
	}
}

// TestReceiverDrains: Close waits for a request in flight to be answered.
func TestReceiverDrains(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, testDB)
	cfg := load(t, "KSF_REDIS_URL="+rd.URL, "KSF_PUSH_SECRET=s")
	logs := &syncBuffer{}
	r := NewReceiver(cfg, zerolog.New(logs))
	active := make(chan struct{}, 1)
	r.connState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateActive {
			select {
			case active <- struct{}{}:
			default:
			}
		}
	}
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	shuttingDown := make(chan struct{})
	r.pushSrv.RegisterOnShutdown(func() { close(shuttingDown) })

	data := `{"customer_code":"c1","start_date":"2026-11-01","end_date":"2026-11-30"}`
	// IDs unique per run: the real test Redis may hold an earlier run's push.
	msgID := "drain-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	body := url.Values{"msgId": {msgID}, "tenantId": {"drain"}, "timestamp": {"1763700000000"}, "dataType": {"ksf_statement"},
		"data": {data}, "digest": {digest.Push(data, "s", "1763700000000")}}.Encode()
	conn, err := net.Dial("tcp", r.PushAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and half the body: the request is in flight.
	fmt.Fprintf(conn, "POST /waiqin/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
	<-active // the server is reading it

	closed := make(chan error, 1)
	go func() { closed <- r.Close(context.Background()) }()
	<-shuttingDown
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with a request in flight", err)
	default:
	}
	if _, err := io.WriteString(conn, body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "success") {
		t.Errorf("in-flight push answered %d %s", resp.StatusCode, b)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := net.Dial("tcp", r.PushAddr()); err == nil {
		t.Error("push listener still accepts after Close")
	}
}

func TestReceiverBusyPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := load(t)
	cfg.HTTPAddr = ln.Addr().String()
	r := NewReceiver(cfg, zerolog.Nop())
	if err := r.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "KSF_HTTP_ADDR") {
		t.Fatalf("Open on a busy port = %v", err)
	}
	if r.conn != nil {
		t.Error("Redis left open after a failed Open")
	}
}

func TestVerifiers(t *testing.T) {
	t.Parallel()
	const file = "tenants: {t1: {push_secrets: [one]}, t2: {}}\npush_secret: global\nredis_url: redis://r:6379\n"
	read := func(string) ([]byte, error) { return []byte(file), nil }
	restricted, err := config.Load([]string{"KSF_CONFIG=f"}, read)
	if err != nil {
		t.Fatal(err)
	}
	open, err := config.Load([]string{"KSF_PUSH_SECRET=global", "KSF_REDIS_URL=redis://r:6379", "KSF_PUSH_MAX_AGE=1h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := fmt.Sprint(time.Now().UnixMilli())
	tests := []struct {
		name   string
		cfg    *config.Config
		tenant string
		secret string
		want   string // "" ok, "nil" refused tenant, else an error
	}{
		{"own secret", restricted, "t1", "one", ""},
		{"own secret only", restricted, "t1", "global", "digest: digest does not match"},
		{"global for a listed tenant without secrets", restricted, "t2", "global", ""},
		{"unlisted", restricted, "t3", "global", "nil"},
		{"any tenant", open, "t9", "global", ""},
		{"max age", open, "t9", "global", "too old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := Verifiers(tt.cfg)(tt.tenant)
			if v == nil {
				if tt.want != "nil" {
					t.Fatalf("tenant %s refused", tt.tenant)
				}
				return
			}
			ts := now
			if tt.want == "too old" {
				ts = fmt.Sprint(time.Now().Add(-2 * time.Hour).UnixMilli())
			}
			err := v.Verify("{}", ts, digest.Push("{}", tt.secret, ts))
			switch {
			case tt.want == "" && err != nil, tt.want == "nil":
				t.Errorf("Verify = %v, want %q", err, tt.want)
			case tt.want == "too old" && err != digest.ErrTooOld:
				t.Errorf("Verify = %v, want ErrTooOld", err)
			case tt.want != "" && tt.want != "too old" && (err == nil || err.Error() != tt.want):
				t.Errorf("Verify = %v, want %q", err, tt.want)
			}
		})
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
