package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// ProcessConfig wires the scheduling of one process.
type ProcessConfig struct {
	Schedules []Schedule
	// Fire: run the scheduler loop in this process (KSF_SCHEDULER). False
	// still serves the listing and "run now".
	Fire    bool
	CatchUp time.Duration // KSF_SCHEDULE_CATCHUP: 0 = never catch up
	Redis   redis.UniversalClient
	Enqueue EnqueueFunc
	// Registerer receives the scheduler's series; nil = none.
	Registerer prometheus.Registerer
	Logger     zerolog.Logger
}

// Process is a process's scheduler: its loop (when Fire) and what the admin
// API and the task handlers use.
type Process struct {
	Scheduler *Scheduler
	Runs      *Runs
	cancel    context.CancelFunc
	done      chan struct{}
}

// StartProcess starts the scheduler loop (when cfg.Fire and there are
// schedules). Close stops it.
func StartProcess(cfg ProcessConfig) (*Process, error) {
	catchUp := cfg.CatchUp
	if catchUp == 0 {
		catchUp = -1 // Options: negative = off
	}
	log := cfg.Logger.With().Str("component", "scheduler").Logger()
	p := &Process{Runs: NewRuns(cfg.Redis, nil)}
	p.Scheduler = New(cfg.Schedules, cfg.Enqueue, Options{CatchUp: catchUp, Logger: log, Runs: p.Runs})
	if cfg.Registerer != nil {
		m, err := NewMetrics(cfg.Registerer, p.Scheduler, p.Runs)
		if err != nil {
			return nil, fmt.Errorf("scheduler metrics: %w", err)
		}
		p.Scheduler.opt.Metrics = m
	}
	if !cfg.Fire || len(cfg.Schedules) == 0 {
		return p, nil
	}
	var ctx context.Context
	ctx, p.cancel = context.WithCancel(context.Background())
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		ui := make(chan struct{})
		go func() { defer close(ui); p.Scheduler.RunUI(ctx) }()
		p.Scheduler.Run(ctx)
		<-ui
	}()
	for _, sch := range cfg.Schedules {
		log.Info().Str("tenant", sch.Tenant).Str("schedule", sch.Name).Str("cron", sch.Cron.String()).
			Str("period", sch.Period.String()).Time("next_run", sch.Cron.Next(time.Now())).Msg("schedule armed")
	}
	return p, nil
}

// Close stops the loop and waits for a fire in progress. Safe on nil.
func (p *Process) Close() {
	if p == nil || p.cancel == nil {
		return
	}
	p.cancel()
	<-p.done
	p.cancel = nil
}
