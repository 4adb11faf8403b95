package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// DemoAdminToken guards the demo's admin listeners when KSF_ADMIN_TOKEN is
// not set (they listen on loopback only).
const DemoAdminToken = "demo-admin-token"

// DemoStatementsPath serves, read-only, what the demo's 勤策 fake holds.
const DemoStatementsPath = "/demo/statements"

// demoRun is the demo's other half: the vendors' fakes and a worker in the
// receiver's process, on the same embedded Redis.
type demoRun struct {
	fakes  *demo.Fakes
	worker *Worker
}

func startDemo(ctx context.Context, cfg *config.Config, conn *redisconn.Conn, m *metrics.Metrics, log zerolog.Logger) (*demoRun, error) {
	if conn.Embedded == nil {
		return nil, errors.New("demo: no embedded Redis")
	}
	fakes, err := demo.Start(time.Now())
	if err != nil {
		return nil, fmt.Errorf("demo fakes: %w", err)
	}
	wcfg := *cfg
	wcfg.Redis = config.Redis{URL: config.Secret("redis://" + conn.Embedded.Addr())}
	if wcfg.AdminToken == "" {
		wcfg.AdminToken = DemoAdminToken
	}
	if strings.HasSuffix(cfg.AdminAddr, ":0") {
		wcfg.AdminAddr = cfg.AdminAddr // tests: any free port
	} else {
		wcfg.AdminAddr = ""
	}
	fakes.Configure(&wcfg)
	// "process" is already the receiver's; one process, one /metrics.
	w := NewWorker(&wcfg, log.With().Str("component", "demo-worker").Logger())
	w.Metrics = m
	w.ShutdownTimeout = 5 * time.Second
	if err := w.Open(ctx); err != nil {
		fakes.Close()
		return nil, fmt.Errorf("demo worker: %w", err)
	}
	log.Warn().Interface("fakes", fakes.Summary()).Str("worker_admin", w.AdminAddr()).
		Msg("DEMO: worker running in-process against fake 勤策, 商派 OMS, 金蝶精斗云 and 旺店通 servers")
	return &demoRun{fakes: fakes, worker: w}, nil
}

// routes adds the demo's read-only page to the push listener.
func (d *demoRun) routes(push http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(DemoStatementsPath, d.fakes.StateHandler())
	mux.Handle("/", push)
	return mux
}

func (d *demoRun) close(ctx context.Context) error {
	err := d.worker.Close(ctx)
	d.fakes.Close()
	return err
}

// sendDemo pushes a sample of each data type for every customer, last month,
// signed like 勤策 does, to the receiver's own push listener.
func (r *Receiver) sendDemo(ctx context.Context) {
	now := time.Now().In(upstream.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, upstream.Shanghai)
	data := `{"customer_code":"","start_date":"` + first.AddDate(0, -1, 0).Format(time.DateOnly) +
		`","end_date":"` + first.AddDate(0, 0, -1).Format(time.DateOnly) + `"}`
	secrets, _ := r.Config.PushSecretsFor("demo")
	if len(secrets) == 0 {
		r.Logger.Error().Msg("demo: no push secret for tenant demo; samples not sent")
		return
	}
	pushURL := "http://" + loopback(r.PushAddr()) + webhook.PushPath
	for _, dt := range []string{tasks.DataTypeStatement, tasks.DataTypeExpense} {
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		form := url.Values{"msgId": {"sample-" + dt + "-" + ts}, "tenantId": {"demo"}, "dataType": {dt},
			"timestamp": {ts}, "status": {"0"}, "data": {data}, "digest": {digest.Push(data, secrets[0], ts)}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, pushURL, strings.NewReader(form.Encode()))
		if err != nil {
			continue
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			r.Logger.Error().Err(err).Str("data_type", dt).Msg("demo: sample push failed")
			continue
		}
		resp.Body.Close()
		r.Logger.Info().Str("data_type", dt).Int("status", resp.StatusCode).Msg("demo: sample push sent (every customer, last month)")
	}
}

// demoBanner tells a newcomer where to look.
func (r *Receiver) demoBanner() string {
	if r.demo == nil {
		return ""
	}
	token := r.Config.AdminToken.Value()
	if token == "" {
		token = DemoAdminToken
	}
	admin := loopback(r.AdminAddr())
	return "Then watch it happen:\n" +
		"  reconciliation console (对账控制台; user any, password the token): http://ksf:" + token + "@" + admin + "/console/\n" +
		"  statements saved in the fake 勤策: curl -sS http://" + loopback(r.PushAddr()) + DemoStatementsPath + "?full=1\n" +
		"  queue UI (user any, password the token): http://ksf:" + token + "@" + admin + "/monitoring/\n" +
		"  audit trail of pushes:  curl -sS -H 'Authorization: Bearer " + token + "' http://" + admin + "/admin/api/pushes\n" +
		"  failed jobs:            curl -sS -H 'Authorization: Bearer " + token + "' http://" + admin + "/admin/api/failed\n" +
		"  metrics:                curl -sS -H 'Authorization: Bearer " + token + "' http://" + admin + "/metrics\n" +
		"Or restart with -demo-send to push a sample of each kind for every customer.\n"
}
