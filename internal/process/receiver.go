// Package process is ksfsync's composition root: it wires each process from
// a config.Config and owns its lifecycle (Open, Err, Close) — the receiver
// (push listener + admin listener on a Redis) and the worker (an asynq
// server on the push, sync and report queues). cmd/receiver and cmd/worker
// only parse flags, handle signals and call these; tests start the same
// types on 127.0.0.1:0 and stop them. The demo (internal/demo) is a layer
// above, through Receiver.WrapPush; nothing here links a fake or an
// embedded Redis.
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

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/logging"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/replay"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// receiverPoolSize: one Redis connection per push in flight up to this many
// (go-redis's default is 10 per CPU); more concurrent pushes wait for one.
const receiverPoolSize = 64

// Receiver is the receiver process: POST /waiqin/push (+ health) on
// Config.HTTPAddr, health on the admin listener, pushes queued in Redis.
type Receiver struct {
	Config *config.Config
	Logger zerolog.Logger
	// Observer is told of every push; nil = Metrics.
	Observer webhook.Observer
	// Metrics collects the receiver's series (and asynq's queue series);
	// nil = a new set.
	Metrics *metrics.Metrics
	// WrapPush, when set, wraps the push listener's handler (the demo adds
	// its read-only pages).
	WrapPush func(http.Handler) http.Handler
	// AdminDefaultTenant is the tenant of a resync that names none; "" =
	// KSF_TENANT_ID (the demo sets its own).
	AdminDefaultTenant string
	// RedisOptions bound the Redis calls; zero = redisconn's 500 ms defaults.
	RedisOptions redisconn.Options

	conn    *redisconn.Conn
	pushSrv *http.Server
	pushLn  net.Listener
	adminL  *adminListener
	errc    chan error

	// connState, when set (tests), follows the push listener's connections.
	connState func(net.Conn, http.ConnState)
}

// NewReceiver returns a receiver for cfg; Open starts it.
func NewReceiver(cfg *config.Config, log zerolog.Logger) *Receiver {
	return &Receiver{Config: cfg, Logger: log, errc: make(chan error, 2)}
}

// Open connects Redis, starts both listeners and
// returns; serving goes on until Close. A Redis that does not answer yet is
// a warning, not a failure: pushes get 503 and /readyz says so until it does.
func (r *Receiver) Open(ctx context.Context) (err error) {
	cfg, log := r.Config, r.Logger
	if err := cfg.ValidateReceiver(); err != nil {
		return err
	}
	if err := checkAdminToken(cfg, cfg.AdminListen(config.DefaultReceiverAdminAddr), log); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = r.Close(context.Background())
		}
	}()
	ro := r.RedisOptions
	if ro.PoolSize == 0 {
		ro.PoolSize = receiverPoolSize
	}
	if r.conn, err = redisconn.Open(cfg.Redis, ro); err != nil {
		return err
	}
	pingCtx, cancel := context.WithTimeout(ctx, time.Second)
	err = r.conn.CheckConfig(pingCtx)
	cancel()
	switch {
	case redisconn.Misconfigured(err): // permanent: refuse to start
		return err
	case err != nil:
		log.Warn().Err(err).Str("redis", r.conn.String()).Msg("redis does not answer yet: pushes get 503 until it does")
	}

	if r.Metrics == nil {
		r.Metrics = metrics.New()
	}
	if r.Observer == nil {
		r.Observer = r.Metrics
	}
	h, err := webhook.New(webhook.Options{
		Verifier: Verifiers(cfg),
		Ready:    r.conn.Ping,
		Logger:   log,
		Observer: r.Observer,
		// Slow senders: a body deadline and a cap on large bodies.
		BodyTimeout: cfg.PushBodyTimeout,
		// Queues pushes, recognising replayed ones in the same script.
		Replay:         replay.New(r.conn.Client, tasks.PushRetention),
		MaxLargeBodies: cfg.PushMaxLargeBodies,
	})
	if err != nil {
		return err
	}
	if r.pushLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return fmt.Errorf("push listener (KSF_HTTP_ADDR=%s): %w", cfg.HTTPAddr, err)
	}
	if r.adminL, err = listenAdmin(cfg, config.DefaultReceiverAdminAddr); err != nil {
		return err
	}
	var push http.Handler = h
	if r.WrapPush != nil {
		push = r.WrapPush(h)
	}
	r.pushSrv = newPushServer(push, cfg.PushBodyTimeout, log)
	r.pushSrv.ConnState = r.connState
	client := asynq.NewClientFromRedisClient(r.conn.Client) // resyncs and "run now" of the admin API
	adm, err := newAdmin(cfg, r.AdminDefaultTenant, r.conn, failures.New(r.conn.Client, failures.Options{}),
		newHistory(cfg, r.conn.Client, r.Metrics, log), r.Metrics, client, adminSchedules(cfg, r.conn, client), log)
	if err != nil {
		return err
	}
	r.adminL.srv = adm // closed with the listener from here on
	// asynq's queue series describe the shared queues: the receivers
	// export them, the workers do not (one scrape target is enough).
	if err := r.Metrics.RegisterQueueMetrics(adm.Inspector(), log); err != nil {
		return fmt.Errorf("queue metrics: %w", err)
	}
	go serveOn(r.pushSrv, r.pushLn, r.errc)
	r.adminL.serve(adm, log, r.errc)

	log.Info().Str("push_addr", r.PushAddr()).Str("admin_addr", r.AdminAddr()).Str("redis", r.conn.String()).
		Interface("config", cfg.Summary()).Msg("receiver started")
	return nil
}

// Err reports a listener that failed after Open; main exits on it.
func (r *Receiver) Err() <-chan error { return r.errc }

// PushAddr is the push listener's address (the port chosen for ":0").
func (r *Receiver) PushAddr() string { return addrOf(r.pushLn) }

// AdminAddr is the admin listener's address.
func (r *Receiver) AdminAddr() string { return r.adminL.addr() }

// Close stops accepting connections, waits for in-flight requests to be
// answered (until ctx ends), then closes Redis. Safe to call after a failed
// Open.
func (r *Receiver) Close(ctx context.Context) error {
	var errs []error
	if r.pushSrv != nil {
		errs = append(errs, r.pushSrv.Shutdown(ctx))
	} else if r.pushLn != nil { // Open failed before serving
		_ = r.pushLn.Close()
	}
	errs = append(errs, r.adminL.close(ctx))
	r.adminL = nil
	if r.conn != nil {
		errs = append(errs, r.conn.Close())
		r.conn = nil
	}
	return errors.Join(errs...)
}

// Verifiers builds the webhook's tenant → verifier function from cfg: a
// tenant of the file's blocks (or KSF_TENANT_ID) gets its own secrets; any
// other tenant gets KSF_PUSH_SECRET, unless tenants are restricted (nil:
// 401). Verifiers are built once, at start.
func Verifiers(cfg *config.Config) func(tenantID string) *digest.Verifier {
	opts := []digest.VerifierOption{digest.WithMaxSkew(cfg.PushMaxSkew)}
	if cfg.PushMaxAge > 0 {
		opts = append(opts, digest.WithMaxAge(cfg.PushMaxAge))
	}
	per := map[string]*digest.Verifier{}
	ids := make([]string, 0, len(cfg.Tenants)+1)
	for id := range cfg.Tenants {
		ids = append(ids, id)
	}
	if cfg.TenantID != "" {
		ids = append(ids, cfg.TenantID)
	}
	for _, id := range ids {
		if s, ok := cfg.PushSecretsFor(id); ok {
			per[id] = digest.NewVerifier(s, opts...)
		}
	}
	var def *digest.Verifier
	if !cfg.RestrictsTenants() {
		if s, ok := cfg.PushSecretsFor(""); ok {
			def = digest.NewVerifier(s, opts...)
		}
	}
	return func(tenantID string) *digest.Verifier {
		if v, ok := per[tenantID]; ok {
			return v
		}
		return def
	}
}

// newPushServer is the push listener's server. ReadHeaderTimeout stops
// clients that never finish their headers, ReadTimeout (KSF_PUSH_BODY_TIMEOUT)
// those that trickle a body; the handler caps the bodies read at once
// (KSF_PUSH_MAX_LARGE_BODIES) and bounds its own work (1 MiB body, < 1 s of
// Redis). No WriteTimeout: a write deadline per request costs throughput and
// an answer is a few hundred bytes.
func newPushServer(h http.Handler, bodyTimeout time.Duration, log zerolog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// The push body's deadline (KSF_PUSH_BODY_TIMEOUT), set by the
		// server as it reads the headers; the push handler then sets none of
		// its own (webhook.serverBoundsBody).
		ReadTimeout:    bodyTimeout,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       logging.Std(log),
	}
}

// newHTTPServer is an admin listener's server: little traffic, every timeout.
func newHTTPServer(h http.Handler, log zerolog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          logging.Std(log),
	}
}

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}
