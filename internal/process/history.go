package process

import (
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/metrics"
)

// newHistory is the statements' run history on the process's Redis, bounded
// by the KSF_HISTORY_* settings.
func newHistory(cfg *config.Config, rdb redis.UniversalClient, m *metrics.Metrics, log zerolog.Logger) *history.Store {
	return history.New(rdb, history.Options{Runs: cfg.History.Runs, BodyMaxBytes: cfg.History.BodyMaxBytes,
		Retention: cfg.History.Retention, MaxPeriods: cfg.History.MaxPeriods, Observer: m,
		Logger: log.With().Str("component", "history").Logger()})
}
