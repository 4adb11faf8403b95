package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

func TestClassification(t *testing.T) {
	t.Parallel()
	perm := &upstream.Error{Vendor: "oms", Op: "ar.getList", Code: "1003", Message: "签名错误", Permanent: true}
	trans := &upstream.Error{Vendor: "wdt", Op: "bills", Message: "busy"}
	wrapped := fmt.Errorf("sync c1: %w", perm)
	tests := []struct {
		name      string
		err       error
		permanent bool
		transient bool
	}{
		{"permanent", perm, true, false},
		{"wrapped permanent", wrapped, true, false},
		{"transient", trans, false, true},
		{"plain error", errors.New("boom"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := retry.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v", got)
			}
			if got := errors.Is(tt.err, upstream.ErrTransient); got != tt.transient {
				t.Errorf("Is(ErrTransient) = %v", got)
			}
		})
	}
	if e, ok := upstream.As(wrapped); !ok || e.Code != "1003" {
		t.Fatalf("As = %v %v", e, ok)
	}
	if got := perm.Error(); got != "oms ar.getList: code 1003: 签名错误" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestPermanentStatus(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{400: true, 401: true, 403: true, 404: true, 408: false, 429: false, 500: false, 502: false, 503: false} {
		if got := upstream.PermanentStatus(status); got != want {
			t.Errorf("PermanentStatus(%d) = %v", status, got)
		}
	}
	_ = http.StatusOK
}

func TestTransportRedactsURL(t *testing.T) {
	t.Parallel()
	cause := errors.New("connection refused")
	err := upstream.Transport("waiqin", "saveStatement", context.Background(),
		&url.Error{Op: "Post", URL: "https://x/api/ksfStatement/v1/saveStatement/openid/20260101/SECRETDIGEST/id", Err: cause})
	var ue *url.Error
	if strings.Contains(err.Error(), "SECRETDIGEST") || errors.As(err, &ue) || !errors.Is(err, upstream.ErrTransient) || !errors.Is(err, cause) {
		t.Fatalf("Transport = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := upstream.Transport("waiqin", "x", ctx, cause); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled = %v", err)
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{nil, upstream.OutcomeOK},
		{&upstream.Error{Permanent: true}, upstream.OutcomePermanent},
		{&upstream.Error{Err: context.DeadlineExceeded}, upstream.OutcomeTransient},
		{fmt.Errorf("x: %w", context.Canceled), upstream.OutcomeCanceled},
		{errors.New("eof"), upstream.OutcomeTransient},
	}
	for _, tt := range tests {
		if got := upstream.Outcome(tt.err); got != tt.want {
			t.Errorf("Outcome(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestSaysBusy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		msg  string
		more []string
		want bool
	}{
		{"系统繁忙，请稍后再试", nil, true},
		{"Rate Limit exceeded", nil, true},
		{"request Timed Out", nil, true},
		{"对账单号为空", nil, false},
		{"字段长度超过限制", nil, false},             // a validation refusal, for most vendors
		{"调用次数超过限制", []string{"超过限制"}, true}, // 精斗云's rate limit
	} {
		if got := upstream.SaysBusy(c.msg, c.more...); got != c.want {
			t.Errorf("SaysBusy(%q, %q) = %v, want %v", c.msg, c.more, got, c.want)
		}
	}
}
