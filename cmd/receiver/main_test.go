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
	env := []string{"KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=127.0.0.1:0"}
	if code := run(ctx, nil, env, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"receiver started", "stopping", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunBadConfiguration(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, []string{"KSF_HTTP_ADDRESS=:1"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(out.String(), "KSF_HTTP_ADDRESS") {
		t.Errorf("the error does not name the variable:\n%s", out.String())
	}
	if code := run(context.Background(), []string{"-nope"}, nil, &out, &errOut); code != 2 {
		t.Fatalf("exit %d on a bad flag, want 2", code)
	}
}
