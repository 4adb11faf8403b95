package demo_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

func load(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Load([]string{"KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=127.0.0.1:0"},
		func(string) ([]byte, error) { return nil, io.EOF })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// start opens the demo for cfg, its banner and logs in one buffer, and
// closes it when the test ends.
func start(t *testing.T, cfg *config.Config) (*demo.Receiver, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	r := demo.NewReceiver(cfg, zerolog.New(logs))
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

// TestReceiver: with nothing configured, the receiver runs on an
// embedded Redis and prints a curl line whose push it accepts.
func TestReceiver(t *testing.T) {
	t.Parallel()
	cfg := load(t)
	if !cfg.Demo() || !cfg.DemoSecret {
		t.Fatal("empty configuration is not the demo")
	}
	r, logs := start(t, cfg)
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

func TestCurlDates(t *testing.T) {
	t.Parallel()
	// 2026-03-01 00:30 in Shanghai is still February in UTC: the period is Shanghai's last month.
	now := time.Date(2026, 2, 28, 16, 30, 0, 0, time.UTC)
	line := demo.Curl("http://127.0.0.1:8080/waiqin/push", "s", now)
	if !strings.Contains(line, `"start_date":"2026-02-01","end_date":"2026-02-28"`) {
		t.Errorf("demo.Curl period wrong:\n%s", line)
	}
}

// TestDemoLogLines: the demo's log (receiver, in-process worker, asynq's
// own messages) is one JSON object per line with unique keys.
func TestDemoLogLines(t *testing.T) {
	t.Parallel()
	logs := &logtest.Buffer{}
	r := demo.NewReceiver(load(t), zerolog.New(logs).With().Str("process", "receiver").Logger())
	r.Banner = io.Discard
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `"component":"asynq"`) {
		t.Fatalf("no line of asynq's own in the demo's log:\n%s", out)
	}
	if bad := logtest.Malformed(out); len(bad) > 0 {
		t.Errorf("log lines an ingester refuses:\n%s", strings.Join(bad, "\n"))
	}
}

// TestDemoResyncNamesNoTenant: the README's `ksfctl resync` (no --tenant,
// no KSF_TENANT_ID) works against the demo: the demo's tenant is the default.
func TestDemoResyncNamesNoTenant(t *testing.T) {
	t.Parallel()
	r, _ := start(t, load(t))
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.AdminAddr()+"/admin/api/resync",
		strings.NewReader(`{"data_type":"ksf_statement","customer_codes":"C001,C002","start_date":"2026-10-01","end_date":"2026-10-31"}`))
	req.Header.Set("Authorization", "Bearer "+demo.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(b), `"tenant_id":"`+demo.Tenant+`"`) {
		t.Errorf("resync without a tenant: %d %s", resp.StatusCode, b)
	}
}
