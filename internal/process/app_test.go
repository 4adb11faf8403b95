package process_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/process"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
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
func startReceiver(t *testing.T, cfg *config.Config) (*process.Receiver, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	r := process.NewReceiver(cfg, zerolog.New(logs))
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
			v := process.Verifiers(tt.cfg)(tt.tenant)
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
