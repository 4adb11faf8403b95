// Package config reads ksfsync's configuration from the environment and an
// optional YAML file, validates all of it at start and fails with a message
// naming the variable at fault.
//
// Every KSF_* variable of DESIGN.md is a field of Config, even those only the
// worker or the admin listener use, so one Load serves every process and an
// operator's typo is caught whichever process starts first.
//
// Precedence, highest first: the environment, the KSF_CONFIG file, the
// defaults of Default. An empty variable counts as unset. Secrets are of type
// Secret: they print, log and marshal as "[redacted]".
package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/schedule"
)

// Defaults that are not a field's zero value.
const (
	DefaultHTTPAddr          = ":8080"
	DefaultReceiverAdminAddr = "127.0.0.1:8081"
	DefaultWorkerAdminAddr   = "127.0.0.1:8082"
	DefaultWaiqinBaseURL     = "https://openapi.waiqin365.com"
	DefaultJDYBaseURL        = "https://api.kingdee.com"
	DefaultWorkerConcurrency = 10
	// DefaultInteractiveMaxCustomers: pushes naming at most this many
	// customers are served in the interactive lane.
	DefaultInteractiveMaxCustomers = 20

	// DefaultScheduleCatchUp: a scheduled run missed while no worker ran is
	// queued when one starts within this time.
	DefaultScheduleCatchUp = schedule.DefaultCatchUp
	// DefaultScheduleName names the schedule of the KSF_SCHEDULE_* variables.
	DefaultScheduleName = "scheduled"

	// The push listener's guards (KSF_PUSH_BODY_TIMEOUT, KSF_PUSH_MAX_SKEW,
	// KSF_PUSH_MAX_LARGE_BODIES): see docs/receiver.md.
	DefaultPushBodyTimeout = 10 * time.Second
	DefaultPushMaxSkew     = 5 * time.Minute
	DefaultPushLargeBodies = 32

	// Per-source request rates (requests per second; 0 = no limit).
	DefaultWaiqinRPS = 10 // 勤策 publishes no limit
	DefaultOMSRPS    = 5  // 商派 OMS publishes none either; stay gentle
	DefaultJDYRPS    = 8  // 精斗云: 500 calls/minute per account set
	DefaultWDTRPS    = 5  // 奇门 / 慧经营

	// DemoPushSecret is the push secret of the demo (no Redis configured and
	// no secret given). It is printed at start: never use it in production.
	DemoPushSecret = "demo-secret"
)

// Statement and expense sources, OMS timestamp formats.
const (
	SourceOMS = "oms"
	SourceJDY = "jdy"
	SourceWDT = "wdt"

	OMSTimestampDatetime = "datetime" // yyyyMMddHHmmss, as the OMS pages say
	OMSTimestampUnix     = "unix"     // epoch seconds, as the vendor's source checks
)

// DefaultWDTPlatforms are every subBillPlatform code of the 慧经营 spec.
var DefaultWDTPlatforms = []string{
	"9999", "9903", "9803", "9939", "9839", "9739", "9969", "9983", "9975",
	"9875", "9775", "9956", "9856", "9756", "9972", "9872", "9772", "9672",
}

// Config is the whole configuration. Build it with Load, or with Default in
// tests. Each field names its variable; the default is what Default sets.
type Config struct {
	// File is the YAML file named by KSF_CONFIG ("" = none).
	File string

	Redis Redis

	// HTTPAddr (KSF_HTTP_ADDR) is the push listener. Default ":8080".
	HTTPAddr string
	// AdminAddr (KSF_ADMIN_ADDR) is the admin listener; "" means the
	// process's default (DefaultReceiverAdminAddr, DefaultWorkerAdminAddr).
	AdminAddr string
	// AdminToken (KSF_ADMIN_TOKEN) guards the admin API and UI; "" refuses all.
	AdminToken Secret

	// PushSecrets (KSF_PUSH_SECRET, comma-separated) verify push digests;
	// several during a rotation. Required unless Demo.
	PushSecrets []Secret
	// DemoSecret is true when PushSecrets was defaulted to DemoPushSecret.
	DemoSecret bool
	// TenantID (KSF_TENANT_ID): if set, pushes of other tenants are refused.
	TenantID string
	// PushMaxAge (KSF_PUSH_MAX_AGE): refuse pushes whose timestamp is older.
	// 0 (default) = off, because 勤策 retries a failed push for 10 days.
	PushMaxAge time.Duration
	// PushMaxSkew (KSF_PUSH_MAX_SKEW): refuse pushes whose timestamp is
	// further in the future (401), whatever PushMaxAge. Default 5 min.
	PushMaxSkew time.Duration
	// PushBodyTimeout (KSF_PUSH_BODY_TIMEOUT) is the read deadline of a push
	// body, from its headers. Default 10 s (勤策 waits 5 s).
	PushBodyTimeout time.Duration
	// PushMaxLargeBodies (KSF_PUSH_MAX_LARGE_BODIES) caps the push bodies
	// over 64 KiB being read at once; one more gets 503. Default 32.
	PushMaxLargeBodies int
	// Tenants are the file's per-tenant blocks. When present (and TenantID is
	// empty) only these tenants may push.
	Tenants map[string]Tenant

	Waiqin Waiqin

	// StatementSource (KSF_STATEMENT_SOURCE): "oms" (default) or "jdy".
	StatementSource string
	// ExpenseSource (KSF_EXPENSE_SOURCE): "wdt" (default) or "oms".
	ExpenseSource string

	OMS OMS
	JDY JDY
	WDT WDT

	// CustomerMap (KSF_CUSTOMER_MAP) is the CSV mapping customer codes to
	// source ids; "" = identity.
	CustomerMap string
	// WorkerConcurrency (KSF_WORKER_CONCURRENCY) is the worker's goroutines. Default 10.
	WorkerConcurrency int

	// Schedules are every scheduled run, validated: the file's top-level
	// schedules: (tenant KSF_TENANT_ID), each tenant block's schedules:, and
	// the one of the KSF_SCHEDULE_* variables. See docs/schedules.md.
	Schedules []schedule.Schedule
	// Scheduler (KSF_SCHEDULER, on|off): whether this worker fires the
	// schedules. Default on; any number of workers may.
	Scheduler bool
	// ScheduleCatchUp (KSF_SCHEDULE_CATCHUP, Go duration) is how late a
	// missed run is still queued at start. Default 24h; 0 = never; at most
	// 168h.
	ScheduleCatchUp time.Duration

	// envSchedule is the KSF_SCHEDULE_* schedule as set (Cron "" = none).
	envSchedule   schedule.Spec
	fileSchedules []schedule.Spec // top-level schedules: of the file
	// Mapping is the statement mapping's choices and the save policy
	// (KSF_OMS_*_TYPES, KSF_RETURN_MARKERS, …; mapping.go).
	Mapping Mapping
	// InteractiveMaxCustomers (KSF_INTERACTIVE_MAX_CUSTOMERS): a push or
	// resync naming 1..this many customers is fanned out to the interactive
	// queue, ahead of bulk work. Default 20; 0 = no interactive lane.
	InteractiveMaxCustomers int
	History                 History
}

// History bounds the statements' run history (internal/history). Zero
// fields take the history package's defaults, documented in
// docs/configuration.md.
type History struct {
	// Runs (KSF_HISTORY_RUNS): runs kept per tenant × kind × customer ×
	// period, the latest included. 0 = 20.
	Runs int
	// BodyMaxBytes (KSF_HISTORY_BODY_MAX_BYTES): the largest statement body
	// kept, gzip-compressed. 0 = 262144 (256 KiB).
	BodyMaxBytes int
	// Retention (KSF_HISTORY_RETENTION): history keys expire this long after
	// their last write. 0 = 9600h (400 days).
	Retention time.Duration
	// MaxPeriods (KSF_HISTORY_MAX_PERIODS): tenant × kind × period
	// combinations kept; the least recently written goes first. 0 = 1000.
	MaxPeriods int
}

// Redis says where the queues live. Both fields empty = embedded Redis (demo).
type Redis struct {
	// URL (KSF_REDIS_URL): redis://, rediss://, redis-sentinel:// (or
	// redis-socket://) as asynq.ParseRedisURI reads it. It may carry a password.
	URL Secret
	// ClusterAddrs (KSF_REDIS_CLUSTER_ADDRS, comma-separated host:port).
	ClusterAddrs []string
}

// Embedded reports whether no Redis is configured, so an in-process Redis
// that keeps nothing is used (the demo).
func (r Redis) Embedded() bool { return r.URL == "" && len(r.ClusterAddrs) == 0 }

// String describes r without its password.
func (r Redis) String() string {
	switch {
	case len(r.ClusterAddrs) > 0:
		return "cluster " + strings.Join(r.ClusterAddrs, ",")
	case r.URL == "":
		return "embedded (nothing persists)"
	}
	u, err := url.Parse(r.URL.Value())
	if err != nil {
		return "[unparsable URL]"
	}
	return u.Redacted()
}

// Tenant is a per-tenant block of the KSF_CONFIG file. Empty fields fall back
// to the global values.
type Tenant struct {
	PushSecrets   []Secret `yaml:"push_secrets"`
	WaiqinBaseURL string   `yaml:"waiqin_base_url"`
	WaiqinOpenID  string   `yaml:"waiqin_openid"`
	WaiqinAppKey  Secret   `yaml:"waiqin_appkey"`
	CustomerMap   string   `yaml:"customer_map"`
	// Schedules are the tenant's scheduled runs (docs/schedules.md).
	Schedules []schedule.Spec `yaml:"schedules"`
	// The statement mapping and save policy of this tenant (mapping.go).
	Mapping `yaml:",inline"`
}

// Waiqin is the 勤策 openapi (calls made by the worker).
type Waiqin struct {
	BaseURL string  // KSF_WAIQIN_BASE_URL, default https://openapi.waiqin365.com
	OpenID  string  // KSF_WAIQIN_OPENID
	AppKey  Secret  // KSF_WAIQIN_APPKEY (signs every call)
	RPS     float64 // KSF_WAIQIN_RPS, default 10; 0 = no limit
}

// OMS is 商派 OMS.
type OMS struct {
	BaseURL   string  // KSF_OMS_BASE_URL
	Flag      string  // KSF_OMS_FLAG
	Token     Secret  // KSF_OMS_TOKEN
	Timestamp string  // KSF_OMS_TIMESTAMP: "datetime" (default) or "unix"
	RPS       float64 // KSF_OMS_RPS, default 5; 0 = no limit
}

// JDY is 金蝶精斗云.
type JDY struct {
	BaseURL      string  // KSF_JDY_BASE_URL, default https://api.kingdee.com
	ClientID     string  // KSF_JDY_CLIENT_ID
	ClientSecret Secret  // KSF_JDY_CLIENT_SECRET
	AppKey       string  // KSF_JDY_APP_KEY
	AppSecret    Secret  // KSF_JDY_APP_SECRET
	Domain       string  // KSF_JDY_DOMAIN (X-GW-Router-Addr)
	RPS          float64 // KSF_JDY_RPS, default 8; 0 = no limit
	// TokenErrcodes (KSF_JDY_TOKEN_ERRCODES) mean "app-token expired": the
	// token is refreshed once; nil = the client's defaults.
	TokenErrcodes []int64
	// TransientErrcodes (KSF_JDY_TRANSIENT_ERRCODES) are retried later;
	// nil = the client's defaults.
	TransientErrcodes []int64
}

// WDT is 旺店通慧经营 via 奇门.
type WDT struct {
	RouterURL    string   // KSF_WDT_ROUTER_URL
	AppKey       string   // KSF_WDT_APP_KEY
	AppSecret    Secret   // KSF_WDT_APP_SECRET (奇门 sign)
	TargetAppKey string   // KSF_WDT_TARGET_APP_KEY
	HJYAppID     string   // KSF_WDT_HJY_APP_ID
	HJYAppKey    Secret   // KSF_WDT_HJY_APP_KEY (hjySign)
	SID          string   // KSF_WDT_SID
	Platforms    []string // KSF_WDT_PLATFORMS, default DefaultWDTPlatforms
	RPS          float64  // KSF_WDT_RPS, default 5; 0 = no limit
}

// Default returns the configuration with every default set and nothing
// configured: the demo.
func Default() *Config {
	return &Config{
		HTTPAddr:                DefaultHTTPAddr,
		PushBodyTimeout:         DefaultPushBodyTimeout,
		PushMaxSkew:             DefaultPushMaxSkew,
		PushMaxLargeBodies:      DefaultPushLargeBodies,
		Waiqin:                  Waiqin{BaseURL: DefaultWaiqinBaseURL, RPS: DefaultWaiqinRPS},
		StatementSource:         SourceOMS,
		ExpenseSource:           SourceWDT,
		OMS:                     OMS{Timestamp: OMSTimestampDatetime, RPS: DefaultOMSRPS},
		JDY:                     JDY{BaseURL: DefaultJDYBaseURL, RPS: DefaultJDYRPS},
		WDT:                     WDT{Platforms: slices.Clone(DefaultWDTPlatforms), RPS: DefaultWDTRPS},
		WorkerConcurrency:       DefaultWorkerConcurrency,
		InteractiveMaxCustomers: DefaultInteractiveMaxCustomers,
		Scheduler:               true,
		ScheduleCatchUp:         DefaultScheduleCatchUp,
	}
}

// Demo reports whether the process runs the demo: no Redis configured.
func (c *Config) Demo() bool { return c.Redis.Embedded() }

// AdminListen is the admin listener address, def when AdminAddr is unset.
func (c *Config) AdminListen(def string) string {
	if c.AdminAddr != "" {
		return c.AdminAddr
	}
	return def
}

// PushSecretsFor returns the secrets that verify pushes of tenantID, and
// false when that tenant may not push here: KSF_TENANT_ID names another one,
// or the file lists tenants and not this one.
func (c *Config) PushSecretsFor(tenantID string) ([]string, bool) {
	if c.TenantID != "" && tenantID != c.TenantID {
		return nil, false
	}
	t, listed := c.Tenants[tenantID]
	if c.TenantID == "" && len(c.Tenants) > 0 && !listed {
		return nil, false
	}
	src := c.PushSecrets
	if len(t.PushSecrets) > 0 {
		src = t.PushSecrets
	}
	if len(src) == 0 {
		return nil, false
	}
	out := make([]string, len(src))
	for i, s := range src {
		out[i] = s.Value()
	}
	return out, true
}

// RestrictsTenants reports whether only some tenants may push.
func (c *Config) RestrictsTenants() bool { return c.TenantID != "" || len(c.Tenants) > 0 }

// WaiqinFor returns the 勤策 openapi settings of tenantID: its file block's
// values where set, the global ones otherwise.
func (c *Config) WaiqinFor(tenantID string) Waiqin {
	w := c.Waiqin
	t := c.Tenants[tenantID]
	if t.WaiqinBaseURL != "" {
		w.BaseURL = t.WaiqinBaseURL
	}
	if t.WaiqinOpenID != "" {
		w.OpenID = t.WaiqinOpenID
	}
	if t.WaiqinAppKey != "" {
		w.AppKey = t.WaiqinAppKey
	}
	return w
}

// CustomerMapFor returns the customer map file of tenantID (its block's, else
// the global one; "" = identity).
func (c *Config) CustomerMapFor(tenantID string) string {
	if m := c.Tenants[tenantID].CustomerMap; m != "" {
		return m
	}
	return c.CustomerMap
}

// ValidateWorker checks that the sources the worker will call are
// configured: what Load cannot require because the receiver does not need it.
// The error names every missing variable.
func (c *Config) ValidateWorker() error {
	var errs []error
	need := func(name, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required by the worker (%s)", name, c.sourcesLine()))
		}
	}
	uses := map[string]bool{c.StatementSource: true, c.ExpenseSource: true}
	if uses[SourceOMS] {
		need("KSF_OMS_BASE_URL", c.OMS.BaseURL)
		need("KSF_OMS_FLAG", c.OMS.Flag)
		need("KSF_OMS_TOKEN", c.OMS.Token.Value())
	}
	if uses[SourceJDY] {
		need("KSF_JDY_CLIENT_ID", c.JDY.ClientID)
		need("KSF_JDY_CLIENT_SECRET", c.JDY.ClientSecret.Value())
		need("KSF_JDY_APP_KEY", c.JDY.AppKey)
		need("KSF_JDY_APP_SECRET", c.JDY.AppSecret.Value())
		need("KSF_JDY_DOMAIN", c.JDY.Domain)
	}
	if uses[SourceWDT] {
		need("KSF_WDT_ROUTER_URL", c.WDT.RouterURL)
		need("KSF_WDT_APP_KEY", c.WDT.AppKey)
		need("KSF_WDT_APP_SECRET", c.WDT.AppSecret.Value())
		need("KSF_WDT_TARGET_APP_KEY", c.WDT.TargetAppKey)
		need("KSF_WDT_HJY_APP_ID", c.WDT.HJYAppID)
		need("KSF_WDT_HJY_APP_KEY", c.WDT.HJYAppKey.Value())
		need("KSF_WDT_SID", c.WDT.SID)
	}
	// 勤策 credentials: globally, or in every tenant block that pushes here.
	tenants := c.tenantIDs()
	if len(tenants) == 0 {
		tenants = []string{""}
	}
	for _, id := range tenants {
		w := c.WaiqinFor(id)
		if w.OpenID == "" || w.AppKey == "" {
			where := "KSF_WAIQIN_OPENID and KSF_WAIQIN_APPKEY are required by the worker"
			if id != "" {
				where += fmt.Sprintf(" (or waiqin_openid and waiqin_appkey in tenant %q of KSF_CONFIG)", id)
			}
			errs = append(errs, errors.New(where))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) sourcesLine() string {
	return "statements from " + c.StatementSource + ", expenses from " + c.ExpenseSource
}

// tenantIDs are the tenants named in the configuration, sorted.
func (c *Config) tenantIDs() []string {
	ids := make([]string, 0, len(c.Tenants)+1)
	for id := range c.Tenants {
		ids = append(ids, id)
	}
	if c.TenantID != "" && !slices.Contains(ids, c.TenantID) {
		ids = append(ids, c.TenantID)
	}
	sort.Strings(ids)
	return ids
}

// Summary is the configuration for the startup log line: every setting, with
// secrets reduced to whether (and how many) are set.
func (c *Config) Summary() map[string]any {
	set := func(s Secret) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	m := map[string]any{
		"config_file":               c.File,
		"redis":                     c.Redis.String(),
		"http_addr":                 c.HTTPAddr,
		"admin_addr":                c.AdminAddr,
		"admin_token":               set(c.AdminToken),
		"push_secrets":              len(c.PushSecrets),
		"demo_secret":               c.DemoSecret,
		"tenant_id":                 c.TenantID,
		"tenants":                   c.tenantIDs(),
		"push_max_age":              c.PushMaxAge.String(),
		"push_max_skew":             c.PushMaxSkew.String(),
		"push_body_timeout":         c.PushBodyTimeout.String(),
		"push_max_large_bodies":     c.PushMaxLargeBodies,
		"waiqin_base_url":           c.Waiqin.BaseURL,
		"waiqin_openid":             c.Waiqin.OpenID,
		"waiqin_appkey":             set(c.Waiqin.AppKey),
		"waiqin_rps":                c.Waiqin.RPS,
		"statement_source":          c.StatementSource,
		"expense_source":            c.ExpenseSource,
		"oms_base_url":              c.OMS.BaseURL,
		"oms_flag":                  c.OMS.Flag,
		"oms_token":                 set(c.OMS.Token),
		"oms_timestamp":             c.OMS.Timestamp,
		"oms_rps":                   c.OMS.RPS,
		"jdy_base_url":              c.JDY.BaseURL,
		"jdy_client_id":             c.JDY.ClientID,
		"jdy_client_secret":         set(c.JDY.ClientSecret),
		"jdy_app_key":               c.JDY.AppKey,
		"jdy_app_secret":            set(c.JDY.AppSecret),
		"jdy_domain":                c.JDY.Domain,
		"jdy_rps":                   c.JDY.RPS,
		"wdt_router_url":            c.WDT.RouterURL,
		"wdt_app_key":               c.WDT.AppKey,
		"wdt_app_secret":            set(c.WDT.AppSecret),
		"wdt_target_app_key":        c.WDT.TargetAppKey,
		"wdt_hjy_app_id":            c.WDT.HJYAppID,
		"wdt_hjy_app_key":           set(c.WDT.HJYAppKey),
		"wdt_sid":                   c.WDT.SID,
		"wdt_platforms":             strings.Join(c.WDT.Platforms, ","),
		"wdt_rps":                   c.WDT.RPS,
		"customer_map":              c.CustomerMap,
		"worker_concurrency":        c.WorkerConcurrency,
		"history_runs":              c.History.Runs,
		"history_body_max":          c.History.BodyMaxBytes,
		"history_retention":         c.History.Retention.String(),
		"history_max_periods":       c.History.MaxPeriods,
		"demo_embedded_redis":       c.Demo(),
		"interactive_max_customers": c.InteractiveMaxCustomers,
		"schedules":                 c.scheduleKeys(),
		"scheduler":                 c.Scheduler,
		"schedule_catchup":          c.ScheduleCatchUp.String(),
	}
	for k, v := range c.mappingSummary() {
		m[k] = v
	}
	return m
}

// String is the redacted summary, so printing a Config never shows a secret.
func (c *Config) String() string {
	m := c.Summary()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		switch v := m[k].(type) {
		case string:
			b.WriteString(strconv.Quote(v))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// GoString keeps %#v as safe as %v.
func (c *Config) GoString() string { return "config.Config{" + c.String() + "}" }
