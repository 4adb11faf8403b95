package process

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/lane"
	"github.com/ksfsync/ksfsync/internal/logging"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/ratelimit"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/vendors"
)

// DefaultQueues are the queues a worker serves with their priority weights
// (asynq's weighted priority: a free goroutine tries the queues in an order
// drawn with these weights). The push fan-out is quick and gates everything
// else; interactive sync work (someone is waiting) is taken ahead of bulk
// sync work about 2:1, and bulk, when the others are backlogged too, still
// comes first in 3 of 16 draws, so it is never starved; error reports are
// rare.
var DefaultQueues = map[string]int{tasks.QueuePush: 6, tasks.QueueInteractive: 6, tasks.QueueSync: 3, tasks.QueueReport: 1}

// DefaultTaskCheckInterval is how long an idle worker waits before looking
// at its queues again: asynq sleeps a random ½–1½ of it whenever a look
// finds every queue empty. asynq's own default, 1 s, costs a push two such
// waits (its ksf:push job, then its sync jobs) — p50 ≈ 0.7 s at idle; 100 ms
// brings that under 0.2 s for ≈ 40 small Redis scripts a second per idle
// worker (docs/worker.md, "Idle latency").
const DefaultTaskCheckInterval = 100 * time.Millisecond

// Worker is the worker process: an asynq server on the push, sync and report
// queues running the task handlers, a durable record of every job that
// failed for good, and the admin listener (API, queue UI, metrics).
type Worker struct {
	Config *config.Config
	Logger zerolog.Logger
	// Mux routes task kinds to handlers; Open registers Handlers on it.
	Mux *asynq.ServeMux
	// Handlers process the tasks; nil = the vendors Config names
	// (vendors.NewShared, rate limits shared through Redis). Tests and the demo may set their own; a nil Enqueuer is
	// filled with the worker's Redis.
	Handlers *tasks.Handlers
	// Metrics collects the worker's series; nil = a new set.
	Metrics *metrics.Metrics
	// RetryDelay spaces a failed task's retries; nil = tasks.RetryDelay.
	RetryDelay asynq.RetryDelayFunc
	// CaptureEvery is how often archived tasks asynq archived without
	// telling (a worker killed mid-job) are recorded; 0 = 10 minutes.
	CaptureEvery time.Duration
	// Queues served, with weights; nil = DefaultQueues.
	Queues map[string]int
	// TaskCheckInterval: see DefaultTaskCheckInterval (the zero value).
	TaskCheckInterval time.Duration
	// ShutdownTimeout is how long Close lets running tasks finish before
	// they are put back in their queue. Default 25 s (within Docker's 30 s).
	ShutdownTimeout time.Duration
	// AdminDefaultTenant is the tenant of a resync that names none; "" =
	// KSF_TENANT_ID (the demo sets its own).
	AdminDefaultTenant string
	// RedisOptions: zero = a 2 s dial and 3 s read timeout, roomier than the
	// receiver's since no one waits on the worker's Redis calls.
	RedisOptions redisconn.Options

	conn     *redisconn.Conn
	server   *asynq.Server
	adminL   *adminListener
	errc     chan error
	stop     context.CancelFunc // ends the capture loop
	captured chan struct{}      // closed when the capture loop has ended
	sched    *schedule.Process  // scheduled runs (KSF_SCHEDULER)
	history  *history.Async     // the run history's writer
}

// NewWorker returns a worker for cfg with an empty Mux; Open starts it.
func NewWorker(cfg *config.Config, log zerolog.Logger) *Worker {
	return &Worker{Config: cfg, Logger: log, Mux: asynq.NewServeMux(), errc: make(chan error, 1)}
}

// Conn is the worker's Redis, once Open (for handlers that enqueue).
func (w *Worker) Conn() *redisconn.Conn { return w.conn }

// Open connects Redis, starts processing and the admin listener.
func (w *Worker) Open(ctx context.Context) (err error) {
	cfg, log := w.Config, w.Logger
	if err := checkAdminToken(cfg, cfg.AdminListen(config.DefaultWorkerAdminAddr), log); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = w.Close(context.Background())
		}
	}()
	o := w.RedisOptions
	if o == (redisconn.Options{}) {
		o = redisconn.Options{DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, PoolTimeout: 4 * time.Second}
	}
	if w.conn, err = redisconn.Open(cfg.Redis, o); err != nil {
		return err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err = w.conn.CheckConfig(pingCtx)
	cancel()
	switch {
	case redisconn.Misconfigured(err): // permanent: refuse to start
		return err
	case err != nil:
		log.Warn().Err(err).Str("redis", w.conn.String()).Msg("redis does not answer yet: jobs wait until it does")
	}
	queues := w.Queues
	if queues == nil {
		queues = DefaultQueues
	}
	shutdown := w.ShutdownTimeout
	if shutdown == 0 {
		shutdown = 25 * time.Second
	}
	if w.Metrics == nil {
		w.Metrics = metrics.New()
	}
	client := asynq.NewClientFromRedisClient(w.conn.Client)
	store := failures.New(w.conn.Client, failures.Options{})
	h := w.Handlers
	if h == nil {
		// Vendor rate limits are totals across processes, kept in Redis.
		set, err := vendors.NewShared(cfg, w.Metrics, ratelimit.New(w.conn.Client), log)
		if err != nil {
			return err
		}
		h = set.Handlers(client, w.Metrics, log)
	}
	if h.Enqueuer == nil {
		h.Enqueuer = client
	}
	if h.InteractiveMax == 0 {
		h.InteractiveMax = cfg.InteractiveMaxCustomers
	}
	// Coalescing, run tracking and the scheduler (schedules.go).
	if w.sched, err = startSchedules(cfg, w.conn, client, h, w.Metrics, log); err != nil {
		return err
	}
	// Run history: every sync job's end is recorded, in the
	// background; Close writes what is left.
	hist := newHistory(cfg, w.conn.Client, w.Metrics, log)
	if h.Recorder == nil {
		w.history = history.NewAsync(hist, 0)
		h.Recorder = w.history
	}
	h.Register(w.Mux)
	w.Mux.Use(store.Middleware(log), markLane)
	checkEvery := w.TaskCheckInterval
	if checkEvery == 0 {
		checkEvery = DefaultTaskCheckInterval
	}
	retryDelay := w.RetryDelay
	if retryDelay == nil {
		retryDelay = tasks.RetryDelay
	}
	w.server = asynq.NewServerFromRedisClient(w.conn.Client, asynq.Config{
		Concurrency:       cfg.WorkerConcurrency,
		Queues:            queues,
		TaskCheckInterval: checkEvery,
		RetryDelayFunc:    retryDelay,
		// A task recovered from a dead worker (retried at once by
		// tasks.RetryDelay) reaches its queue within 1 s instead of 5 s.
		DelayedTaskCheckInterval: time.Second,
		ErrorHandler:             store.ErrorHandler(log, nil),
		Logger:                   logging.Asynq(log.With().Str("component", "asynq").Logger()),
		ShutdownTimeout:          shutdown,
		HealthCheckFunc: func(err error) {
			if err != nil {
				log.Warn().Err(err).Msg("redis health check failed")
			}
		},
	})
	if err = w.server.Start(w.Mux); err != nil {
		w.server = nil
		return fmt.Errorf("start asynq server: %w", err)
	}
	if w.adminL, err = listenAdmin(cfg, config.DefaultWorkerAdminAddr); err != nil {
		return err
	}
	adm, err := newAdmin(cfg, w.AdminDefaultTenant, w.conn, store, hist, w.Metrics, client, w.sched.Scheduler, log)
	if err != nil {
		return err
	}
	w.adminL.serve(adm, log, w.errc)
	var loopCtx context.Context
	loopCtx, w.stop = context.WithCancel(context.Background())
	w.captured = make(chan struct{})
	go w.captureLoop(loopCtx, store, adm.Inspector())
	log.Info().Str("admin_addr", w.AdminAddr()).Str("redis", w.conn.String()).Interface("queues", queues).
		Int("concurrency", cfg.WorkerConcurrency).Interface("config", cfg.Summary()).Msg("worker started")
	return nil
}

// markLane marks the context of a job from the interactive queue, so its
// vendor calls go first in the process's rate-limit queue (ratelimit).
func markLane(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if q, _ := asynq.GetQueueName(ctx); q == tasks.QueueInteractive {
			ctx = lane.WithInteractive(ctx)
		}
		return next.ProcessTask(ctx, t)
	})
}

// AdminAddr is the admin listener's address.
func (w *Worker) AdminAddr() string { return w.adminL.addr() }

// Err reports a listener that failed after Open.
func (w *Worker) Err() <-chan error { return w.errc }

// captureLoop records, every CaptureEvery, the archived tasks that have no
// failure record yet: asynq archives a task whose worker died mid-job
// without calling the ErrorHandler.
func (w *Worker) captureLoop(ctx context.Context, store *failures.Store, in *asynq.Inspector) {
	defer close(w.captured)
	every := w.CaptureEvery
	if every == 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := store.Capture(ctx, in, tasks.Queues...)
			if err != nil && ctx.Err() == nil {
				w.Logger.Warn().Err(err).Msg("recording archived tasks failed; will try again")
			} else if n > 0 {
				w.Logger.Warn().Int("recorded", n).Msg("recorded archived tasks that had no failure record")
			}
		}
	}
}

// Close stops fetching tasks, lets running ones finish (ShutdownTimeout),
// then closes the admin listener and Redis. Safe after a failed Open.
func (w *Worker) Close(ctx context.Context) error {
	var errs []error
	w.sched.Close() // no new scheduled run once closing
	if w.stop != nil {
		w.stop()
		<-w.captured
		w.stop = nil
	}
	if w.server != nil {
		w.server.Shutdown()
		w.server = nil
	}
	if w.history != nil { // after the jobs: their runs are all recorded
		w.history.Close()
		w.history = nil
	}
	errs = append(errs, w.adminL.close(ctx))
	w.adminL = nil
	if w.conn != nil {
		errs = append(errs, w.conn.Close())
		w.conn = nil
	}
	return errors.Join(errs...)
}
