package webhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

func ExampleNew() {
	mr, _ := miniredis.Run() // stands in for the real Redis
	defer mr.Close()
	conn, _ := redisconn.Open(config.Redis{URL: config.Secret("redis://" + mr.Addr())}, redisconn.Options{})
	defer conn.Close()

	v := digest.NewVerifier([]string{"s3cr3t"})
	h, _ := webhook.New(webhook.Options{
		Client:   asynq.NewClientFromRedisClient(conn.Client),
		Verifier: func(tenantID string) *digest.Verifier { return v },
		Ready:    conn.Ping,
	})

	// What 勤策 sends.
	data := `{"customer_code":"c1,c2","start_date":"2026-11-01","end_date":"2026-11-30"}`
	form := url.Values{
		"msgId": {"m-1"}, "tenantId": {"1234567"}, "dataType": {"ksf_statement"}, "timestamp": {"1763700000000"},
		"data": {data}, "digest": {digest.Push(data, "s3cr3t", "1763700000000")},
	}
	for range 2 { // 勤策 retries: the second is recognised
		r := httptest.NewRequest(http.MethodPost, webhook.PushPath, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 {"return_code":"0","return_msg":"success","msg_id":"m-1"}
	// 200 {"return_code":"0","return_msg":"already queued","msg_id":"m-1"}
}
