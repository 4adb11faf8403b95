package metrics

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// queueCollector exports asynq's queue state, read through an inspector at
// each scrape. It replaces asynq/x/metrics' collector, which names two
// gauges *_total (promtool rejects that; rate() on them is meaningless) and
// prints its errors as plain text through the standard log package.
type queueCollector struct {
	in  *asynq.Inspector
	log zerolog.Logger
}

var (
	queueTasksDesc = prometheus.NewDesc("asynq_tasks_enqueued",
		"Tasks in a queue by state (active, pending, scheduled, retry, archived, completed).", []string{"queue", "state"}, nil)
	queueSizeDesc = prometheus.NewDesc("asynq_queue_size",
		"Tasks in a queue, every state but completed.", []string{"queue"}, nil)
	queueLatencyDesc = prometheus.NewDesc("asynq_queue_latency_seconds",
		"Age of the oldest pending task of a queue.", []string{"queue"}, nil)
	queueMemoryDesc = prometheus.NewDesc("asynq_queue_memory_usage_approx_bytes",
		"Memory a queue uses in Redis, approximated by sampling.", []string{"queue"}, nil)
	queueProcessedDesc = prometheus.NewDesc("asynq_tasks_processed_total",
		"Tasks processed (succeeded or failed) by queue.", []string{"queue"}, nil)
	queueFailedDesc = prometheus.NewDesc("asynq_tasks_failed_total",
		"Task runs that failed, by queue.", []string{"queue"}, nil)
	queuePausedDesc = prometheus.NewDesc("asynq_queue_paused",
		"1 if the queue is paused, else 0.", []string{"queue"}, nil)
)

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueTasksDesc, queueSizeDesc, queueLatencyDesc, queueMemoryDesc,
		queueProcessedDesc, queueFailedDesc, queuePausedDesc} {
		ch <- d
	}
}

// Collect reads every queue's info. When Redis or asynq's statistics script
// fails, the queue series are left out of this scrape and a warning is
// logged; the ksf_ series are served regardless.
func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	names, err := c.in.Queues()
	if err != nil {
		c.log.Warn().Err(err).Msg("queue metrics unavailable for this scrape: cannot list asynq's queues")
		return
	}
	for _, q := range names {
		info, err := c.in.GetQueueInfo(q)
		if err != nil {
			c.log.Warn().Err(err).Str("queue", q).Msg("queue metrics unavailable for this scrape: cannot read the queue (ksfctl repair may fix it)")
			continue
		}
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{q}, labels...)...)
		}
		for state, n := range map[string]int{"active": info.Active, "pending": info.Pending, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed} {
			gauge(queueTasksDesc, float64(n), state)
		}
		gauge(queueSizeDesc, float64(info.Size))
		gauge(queueLatencyDesc, info.Latency.Seconds())
		gauge(queueMemoryDesc, float64(info.MemoryUsage))
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		gauge(queuePausedDesc, paused)
		ch <- prometheus.MustNewConstMetric(queueProcessedDesc, prometheus.CounterValue, float64(info.ProcessedTotal), q)
		ch <- prometheus.MustNewConstMetric(queueFailedDesc, prometheus.CounterValue, float64(info.FailedTotal), q)
	}
}
