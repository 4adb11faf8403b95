// Package admin is ksfsync's admin listener: health checks, Prometheus
// metrics, the asynqmon queue UI and the operators' JSON API (failed jobs,
// replay, delete, manual resync, the push audit trail, the statements' run
// history) and the reconciliation console (internal/console). Routes and answers
// are documented in docs/admin-api.md; the runbook is docs/operations.md.
//
// Everything but /healthz and /readyz needs the admin token
// (KSF_ADMIN_TOKEN), as "Authorization: Bearer <token>" or as the password
// of HTTP Basic auth (so a browser can open the queue UI). Without a
// configured token every protected route refuses.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/console"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// Routes.
const (
	MonitoringPath = "/monitoring"
	APIPath        = "/admin/api"
)

// maxBody bounds a request body of the admin API.
const maxBody = 1 << 20

// EnqueueFunc queues a push's ksf:push task, answering whether it was
// already queued (tasks.Enqueue has this shape).
type EnqueueFunc func(ctx context.Context, p tasks.Push) (alreadyQueued bool, err error)

// Config wires the admin listener.
type Config struct {
	// Token is KSF_ADMIN_TOKEN. Empty: every route but the health checks refuses.
	Token string
	// RedisConnOpt reaches asynq's Redis (inspector, asynqmon, re-enqueue). Required.
	RedisConnOpt asynq.RedisConnOpt
	// Redis is pinged by /readyz and holds the failure records; nil: made from RedisConnOpt.
	Redis redis.UniversalClient
	// Failures is the durable failure record; nil: a Store on Redis with default options.
	Failures *failures.Store
	// History is the statements' run history (API and console); nil: a
	// Store on Redis with default options.
	History *history.Store
	// Metrics is served at /metrics; nil: /metrics answers 404.
	Metrics *metrics.Metrics
	// Enqueue queues a resync's push; nil: enqueue with tasks.NewPushTask.
	Enqueue EnqueueFunc
	// Schedules serves /admin/api/schedules; nil: no schedules.
	Schedules Schedules
	// DefaultTenant is used by a resync that names no tenant (KSF_TENANT_ID).
	DefaultTenant string
	Logger        zerolog.Logger
	Now           func() time.Time // default time.Now
}

// Server is the admin listener's http.Handler. Close it to release its
// Redis connections.
type Server struct {
	cfg       Config
	tokenHash [32]byte
	router    chi.Router
	inspector *asynq.Inspector
	client    *asynq.Client
	monitor   *asynqmon.HTTPHandler
	console   http.Handler
	guarded   http.Handler // the token, then cross-origin and JSON-only writes
	closers   []func() error
}

// New builds the admin handler.
func New(cfg Config) (*Server, error) {
	if cfg.RedisConnOpt == nil {
		return nil, errors.New("admin: RedisConnOpt is required")
	}
	s := &Server{cfg: cfg, tokenHash: sha256.Sum256([]byte(cfg.Token))}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.cfg.Redis == nil {
		rc, ok := cfg.RedisConnOpt.MakeRedisClient().(redis.UniversalClient)
		if !ok {
			return nil, fmt.Errorf("admin: unsupported RedisConnOpt %T", cfg.RedisConnOpt)
		}
		s.cfg.Redis = rc
		s.closers = append(s.closers, rc.Close)
	}
	if s.cfg.Failures == nil {
		s.cfg.Failures = failures.New(s.cfg.Redis, failures.Options{Now: s.cfg.Now})
	}
	if s.cfg.History == nil {
		s.cfg.History = history.New(s.cfg.Redis, history.Options{Logger: cfg.Logger})
	}
	s.inspector = asynq.NewInspector(cfg.RedisConnOpt)
	s.client = asynq.NewClient(cfg.RedisConnOpt)
	s.monitor = asynqmon.New(asynqmon.Options{
		RootPath:         MonitoringPath,
		RedisConnOpt:     cfg.RedisConnOpt,
		PayloadFormatter: asynqmon.PayloadFormatterFunc(FormatPayload),
		ResultFormatter:  asynqmon.ResultFormatterFunc(FormatResult),
	})
	s.closers = append(s.closers, s.inspector.Close, s.client.Close, s.monitor.Close)
	if s.cfg.Enqueue == nil {
		s.cfg.Enqueue = s.enqueuePush
	}
	cons, err := console.New(console.Config{History: s.cfg.History, Replay: s.ReplayTask, TaskState: s.TaskState,
		PublicError: PublicError, MonitoringPath: MonitoringPath, DefaultTenant: cfg.DefaultTenant,
		Logger: cfg.Logger, Now: s.cfg.Now})
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	s.console = cons
	s.router = s.routes()
	// Every state-changing request, on every route (API, queue UI, console),
	// is refused when a browser marks it cross-origin.
	s.guarded = s.auth(CrossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if notJSONWrite(r) { // a browser cannot send JSON across sites unasked
			s.fail(w, r, errorf(http.StatusUnsupportedMediaType,
				"admin API writes must be Content-Type: application/json (ksfctl and the curl examples in docs/admin-api.md send it)"))
			return
		}
		s.router.ServeHTTP(w, r)
	}), s.cfg.Logger))
	return s, nil
}

// Close releases the Redis connections the server opened.
func (s *Server) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Inspector is the server's asynq inspector (for metrics.RegisterQueueMetrics).
func (s *Server) Inspector() *asynq.Inspector { return s.inspector }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errorf(http.StatusNotFound, "no route %s %s: see docs/admin-api.md", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errorf(http.StatusMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", s.readyz)
	// Everything below is behind s.auth (applied in ServeHTTP).
	r.Group(func(r chi.Router) {
		r.Get("/metrics", s.serveMetrics)
		r.Handle(MonitoringPath, http.RedirectHandler(MonitoringPath+"/", http.StatusMovedPermanently))
		r.Handle(MonitoringPath+"/*", s.monitor)
		r.Handle(console.Path, http.RedirectHandler(console.Path+"/", http.StatusMovedPermanently))
		r.Handle(console.Path+"/*", s.console)
		r.Route(APIPath, func(r chi.Router) {
			r.Get("/failed", s.listFailed)
			r.Delete("/failed/*", s.deleteFailed)
			r.Post("/replay", s.replay)
			r.Post("/resync", s.resync)
			r.Get("/pushes", s.listPushes)
			r.Post("/repair", s.repair)
			r.Get("/schedules", s.listSchedules)
			r.Post("/schedules/{name}/run", s.runSchedule)
			r.Get("/statements", s.listStatements)
			r.Get("/statements/export.csv", s.exportStatements)
			r.Get("/statements/summary", s.statementSummary)
			r.Get("/statements/one", s.getStatement)
			r.Get("/statements/one.csv", s.exportStatement)
		})
	})
	return r
}

// ServeHTTP implements http.Handler. Paths other than the health checks
// are checked for the token even when no route matches, so an
// unauthenticated caller learns nothing about the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "/healthz" || p == "/readyz" {
		s.router.ServeHTTP(w, r)
		return
	}
	s.guarded.ServeHTTP(w, r)
}

// auth lets a request through if it carries the admin token.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token == "" {
			s.fail(w, r, errNoToken)
			return
		}
		if !s.authorized(r) {
			// A browser opening the queue UI gets a login prompt.
			if strings.HasPrefix(r.URL.Path, MonitoringPath) || strings.HasPrefix(r.URL.Path, console.Path) {
				w.Header().Set("WWW-Authenticate", `Basic realm="ksfsync admin", charset="UTF-8"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ksfsync admin"`)
			}
			s.fail(w, r, errBadToken)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorized compares the presented token with the configured one in
// constant time (hashes, so the length does not leak either).
func (s *Server) authorized(r *http.Request) bool {
	var token string
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		token = strings.TrimSpace(h[7:])
	} else if _, pw, ok := r.BasicAuth(); ok {
		token = pw
	} else {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Redis.Ping(ctx).Err(); err != nil {
		s.fail(w, r, fmt.Errorf("%w: %w", errRedis, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Metrics == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "metrics are not enabled in this process"))
		return
	}
	s.cfg.Metrics.Handler().ServeHTTP(w, r)
}

// decode reads a JSON body, refusing unknown fields so a typo ("filters")
// is an error rather than an unfiltered request.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "request body is not the expected JSON: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body has text after its JSON object")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
