package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"gopkg.in/yaml.v3"

	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// variable is one KSF_* setting: its name and how it lands in Config. The
// file key is the name without KSF_, lowercased.
type variable struct {
	name   string
	secret bool // never echo the value in an error
	other  bool // read by another program (tests, ksfctl); not a file key
	set    func(c *Config, v string) error
}

// variables lists every variable Load knows, in the order they are applied.
var variables = []variable{
	{name: "KSF_CONFIG"}, // read first, by Load itself
	{name: "KSF_REDIS_URL", secret: true, set: func(c *Config, v string) error {
		if err := checkRedisURL(v); err != nil {
			return err
		}
		c.Redis.URL = Secret(v)
		return nil
	}},
	{name: "KSF_REDIS_CLUSTER_ADDRS", set: func(c *Config, v string) error {
		addrs := list(v)
		for _, a := range addrs {
			if err := checkHostPort(a, false); err != nil {
				return err
			}
		}
		c.Redis.ClusterAddrs = addrs
		return nil
	}},
	{name: "KSF_HTTP_ADDR", set: func(c *Config, v string) error { c.HTTPAddr = v; return checkHostPort(v, true) }},
	{name: "KSF_ADMIN_ADDR", set: func(c *Config, v string) error { c.AdminAddr = v; return checkHostPort(v, true) }},
	{name: "KSF_ADMIN_TOKEN", secret: true, set: func(c *Config, v string) error { c.AdminToken = Secret(v); return nil }},
	{name: "KSF_PUSH_SECRET", secret: true, set: func(c *Config, v string) error { c.PushSecrets = secrets(list(v)); return nil }},
	{name: "KSF_TENANT_ID", set: func(c *Config, v string) error { c.TenantID = v; return checkTenantID(v) }},
	{name: "KSF_PUSH_MAX_AGE", set: func(c *Config, v string) (err error) { c.PushMaxAge, err = duration(v); return err }},
	{name: "KSF_PUSH_MAX_SKEW", set: func(c *Config, v string) (err error) { c.PushMaxSkew, err = positiveDuration(v); return err }},
	{name: "KSF_PUSH_BODY_TIMEOUT", set: func(c *Config, v string) (err error) { c.PushBodyTimeout, err = positiveDuration(v); return err }},
	{name: "KSF_PUSH_MAX_LARGE_BODIES", set: func(c *Config, v string) (err error) { c.PushMaxLargeBodies, err = positive(v); return err }},
	{name: "KSF_WAIQIN_BASE_URL", set: func(c *Config, v string) error { c.Waiqin.BaseURL = v; return checkHTTPURL(v) }},
	{name: "KSF_WAIQIN_OPENID", set: func(c *Config, v string) error { c.Waiqin.OpenID = v; return nil }},
	{name: "KSF_WAIQIN_APPKEY", secret: true, set: func(c *Config, v string) error { c.Waiqin.AppKey = Secret(v); return nil }},
	{name: "KSF_WAIQIN_RPS", set: func(c *Config, v string) (err error) { c.Waiqin.RPS, err = rps(v); return err }},
	{name: "KSF_STATEMENT_SOURCE", set: func(c *Config, v string) error {
		c.StatementSource = v
		return oneOf(v, SourceOMS, SourceJDY)
	}},
	{name: "KSF_EXPENSE_SOURCE", set: func(c *Config, v string) error {
		c.ExpenseSource = v
		return oneOf(v, SourceWDT, SourceOMS)
	}},
	{name: "KSF_OMS_BASE_URL", set: func(c *Config, v string) error { c.OMS.BaseURL = v; return checkHTTPURL(v) }},
	{name: "KSF_OMS_FLAG", set: func(c *Config, v string) error { c.OMS.Flag = v; return nil }},
	{name: "KSF_OMS_TOKEN", secret: true, set: func(c *Config, v string) error { c.OMS.Token = Secret(v); return nil }},
	{name: "KSF_OMS_TIMESTAMP", set: func(c *Config, v string) error {
		c.OMS.Timestamp = v
		return oneOf(v, OMSTimestampDatetime, OMSTimestampUnix)
	}},
	{name: "KSF_OMS_RPS", set: func(c *Config, v string) (err error) { c.OMS.RPS, err = rps(v); return err }},
	{name: "KSF_JDY_BASE_URL", set: func(c *Config, v string) error { c.JDY.BaseURL = v; return checkHTTPURL(v) }},
	{name: "KSF_JDY_CLIENT_ID", set: func(c *Config, v string) error { c.JDY.ClientID = v; return nil }},
	{name: "KSF_JDY_CLIENT_SECRET", secret: true, set: func(c *Config, v string) error { c.JDY.ClientSecret = Secret(v); return nil }},
	{name: "KSF_JDY_APP_KEY", set: func(c *Config, v string) error { c.JDY.AppKey = v; return nil }},
	{name: "KSF_JDY_APP_SECRET", secret: true, set: func(c *Config, v string) error { c.JDY.AppSecret = Secret(v); return nil }},
	{name: "KSF_JDY_DOMAIN", set: func(c *Config, v string) error { c.JDY.Domain = v; return nil }},
	{name: "KSF_JDY_RPS", set: func(c *Config, v string) (err error) { c.JDY.RPS, err = rps(v); return err }},
	{name: "KSF_WDT_ROUTER_URL", set: func(c *Config, v string) error { c.WDT.RouterURL = v; return checkHTTPURL(v) }},
	{name: "KSF_WDT_APP_KEY", set: func(c *Config, v string) error { c.WDT.AppKey = v; return nil }},
	{name: "KSF_WDT_APP_SECRET", secret: true, set: func(c *Config, v string) error { c.WDT.AppSecret = Secret(v); return nil }},
	{name: "KSF_WDT_TARGET_APP_KEY", set: func(c *Config, v string) error { c.WDT.TargetAppKey = v; return nil }},
	{name: "KSF_WDT_HJY_APP_ID", set: func(c *Config, v string) error { c.WDT.HJYAppID = v; return nil }},
	{name: "KSF_WDT_HJY_APP_KEY", secret: true, set: func(c *Config, v string) error { c.WDT.HJYAppKey = Secret(v); return nil }},
	{name: "KSF_WDT_SID", set: func(c *Config, v string) error { c.WDT.SID = v; return nil }},
	{name: "KSF_WDT_PLATFORMS", set: func(c *Config, v string) error {
		ps := list(v)
		for _, p := range ps {
			if _, err := strconv.ParseUint(p, 10, 32); err != nil {
				return fmt.Errorf("platform %q is not a numeric subBillPlatform code", p)
			}
		}
		if len(ps) == 0 {
			return errors.New("lists no platform")
		}
		c.WDT.Platforms = ps
		return nil
	}},
	{name: "KSF_WDT_RPS", set: func(c *Config, v string) (err error) { c.WDT.RPS, err = rps(v); return err }},
	{name: "KSF_CUSTOMER_MAP", set: func(c *Config, v string) error { c.CustomerMap = v; return nil }},
	{name: "KSF_WORKER_CONCURRENCY", set: func(c *Config, v string) (err error) { c.WorkerConcurrency, err = positive(v); return err }},
	{name: "KSF_SCHEDULER", set: func(c *Config, v string) error {
		if err := oneOf(v, "on", "off"); err != nil {
			return err
		}
		c.Scheduler = v == "on"
		return nil
	}},
	{name: "KSF_SCHEDULE_CATCHUP", set: func(c *Config, v string) (err error) {
		if c.ScheduleCatchUp, err = duration(v); err != nil {
			return err
		}
		if c.ScheduleCatchUp > schedule.MaxCatchUp {
			return fmt.Errorf("is over %s (a run is recognised as queued for 11 days)", schedule.MaxCatchUp)
		}
		return nil
	}},
	{name: "KSF_SCHEDULE_NAME", set: func(c *Config, v string) error { c.envSchedule.Name = v; return nil }},
	{name: "KSF_SCHEDULE_CRON", set: func(c *Config, v string) error { c.envSchedule.Cron = v; return nil }},
	{name: "KSF_SCHEDULE_PERIOD", set: func(c *Config, v string) error { c.envSchedule.Period = v; return nil }},
	{name: "KSF_SCHEDULE_DATA_TYPES", set: func(c *Config, v string) error { c.envSchedule.DataTypes = list(v); return nil }},
	{name: "KSF_SCHEDULE_CUSTOMERS", set: func(c *Config, v string) error { c.envSchedule.Customers = list(v); return nil }},
	{name: "KSF_INTERACTIVE_MAX_CUSTOMERS", set: func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("is not a whole number of 0 or more")
		}
		c.InteractiveMaxCustomers = n
		return nil
	}},
	{name: "KSF_HISTORY_RUNS", set: func(c *Config, v string) (err error) { c.History.Runs, err = positive(v); return err }},
	{name: "KSF_HISTORY_BODY_MAX_BYTES", set: func(c *Config, v string) (err error) {
		c.History.BodyMaxBytes, err = positive(v)
		return err
	}},
	{name: "KSF_HISTORY_RETENTION", set: func(c *Config, v string) (err error) { c.History.Retention, err = positiveDuration(v); return err }},
	{name: "KSF_HISTORY_MAX_PERIODS", set: func(c *Config, v string) (err error) { c.History.MaxPeriods, err = positive(v); return err }},
	// Read by other programs, never by Load: known so they are not typos.
	{name: "KSF_TEST_REDIS_URL", other: true},           // the integration tests' Redis
	{name: "KSF_TEST_REDIS_CLUSTER_ADDRS", other: true}, // the end-to-end tests' Redis Cluster
	{name: "KSF_WAIQIN_MEMTEST", other: true},           // a memory test of the 勤策 client
	{name: "KSF_ADMIN_URL", other: true},                // ksfctl: the admin listener's URL
}

// Variables returns the name of every KSF_* variable ksfsync's processes
// read (those of tests and tools excluded).
func Variables() []string {
	var out []string
	for _, v := range variables {
		if !v.other {
			out = append(out, v.name)
		}
	}
	return out
}

func lookup(name string) (variable, bool) {
	for _, v := range variables {
		if v.name == name {
			return v, true
		}
	}
	return variable{}, false
}

// Load builds the configuration from environ (os.Environ's "KEY=value"
// form) and, when KSF_CONFIG names one, a YAML file read with readFile (nil =
// os.ReadFile). Every problem found is reported, each naming its variable.
func Load(environ []string, readFile func(name string) ([]byte, error)) (*Config, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	var errs []error
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "KSF_") {
			continue
		}
		if _, ok := lookup(k); !ok {
			errs = append(errs, unknownVariable(k))
			continue
		}
		env[k] = strings.TrimSpace(v)
	}

	c := Default()
	values := map[string]string{}
	if name := env["KSF_CONFIG"]; name != "" {
		c.File = name
		b, err := readFile(name)
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner // the path is in the message already
			}
			errs = append(errs, fmt.Errorf("KSF_CONFIG: cannot read %s: %w", name, err))
		} else {
			fileValues, tenants, schedules, err := parseFile(name, b)
			c.fileSchedules = schedules
			if err != nil {
				errs = append(errs, err)
			}
			if fileValues != nil {
				values = fileValues
			}
			c.Tenants = tenants
		}
	}
	for k, v := range env {
		if v != "" { // empty counts as unset: the file or the default applies
			values[k] = v
		}
	}
	for _, v := range variables {
		val, ok := values[v.name]
		if !ok || v.set == nil {
			continue
		}
		if err := v.set(c, val); err != nil {
			if v.secret {
				errs = append(errs, fmt.Errorf("%s: %v", v.name, err))
			} else {
				errs = append(errs, fmt.Errorf("%s=%q: %v", v.name, val, err))
			}
		}
	}
	errs = append(errs, c.check()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// check validates what involves several variables, after all are set.
func (c *Config) check() []error {
	var errs []error
	if c.Redis.URL != "" && len(c.Redis.ClusterAddrs) > 0 {
		errs = append(errs, errors.New("KSF_REDIS_URL and KSF_REDIS_CLUSTER_ADDRS are both set: set one"))
	}
	for id, t := range c.Tenants {
		if err := checkTenantID(id); err != nil {
			errs = append(errs, fmt.Errorf("KSF_CONFIG: tenant %q: %v", id, err))
		}
		if t.WaiqinBaseURL != "" {
			if err := checkHTTPURL(t.WaiqinBaseURL); err != nil {
				errs = append(errs, fmt.Errorf("KSF_CONFIG: tenant %q: waiqin_base_url %q: %v", id, t.WaiqinBaseURL, err))
			}
		}
	}
	errs = append(errs, c.parseSchedules()...)
	errs = append(errs, c.checkMappings()...)
	if len(errs) > 0 {
		return errs
	}
	// Demo: no Redis and no secret anywhere → the printed demo secret.
	if c.Demo() && len(c.PushSecrets) == 0 && !c.anyTenantSecret() {
		c.PushSecrets = []Secret{DemoPushSecret}
		c.DemoSecret = true
	}
	if c.TenantID != "" {
		if _, listed := c.Tenants[c.TenantID]; len(c.Tenants) > 0 && !listed {
			errs = append(errs, fmt.Errorf("KSF_TENANT_ID=%q is not one of the tenants of KSF_CONFIG", c.TenantID))
		}
	}
	return errs
}

// ValidateReceiver checks what only the receiver needs: a push secret for
// every tenant that may push (the worker verifies no push, so Load does not
// require one). The error names the variable.
func (c *Config) ValidateReceiver() error {
	var errs []error
	switch {
	case c.TenantID != "":
		if _, ok := c.PushSecretsFor(c.TenantID); !ok {
			errs = append(errs, fmt.Errorf("KSF_PUSH_SECRET is required: tenant %q has no push secret", c.TenantID))
		}
	case len(c.Tenants) > 0:
		for _, id := range c.tenantIDs() {
			if _, ok := c.PushSecretsFor(id); !ok {
				errs = append(errs, fmt.Errorf("KSF_PUSH_SECRET is required: tenant %q has no push secret (set KSF_PUSH_SECRET or push_secrets in its KSF_CONFIG block)", id))
			}
		}
	case len(c.PushSecrets) == 0:
		errs = append(errs, errors.New("KSF_PUSH_SECRET is required when Redis is configured (comma-separated for a rotation)"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return nil
}

// parseSchedules validates every schedule into c.Schedules.
func (c *Config) parseSchedules() []error {
	var specs []schedule.Spec
	var errs []error
	for _, sp := range c.fileSchedules {
		sp.Tenant = c.TenantID
		specs = append(specs, sp)
	}
	for _, id := range c.tenantIDs() {
		for _, sp := range c.Tenants[id].Schedules {
			sp.Tenant = id
			specs = append(specs, sp)
		}
	}
	if sp := c.envSchedule; sp.Cron != "" {
		sp.Tenant = c.TenantID
		if sp.Name == "" {
			sp.Name = DefaultScheduleName
		}
		if sp.Period == "" {
			sp.Period = schedule.LastMonth
		}
		if len(sp.DataTypes) == 0 {
			sp.DataTypes = []string{tasks.DataTypeStatement, tasks.DataTypeExpense}
		}
		specs = append(specs, sp)
	} else if sp.Name != "" || sp.Period != "" || len(sp.DataTypes) > 0 || len(sp.Customers) > 0 {
		errs = append(errs, errors.New("KSF_SCHEDULE_NAME, _PERIOD, _DATA_TYPES or _CUSTOMERS is set without KSF_SCHEDULE_CRON: set it, or unset them"))
	}
	scheds, err := schedule.ParseAll(specs)
	if err != nil {
		errs = append(errs, fmt.Errorf("KSF_CONFIG / KSF_SCHEDULE_*: %w", err))
	}
	c.Schedules = scheds
	c.envSchedule, c.fileSchedules = schedule.Spec{}, nil
	return errs
}

func (c *Config) scheduleKeys() []string {
	out := make([]string, 0, len(c.Schedules))
	for _, s := range c.Schedules {
		out = append(out, s.Key()+" "+s.Cron.String()+" "+s.Period.String())
	}
	return out
}

func (c *Config) anyTenantSecret() bool {
	for _, t := range c.Tenants {
		if len(t.PushSecrets) > 0 {
			return true
		}
	}
	return false
}

// parseFile reads the KSF_CONFIG YAML: the variables' keys (lowercase,
// without KSF_; a list is joined with commas) and a tenants: block.
func parseFile(name string, b []byte) (map[string]string, map[string]Tenant, []schedule.Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, nil, nil, fmt.Errorf("KSF_CONFIG %s: %v", name, err)
	}
	values := map[string]string{}
	if len(root.Content) == 0 { // empty file
		return values, nil, nil, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, nil, nil, fmt.Errorf("KSF_CONFIG %s: the file must be a mapping of keys to values", name)
	}
	var errs []error
	var tenants map[string]Tenant
	var schedules []schedule.Spec
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i].Value, doc.Content[i+1]
		if key == "tenants" {
			var err error
			if tenants, err = parseTenants(val); err != nil {
				errs = append(errs, fmt.Errorf("KSF_CONFIG %s: tenants (line %d): %v", name, val.Line, err))
			}
			continue
		}
		if key == "schedules" { // of KSF_TENANT_ID
			if err := decodeStrict(val, &schedules); err != nil {
				errs = append(errs, fmt.Errorf("KSF_CONFIG %s: schedules (line %d): %v", name, val.Line, err))
			}
			continue
		}
		varName := "KSF_" + strings.ToUpper(key)
		if v, ok := lookup(varName); !ok || v.other || key != strings.ToLower(key) || varName == "KSF_CONFIG" {
			errs = append(errs, fmt.Errorf("KSF_CONFIG %s: unknown key %q (line %d)%s", name, key, doc.Content[i].Line, suggest(strings.ToUpper(varName), true)))
			continue
		}
		switch val.Kind {
		case yaml.ScalarNode:
			values[varName] = strings.TrimSpace(val.Value)
		case yaml.SequenceNode:
			items := make([]string, 0, len(val.Content))
			for _, it := range val.Content {
				if it.Kind != yaml.ScalarNode {
					errs = append(errs, fmt.Errorf("KSF_CONFIG %s: %s (line %d): list items must be plain values", name, key, it.Line))
					break
				}
				items = append(items, strings.TrimSpace(it.Value))
			}
			values[varName] = strings.Join(items, ",")
		default:
			errs = append(errs, fmt.Errorf("KSF_CONFIG %s: %s (line %d) must be a value or a list", name, key, val.Line))
		}
	}
	return values, tenants, schedules, errors.Join(errs...)
}

// decodeStrict decodes n into v, refusing unknown keys.
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func parseTenants(n *yaml.Node) (map[string]Tenant, error) {
	// Re-encode and decode strictly, so a misspelt tenant key is an error.
	b, err := yaml.Marshal(n)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var ts map[string]Tenant
	if err := dec.Decode(&ts); err != nil {
		return nil, err
	}
	for id, t := range ts {
		var kept []Secret
		for _, s := range t.PushSecrets {
			if s = Secret(strings.TrimSpace(string(s))); s != "" {
				kept = append(kept, s)
			}
		}
		t.PushSecrets = kept
		ts[id] = t
	}
	return ts, nil
}

func unknownVariable(name string) error {
	return fmt.Errorf("unknown variable %s%s", name, suggest(name, false))
}

// suggest names the closest known variable, for typos.
func suggest(name string, fileKey bool) string {
	best, bestD := "", 4
	for _, v := range variables {
		if d := distance(name, v.name); d < bestD {
			best, bestD = v.name, d
		}
	}
	if best == "" {
		return ""
	}
	if fileKey {
		return fmt.Sprintf(" (did you mean %q?)", strings.ToLower(strings.TrimPrefix(best, "KSF_")))
	}
	return " (did you mean " + best + "?)"
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// list splits a comma-separated value, trimming items and dropping empty ones.
func list(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func checkRedisURL(v string) error {
	// Never echo v: it may carry a password.
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("is not a URL (expected redis://[:password@]host[:port][/db], rediss://…, redis-sentinel://host1:port,host2:port?master=name)")
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			return fmt.Errorf("%s:// URL has no host", u.Scheme)
		}
	case "redis-sentinel":
		if u.Query().Get("master") == "" {
			return errors.New("redis-sentinel:// URL needs ?master=<name>")
		}
	case "redis-socket":
	default:
		return fmt.Errorf("scheme %q is not redis, rediss or redis-sentinel", u.Scheme)
	}
	if _, err := asynq.ParseRedisURI(v); err != nil {
		return errors.New("is not a Redis URL asynq can use (the database must be a number: redis://host:6379/0)")
	}
	return nil
}

func checkHostPort(v string, listen bool) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("is not host:port")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (!listen && n == 0) {
		return fmt.Errorf("port %q is not a port number", port)
	}
	if !listen && host == "" {
		return errors.New("has no host")
	}
	return nil
}

func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("is not an http(s) URL with a host")
	}
	return nil
}

func checkTenantID(v string) error {
	if v == "" {
		return errors.New("is empty")
	}
	for _, r := range v {
		if r == ':' || r <= ' ' || r == 0x7f {
			return errors.New("may not contain ':', spaces or control characters")
		}
	}
	return nil
}

func positive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.New("is not a whole number above 0")
	}
	return n, nil
}

func rps(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("is not a number of requests per second ≥ 0 (0 = no limit)")
	}
	return f, nil
}

func duration(v string) (time.Duration, error) {
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("is not a Go duration ≥ 0 such as 30m, 48h (0 = off)")
	}
	return d, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("is not a Go duration above 0 such as 10s or 5m")
	}
	return d, nil
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
}
