package process

import (
	"context"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// checkAdminToken refuses a short KSF_ADMIN_TOKEN off loopback and warns
// about one on loopback (issue 11); Open calls it before starting anything.
func checkAdminToken(cfg *config.Config, addr string, log zerolog.Logger) error {
	warning, err := cfg.CheckAdminToken(addr)
	if warning != "" {
		log.Warn().Str("admin_addr", addr).Msg(warning)
	}
	return err
}

// newAdmin builds the admin listener's handler (API, queue UI, metrics,
// health) on the process's Redis.
// defaultTenant is what a resync naming no tenant gets ("" = KSF_TENANT_ID).
func newAdmin(cfg *config.Config, defaultTenant string, conn *redisconn.Conn, store *failures.Store, hist *history.Store, m *metrics.Metrics, client *asynq.Client, log zerolog.Logger) (*admin.Server, error) {
	if defaultTenant == "" {
		defaultTenant = cfg.TenantID
	}
	token := cfg.AdminToken.Value()
	if token == "" {
		log.Warn().Msg("KSF_ADMIN_TOKEN is not set: the admin API, queue UI and metrics refuse every request")
	}

	return admin.New(admin.Config{
		Token:         token,
		RedisConnOpt:  conn.Opt,
		Redis:         conn.Client,
		Failures:      store,
		History:       hist,
		Metrics:       m,
		Enqueue:       func(ctx context.Context, p tasks.Push) (bool, error) { return tasks.Enqueue(ctx, client, p) },
		DefaultTenant: defaultTenant,
		Schedules:     adminSchedules(cfg, conn, client), // issue 14
		Logger:        log,
	})
}

// newAdminHTTPServer is newHTTPServer with room for slow operator calls
// (a replay of thousands of jobs, a large listing).
// (Cross-origin writes are refused by admin.Server itself, on every route.)
func newAdminHTTPServer(h http.Handler, log zerolog.Logger) *http.Server {
	s := newHTTPServer(h, log)
	s.WriteTimeout = 2 * time.Minute
	return s
}
