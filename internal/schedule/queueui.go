package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/asynqwire"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// The queue UI (asynqmon) lists the schedulers asynq's own Scheduler
// registers. asynq's Scheduler is not used to fire runs: its task is fixed
// when registered (a run's id depends on the fire time), it knows no
// catch-up and no last-day rule, and it would enqueue besides. So the
// schedules are published in the same Redis records asynq's Scheduler
// writes (asynq v0.26's SchedulerEntry and SchedulerEnqueueEvent protobuf
// messages, internal/asynqwire), which the queue UI's Schedulers page
// reads. A test reads them back through asynq.Inspector, so an asynq upgrade
// that changes them fails the build's tests.
const (
	uiMaxEvents = 1000 // asynq keeps as many
	uiTTL       = 90 * time.Second
	uiEvery     = 30 * time.Second
)

// uiEntries is the one entry list every process running the scheduler
// writes (the same list from each).
var uiEntries = asynqwire.SchedulerEntriesKey("ksfsync")

// UIEntryID is the queue UI's id of a schedule's entry.
func UIEntryID(sch Schedule) string { return "ksfsync-" + sch.Tenant + "-" + sch.Name }

// publishUI writes every schedule's entry for the queue UI (every process
// running the scheduler writes the same list).
func (s *Scheduler) publishUI(ctx context.Context, rdb redis.UniversalClient) error {
	now := s.opt.Clock.Now()
	args := []any{int(uiTTL.Seconds())}
	for _, sch := range s.schedules {
		next := sch.Cron.Next(now)
		prev := time.Time{}
		if run, err := s.opt.Runs.Last(ctx, sch.Tenant, sch.Name); err == nil && run != nil && run.QueuedAt != nil {
			prev = *run.QueuedAt
		}
		start, end := sch.Period.Range(next)
		payload, _ := json.Marshal(map[string]any{"tenant_id": sch.Tenant, "schedule": sch.Name, "period": sch.Period.String(),
			"data_types": sch.DataTypes, "customer_codes": sch.Customers, "next_start_date": start, "next_end_date": end})
		opts := []string{fmt.Sprintf("Queue(%q)", tasks.QueuePush),
			fmt.Sprintf("TaskID(%q)", RunID(sch.Tenant, sch.Name, start, end)+":{data type}"),
			"Origin(" + tasks.ScheduleOrigin(sch.Name) + ")"}
		args = append(args, asynqwire.SchedulerEntry{ID: UIEntryID(sch), Spec: sch.Cron.String() + " (Asia/Shanghai)",
			TaskType: tasks.TypePush, Payload: payload, Options: opts, Next: next, Prev: prev}.Encode())
	}
	if err := rdb.ZAdd(ctx, asynqwire.AllSchedulers, redis.Z{Score: float64(now.Add(uiTTL).Unix()), Member: uiEntries}).Err(); err != nil {
		return err
	}
	return writeEntries.Run(ctx, rdb, []string{uiEntries}, args...).Err()
}

var writeEntries = redis.NewScript(`
redis.call("DEL", KEYS[1])
for i = 2, #ARGV do redis.call("LPUSH", KEYS[1], ARGV[i]) end
redis.call("EXPIRE", KEYS[1], ARGV[1])
return 1`)

// recordUIEvent adds a queued run to the entry's history in the queue UI.
func recordUIEvent(ctx context.Context, p redis.Pipeliner, sch Schedule, taskID string, at time.Time) {
	key := asynqwire.SchedulerHistoryKey(UIEntryID(sch))
	p.ZAdd(ctx, key, redis.Z{Score: float64(at.Unix()), Member: asynqwire.EncodeEnqueueEvent(taskID, at)})
	p.ZRemRangeByRank(ctx, key, 0, -uiMaxEvents-1)
}

// RunUI publishes the entries every 30 s until ctx ends (nothing without
// Options.Runs).
func (s *Scheduler) RunUI(ctx context.Context) {
	if s.opt.Runs == nil {
		return
	}
	rdb := s.opt.Runs.rdb
	for {
		if err := s.publishUI(ctx, rdb); err != nil && ctx.Err() == nil {
			s.opt.Logger.Debug().Err(err).Msg("publishing the schedules to the queue UI failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-s.opt.Clock.After(uiEvery):
		}
	}
}
