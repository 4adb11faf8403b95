package schedule

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// queue is an in-memory ksf:push queue keyed by TaskID, as asynq keys it.
type queue struct {
	mu    sync.Mutex
	tasks map[string]tasks.Push
	fail  error
}

func newQueue() *queue { return &queue{tasks: map[string]tasks.Push{}} }

func (q *queue) enqueue(_ context.Context, p tasks.Push) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return false, q.fail
	}
	if _, ok := q.tasks[p.TaskID()]; ok {
		return true, nil
	}
	q.tasks[p.TaskID()] = p
	return false, nil
}

func (q *queue) ids() map[string]tasks.Push {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[string]tasks.Push{}
	for k, v := range q.tasks {
		out[k] = v
	}
	return out
}

func mustSchedule(t *testing.T, sp Spec) Schedule {
	t.Helper()
	s, err := Parse(sp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func monthlyClose(t *testing.T) Schedule {
	return mustSchedule(t, Spec{Tenant: "1234567", Name: "monthly-close", Cron: "0 6 1 * *",
		DataTypes: []string{"ksf_statement", "ksf_expense"}, Period: "last_month"})
}

func TestTickFiresOnceWithThePeriodOfTheFireTime(t *testing.T) {
	t.Parallel()
	q := newQueue()
	s := New([]Schedule{monthlyClose(t)}, q.enqueue, Options{CatchUp: -1})
	ctx := context.Background()
	s.Tick(ctx, at("2026-11-30 23:59")) // started before: nothing due within a window of 0
	if n := len(q.ids()); n != 0 {
		t.Fatalf("queued %d before the fire time", n)
	}
	s.Tick(ctx, at("2026-12-01 06:00"))
	s.Tick(ctx, at("2026-12-01 06:01")) // the same fire time again: nothing more
	got := q.ids()
	want := "schedule:1234567:monthly-close:2026-11-01:2026-11-30"
	if len(got) != 2 {
		t.Fatalf("queued %v, want the run's two data types", got)
	}
	for _, dt := range []string{"ksf_statement", "ksf_expense"} {
		p, ok := got[want+":"+dt]
		if !ok {
			t.Fatalf("no task %s:%s in %v", want, dt, got)
		}
		if p.MsgID != want || p.Origin != "schedule:monthly-close" || p.Data.StartDate != "2026-11-01" ||
			p.Data.EndDate != "2026-11-30" || len(p.Data.CustomerCodes) != 0 || p.TenantID != "1234567" {
			t.Errorf("push %+v", p)
		}
	}
	// A late tick in the next year fires January's close with December's period.
	s.Tick(ctx, at("2027-01-01 06:03"))
	if _, ok := q.ids()["schedule:1234567:monthly-close:2026-12-01:2026-12-31:ksf_statement"]; !ok {
		t.Errorf("December's close not queued: %v", q.ids())
	}
}

func TestCatchUpWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		catchUp time.Duration
		start   string // the process starts (first Tick) then
		want    bool   // 1 December's run is queued
	}{
		{"down over the fire time, back within the default 24 h", 0, "2026-12-02 05:59", true},
		{"back after 24 h", 0, "2026-12-02 06:01", false},
		{"longer window", 72 * time.Hour, "2026-12-03 12:00", true},
		{"catch-up off", -1, "2026-12-01 06:05", false},
		{"started exactly at the fire time with catch-up off", -1, "2026-12-01 06:00", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := newQueue()
			s := New([]Schedule{monthlyClose(t)}, q.enqueue, Options{CatchUp: tc.catchUp})
			s.Tick(context.Background(), at(tc.start))
			s.Tick(context.Background(), at(tc.start).Add(time.Minute)) // and once only
			n := len(q.ids())
			if tc.want && n != 2 || !tc.want && n != 0 {
				t.Fatalf("queued %d tasks, want the run queued: %v", n, tc.want)
			}
		})
	}
}

func TestCatchUpQueuesOnlyTheLatestMissedRun(t *testing.T) {
	t.Parallel()
	q := newQueue()
	daily := mustSchedule(t, Spec{Tenant: "1", Name: "daily", Cron: "30 2 * * *", DataTypes: []string{"ksf_statement"}, Period: "days:1"})
	s := New([]Schedule{daily}, q.enqueue, Options{CatchUp: 72 * time.Hour})
	s.Tick(context.Background(), at("2026-12-04 01:00")) // missed the 1st, 2nd and 3rd
	got := q.ids()
	if len(got) != 1 {
		t.Fatalf("queued %v, want only the latest missed run", got)
	}
	if _, ok := got["schedule:1:daily:2026-12-02:2026-12-02:ksf_statement"]; !ok {
		t.Errorf("queued %v, want the 3 December run (period 2 December)", got)
	}
}

func TestFailedFireIsRetried(t *testing.T) {
	t.Parallel()
	q := newQueue()
	s := New([]Schedule{monthlyClose(t)}, q.enqueue, Options{CatchUp: -1})
	ctx := context.Background()
	s.Tick(ctx, at("2026-11-30 12:00"))
	q.mu.Lock()
	q.fail = errors.New("redis down")
	q.mu.Unlock()
	s.Tick(ctx, at("2026-12-01 06:00"))
	q.mu.Lock()
	q.fail = nil
	q.mu.Unlock()
	s.Tick(ctx, at("2026-12-01 06:05"))
	if n := len(q.ids()); n != 2 {
		t.Fatalf("after Redis came back: %d tasks, want the run queued", n)
	}
}

func TestRunNowAlwaysQueues(t *testing.T) {
	t.Parallel()
	q := newQueue()
	clock := &fakeClock{now: at("2026-12-03 10:00")}
	s := New([]Schedule{monthlyClose(t)}, q.enqueue, Options{Clock: clock})
	res, err := s.RunNow(context.Background(), "", "monthly-close")
	if err != nil {
		t.Fatal(err)
	}
	if res.RunID != "schedule:1234567:monthly-close:2026-11-01:2026-11-30:manual-20261203100000" || len(res.Queued) != 2 {
		t.Errorf("RunNow = %+v", res)
	}
	if _, err := s.RunNow(context.Background(), "1234567", "nope"); !errors.Is(err, ErrUnknownSchedule) {
		t.Errorf("RunNow of an unknown schedule = %v", err)
	}
}

// fakeClock: After answers a channel the test closes with Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waiting chan struct{} // signalled when a waiter is added
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	if c.waiting != nil {
		select {
		case c.waiting <- struct{}{}:
		default:
		}
	}
	return ch
}

// Advance moves the clock to t and wakes the waiters due.
func (c *fakeClock) Advance(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

func TestRunLoopFiresAtTheCronTime(t *testing.T) {
	t.Parallel()
	q := newQueue()
	clock := &fakeClock{now: at("2026-12-01 05:58"), waiting: make(chan struct{}, 1)}
	daily := mustSchedule(t, Spec{Tenant: "1", Name: "daily", Cron: "0 6 * * *", DataTypes: []string{"ksf_statement"}, Period: "month_to_date"})
	s := New([]Schedule{daily}, q.enqueue, Options{Clock: clock, CatchUp: -1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for _, step := range []string{"2026-12-01 05:59", "2026-12-01 06:00"} {
		<-clock.waiting // the loop sleeps
		clock.Advance(at(step))
	}
	<-clock.waiting // the loop has handled 06:00 and sleeps again
	if _, ok := q.ids()["schedule:1:daily:2026-12-01:2026-12-01:ksf_statement"]; !ok || len(q.ids()) != 1 {
		t.Fatalf("queued %v, want the 06:00 run", q.ids())
	}
}
