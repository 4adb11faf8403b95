package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/source"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/oms"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

// NewHandlers builds the worker's task handlers from cfg: a 勤策 client per
// tenant, the configured statement and expense sources, the customer maps.
// Every vendor call is reported to calls; every job to jobs (both may be nil).
func NewHandlers(cfg *config.Config, enq tasks.Enqueuer, calls upstream.Observer, jobs tasks.Observer, log zerolog.Logger) (*tasks.Handlers, error) {
	if err := cfg.ValidateWorker(); err != nil {
		return nil, err
	}
	wq, err := waiqinTenants(cfg, calls, log)
	if err != nil {
		return nil, err
	}
	maps, err := customerMaps(cfg)
	if err != nil {
		return nil, err
	}
	var omsClient *oms.Client
	if cfg.StatementSource == config.SourceOMS || cfg.ExpenseSource == config.SourceOMS {
		if omsClient, err = oms.New(oms.Config{BaseURL: cfg.OMS.BaseURL, Flag: cfg.OMS.Flag, Token: cfg.OMS.Token.Value(),
			TimestampFormat: cfg.OMS.Timestamp, RPS: cfg.OMS.RPS, Limiter: unlimited(cfg.OMS.RPS), Observer: calls}); err != nil {
			return nil, fmt.Errorf("商派 OMS client: %w", err)
		}
	}
	h := &tasks.Handlers{Waiqin: wq, Enqueuer: enq, Observer: jobs, Logger: log}
	switch cfg.StatementSource {
	case config.SourceOMS:
		h.Statements = &source.OMSGoods{Client: omsClient, Maps: maps}
	case config.SourceJDY:
		c, err := jdy.New(jdy.Config{BaseURL: cfg.JDY.BaseURL, ClientID: cfg.JDY.ClientID, ClientSecret: cfg.JDY.ClientSecret.Value(),
			AppKey: cfg.JDY.AppKey, AppSecret: cfg.JDY.AppSecret.Value(), Domain: cfg.JDY.Domain, RPS: cfg.JDY.RPS, Limiter: unlimited(cfg.JDY.RPS), Observer: calls})
		if err != nil {
			return nil, fmt.Errorf("金蝶精斗云 client: %w", err)
		}
		h.Statements = &source.JDYGoods{Client: c, Maps: maps}
	}
	switch cfg.ExpenseSource {
	case config.SourceOMS:
		h.Expenses = &source.OMSExpense{Client: omsClient, Maps: maps}
	case config.SourceWDT:
		plats, err := wdt.ParsePlatforms(strings.Join(cfg.WDT.Platforms, ","))
		if err != nil {
			return nil, fmt.Errorf("KSF_WDT_PLATFORMS: %w", err)
		}
		wc := wdt.Config{RouterURL: cfg.WDT.RouterURL, AppKey: cfg.WDT.AppKey, AppSecret: cfg.WDT.AppSecret.Value(),
			TargetAppKey: cfg.WDT.TargetAppKey, HJYAppID: cfg.WDT.HJYAppID, HJYAppKey: cfg.WDT.HJYAppKey.Value(),
			SID: cfg.WDT.SID, Platforms: plats, RPS: cfg.WDT.RPS, Observer: calls}
		if l := unlimited(cfg.WDT.RPS); l != nil { // a nil *rate.Limiter would be a non-nil interface
			wc.Limiter = l
		}
		c, err := wdt.New(wc)
		if err != nil {
			return nil, fmt.Errorf("旺店通 client: %w", err)
		}
		h.Expenses = &source.WDTExpense{Client: c, Maps: maps}
	}
	return h, nil
}

// waiqinTenants builds one 勤策 client per tenant block with credentials of
// its own, and a default client from the global KSF_WAIQIN_* values.
func waiqinTenants(cfg *config.Config, calls upstream.Observer, log zerolog.Logger) (*waiqin.Tenants, error) {
	build := func(tenant string) (*waiqin.Client, error) {
		w := cfg.WaiqinFor(tenant)
		if w.OpenID == "" || w.AppKey == "" {
			return nil, nil
		}
		c, err := waiqin.New(waiqin.Config{BaseURL: w.BaseURL, OpenID: w.OpenID, AppKey: w.AppKey.Value(), RPS: w.RPS, Observer: calls})
		if err != nil {
			return nil, fmt.Errorf("勤策 client (tenant %q): %w", tenant, err)
		}
		for _, warn := range c.Warnings() {
			log.Warn().Str("tenant", tenant).Msg(warn)
		}
		return c, nil
	}
	def, err := build("")
	if err != nil {
		return nil, err
	}
	byID := map[string]*waiqin.Client{}
	for id := range cfg.Tenants {
		if byID[id], err = build(id); err != nil {
			return nil, err
		}
	}
	return waiqin.NewTenants(def, byID), nil
}

// customerMaps loads each customer map file once: the global one under ""
// and any tenant's own.
func customerMaps(cfg *config.Config) (source.CustomerMaps, error) {
	loaded := map[string]*customermap.Map{}
	load := func(path string) (*customermap.Map, error) {
		if m, ok := loaded[path]; ok {
			return m, nil
		}
		m, err := customermap.Load(path)
		if err != nil {
			return nil, fmt.Errorf("KSF_CUSTOMER_MAP: %w", err)
		}
		loaded[path] = m
		return m, nil
	}
	maps := source.CustomerMaps{}
	var err error
	if maps[""], err = load(cfg.CustomerMap); err != nil {
		return nil, err
	}
	for id := range cfg.Tenants {
		if maps[id], err = load(cfg.CustomerMapFor(id)); err != nil {
			return nil, err
		}
	}
	return maps, nil
}

// unlimited returns a limiter that never waits when the configured rate is
// 0, which the configuration documents as "no limit" (the clients would read
// 0 as their own default); nil otherwise, so the client builds one from RPS.
func unlimited(rps float64) *rate.Limiter {
	if rps == 0 {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return nil
}

// newAdmin builds the admin listener's handler (API, queue UI, metrics,
// health) on the process's Redis.
func newAdmin(cfg *config.Config, conn *redisconn.Conn, store *failures.Store, hist *history.Store, m *metrics.Metrics, client *asynq.Client, log zerolog.Logger) (*admin.Server, error) {
	token := cfg.AdminToken.Value()
	switch {
	case token == "" && cfg.Demo():
		token = DemoAdminToken
		log.Warn().Str("admin_token", token).Msg("DEMO: admin listener guarded by the demo token")
	case token == "":
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
		DefaultTenant: cfg.TenantID,
		Logger:        log,
	})
}

// newAdminHTTPServer is newHTTPServer with room for slow operator calls
// (a replay of thousands of jobs, a large listing).
func newAdminHTTPServer(h http.Handler, log zerolog.Logger) *http.Server {
	s := newHTTPServer(h, log)
	s.WriteTimeout = 2 * time.Minute
	return s
}
