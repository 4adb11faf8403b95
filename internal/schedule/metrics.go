package schedule

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Fire outcomes (ksf_schedule_fires_total).
const (
	OutcomeQueued        = "queued"         // this process queued the run
	OutcomeAlreadyQueued = "already_queued" // another process (or an earlier fire) had queued it
	OutcomeError         = "error"          // Redis could not take it; retried
)

// Metrics are the scheduler's series, described in docs/metrics.md. The
// tenant and schedule labels come from the configuration, so they are
// bounded.
type Metrics struct {
	fires *prometheus.CounterVec
}

// NewMetrics registers the scheduler's series on reg: the fire counter and
// a collector that reads, at each scrape, the latest run of every schedule
// from Redis (so every process exports the same values: aggregate with max).
func NewMetrics(reg prometheus.Registerer, s *Scheduler, runs *Runs) (*Metrics, error) {
	m := &Metrics{fires: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ksf_schedule_fires_total",
		Help: "Scheduled runs fired by this process, by tenant, schedule and outcome (queued, already_queued, error)."},
		[]string{"tenant", "schedule", "outcome"})}
	if err := reg.Register(m.fires); err != nil {
		return nil, err
	}
	if err := reg.Register(&collector{s: s, runs: runs}); err != nil {
		return nil, err
	}
	for _, sch := range s.Schedules() {
		for _, o := range []string{OutcomeQueued, OutcomeAlreadyQueued, OutcomeError} {
			m.fires.WithLabelValues(sch.Tenant, sch.Name, o)
		}
	}
	return m, nil
}

func (m *Metrics) fired(sch Schedule, outcome string) {
	if m != nil {
		m.fires.WithLabelValues(sch.Tenant, sch.Name, outcome).Inc()
	}
}

var (
	descDue = prometheus.NewDesc("ksf_schedule_due_timestamp_seconds",
		"The schedule's latest fire time at or before now (Unix seconds).", []string{"tenant", "schedule"}, nil)
	descNext = prometheus.NewDesc("ksf_schedule_next_fire_timestamp_seconds",
		"The schedule's next fire time (Unix seconds).", []string{"tenant", "schedule"}, nil)
	descFired = prometheus.NewDesc("ksf_schedule_last_fire_timestamp_seconds",
		"The latest fire time whose run is queued, by any process (Unix seconds); absent before the first.", []string{"tenant", "schedule"}, nil)
	descQueued = prometheus.NewDesc("ksf_schedule_last_run_queued_timestamp_seconds",
		"When the schedule's latest run was queued (Unix seconds); absent before its first run.", []string{"tenant", "schedule"}, nil)
	descCompleted = prometheus.NewDesc("ksf_schedule_last_run_completed_timestamp_seconds",
		"When every job of the schedule's latest run was saved or reported (Unix seconds); 0 while it runs.", []string{"tenant", "schedule"}, nil)
	descJobs = prometheus.NewDesc("ksf_schedule_last_run_jobs",
		"Jobs of the schedule's latest run by state: total, done (saved), failed (reported to 勤策), coalesced (served by another request's job).",
		[]string{"tenant", "schedule", "state"}, nil)
)

// collector reads the run records at scrape time.
type collector struct {
	s    *Scheduler
	runs *Runs
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDue, descNext, descFired, descQueued, descCompleted, descJobs} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	now := c.s.opt.Clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, sch := range c.s.Schedules() {
		l := []string{sch.Tenant, sch.Name}
		if t := sch.Cron.Prev(now); !t.IsZero() {
			ch <- prometheus.MustNewConstMetric(descDue, prometheus.GaugeValue, float64(t.Unix()), l...)
		}
		if t := sch.Cron.Next(now); !t.IsZero() {
			ch <- prometheus.MustNewConstMetric(descNext, prometheus.GaugeValue, float64(t.Unix()), l...)
		}
		fired, err := c.runs.LastFired(ctx, sch.Tenant, sch.Name)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(descFired, err)
			continue
		}
		if !fired.IsZero() {
			ch <- prometheus.MustNewConstMetric(descFired, prometheus.GaugeValue, float64(fired.Unix()), l...)
		}
		run, err := c.runs.Last(ctx, sch.Tenant, sch.Name)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(descQueued, err)
			continue
		}
		if run == nil || run.QueuedAt == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(run.QueuedAt.Unix()), l...)
		var completed float64
		if run.CompletedAt != nil {
			completed = float64(run.CompletedAt.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descCompleted, prometheus.GaugeValue, completed, l...)
		for state, v := range map[string]int{"total": run.Jobs, "done": run.Done, "failed": run.Failed, "coalesced": run.Coalesced} {
			ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(v), sch.Tenant, sch.Name, state)
		}
	}
}
