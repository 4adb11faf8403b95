// Package coalesce joins requests for the same statement into one job: a
// push and a scheduled run (or two pushes) that ask for the same tenant,
// kind, customer and period while the first job still waits are served by
// that job. It is a lock in Redis, keyed on the statement (not on the whole
// payload, as asynq's Unique option is), holding the id of the job that
// will build it, released when that job is done — so a request after
// completion builds again.
package coalesce

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/tasks"
)

// DefaultTTL bounds a claim whose job never released it (a worker killed,
// the task deleted): longer than a sync job's whole retry window (about
// 2.4 h), so a job waiting for its next retry keeps its claim.
const DefaultTTL = 4 * time.Hour

// KeyPrefix starts every claim's key.
const KeyPrefix = "ksf:coalesce:"

// Key is the claim of one statement. The customer code is last, so a code
// containing ':' cannot collide with another tenant's key.
func Key(s tasks.Sync) string {
	return KeyPrefix + s.TenantID + ":" + s.Kind() + ":" + s.StartDate + ":" + s.EndDate + ":" + s.CustomerCode
}

// TaskStater tells a sync task's state (*asynq.Inspector does).
type TaskStater interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

// Locks implements tasks.Coalescer on Redis.
type Locks struct {
	rdb   redis.UniversalClient
	tasks TaskStater
	ttl   time.Duration
}

// New returns Locks on rdb; ts reads the holder's state (the queue sync).
// ttl 0 = DefaultTTL.
func New(rdb redis.UniversalClient, ts TaskStater, ttl time.Duration) *Locks {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Locks{rdb: rdb, tasks: ts, ttl: ttl}
}

var _ tasks.Coalescer = (*Locks)(nil)

// Claim takes the claim of s's statement for job id, or answers the job
// holding it when that job still waits (pending, scheduled or waiting for a
// retry). A holder that is running is not joined — it may have read the
// sources before this request was made — and a holder that is done, archived
// or gone (its claim left behind) is replaced.
func (l *Locks) Claim(ctx context.Context, s tasks.Sync, id string) (string, error) {
	key := Key(s)
	for range 3 {
		ok, err := l.rdb.SetNX(ctx, key, id, l.ttl).Result()
		if err != nil {
			return "", fmt.Errorf("claim %s: %w", key, err)
		}
		if ok {
			return id, nil
		}
		holder, err := l.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return "", fmt.Errorf("read claim %s: %w", key, err)
		}
		if holder == id { // a re-run of the same fan-out
			return id, nil
		}
		info, err := l.syncTaskInfo(holder)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		case err != nil:
			return "", fmt.Errorf("state of %s: %w", holder, err)
		case info.State == asynq.TaskStatePending || info.State == asynq.TaskStateScheduled || info.State == asynq.TaskStateRetry:
			return holder, nil
		case info.State == asynq.TaskStateActive:
			return "", nil // build again after it; the claim stays with the running job
		}
		// Done, archived or gone: take the claim over, unless it changed.
		swapped, err := swap.Run(ctx, l.rdb, []string{key}, holder, id, l.ttl.Milliseconds()).Int()
		if err != nil {
			return "", fmt.Errorf("take over claim %s: %w", key, err)
		}
		if swapped == 1 {
			return id, nil
		}
	}
	return "", nil // contended: queue it, a duplicate build is harmless
}

// syncTaskInfo finds the sync task id in either lane: a holder may be an
// interactive job (a small push) or a bulk one (a scheduled run).
func (l *Locks) syncTaskInfo(id string) (*asynq.TaskInfo, error) {
	var err error
	for _, q := range []string{tasks.QueueInteractive, tasks.QueueSync} {
		var info *asynq.TaskInfo
		info, err = l.tasks.GetTaskInfo(q, id)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
			return nil, err
		}
	}
	return nil, err
}

// Release drops the claim if id still holds it.
func (l *Locks) Release(ctx context.Context, s tasks.Sync, id string) error {
	return release.Run(ctx, l.rdb, []string{Key(s)}, id).Err()
}

var (
	swap = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
  return 1
end
return 0`)
	release = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
)
