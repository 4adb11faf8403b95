package webhook_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// slowConn opens a connection to srv that declares a body of declared bytes
// and sends only the first sent of them.
func slowConn(t *testing.T, srv *httptest.Server, declared, sent int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	head := "POST " + webhook.PushPath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
		strconv.Itoa(declared) + "\r\n\r\n" + strings.Repeat("x", sent)
	if _, err := c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	return c
}

type slowAnswer struct {
	status int
	after  time.Duration
	err    error
}

// await reads the answer on c, giving up after limit (the client's own
// deadline, so a server that never answers fails the test instead of
// hanging it).
func await(c net.Conn, start time.Time, limit time.Duration) <-chan slowAnswer {
	out := make(chan slowAnswer, 1)
	go func() {
		_ = c.SetReadDeadline(start.Add(limit))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			out <- slowAnswer{err: err, after: time.Since(start)}
			return
		}
		resp.Body.Close()
		out <- slowAnswer{status: resp.StatusCode, after: time.Since(start)}
	}()
	return out
}

// TestSlowBodyDeadline: a body that never completes is answered and its
// connection closed once the body deadline has passed, instead of holding
// its buffer for ever.
func TestSlowBodyDeadline(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *webhook.Options, _ *env) { o.BodyTimeout = 300 * time.Millisecond })
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	start := time.Now()
	c := slowConn(t, srv, 1000, 10)
	a := <-await(c, start, 5*time.Second)
	if a.err != nil {
		t.Fatalf("no answer within 5 s of a 300 ms body deadline: %v", a.err)
	}
	if a.status != http.StatusBadRequest || a.after < 300*time.Millisecond {
		t.Errorf("answered %d after %s, want 400 after the 300 ms deadline", a.status, a.after)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after the answer")
	}
	if !strings.Contains(e.logs.String(), "did not arrive in time") {
		t.Errorf("log does not say why:\n%s", e.logs)
	}
}

// TestLargeBodiesCapped: with one large body being read, a second large one
// gets a fast 503 (勤策 retries), while a small push still goes through.
func TestLargeBodiesCapped(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *webhook.Options, _ *env) {
		o.BodyTimeout = 2 * time.Second
		o.MaxLargeBodies = 1
	})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	start := time.Now()
	big := webhook.LargeBodyBytes + 1000
	a1 := await(slowConn(t, srv, big, 100), start, 5*time.Second)
	a2 := await(slowConn(t, srv, big, 100), start, 5*time.Second)
	// Whichever came second is refused at once; the other is held until
	// its deadline.
	var first slowAnswer
	var other <-chan slowAnswer
	select {
	case first = <-a1:
		other = a2
	case first = <-a2:
		other = a1
	}
	if first.err != nil || first.status != http.StatusServiceUnavailable || first.after > time.Second {
		t.Fatalf("second large body: %d after %s (%v), want a fast 503", first.status, first.after, first.err)
	}
	// The slot is taken: a small push is not affected.
	p := newPush("t-small", "m-small", tasks.DataTypeStatement, goodData, newSecret)
	resp, err := http.Post(srv.URL+webhook.PushPath, "application/x-www-form-urlencoded", strings.NewReader(p.fields.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("small push while the large slot is taken: %d, want 200", resp.StatusCode)
	}
	if a := <-other; a.err != nil || a.status != http.StatusBadRequest {
		t.Errorf("held large body: %d after %s (%v), want 400 at its deadline", a.status, a.after, a.err)
	}
	if got := e.obs.String(); !strings.Contains(got, "busy") {
		t.Errorf("observer did not see the busy outcome: %s", got)
	}
}
