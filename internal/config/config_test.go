package config_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ksfsync/ksfsync/internal/config"
)

// files serves KSF_CONFIG files from memory.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		s, ok := m[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

func TestLoadDefaultsIsDemo(t *testing.T) {
	t.Parallel()
	c, err := config.Load([]string{"HOME=/root", "PATH=/bin"}, files(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo() || !c.DemoSecret {
		t.Errorf("Demo()=%v DemoSecret=%v, want both true", c.Demo(), c.DemoSecret)
	}
	if got, ok := c.PushSecretsFor("any"); !ok || !reflect.DeepEqual(got, []string{config.DemoPushSecret}) {
		t.Errorf("PushSecretsFor = %v %v, want the demo secret", got, ok)
	}
	want := config.Default()
	want.PushSecrets, want.DemoSecret = []config.Secret{config.DemoPushSecret}, true
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load() = %s\nwant %s", c, want)
	}
	if c.HTTPAddr != ":8080" || c.WorkerConcurrency != 10 || c.StatementSource != "oms" || c.ExpenseSource != "wdt" ||
		c.Waiqin.BaseURL != "https://openapi.waiqin365.com" || c.JDY.BaseURL != "https://api.kingdee.com" ||
		c.OMS.Timestamp != "datetime" || len(c.WDT.Platforms) != 18 || c.PushMaxAge != 0 {
		t.Errorf("defaults differ from DESIGN.md: %s", c)
	}
	if got := c.AdminListen(config.DefaultReceiverAdminAddr); got != "127.0.0.1:8081" {
		t.Errorf("AdminListen = %q", got)
	}
}

func TestLoadEveryVariable(t *testing.T) {
	t.Parallel()
	env := []string{
		"KSF_REDIS_URL=redis://:pw@redis:6379/2",
		"KSF_HTTP_ADDR=0.0.0.0:9000",
		"KSF_ADMIN_ADDR=127.0.0.1:9001",
		"KSF_ADMIN_TOKEN=adm",
		"KSF_PUSH_SECRET= new , old ,",
		"KSF_TENANT_ID=12345",
		"KSF_PUSH_MAX_AGE=48h",
		"KSF_PUSH_MAX_SKEW=1m",
		"KSF_PUSH_BODY_TIMEOUT=7s",
		"KSF_PUSH_MAX_LARGE_BODIES=5",
		"KSF_WAIQIN_BASE_URL=https://openapi.qince.com",
		"KSF_WAIQIN_OPENID=1234567890123456789",
		"KSF_WAIQIN_APPKEY=appkey",
		"KSF_WAIQIN_RPS=2.5",
		"KSF_STATEMENT_SOURCE=jdy",
		"KSF_EXPENSE_SOURCE=oms",
		"KSF_OMS_BASE_URL=http://oms.example",
		"KSF_OMS_FLAG=flag",
		"KSF_OMS_TOKEN=tok",
		"KSF_OMS_TIMESTAMP=unix",
		"KSF_OMS_RPS=0",
		"KSF_JDY_BASE_URL=https://jdy.example",
		"KSF_JDY_CLIENT_ID=cid",
		"KSF_JDY_CLIENT_SECRET=csec",
		"KSF_JDY_APP_KEY=ak",
		"KSF_JDY_APP_SECRET=asec",
		"KSF_JDY_DOMAIN=dom",
		"KSF_JDY_RPS=8",
		"KSF_WDT_ROUTER_URL=http://1.api.taobao.com/router/qm",
		"KSF_WDT_APP_KEY=wak",
		"KSF_WDT_APP_SECRET=wsec",
		"KSF_WDT_TARGET_APP_KEY=tak",
		"KSF_WDT_HJY_APP_ID=hid",
		"KSF_WDT_HJY_APP_KEY=hkey",
		"KSF_WDT_SID=sid",
		"KSF_WDT_PLATFORMS=9969, 9999",
		"KSF_WDT_RPS=3",
		"KSF_CUSTOMER_MAP=/etc/ksf/map.csv",
		"KSF_WORKER_CONCURRENCY=4",
		"KSF_SCHEDULER=off",
		"KSF_SCHEDULE_CATCHUP=48h",
		"KSF_SCHEDULE_NAME=close",
		"KSF_SCHEDULE_CRON=0 6 31 * *",
		"KSF_SCHEDULE_PERIOD=days:3",
		"KSF_SCHEDULE_DATA_TYPES=ksf_expense",
		"KSF_SCHEDULE_CUSTOMERS= c1, c2,",
		"KSF_INTERACTIVE_MAX_CUSTOMERS=5",
		"KSF_HISTORY_RUNS=5",
		"KSF_HISTORY_BODY_MAX_BYTES=65536",
		"KSF_HISTORY_RETENTION=720h",
		"KSF_HISTORY_MAX_PERIODS=50",
		"KSF_TEST_REDIS_URL=redis://127.0.0.1:6379/15",
		"KSF_ADMIN_URL=http://127.0.0.1:8081",
	}
	c, err := config.Load(env, files(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Config{
		Redis:                   config.Redis{URL: "redis://:pw@redis:6379/2"},
		HTTPAddr:                "0.0.0.0:9000",
		AdminAddr:               "127.0.0.1:9001",
		AdminToken:              "adm",
		PushSecrets:             []config.Secret{"new", "old"},
		TenantID:                "12345",
		PushMaxAge:              48 * time.Hour,
		PushMaxSkew:             time.Minute,
		PushBodyTimeout:         7 * time.Second,
		PushMaxLargeBodies:      5,
		Waiqin:                  config.Waiqin{BaseURL: "https://openapi.qince.com", OpenID: "1234567890123456789", AppKey: "appkey", RPS: 2.5},
		StatementSource:         "jdy",
		ExpenseSource:           "oms",
		OMS:                     config.OMS{BaseURL: "http://oms.example", Flag: "flag", Token: "tok", Timestamp: "unix", RPS: 0},
		JDY:                     config.JDY{BaseURL: "https://jdy.example", ClientID: "cid", ClientSecret: "csec", AppKey: "ak", AppSecret: "asec", Domain: "dom", RPS: 8},
		WDT:                     config.WDT{RouterURL: "http://1.api.taobao.com/router/qm", AppKey: "wak", AppSecret: "wsec", TargetAppKey: "tak", HJYAppID: "hid", HJYAppKey: "hkey", SID: "sid", Platforms: []string{"9969", "9999"}, RPS: 3},
		CustomerMap:             "/etc/ksf/map.csv",
		WorkerConcurrency:       4,
		InteractiveMaxCustomers: 5,
		ScheduleCatchUp:         48 * time.Hour,
		History:                 config.History{Runs: 5, BodyMaxBytes: 65536, Retention: 720 * time.Hour, MaxPeriods: 50},
	}
	if len(c.Schedules) != 1 {
		t.Fatalf("Schedules = %v, want the KSF_SCHEDULE_* one", c.Schedules)
	}
	if s := c.Schedules[0]; s.Key() != "12345/close" || s.Cron.String() != "0 6 31 * *" || s.Period.String() != "days:3" ||
		fmt.Sprint(s.DataTypes) != "[ksf_expense]" || fmt.Sprint(s.Customers) != "[c1 c2]" {
		t.Errorf("schedule = %+v", s)
	}
	c.Schedules = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load() =\n%#v\nwant\n%#v", *c, *want)
	}
	if c.Demo() {
		t.Error("Demo() with a Redis URL")
	}
	if err := c.ValidateWorker(); err != nil {
		t.Errorf("ValidateWorker: %v", err)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	const secretEnv = "KSF_PUSH_SECRET=s"
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"unknown variable", []string{"KSF_REDIS_ULR=redis://x"}, "unknown variable KSF_REDIS_ULR (did you mean KSF_REDIS_URL?)"},
		{"unknown far from all", []string{"KSF_XYZZY_PLUGH=1"}, "unknown variable KSF_XYZZY_PLUGH"},
		{"redis scheme", []string{"KSF_REDIS_URL=http://x:6379", secretEnv}, `KSF_REDIS_URL: scheme "http"`},
		{"redis db", []string{"KSF_REDIS_URL=redis://x:6379/zero", secretEnv}, "KSF_REDIS_URL: is not a Redis URL"},
		{"redis no host", []string{"KSF_REDIS_URL=redis:///0", secretEnv}, "KSF_REDIS_URL: redis:// URL has no host"},
		{"sentinel without master", []string{"KSF_REDIS_URL=redis-sentinel://a:26379,b:26379", secretEnv}, "KSF_REDIS_URL: redis-sentinel:// URL needs ?master"},
		{"cluster addr", []string{"KSF_REDIS_CLUSTER_ADDRS=a:6379,b", secretEnv}, `KSF_REDIS_CLUSTER_ADDRS="a:6379,b": is not host:port`},
		{"url and cluster", []string{"KSF_REDIS_URL=redis://a:6379", "KSF_REDIS_CLUSTER_ADDRS=a:6379", secretEnv}, "KSF_REDIS_URL and KSF_REDIS_CLUSTER_ADDRS are both set"},
		{"http addr", []string{"KSF_HTTP_ADDR=8080"}, `KSF_HTTP_ADDR="8080": is not host:port`},
		{"admin addr port", []string{"KSF_ADMIN_ADDR=:http"}, `KSF_ADMIN_ADDR=":http": port "http"`},
		{"tenant colon", []string{"KSF_TENANT_ID=a:b"}, `KSF_TENANT_ID="a:b": may not contain ':'`},
		{"max age", []string{"KSF_PUSH_MAX_AGE=10 days"}, `KSF_PUSH_MAX_AGE="10 days": is not a Go duration`},
		{"negative max age", []string{"KSF_PUSH_MAX_AGE=-1h"}, "KSF_PUSH_MAX_AGE"},
		{"zero skew", []string{"KSF_PUSH_MAX_SKEW=0"}, "KSF_PUSH_MAX_SKEW"},
		{"body timeout", []string{"KSF_PUSH_BODY_TIMEOUT=ten"}, `KSF_PUSH_BODY_TIMEOUT="ten": is not a Go duration above 0`},
		{"large bodies", []string{"KSF_PUSH_MAX_LARGE_BODIES=0"}, "KSF_PUSH_MAX_LARGE_BODIES"},
		{"waiqin url", []string{"KSF_WAIQIN_BASE_URL=openapi.waiqin365.com"}, "KSF_WAIQIN_BASE_URL"},
		{"rps negative", []string{"KSF_WAIQIN_RPS=-1"}, `KSF_WAIQIN_RPS="-1": is not a number`},
		{"rps text", []string{"KSF_OMS_RPS=fast"}, "KSF_OMS_RPS"},
		{"rps inf", []string{"KSF_JDY_RPS=Inf"}, "KSF_JDY_RPS"},
		{"rps nan", []string{"KSF_WDT_RPS=NaN"}, "KSF_WDT_RPS"},
		{"statement source", []string{"KSF_STATEMENT_SOURCE=wdt"}, `KSF_STATEMENT_SOURCE="wdt": must be one of oms, jdy`},
		{"expense source", []string{"KSF_EXPENSE_SOURCE=jdy"}, `KSF_EXPENSE_SOURCE="jdy": must be one of wdt, oms`},
		{"oms timestamp", []string{"KSF_OMS_TIMESTAMP=ms"}, "KSF_OMS_TIMESTAMP"},
		{"oms url", []string{"KSF_OMS_BASE_URL=ftp://x"}, "KSF_OMS_BASE_URL"},
		{"jdy url", []string{"KSF_JDY_BASE_URL=://"}, "KSF_JDY_BASE_URL"},
		{"wdt url", []string{"KSF_WDT_ROUTER_URL=x"}, "KSF_WDT_ROUTER_URL"},
		{"wdt platforms", []string{"KSF_WDT_PLATFORMS=9969,alipay"}, `platform "alipay"`},
		{"wdt platforms empty", []string{"KSF_WDT_PLATFORMS=,"}, "KSF_WDT_PLATFORMS"},
		{"concurrency zero", []string{"KSF_WORKER_CONCURRENCY=0"}, `KSF_WORKER_CONCURRENCY="0": is not a whole number above 0`},
		{"concurrency text", []string{"KSF_WORKER_CONCURRENCY=ten"}, "KSF_WORKER_CONCURRENCY"},
		{"interactive negative", []string{"KSF_INTERACTIVE_MAX_CUSTOMERS=-1"}, `KSF_INTERACTIVE_MAX_CUSTOMERS="-1": is not a whole number of 0 or more`},
		{"history runs zero", []string{"KSF_HISTORY_RUNS=0"}, `KSF_HISTORY_RUNS="0": is not a whole number above 0`},
		{"history retention", []string{"KSF_HISTORY_RETENTION=forever"}, "KSF_HISTORY_RETENTION"},
		{"history body", []string{"KSF_HISTORY_BODY_MAX_BYTES=-1"}, "KSF_HISTORY_BODY_MAX_BYTES"},
		{"history periods", []string{"KSF_HISTORY_MAX_PERIODS=x"}, "KSF_HISTORY_MAX_PERIODS"},
		{"unreadable file", []string{"KSF_CONFIG=/nope.yaml"}, "KSF_CONFIG: cannot read /nope.yaml: file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(tt.env, files(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load(%q) error = %v, want it to contain %q", tt.env, err, tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := config.Load([]string{"KSF_OMS_RPS=x", "KSF_JDY_RPS=y", "KSF_NOPE=1"}, files(nil))
	for _, want := range []string{"KSF_OMS_RPS", "KSF_JDY_RPS", "KSF_NOPE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

const fileYAML = `
redis_url: redis://file-redis:6379/1
push_secret: [fs1, fs2]
worker_concurrency: 3
oms_rps: 1.5
wdt_platforms:
  - 9969
  - 9903
tenants:
  1001:
    push_secrets: [t1new, t1old]
    waiqin_openid: open-1001
    waiqin_appkey: key-1001
    customer_map: /maps/1001.csv
  "1002":
    waiqin_base_url: https://openapi.qince.com
`

func TestLoadFile(t *testing.T) {
	t.Parallel()
	fsys := files(map[string]string{"/ksf.yaml": fileYAML})
	c, err := config.Load([]string{"KSF_CONFIG=/ksf.yaml", "KSF_WORKER_CONCURRENCY=7", "KSF_OMS_RPS=", "KSF_WAIQIN_OPENID=global-open", "KSF_WAIQIN_APPKEY=global-key"}, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != "/ksf.yaml" || c.Redis.URL != "redis://file-redis:6379/1" || c.OMS.RPS != 1.5 ||
		!reflect.DeepEqual(c.WDT.Platforms, []string{"9969", "9903"}) {
		t.Errorf("file values not applied: %s", c)
	}
	if c.WorkerConcurrency != 7 {
		t.Errorf("WorkerConcurrency = %d: the environment must override the file", c.WorkerConcurrency)
	}
	tests := []struct {
		tenant string
		want   []string
		ok     bool
	}{
		{"1001", []string{"t1new", "t1old"}, true},
		{"1002", []string{"fs1", "fs2"}, true}, // no own secrets: the global ones
		{"1003", nil, false},                   // the file lists tenants: others are refused
	}
	for _, tt := range tests {
		got, ok := c.PushSecretsFor(tt.tenant)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("PushSecretsFor(%s) = %v %v, want %v %v", tt.tenant, got, ok, tt.want, tt.ok)
		}
	}
	if w := c.WaiqinFor("1001"); w.OpenID != "open-1001" || w.AppKey != "key-1001" || w.BaseURL != config.DefaultWaiqinBaseURL {
		t.Errorf("WaiqinFor(1001) = %+v", w)
	}
	if w := c.WaiqinFor("1002"); w.OpenID != "global-open" || w.BaseURL != "https://openapi.qince.com" {
		t.Errorf("WaiqinFor(1002) = %+v", w)
	}
	if c.CustomerMapFor("1001") != "/maps/1001.csv" || c.CustomerMapFor("1002") != "" {
		t.Errorf("CustomerMapFor: %q %q", c.CustomerMapFor("1001"), c.CustomerMapFor("1002"))
	}
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want string
		env              []string
	}{
		{"unknown key", "redis_ulr: x\n", `unknown key "redis_ulr" (line 1) (did you mean "redis_url"?)`, nil},
		{"uppercase key", "REDIS_URL: redis://x:1\n", `unknown key "REDIS_URL"`, nil},
		{"config key", "config: other.yaml\n", `unknown key "config"`, nil},
		{"tool key", "test_redis_url: redis://x:1\n", `unknown key "test_redis_url"`, nil},
		{"bad value", "push_secret: s\nworker_concurrency: -2\n", "KSF_WORKER_CONCURRENCY", nil},
		{"nested value", "push_secret: {a: b}\n", "push_secret (line 1) must be a value or a list", nil},
		{"not a mapping", "- a\n- b\n", "must be a mapping", nil},
		{"yaml syntax", "a: [\n", "KSF_CONFIG /f.yaml: yaml:", nil},
		{"tenant typo", "tenants:\n  t1:\n    push_secret: [a]\n", "field push_secret not found", nil},
		{"tenant colon", "push_secret: s\ntenants:\n  'a:b': {}\n", `tenant "a:b": may not contain ':'`, nil},
		{"tenant url", "push_secret: s\ntenants:\n  t1: {waiqin_base_url: nope}\n", `waiqin_base_url "nope"`, nil},
		{"tenant without secret", "redis_url: redis://r:6379\ntenants:\n  t1: {waiqin_openid: o}\n", `tenant "t1" has no push secret`, nil},
		{"tenant id not in file", "push_secret: s\ntenants:\n  t1: {}\n", `KSF_TENANT_ID="t2" is not one of the tenants`, []string{"KSF_TENANT_ID=t2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := append([]string{"KSF_CONFIG=/f.yaml"}, tt.env...)
			c, err := config.Load(env, files(map[string]string{"/f.yaml": tt.file}))
			if err == nil {
				err = c.ValidateReceiver() // the push secrets are the receiver's concern
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPushSecretsFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      []string
		file     string
		tenant   string
		want     []string
		ok       bool
		restrict bool
	}{
		{"any tenant", []string{"KSF_PUSH_SECRET=a,b"}, "", "t9", []string{"a", "b"}, true, false},
		{"tenant id matches", []string{"KSF_PUSH_SECRET=a", "KSF_TENANT_ID=t1"}, "", "t1", []string{"a"}, true, true},
		{"tenant id differs", []string{"KSF_PUSH_SECRET=a", "KSF_TENANT_ID=t1"}, "", "t2", nil, false, true},
		{"tenant id with block", []string{"KSF_TENANT_ID=t1"}, "tenants: {t1: {push_secrets: [x]}, t2: {push_secrets: [y]}}", "t2", nil, false, true},
		{"tenant id uses block secret", []string{"KSF_TENANT_ID=t1"}, "tenants: {t1: {push_secrets: [x]}, t2: {push_secrets: [y]}}", "t1", []string{"x"}, true, true},
		{"listed", nil, "tenants: {t1: {push_secrets: [' x ', '']}}", "t1", []string{"x"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := append([]string{"KSF_REDIS_URL=redis://r:6379"}, tt.env...)
			fsys := files(nil)
			if tt.file != "" {
				env = append(env, "KSF_CONFIG=/f.yaml")
				fsys = files(map[string]string{"/f.yaml": tt.file})
			}
			c, err := config.Load(env, fsys)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := c.PushSecretsFor(tt.tenant)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PushSecretsFor(%s) = %v %v, want %v %v", tt.tenant, got, ok, tt.want, tt.ok)
			}
			if c.RestrictsTenants() != tt.restrict {
				t.Errorf("RestrictsTenants() = %v", c.RestrictsTenants())
			}
		})
	}
}

// TestSecretsNeverPrinted checks every way a Config or an error can reach a log.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	secrets := []string{"PUSHSECRET1", "REDISPASSWORD", "ADMINTOKEN", "APPKEYSECRET", "OMSTOKENSECRET",
		"JDYCLIENTSECRET", "JDYAPPSECRET", "WDTAPPSECRET", "WDTHJYKEY", "TENANTSECRET", "TENANTAPPKEY"}
	env := []string{
		"KSF_PUSH_SECRET=PUSHSECRET1", "KSF_REDIS_URL=redis://:REDISPASSWORD@r:6379/0", "KSF_ADMIN_TOKEN=ADMINTOKEN",
		"KSF_WAIQIN_APPKEY=APPKEYSECRET", "KSF_OMS_TOKEN=OMSTOKENSECRET", "KSF_JDY_CLIENT_SECRET=JDYCLIENTSECRET",
		"KSF_JDY_APP_SECRET=JDYAPPSECRET", "KSF_WDT_APP_SECRET=WDTAPPSECRET", "KSF_WDT_HJY_APP_KEY=WDTHJYKEY",
		"KSF_CONFIG=/f.yaml",
	}
	fsys := files(map[string]string{"/f.yaml": "tenants: {t1: {push_secrets: [TENANTSECRET], waiqin_appkey: TENANTAPPKEY}}"})
	c, err := config.Load(env, fsys)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	ym, _ := yaml.Marshal(c)
	summary, _ := json.Marshal(c.Summary())
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%+v struct": fmt.Sprintf("%+v", *c), "%v tenants": fmt.Sprintf("%v %+v", c.Tenants, c.Tenants["t1"]),
		"%#v struct": fmt.Sprintf("%#v", *c), "json": string(js), "yaml": string(ym), "summary": string(summary),
		"redis": c.Redis.String(), "waiqin": fmt.Sprintf("%+v", c.WaiqinFor("t1")),
	}
	// Invalid secret values must not be echoed in errors either.
	_, err = config.Load([]string{"KSF_REDIS_URL=redis://:REDISPASSWORD@r:6379/x%zz"}, files(nil))
	outputs["error"] = fmt.Sprint(err)
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output shows secret %s: %s", name, s, out)
			}
		}
	}
	if !strings.Contains(outputs["%+v struct"], config.Redacted) {
		t.Errorf("%%+v does not show %s: %s", config.Redacted, outputs["%+v struct"])
	}
}

func TestValidateWorker(t *testing.T) {
	t.Parallel()
	c, err := config.Load([]string{"KSF_PUSH_SECRET=s", "KSF_REDIS_URL=redis://r:6379", "KSF_OMS_BASE_URL=http://oms"}, files(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.ValidateWorker()
	for _, want := range []string{"KSF_OMS_FLAG", "KSF_OMS_TOKEN", "KSF_WDT_ROUTER_URL", "KSF_WDT_HJY_APP_KEY", "KSF_WAIQIN_OPENID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateWorker() = %v, want it to name %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "KSF_OMS_BASE_URL") {
		t.Errorf("ValidateWorker names a set variable: %v", err)
	}
}

func TestVariablesAreDocumented(t *testing.T) {
	t.Parallel()
	doc, err := readRepoFile("docs/configuration.md")
	if err != nil {
		t.Skip("docs/configuration.md not found:", err)
	}
	for _, v := range config.Variables() {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("docs/configuration.md does not document %s", v)
		}
	}
}

func TestRedisString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    config.Redis
		want string
	}{
		{config.Redis{}, "embedded (nothing persists)"},
		{config.Redis{URL: "rediss://u:pw@h:6380/3"}, "rediss://u:xxxxx@h:6380/3"},
		{config.Redis{ClusterAddrs: []string{"a:1", "b:2"}}, "cluster a:1,b:2"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// readRepoFile reads a file relative to the repository root.
func readRepoFile(name string) (string, error) {
	b, err := os.ReadFile("../../" + name)
	return string(b), err
}

func TestValidateReceiver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string // "" = valid
	}{
		{"demo secret", nil, ""},
		{"secret required with redis", []string{"KSF_REDIS_URL=redis://r:6379"}, "KSF_PUSH_SECRET is required when Redis is configured"},
		{"secret given", []string{"KSF_REDIS_URL=redis://r:6379", "KSF_PUSH_SECRET=s"}, ""},
		{"tenant without secret", []string{"KSF_REDIS_URL=redis://r:6379", "KSF_TENANT_ID=t1"}, `tenant "t1" has no push secret`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(tt.env, files(nil))
			if err != nil {
				t.Fatal(err) // the worker loads the same configuration without a secret
			}
			err = c.ValidateReceiver()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("ValidateReceiver = %v, want %q", err, tt.want)
			}
		})
	}
}
