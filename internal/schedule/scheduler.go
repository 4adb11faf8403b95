package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// DefaultCatchUp is how late a missed run may still be queued when a
// process starts (Options.CatchUp).
const DefaultCatchUp = 24 * time.Hour

// MaxCatchUp keeps a caught-up run recognisable as already queued: a queued
// run's ksf:push task is kept tasks.PushRetention (11 days).
const MaxCatchUp = 7 * 24 * time.Hour

// retryFor is how long a fire that failed (Redis unreachable) is retried at
// least, when the catch-up window is shorter.
const retryFor = 15 * time.Minute

// maxWait is the longest the loop sleeps, so a wall-clock change or a failed
// fire is looked at again within a minute.
const maxWait = time.Minute

// RunID is a scheduled run's id: schedule:{tenantId}:{name}:{start}:{end}.
func RunID(tenant, name, start, end string) string {
	return tasks.ScheduleRunIDPrefix + tenant + ":" + name + ":" + start + ":" + end
}

// EnqueueFunc queues one ksf:push task (tasks.Enqueue has this shape).
type EnqueueFunc func(ctx context.Context, p tasks.Push) (alreadyQueued bool, err error)

// Clock is the time the scheduler sees; tests inject one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options tune a Scheduler. Zero values are the defaults.
type Options struct {
	// CatchUp: a run whose fire time passed while no process ran is queued
	// at start if it is at most this late. 0 = DefaultCatchUp; negative = no
	// catch-up.
	CatchUp time.Duration
	Clock   Clock // nil = the real clock
	Logger  zerolog.Logger
	// Runs records runs for the listing and the metrics; nil = none.
	Runs *Runs
	// Metrics counts fires; nil = none.
	Metrics *Metrics
}

// Scheduler fires the schedules of one process. Any number of processes may
// run the same schedules on one Redis: each run is queued once.
type Scheduler struct {
	schedules []Schedule
	enqueue   EnqueueFunc
	opt       Options

	mu   sync.Mutex
	done map[string]time.Time // per schedule key: the latest fire time handled
}

// New returns a scheduler of schedules that queues runs with enqueue.
func New(schedules []Schedule, enqueue EnqueueFunc, opt Options) *Scheduler {
	if opt.CatchUp == 0 {
		opt.CatchUp = DefaultCatchUp
	}
	if opt.CatchUp < 0 {
		opt.CatchUp = 0
	}
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	return &Scheduler{schedules: schedules, enqueue: enqueue, opt: opt, done: map[string]time.Time{}}
}

// Schedules are the scheduler's schedules.
func (s *Scheduler) Schedules() []Schedule { return s.schedules }

// Result is what one fire of a schedule queued.
type Result struct {
	Tenant   string    `json:"tenant"`
	Schedule string    `json:"schedule"`
	RunID    string    `json:"run_id"`
	FireTime time.Time `json:"fire_time"`
	Start    string    `json:"start_date"`
	End      string    `json:"end_date"`
	// Queued are the data types queued now; AlreadyQueued those another
	// process (or an earlier fire) queued before.
	Queued        []string `json:"queued"`
	AlreadyQueued []string `json:"already_queued"`
}

// Fire queues the run of sch fired at at: one ksf:push per data type, the
// period computed from at (not from now, so late processes ask the same).
// runID "" = the schedule's run id for the period.
func (s *Scheduler) Fire(ctx context.Context, sch Schedule, at time.Time, runID string) (Result, error) {
	start, end := sch.Period.Range(at)
	manual := runID != ""
	if !manual {
		runID = RunID(sch.Tenant, sch.Name, start, end)
	}
	res := Result{Tenant: sch.Tenant, Schedule: sch.Name, RunID: runID, FireTime: at.In(Zone), Start: start, End: end,
		Queued: []string{}, AlreadyQueued: []string{}}
	data, err := tasks.NewPushData(sch.Customers, start, end)
	if err != nil {
		return res, err
	}
	now := s.opt.Clock.Now()
	if err := s.opt.Runs.begin(ctx, sch, res, len(sch.DataTypes), now); err != nil {
		return res, err
	}
	var errs []error
	for _, dt := range sch.DataTypes {
		already, err := s.enqueue(ctx, tasks.Push{TenantID: sch.Tenant, MsgID: runID, DataType: dt,
			Timestamp: fmt.Sprint(at.UnixMilli()), Data: data, Origin: tasks.ScheduleOrigin(sch.Name), ReceivedAt: now})
		switch {
		case err != nil:
			errs = append(errs, err)
		case already:
			res.AlreadyQueued = append(res.AlreadyQueued, dt)
		default:
			res.Queued = append(res.Queued, dt)
		}
	}
	outcome := OutcomeQueued
	switch {
	case len(errs) > 0:
		outcome = OutcomeError
	case len(res.Queued) == 0:
		outcome = OutcomeAlreadyQueued
	}
	s.opt.Metrics.fired(sch, outcome)
	if len(res.Queued) > 0 {
		if err := s.opt.Runs.queued(ctx, sch, runID); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && !manual {
		if err := s.opt.Runs.fired(ctx, sch, at); err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// Tick fires every schedule whose latest fire time at or before now has not
// been handled yet: once per schedule however many fire times were missed
// (the latest), and only if it is at most the catch-up window late — or, for
// a fire that failed, still within its retry time. The first Tick of a
// process is its catch-up.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) {
	for _, sch := range s.schedules {
		at := sch.Cron.Prev(now)
		if at.IsZero() {
			continue
		}
		s.mu.Lock()
		done, seen := s.done[sch.Key()]
		s.mu.Unlock()
		if seen && !at.After(done) {
			continue
		}
		late := now.Sub(at)
		limit := s.opt.CatchUp
		if seen && limit < retryFor {
			limit = retryFor // a fire this process was up for, or one that failed
		}
		if !seen && late > s.opt.CatchUp {
			s.markDone(sch, at) // beyond the window: not caught up
			if fired, err := s.opt.Runs.LastFired(ctx, sch.Tenant, sch.Name); err != nil || fired.Before(at) {
				s.opt.Logger.Warn().Str("tenant", sch.Tenant).Str("schedule", sch.Name).Time("fire_time", at).
					Dur("late", late).Dur("catch_up", s.opt.CatchUp).
					Msg("scheduled run missed beyond the catch-up window: not queued (ksfctl schedules run starts it)")
			}
			continue
		}
		log := s.opt.Logger.With().Str("tenant", sch.Tenant).Str("schedule", sch.Name).Time("fire_time", at).Logger()
		res, err := s.Fire(ctx, sch, at, "")
		if err != nil {
			if late > limit {
				s.markDone(sch, at)
				log.Error().Err(err).Msg("scheduled run could not be queued and its retry time is over: run it by hand (ksfctl schedules run)")
			} else {
				log.Warn().Err(err).Msg("scheduled run could not be queued; trying again")
			}
			continue
		}
		s.markDone(sch, at)
		ev := log.Info()
		if late > maxWait {
			ev = ev.Bool("caught_up", true).Dur("late", late)
		}
		ev.Str("run_id", res.RunID).Strs("queued", res.Queued).Strs("already_queued", res.AlreadyQueued).Msg("scheduled run")
	}
}

func (s *Scheduler) markDone(sch Schedule, at time.Time) {
	s.mu.Lock()
	s.done[sch.Key()] = at
	s.mu.Unlock()
}

// Run catches up, then fires each schedule at its times until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	if len(s.schedules) == 0 {
		return
	}
	clock := s.opt.Clock
	for {
		now := clock.Now()
		s.Tick(ctx, now)
		wait := maxWait
		if next := s.NextAfter(now); !next.IsZero() && next.Sub(now) < wait {
			wait = next.Sub(now)
		}
		select {
		case <-ctx.Done():
			return
		case <-clock.After(wait):
		}
	}
}

// NextAfter is the earliest fire time of any schedule after t.
func (s *Scheduler) NextAfter(t time.Time) time.Time {
	var next time.Time
	for _, sch := range s.schedules {
		if n := sch.Cron.Next(t); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

// ErrUnknownSchedule: no schedule of that tenant and name.
var ErrUnknownSchedule = errors.New("unknown schedule")

// Find returns the schedule of tenant (or the only tenant with a schedule of
// that name, when tenant is "") named name.
func (s *Scheduler) Find(tenant, name string) (Schedule, error) {
	var found []Schedule
	for _, sch := range s.schedules {
		if sch.Name == name && (tenant == "" || sch.Tenant == tenant) {
			found = append(found, sch)
		}
	}
	switch len(found) {
	case 0:
		return Schedule{}, fmt.Errorf("%w %q (tenant %q)", ErrUnknownSchedule, name, tenant)
	case 1:
		return found[0], nil
	}
	return Schedule{}, fmt.Errorf("%w: several tenants have a schedule %q: name the tenant", ErrUnknownSchedule, name)
}

// RunNow queues a run of the named schedule now, for the period as of now.
// It always queues (its id is the run id with :manual-{yyyyMMddHHmmss}), so
// it rebuilds even when the period's scheduled run was done.
func (s *Scheduler) RunNow(ctx context.Context, tenant, name string) (Result, error) {
	sch, err := s.Find(tenant, name)
	if err != nil {
		return Result{}, err
	}
	now := s.opt.Clock.Now().In(Zone)
	start, end := sch.Period.Range(now)
	return s.Fire(ctx, sch, now, RunID(sch.Tenant, sch.Name, start, end)+":manual-"+now.Format("20060102150405"))
}
