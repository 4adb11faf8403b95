package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/replay"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// TestReplayedPush: a captured push re-sent under another msgId, dataType
// or tenantId (the digest covers none of them) is answered 200 "already
// queued" and queues nothing; it is logged and observed as "replayed".
func TestReplayedPush(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *webhook.Options, e *env) {
		o.Client, o.Replay = nil, replay.New(e.conn.Client, time.Hour) // as the receiver queues
	})
	tenant, other := "t-replay-"+t.Name(), "t-replay-other"
	orig := newPush(tenant, "m1", tasks.DataTypeStatement, goodData, newSecret)
	if code, a := e.do(orig.form()); code != 200 || a.ReturnMsg != "success" {
		t.Fatalf("original: %d %+v", code, a)
	}
	if code, a := e.do(orig.form()); code != 200 || a.ReturnMsg != "already queued" {
		t.Fatalf("勤策's retry: %d %+v", code, a)
	}
	for _, c := range []struct {
		name string
		p    push
	}{
		{"another msgId", orig.with("msgId", "m2")},
		{"another dataType", orig.with("msgId", "m3").with("dataType", tasks.DataTypeExpense)},
		{"another tenant", orig.with("tenantId", other)},
	} {
		code, a := e.do(c.p.form())
		if code != 200 || a.ReturnCode != "0" || a.ReturnMsg != "already queued" {
			t.Errorf("%s: %d %+v, want 200 already queued", c.name, code, a)
		}
	}
	if n, m := e.tasksOf(tenant), e.tasksOf(other); n != 1 || m != 0 {
		t.Errorf("tasks: %d of the tenant, %d of the other; want 1 and 0", n, m)
	}
	if got := strings.Count(e.obs.String(), "handled ksf_statement replayed") + strings.Count(e.obs.String(), "handled ksf_expense replayed"); got != 3 {
		t.Errorf("observer saw %d replays, want 3: %s", got, e.obs)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"outcome":"replayed"`) || !strings.Contains(logs, "first accepted as {tenant}:{msgId} "+tenant+":m1") {
		t.Errorf("log does not name the replay and the first push:\n%s", logs)
	}
}

// TestWrongMethodLoggedAndCounted: GET /waiqin/push is answered 405 and,
// like every push, logged and observed.
func TestWrongMethodLoggedAndCounted(t *testing.T) {
	t.Parallel()
	e := setup(t)
	code, a := e.do(httptest.NewRequest(http.MethodGet, webhook.PushPath, nil))
	if code != http.StatusMethodNotAllowed || !strings.Contains(a.ReturnMsg, "POST") {
		t.Errorf("GET: %d %+v", code, a)
	}
	if !strings.Contains(e.logs.String(), `"outcome":"method_not_allowed","status":405`) {
		t.Errorf("not logged:\n%s", e.logs)
	}
	if !strings.Contains(e.obs.String(), "handled other method_not_allowed") {
		t.Errorf("not observed: %s", e.obs)
	}
}
