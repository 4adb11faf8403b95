package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

// workerEnv is a complete worker configuration; the vendors are never
// called in these tests.
func workerEnv(redisURL string) []string {
	return []string{
		"KSF_REDIS_URL=" + redisURL, "KSF_ADMIN_ADDR=127.0.0.1:0",
		"KSF_WAIQIN_OPENID=o", "KSF_WAIQIN_APPKEY=k", "KSF_WAIQIN_BASE_URL=http://127.0.0.1:1",
		"KSF_OMS_BASE_URL=http://127.0.0.1:1", "KSF_OMS_FLAG=f", "KSF_OMS_TOKEN=t",
		"KSF_WDT_ROUTER_URL=http://127.0.0.1:1/router/qm", "KSF_WDT_APP_KEY=a", "KSF_WDT_APP_SECRET=s",
		"KSF_WDT_TARGET_APP_KEY=ta", "KSF_WDT_HJY_APP_ID=h", "KSF_WDT_HJY_APP_KEY=hk", "KSF_WDT_SID=sid",
	}
}

func TestRunStopsCleanly(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, 3) // this package's database on the real test server
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if SIGTERM came right after start
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-shutdown-timeout", "6s"}, workerEnv(rd.URL), &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"worker started", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), `"t"`) && strings.Contains(out.String(), "KSF_OMS_TOKEN=t") {
		t.Errorf("a secret reached the log:\n%s", out.String())
	}
}

func TestRunBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"invalid value", []string{"KSF_WORKER_CONCURRENCY=0"}, "KSF_WORKER_CONCURRENCY"},
		{"no redis", nil, "KSF_REDIS_URL"},
		{"no source credentials", []string{"KSF_REDIS_URL=redis://127.0.0.1:1"}, "KSF_OMS_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			if code := run(context.Background(), nil, tt.env, &out, &errOut); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("the error does not name %s:\n%s", tt.want, out.String())
			}
		})
	}
}
