package metrics_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/schedule"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// prometheusOwn are series Prometheus itself makes for each target.
var prometheusOwn = []string{"up"}

// exportedNames gathers every series name a ksfsync process can export: the
// ksf_ series (each touched once), the queue series and the scheduler's.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	client := asynq.NewClientFromRedisClient(rdb)
	for _, q := range tasks.Queues {
		if _, err := client.Enqueue(asynq.NewTask("ksf:test", nil, asynq.Queue(q))); err != nil {
			t.Fatal(err)
		}
	}
	m := metrics.New()
	if err := m.RegisterQueueMetrics(asynq.NewInspectorFromRedisClient(rdb), zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	m.PushHandled(tasks.DataTypeStatement, metrics.PushQueued, time.Millisecond)
	m.DigestFailed(metrics.DigestMismatch)
	m.Enqueued(time.Millisecond)
	m.ObserveCall("oms", "ar.getList", "ok", time.Millisecond)
	m.JobProcessed(tasks.TypeStatement, metrics.JobOK, time.Second)
	m.StatementSaved(tasks.TypeStatement)
	m.ErrorLogSent(tasks.TypeStatement)
	m.ReconcileDifference(tasks.TypeStatement)

	sch, err := schedule.Parse(schedule.Spec{Tenant: "1", Name: "monthly-close", Cron: "0 6 1 * *", DataTypes: []string{tasks.DataTypeStatement}, Period: "last_month"})
	if err != nil {
		t.Fatal(err)
	}
	runs := schedule.NewRuns(rdb, nil)
	s := schedule.New([]schedule.Schedule{sch}, func(ctx context.Context, p tasks.Push) (bool, error) { return tasks.Enqueue(ctx, client, p) },
		schedule.Options{Runs: runs})
	if _, err := schedule.NewMetrics(m.Registry(), s, runs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fire(context.Background(), sch, time.Now(), ""); err != nil {
		t.Fatal(err)
	}

	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		n := f.GetName()
		names[n] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[n+"_bucket"], names[n+"_sum"], names[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[n+"_sum"], names[n+"_count"] = true, true
		}
	}
	for _, n := range prometheusOwn {
		names[n] = true
	}
	return names
}

var (
	quoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	matchers  = regexp.MustCompile(`\{[^}]*\}`)
	ranges    = regexp.MustCompile(`\[[^\]]*\]`)
	grouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	variables = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	numbers   = regexp.MustCompile(`\b\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?\b`)
	ident     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	keywords  = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan"}
)

// seriesNames are the metric names a PromQL expression selects.
func seriesNames(expr string) []string {
	for _, re := range []*regexp.Regexp{quoted, variables, matchers, ranges, grouping, numbers} {
		expr = re.ReplaceAllString(expr, " ")
	}
	var out []string
	for _, m := range ident.FindAllStringSubmatch(expr, -1) {
		tok := m[0]
		if m[1] != "" || slices.Contains(keywords, strings.ToLower(tok)) { // a function or aggregation, a keyword
			continue
		}
		out = append(out, tok)
	}
	return out
}

func TestSeriesNames(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]string{
		`sum by (kind) (increase(ksf_jobs_processed_total{outcome=~"failed|malformed"}[1h])) > 0`: "ksf_jobs_processed_total",
		`max by (a) (x_seconds) == 0 and on (a, b) (time() - max by (a) (y_total)) > 8 * 3600`:    "x_seconds y_total",
		`histogram_quantile(0.99, sum by (le) (rate(h_bucket[$__rate_interval])))`:                "h_bucket",
		`up{job="ksfsync"} == 0 or vector(1) offset 5m`:                                           "up",
		`nope_total / ignoring(x) group_left(y) other_total`:                                      "nope_total other_total",
	} {
		if got := strings.Join(seriesNames(expr), " "); got != want {
			t.Errorf("seriesNames(%q) = %q, want %q", expr, got, want)
		}
	}
}

func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeployNamesRealSeries: every series the shipped alert rules and the
// Grafana dashboard query is one ksfsync exports (or Prometheus' up).
func TestDeployNamesRealSeries(t *testing.T) {
	t.Parallel()
	names := exportedNames(t)
	type query struct{ where, expr string }
	var queries []query

	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(repoFile(t, "deploy/prometheus/rules.yml"), &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			queries = append(queries, query{"rules.yml alert " + r.Alert, r.Expr})
		}
	}
	nRules := len(queries)

	type panel struct {
		Title   string  `json:"title"`
		Panels  []panel `json:"panels"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	}
	var dash struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(repoFile(t, "deploy/grafana/dashboards/ksfsync.json"), &dash); err != nil {
		t.Fatal(err)
	}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				queries = append(queries, query{"dashboard panel " + p.Title, tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	if nRules < 10 || len(queries)-nRules < 15 {
		t.Fatalf("read %d rules and %d dashboard queries: the files are not what this test expects", nRules, len(queries)-nRules)
	}
	for _, q := range queries {
		found := seriesNames(q.expr)
		if len(found) == 0 {
			t.Errorf("%s: no series in %q", q.where, q.expr)
		}
		for _, n := range found {
			if !names[n] {
				t.Errorf("%s: %q is not a series ksfsync exports (expr %q)", q.where, n, q.expr)
			}
		}
	}
}
