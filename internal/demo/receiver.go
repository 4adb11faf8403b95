package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/process"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

// AdminToken guards the demo's admin listeners when KSF_ADMIN_TOKEN is not
// set (they listen on loopback only).
const AdminToken = "demo-admin-token"

// Tenant is the tenantId of the demo's pushes, and of a resync that names
// none (ksfctl resync against the demo).
const Tenant = "demo"

// StatementsPath serves, read-only, what the demo's 勤策 fake holds.
const StatementsPath = "/demo/statements"

// Receiver is the demo: a process.Receiver on an embedded Redis, with the
// vendors' fakes and a worker in the same process. cmd/receiver runs it when
// no Redis is configured; it is the only way the production wiring meets
// miniredis and the fakes.
type Receiver struct {
	*process.Receiver

	// Send pushes a sample of each data type for every customer, last
	// month, once started.
	Send bool
	// Banner receives the ready-to-paste curl line and where to look; nil =
	// not printed.
	Banner io.Writer

	cfg    *config.Config
	log    zerolog.Logger
	redis  *miniredis.Miniredis
	fakes  *Fakes
	worker *process.Worker
}

// NewReceiver returns the demo for cfg (a configuration without Redis);
// Open starts it.
func NewReceiver(cfg *config.Config, log zerolog.Logger) *Receiver {
	return &Receiver{cfg: cfg, log: log}
}

// Open starts the embedded Redis, the fakes, the in-process worker and the
// receiver, then prints the banner and, with Send, pushes the samples.
func (d *Receiver) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = d.Close(context.Background())
		}
	}()
	if d.redis, err = miniredis.Run(); err != nil {
		return fmt.Errorf("start embedded redis: %w", err)
	}
	d.log.Warn().Str("redis", d.redis.Addr()).
		Msg("!!! NO REDIS CONFIGURED: using an EMBEDDED in-memory Redis. NOTHING PERSISTS: every queued push is lost when this process stops. Set KSF_REDIS_URL for any real use. !!!")
	cfg := *d.cfg
	cfg.Redis = config.Redis{URL: config.Secret("redis://" + d.redis.Addr())}
	if cfg.AdminToken == "" {
		cfg.AdminToken = AdminToken
		d.log.Warn().Str("admin_token", AdminToken).Msg("DEMO: admin listener guarded by the demo token")
	}
	if d.fakes, err = Start(time.Now()); err != nil {
		return fmt.Errorf("demo fakes: %w", err)
	}
	wcfg := cfg
	if !strings.HasSuffix(cfg.AdminAddr, ":0") { // tests keep ":0": any free port
		wcfg.AdminAddr = ""
	}
	d.fakes.Configure(&wcfg)
	m := metrics.New() // one process, one /metrics
	d.worker = process.NewWorker(&wcfg, d.log.With().Str("role", "worker").Logger())
	d.worker.Metrics = m
	d.worker.AdminDefaultTenant = Tenant // the README's ksfctl resync works as written
	d.worker.ShutdownTimeout = 5 * time.Second
	if err = d.worker.Open(ctx); err != nil {
		return fmt.Errorf("demo worker: %w", err)
	}
	d.log.Warn().Interface("fakes", d.fakes.Summary()).Str("worker_admin", d.worker.AdminAddr()).
		Msg("DEMO: worker running in-process against fake 勤策, 商派 OMS, 金蝶精斗云 and 旺店通 servers")

	d.Receiver = process.NewReceiver(&cfg, d.log)
	d.Receiver.AdminDefaultTenant = Tenant
	d.Receiver.Metrics = m
	d.Receiver.WrapPush = d.routes
	if err = d.Receiver.Open(ctx); err != nil {
		return err
	}
	if cfg.DemoSecret {
		d.printBanner()
	}
	if d.Send {
		d.sendSamples(ctx)
	}
	return nil
}

// Close stops the receiver (no push arrives any more), then the worker, the
// fakes and the embedded Redis. Safe after a failed Open.
func (d *Receiver) Close(ctx context.Context) error {
	var errs []error
	if d.Receiver != nil {
		errs = append(errs, d.Receiver.Close(ctx))
	}
	if d.worker != nil {
		errs = append(errs, d.worker.Close(ctx))
		d.worker = nil
	}
	if d.fakes != nil {
		d.fakes.Close()
		d.fakes = nil
	}
	if d.redis != nil {
		d.redis.Close()
		d.redis = nil
	}
	return errors.Join(errs...)
}

// Err reports a listener that failed after Open.
func (d *Receiver) Err() <-chan error {
	if d.Receiver == nil {
		return nil
	}
	return d.Receiver.Err()
}

// routes adds the demo's read-only page to the push listener.
func (d *Receiver) routes(push http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(StatementsPath, d.fakes.StateHandler())
	mux.Handle("/", push)
	return mux
}

// printBanner prints a correctly signed sample push, ready to paste, and
// where to watch.
func (d *Receiver) printBanner() {
	pushURL := "http://" + loopback(d.PushAddr()) + webhook.PushPath
	d.log.Warn().Str("push_secret", config.DemoPushSecret).
		Msg("DEMO: no push secret configured, using the demo secret; never expose this endpoint")
	if d.Banner != nil {
		fmt.Fprintf(d.Banner, "\nksfsync receiver demo: push secret %q, embedded Redis (nothing persists).\n"+
			"Send a correctly signed push (a second paste answers \"already queued\"):\n\n%s\n\n%s\n",
			config.DemoPushSecret, Curl(pushURL, config.DemoPushSecret, time.Now()), d.watch())
	}
}

// Curl returns a curl command sending a push of last month's goods
// statements for two customers, signed with secret at now.
func Curl(pushURL, secret string, now time.Time) string {
	start, end := lastMonth(now)
	data := `{"customer_code":"C001,C002","start_date":"` + start + `","end_date":"` + end + `"}`
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	return "curl -sS " + pushURL + ` \` + "\n" +
		"  --data-urlencode 'msgId=demo-" + ts + `' \` + "\n" +
		`  --data-urlencode 'tenantId=demo' --data-urlencode 'dataType=ksf_statement' \` + "\n" +
		"  --data-urlencode 'timestamp=" + ts + `' --data-urlencode 'status=0' \` + "\n" +
		"  --data-urlencode 'data=" + data + `' \` + "\n" +
		"  --data-urlencode 'digest=" + digest.Push(data, secret, ts) + "'"
}

// lastMonth is the calendar month before now's, in Asia/Shanghai.
func lastMonth(now time.Time) (start, end string) {
	now = now.In(tz.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, tz.Shanghai)
	return first.AddDate(0, -1, 0).Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly)
}

// sendSamples pushes a sample of each data type for every customer, last
// month, signed like 勤策 does, to the receiver's own push listener.
func (d *Receiver) sendSamples(ctx context.Context) {
	start, end := lastMonth(time.Now())
	data := `{"customer_code":"","start_date":"` + start + `","end_date":"` + end + `"}`
	secrets, _ := d.Config.PushSecretsFor(Tenant)
	if len(secrets) == 0 {
		d.log.Error().Msg("demo: no push secret for tenant demo; samples not sent")
		return
	}
	pushURL := "http://" + loopback(d.PushAddr()) + webhook.PushPath
	for _, dt := range []string{tasks.DataTypeStatement, tasks.DataTypeExpense} {
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		form := url.Values{"msgId": {"sample-" + dt + "-" + ts}, "tenantId": {Tenant}, "dataType": {dt},
			"timestamp": {ts}, "status": {"0"}, "data": {data}, "digest": {digest.Push(data, secrets[0], ts)}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, pushURL, strings.NewReader(form.Encode()))
		if err != nil {
			continue
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			d.log.Error().Err(err).Str("data_type", dt).Msg("demo: sample push failed")
			continue
		}
		resp.Body.Close()
		d.log.Info().Str("data_type", dt).Int("status", resp.StatusCode).Msg("demo: sample push sent (every customer, last month)")
	}
}

// watch tells a newcomer where to look.
func (d *Receiver) watch() string {
	token := d.Config.AdminToken.Value()
	admin := loopback(d.AdminAddr())
	return "Then watch it happen:\n" +
		"  reconciliation console (对账控制台; user any, password the token): http://ksf:" + token + "@" + admin + "/console/\n" +
		"  statements saved in the fake 勤策: curl -sS http://" + loopback(d.PushAddr()) + StatementsPath + "?full=1\n" +
		"  queue UI (user any, password the token): http://ksf:" + token + "@" + admin + "/monitoring/\n" +
		"  audit trail of pushes:  curl -sS -H 'Authorization: Bearer " + token + "' http://" + admin + "/admin/api/pushes\n" +
		"  failed jobs:            curl -sS -H 'Authorization: Bearer " + token + "' http://" + admin + "/admin/api/failed\n" +
		"  metrics:                curl -sS -H 'Authorization: Bearer " + token + "' http://" + admin + "/metrics\n" +
		"Or restart with -demo-send to push a sample of each kind for every customer.\n"
}

// loopback turns a listening address into one a local curl can reach.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
