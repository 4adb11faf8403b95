package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if SIGTERM came right after start
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-shutdown-timeout", "6s"}, []string{"KSF_ADMIN_ADDR=127.0.0.1:0"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"worker started", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunBadConfiguration(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, []string{"KSF_WORKER_CONCURRENCY=0"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(out.String(), "KSF_WORKER_CONCURRENCY") {
		t.Errorf("the error does not name the variable:\n%s", out.String())
	}
}
