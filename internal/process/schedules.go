package process

import (
	"context"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/coalesce"
	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// startSchedules gives the handlers the coalescing claims and the run
// tracker, and starts this worker's scheduler loop (KSF_SCHEDULER).
func startSchedules(cfg *config.Config, conn *redisconn.Conn, client *asynq.Client, h *tasks.Handlers,
	m *metrics.Metrics, log zerolog.Logger) (*schedule.Process, error) {
	p, err := schedule.StartProcess(schedule.ProcessConfig{
		Schedules:  cfg.Schedules,
		Fire:       cfg.Scheduler,
		CatchUp:    cfg.ScheduleCatchUp,
		Redis:      conn.Client,
		Enqueue:    enqueueOn(client),
		Registerer: m.Registry(),
		Logger:     log,
	})
	if err != nil {
		return nil, err
	}
	if h.Coalescer == nil {
		h.Coalescer = coalesce.New(conn.Client, asynq.NewInspectorFromRedisClient(conn.Client), 0)
	}
	if h.Runs == nil {
		h.Runs = p.Runs
	}
	return p, nil
}

// adminSchedules serves the listing and "run now" of the receiver's admin
// API; it fires nothing by itself. (The worker's admin API uses the
// worker's own scheduler, whose runs are counted in its metrics.)
func adminSchedules(cfg *config.Config, conn *redisconn.Conn, client *asynq.Client) *schedule.Scheduler {
	return schedule.New(cfg.Schedules, enqueueOn(client), schedule.Options{Runs: schedule.NewRuns(conn.Client, nil)})
}

// enqueueOn queues pushes (resyncs, scheduled runs) through client.
func enqueueOn(client *asynq.Client) func(context.Context, tasks.Push) (bool, error) {
	return func(ctx context.Context, p tasks.Push) (bool, error) { return tasks.Enqueue(ctx, client, p) }
}
