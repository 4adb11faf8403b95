// Package vendors builds, from a config.Config, the clients of every vendor
// ksfsync calls — 勤策 per tenant, 商派 OMS, 金蝶精斗云, 旺店通 — and the
// statement sources over them. The process wiring (internal/process) asks
// it for a Set; nothing here runs on its own.
package vendors

import (
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/ratelimit"
	"github.com/ksfsync/ksfsync/internal/source"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
	"github.com/ksfsync/ksfsync/internal/upstream/oms"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

// Set is what a worker calls: 勤策 (a client per tenant) and the
// configured statement and expense sources over their vendors' clients.
type Set struct {
	Waiqin     *waiqin.Tenants
	Statements tasks.Builder // KSF_STATEMENT_SOURCE
	Expenses   tasks.Builder // KSF_EXPENSE_SOURCE

	// The check before a save (KSF_CONFIRMED_POLICY; mapping.go).
	confirmed map[string]tasks.ConfirmedPolicy
}

// Handlers returns the task handlers over the set.
func (s *Set) Handlers(enq tasks.Enqueuer, jobs tasks.Observer, log zerolog.Logger) *tasks.Handlers {
	return &tasks.Handlers{Waiqin: s.Waiqin, Statements: s.Statements, Expenses: s.Expenses,
		Enqueuer: enq, Observer: jobs, Logger: log,
		Held: held{s.Waiqin}, Confirmed: s.confirmed}
}

// New builds the clients cfg configures: a 勤策 client per tenant, the
// statement and expense sources, the customer maps (each file read once).
// Every vendor call is reported to calls (nil = none). Each client's rate
// limit (KSF_*_RPS) is its own, per process: workers use NewShared.
func New(cfg *config.Config, calls upstream.Observer, log zerolog.Logger) (*Set, error) {
	return NewShared(cfg, calls, nil, log)
}

// NewShared is New with every rate limit shared through limits (nil = per
// process): KSF_*_RPS is then the total of every process using the same
// vendor credential (internal/ratelimit).
func NewShared(cfg *config.Config, calls upstream.Observer, limits *ratelimit.Limits, log zerolog.Logger) (*Set, error) {
	if err := cfg.ValidateWorker(); err != nil {
		return nil, err
	}
	b := builder{calls: calls, limits: limits}
	wq, err := waiqinTenants(cfg, b, log)
	if err != nil {
		return nil, err
	}
	maps, err := customerMaps(cfg)
	if err != nil {
		return nil, err
	}
	opts, tenantOpts, err := mappingOptions(cfg) // KSF_OMS_*_TYPES, …
	if err != nil {
		return nil, err
	}
	var omsClient *oms.Client
	if cfg.StatementSource == config.SourceOMS || cfg.ExpenseSource == config.SourceOMS {
		// 商派 OMS counts calls per flag (the app key of its signature).
		call, err := b.callOptions(cfg.OMS.RPS, "oms", cfg.OMS.BaseURL, cfg.OMS.Flag)
		if err != nil {
			return nil, err
		}
		if omsClient, err = oms.New(oms.Config{BaseURL: cfg.OMS.BaseURL, Flag: cfg.OMS.Flag, Token: cfg.OMS.Token.Value(),
			TimestampFormat: cfg.OMS.Timestamp, CallOptions: call}); err != nil {
			return nil, fmt.Errorf("商派 OMS client: %w", err)
		}
	}
	h := &Set{Waiqin: wq, confirmed: confirmedPolicies(cfg)}
	switch cfg.StatementSource {
	case config.SourceOMS:
		h.Statements = &source.OMSGoods{Client: omsClient, Maps: maps, Options: opts, TenantOptions: tenantOpts}
	case config.SourceJDY:
		// 精斗云 counts per account set (the app key and its domain).
		call, err := b.callOptions(cfg.JDY.RPS, "jdy", cfg.JDY.BaseURL, cfg.JDY.ClientID, cfg.JDY.AppKey, cfg.JDY.Domain)
		if err != nil {
			return nil, err
		}
		c, err := jdy.New(jdy.Config{BaseURL: cfg.JDY.BaseURL, ClientID: cfg.JDY.ClientID, ClientSecret: cfg.JDY.ClientSecret.Value(),
			AppKey: cfg.JDY.AppKey, AppSecret: cfg.JDY.AppSecret.Value(), Domain: cfg.JDY.Domain, CallOptions: call,
			TokenErrcodes: cfg.JDY.TokenErrcodes, TransientErrcodes: cfg.JDY.TransientErrcodes})
		if err != nil {
			return nil, fmt.Errorf("金蝶精斗云 client: %w", err)
		}
		h.Statements = &source.JDYGoods{Client: c, Maps: maps, Options: opts, TenantOptions: tenantOpts}
	}
	switch cfg.ExpenseSource {
	case config.SourceOMS:
		h.Expenses = &source.OMSExpense{Client: omsClient, Maps: maps, Options: opts, TenantOptions: tenantOpts}
	case config.SourceWDT:
		plats, err := wdt.ParsePlatforms(strings.Join(cfg.WDT.Platforms, ","))
		if err != nil {
			return nil, fmt.Errorf("KSF_WDT_PLATFORMS: %w", err)
		}
		// 奇门 counts per app key (and the target app behind the router).
		call, err := b.callOptions(cfg.WDT.RPS, "wdt", cfg.WDT.RouterURL, cfg.WDT.AppKey, cfg.WDT.TargetAppKey, cfg.WDT.SID)
		if err != nil {
			return nil, err
		}
		c, err := wdt.New(wdt.Config{RouterURL: cfg.WDT.RouterURL, AppKey: cfg.WDT.AppKey, AppSecret: cfg.WDT.AppSecret.Value(),
			TargetAppKey: cfg.WDT.TargetAppKey, HJYAppID: cfg.WDT.HJYAppID, HJYAppKey: cfg.WDT.HJYAppKey.Value(),
			SID: cfg.WDT.SID, Platforms: plats, CallOptions: call})
		if err != nil {
			return nil, fmt.Errorf("旺店通 client: %w", err)
		}
		h.Expenses = &source.WDTExpense{Client: c, Maps: maps, Options: opts, TenantOptions: tenantOpts}
	}
	return h, nil
}

// waiqinTenants builds one 勤策 client per tenant block with credentials of
// its own, and a default client from the global KSF_WAIQIN_* values.
func waiqinTenants(cfg *config.Config, b builder, log zerolog.Logger) (*waiqin.Tenants, error) {
	build := func(tenant string) (*waiqin.Client, error) {
		w := cfg.WaiqinFor(tenant)
		if w.OpenID == "" || w.AppKey == "" {
			return nil, nil
		}
		// 勤策 counts per openid: tenants sharing one share its budget.
		call, err := b.callOptions(w.RPS, "waiqin", w.BaseURL, w.OpenID)
		if err != nil {
			return nil, err
		}
		c, err := waiqin.New(waiqin.Config{BaseURL: w.BaseURL, OpenID: w.OpenID, AppKey: w.AppKey.Value(), CallOptions: call})
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
	for id, m := range maps { // KSF_CUSTOMER_MAP_UNLISTED
		if maps[id], err = withUnlisted(cfg, id, m); err != nil {
			return nil, err
		}
	}
	return maps, nil
}

// builder holds what every client's call options share.
type builder struct {
	calls  upstream.Observer
	limits *ratelimit.Limits // nil = per-process limits
}

// callOptions are a client's call settings from the configuration: its
// KSF_*_RPS (0 = no limit, as for the clients) — with limits, a limiter
// shared by every process using the credential (vendor and the parts that
// identify the account the vendor counts calls against, hashed into the
// Redis key) — and the call observer; the rest takes the clients' defaults.
func (b builder) callOptions(rps float64, vendor string, credential ...string) (upstream.CallOptions, error) {
	o := upstream.CallOptions{RPS: rps, Observer: b.calls}
	if b.limits == nil || rps == 0 {
		return o, nil
	}
	lim, err := b.limits.Limiter(ratelimit.Key(vendor, credential...), rps, 0)
	if err != nil {
		return o, fmt.Errorf("%s rate limit: %w", vendor, err)
	}
	o.Limiter = lim
	return o, nil
}
