package process

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

// TestReceiverBusyPort: a push address in use fails Open with the variable
// to change, and leaves no Redis connection behind.
func TestReceiverBusyPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg, err := config.Load([]string{"KSF_REDIS_URL=redis://127.0.0.1:1", "KSF_PUSH_SECRET=s", "KSF_ADMIN_ADDR=127.0.0.1:0"},
		func(string) ([]byte, error) { return nil, io.EOF })
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPAddr = ln.Addr().String()
	r := NewReceiver(cfg, zerolog.Nop())
	if err := r.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "KSF_HTTP_ADDR") {
		t.Fatalf("Open on a busy port = %v", err)
	}
	if r.conn != nil {
		t.Error("Redis left open after a failed Open")
	}
}

// TestReceiverDrains: Close waits for a request in flight to be answered.
func TestReceiverDrains(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t, 12) // the package's database (app_test.go: testDB)
	cfg, err := config.Load([]string{"KSF_REDIS_URL=" + rd.URL, "KSF_PUSH_SECRET=s", "KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=127.0.0.1:0"},
		func(string) ([]byte, error) { return nil, io.EOF })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
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
