package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// Redis keys of the run records.
const (
	runKeyPrefix  = "ksf:schedule:run:"   // + run id: a hash, see Run
	lastKeyPrefix = "ksf:schedule:last:"  // + tenant:name: the id of the schedule's latest queued run
	firedPrefix   = "ksf:schedule:fired:" // + tenant:name: the latest fire time whose run is queued (Unix s); never expires
)

// RunRetention keeps a run record (as long as the ksf:push audit trail
// and more): the listing and the metrics read the latest.
const RunRetention = 40 * 24 * time.Hour

// Run is the progress of one scheduled run, kept in Redis so that every
// process (and the metrics of every process) sees the same.
type Run struct {
	ID          string     `json:"run_id"`
	QueuedAt    *time.Time `json:"queued_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"` // every job of the run saved or reported
	Pushes      int        `json:"pushes"`                 // data types asked
	FannedOut   int        `json:"fanned_out"`             // of those, fanned out
	Jobs        int        `json:"jobs"`                   // sync jobs of the run
	Done        int        `json:"done"`                   // of those, saved
	Failed      int        `json:"failed"`                 // of those, failed for good (reported to 勤策)
	Coalesced   int        `json:"coalesced"`              // customers served by another request's job
}

// Runs keeps run records in Redis and follows runs to completion
// (tasks.RunTracker). A nil *Runs records nothing.
type Runs struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewRuns returns the run records on rdb; now nil = time.Now.
func NewRuns(rdb redis.UniversalClient, now func() time.Time) *Runs {
	if now == nil {
		now = time.Now
	}
	return &Runs{rdb: rdb, now: now}
}

var _ tasks.RunTracker = (*Runs)(nil)

func runKey(id string) string            { return runKeyPrefix + id }
func lastKey(tenant, name string) string { return lastKeyPrefix + tenant + ":" + name }

// begin creates the run's record before its tasks are queued (a fan-out
// may finish before Fire returns). Every process firing it writes the same.
func (r *Runs) begin(ctx context.Context, sch Schedule, res Result, pushes int, now time.Time) error {
	if r == nil {
		return nil
	}
	k := runKey(res.RunID)
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, k, "tenant", sch.Tenant)
		p.HSetNX(ctx, k, "schedule", sch.Name)
		p.HSetNX(ctx, k, "pushes", pushes)
		p.HSetNX(ctx, k, "created_at", now.Unix())
		p.Expire(ctx, k, RunRetention)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record run %s: %w", res.RunID, err)
	}
	return nil
}

// queued records that this process queued the run: the schedule's latest.
func (r *Runs) queued(ctx context.Context, sch Schedule, runID string) error {
	if r == nil {
		return nil
	}
	// Not a transaction: the keys live in different hash slots on a Redis
	// Cluster (asynq's queue-UI keys among them); each write stands alone.
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, runKey(runID), "queued_at", r.now().Unix())
		p.Set(ctx, lastKey(sch.Tenant, sch.Name), runID, RunRetention)
		recordUIEvent(ctx, p, sch, runID, r.now())
		return nil
	})
	if err != nil {
		return fmt.Errorf("record run %s: %w", runID, err)
	}
	return nil
}

// fired records that the run of fire time at is queued (by this process or
// another): the alert on a missed run compares it with the due time. The
// key does not expire (one per schedule): a schedule firing less often
// than RunRetention would otherwise lose its last fire and look never run.
func (r *Runs) fired(ctx context.Context, sch Schedule, at time.Time) error {
	if r == nil {
		return nil
	}
	return setMax.Run(ctx, r.rdb, []string{firedPrefix + sch.Tenant + ":" + sch.Name}, at.Unix()).Err()
}

var setMax = redis.NewScript(`
local cur = tonumber(redis.call("GET", KEYS[1]) or "0")
if tonumber(ARGV[1]) > cur then redis.call("SET", KEYS[1], ARGV[1]) end
return 1`)

// LastFired is the latest fire time whose run is queued (zero if none).
func (r *Runs) LastFired(ctx context.Context, tenant, name string) (time.Time, error) {
	if r == nil {
		return time.Time{}, nil
	}
	v, err := r.rdb.Get(ctx, firedPrefix+tenant+":"+name).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(v, 0).In(Zone), nil
}

// progress adds to a run's counters, if the run is one the scheduler
// recorded, and marks it complete when every data type is fanned out and
// every job is done.
var progress = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call("HINCRBY", KEYS[1], ARGV[i], ARGV[i+1]) end
local v = redis.call("HMGET", KEYS[1], "pushes", "fanned_out", "jobs", "done", "failed", "completed_at")
local pushes, fanned, jobs = tonumber(v[1] or "0"), tonumber(v[2] or "0"), tonumber(v[3] or "0")
local finished = tonumber(v[4] or "0") + tonumber(v[5] or "0")
if not v[6] and pushes > 0 and fanned >= pushes and finished >= jobs then
  redis.call("HSET", KEYS[1], "completed_at", ARGV[1])
end
return 1`)

func (r *Runs) add(ctx context.Context, runID string, kv ...any) error {
	if r == nil || !strings.HasPrefix(runID, tasks.ScheduleRunIDPrefix) {
		return nil
	}
	args := append([]any{r.now().Unix()}, kv...)
	return progress.Run(ctx, r.rdb, []string{runKey(runID)}, args...).Err()
}

// FannedOut implements tasks.RunTracker: one data type of the run fanned out.
func (r *Runs) FannedOut(ctx context.Context, p tasks.Push, res tasks.PushResult) error {
	return r.add(ctx, p.MsgID, "fanned_out", 1, "jobs", res.FannedOut+res.AlreadyQueued, "coalesced", res.Coalesced)
}

// SyncDone implements tasks.RunTracker: one job of the run saved (ok) or
// reported as failed.
func (r *Runs) SyncDone(ctx context.Context, s tasks.Sync, ok bool) error {
	field := "done"
	if !ok {
		field = "failed"
	}
	return r.add(ctx, s.MsgID, field, 1)
}

// Last is the schedule's latest queued run, nil if none is recorded.
func (r *Runs) Last(ctx context.Context, tenant, name string) (*Run, error) {
	if r == nil {
		return nil, nil
	}
	id, err := r.rdb.Get(ctx, lastKey(tenant, name)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, id)
}

// Get reads one run's record, nil if none.
func (r *Runs) Get(ctx context.Context, id string) (*Run, error) {
	m, err := r.rdb.HGetAll(ctx, runKey(id)).Result()
	if err != nil || len(m) == 0 {
		return nil, err
	}
	n := func(k string) int { v, _ := strconv.Atoi(m[k]); return v }
	at := func(k string) *time.Time {
		v, err := strconv.ParseInt(m[k], 10, 64)
		if err != nil || v == 0 {
			return nil
		}
		t := time.Unix(v, 0).In(Zone)
		return &t
	}
	return &Run{ID: id, QueuedAt: at("queued_at"), CompletedAt: at("completed_at"), Pushes: n("pushes"),
		FannedOut: n("fanned_out"), Jobs: n("jobs"), Done: n("done"), Failed: n("failed"), Coalesced: n("coalesced")}, nil
}
