package process

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	"github.com/ksfsync/ksfsync/internal/schedule"
)

// checkAdminToken refuses a short KSF_ADMIN_TOKEN off loopback and warns
// about one on loopback; Open calls it before starting anything.
func checkAdminToken(cfg *config.Config, addr string, log zerolog.Logger) error {
	warning, err := cfg.CheckAdminToken(addr)
	if warning != "" {
		log.Warn().Str("admin_addr", addr).Msg(warning)
	}
	return err
}

// newAdmin builds the admin listener's handler (API, queue UI, metrics,
// health) on the process's Redis.
// defaultTenant is what a resync naming no tenant gets ("" = KSF_TENANT_ID);
// sched serves the schedules' listing and "run now".
func newAdmin(cfg *config.Config, defaultTenant string, conn *redisconn.Conn, store *failures.Store, hist *history.Store,
	m *metrics.Metrics, client *asynq.Client, sched *schedule.Scheduler, log zerolog.Logger) (*admin.Server, error) {
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
		Enqueue:       enqueueOn(client),
		DefaultTenant: defaultTenant,
		Schedules:     sched,
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

// adminListener is a process's admin listener (API, queue UI, console,
// metrics): the receiver and the worker each have one.
type adminListener struct {
	ln   net.Listener
	srv  *admin.Server
	http *http.Server
}

// listenAdmin listens on KSF_ADMIN_ADDR, or def when it is unset.
func listenAdmin(cfg *config.Config, def string) (*adminListener, error) {
	addr := cfg.AdminListen(def)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listener (KSF_ADMIN_ADDR=%s): %w", addr, err)
	}
	return &adminListener{ln: ln}, nil
}

// serve serves s until close; a failure is sent to errc.
func (a *adminListener) serve(s *admin.Server, log zerolog.Logger, errc chan<- error) {
	a.srv, a.http = s, newAdminHTTPServer(s, log)
	go serveOn(a.http, a.ln, errc)
}

// addr is the listening address ("" before listening).
func (a *adminListener) addr() string {
	if a == nil {
		return ""
	}
	return addrOf(a.ln)
}

// close stops serving (requests in flight get until ctx ends) and releases
// the admin server's connections. Safe on nil and before serve.
func (a *adminListener) close(ctx context.Context) error {
	if a == nil {
		return nil
	}
	var errs []error
	if a.http != nil {
		errs = append(errs, a.http.Shutdown(ctx))
	} else {
		_ = a.ln.Close()
	}
	if a.srv != nil {
		errs = append(errs, a.srv.Close())
	}
	return errors.Join(errs...)
}

// serveOn serves s on ln; a failure other than closing goes to errc.
func serveOn(s *http.Server, ln net.Listener, errc chan<- error) {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errc <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
}
