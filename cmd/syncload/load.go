package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/process"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/webhook"
)

const pushSecret = "syncload-secret"

// Options of a load run.
type Options struct {
	N             int           // pushes
	Customers     int           // customers per push (each push names its own)
	Bills         int           // AR bills per customer (two items each)
	Interval      time.Duration // between two pushes; 0 = back to back
	VendorLatency time.Duration // added to every answer of the OMS and 勤策 fakes
	WaiqinRPS     float64       // KSF_WAIQIN_RPS; 0 = no limit
	OMSRPS        float64       // KSF_OMS_RPS; 0 = no limit
	Concurrency   int           // KSF_WORKER_CONCURRENCY
	// Workers are worker instances, each with its own Redis connection and
	// vendor clients, as separate processes would have; 0 = 1.
	Workers int
	// Bulk, when > 0, is one push of that many customers sent before the N
	// pushes, which then go out while it drains (the mixed scenario).
	Bulk     int
	RedisURL string // empty = an in-process miniredis
	// RedisCluster: seed nodes of a Redis Cluster (KSF_REDIS_CLUSTER_ADDRS)
	// used instead of RedisURL.
	RedisCluster []string
	Timeout      time.Duration // for every statement to be saved after the last push
	Log          io.Writer     // the receiver's and the worker's JSON log; nil = discarded
	// ConfirmedPolicy is KSF_CONFIRMED_POLICY: "" or keep (one
	// queryStatement before every save), overwrite (no query).
	ConfirmedPolicy string
}

// Result of a load run. Latencies are from a push's 200 to the moment the
// 勤策 fake stored the statement, one per statement.
type Result struct {
	Options    Options
	Redis      string
	Statements int // asked for: N × Customers
	Saved      int
	Failed     int // reported with saveStatementError instead
	Latencies  []time.Duration
	P50, P90   time.Duration
	P99, Max   time.Duration
	// Window is from the first push's 200 to the last save; Steady from the
	// first save to the last.
	Window, Steady time.Duration
	FirstFailure   string
	// Queries and Saves are the 勤策 fake's queryStatement and saveStatement
	// calls: every job asks whether the customer confirmed the statement
	// before it saves (KSF_CONFIRMED_POLICY=keep), and both count against
	// KSF_WAIQIN_RPS.
	Queries, Saves int
	// BulkSaved statements of the bulk push, saved between BulkFirst and
	// BulkLast.
	BulkSaved           int
	BulkFirst, BulkLast time.Time
	// OMSSeconds and WaiqinSeconds: requests each fake saw, per second.
	OMSSeconds, WaiqinSeconds Seconds
}

// BulkRate is the bulk push's saves per second, first to last bulk save.
func (r Result) BulkRate() float64 { return rate(r.BulkSaved-1, r.BulkLast.Sub(r.BulkFirst)) }

// Rate is saves per second over Window.
func (r Result) Rate() float64 { return rate(r.Saved, r.Window) }

// SteadyRate is saves per second between the first and the last save.
func (r Result) SteadyRate() float64 { return rate(r.Saved-1, r.Steady) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 || n <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (r Result) String() string {
	o := r.Options
	rps := "unlimited"
	if o.WaiqinRPS > 0 {
		rps = strconv.FormatFloat(o.WaiqinRPS, 'f', -1, 64) + "/s"
	}
	var b strings.Builder
	policy := o.ConfirmedPolicy
	if policy == "" {
		policy = "keep"
	}
	omsRPS := "unlimited"
	if o.OMSRPS > 0 {
		omsRPS = strconv.FormatFloat(o.OMSRPS, 'f', -1, 64) + "/s"
	}
	fmt.Fprintf(&b, "redis %s, %d pushes × %d customers (%d bills each), interval %v, vendor latency %v, KSF_WAIQIN_RPS %s, KSF_OMS_RPS %s, %d worker(s) × concurrency %d, KSF_CONFIRMED_POLICY %s\n",
		r.Redis, o.N, o.Customers, o.Bills, o.Interval, o.VendorLatency, rps, omsRPS, max(1, o.Workers), o.Concurrency, policy)
	if o.Bulk > 0 {
		fmt.Fprintf(&b, "bulk push of %d customers first; the %d pushes go out while it drains\n", o.Bulk, o.N)
	}
	fmt.Fprintf(&b, "statements %d: saved %d, failed %d\n", r.Statements, r.Saved, r.Failed)
	what := "push 200 → statement saved"
	if o.Bulk > 0 {
		what = "interactive pushes: push 200 → statement saved"
	}
	fmt.Fprintf(&b, "%s: p50 %s  p90 %s  p99 %s  max %s\n", what, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	if o.Bulk > 0 {
		fmt.Fprintf(&b, "bulk: %d saved, %.2f saves/s from its first to its last save (%.1fs)", r.BulkSaved, r.BulkRate(), r.BulkLast.Sub(r.BulkFirst).Seconds())
		if o.WaiqinRPS > 0 {
			fmt.Fprintf(&b, " = %.1f %% of KSF_WAIQIN_RPS", 100*r.BulkRate()/o.WaiqinRPS)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "OMS fake: %s\n", r.OMSSeconds)
	if o.OMSRPS > 0 {
		fmt.Fprintf(&b, "OMS requests/s between the first and last second: %.1f %% of KSF_OMS_RPS\n", 100*r.OMSSeconds.Inner()/o.OMSRPS)
	}
	fmt.Fprintf(&b, "勤策 fake: %s\n", r.WaiqinSeconds)
	fmt.Fprintf(&b, "saves/s: %.2f over %.2fs (first push → last save), %.2f over %.2fs (first → last save)",
		r.Rate(), r.Window.Seconds(), r.SteadyRate(), r.Steady.Seconds())
	if o.WaiqinRPS > 0 {
		fmt.Fprintf(&b, "\nratio to KSF_WAIQIN_RPS: %.1f %% (first push → last save), %.1f %% (first → last save)",
			100*r.Rate()/o.WaiqinRPS, 100*r.SteadyRate()/o.WaiqinRPS)
	}
	if r.Saved > 0 {
		fmt.Fprintf(&b, "\n勤策 calls: %d queryStatement + %d saveStatement = %.2f per saved statement",
			r.Queries, r.Saves, float64(r.Queries+r.Saves)/float64(r.Saved))
	}
	if r.FirstFailure != "" {
		b.WriteString("\nfirst failure: " + r.FirstFailure)
	}
	return b.String()
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Run starts the fakes, a Redis (unless RedisURL), a receiver and a worker in
// this process, sends the pushes and waits for every statement.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.N <= 0 || o.Customers <= 0 || o.Concurrency <= 0 || o.Bills < 0 || o.Bills > 1000 || o.Workers < 0 || o.Bulk < 0 || o.Bulk > tasks.MaxCustomers {
		return Result{}, fmt.Errorf("-n, -customers and -concurrency must be above 0, -bills within 0..1000, -workers and -bulk not negative, -bulk at most %d", tasks.MaxCustomers)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	log := zerolog.New(logw).With().Timestamp().Logger()
	res := Result{Options: o, Statements: o.N*o.Customers + o.Bulk}

	redisURL := o.RedisURL
	redisVar := "KSF_REDIS_URL=" + redisURL
	switch {
	case len(o.RedisCluster) > 0:
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: o.RedisCluster})
		err := checkEmpty(ctx, cc)
		_ = cc.Close()
		if err != nil {
			return res, fmt.Errorf("-redis-cluster: %w", err)
		}
		redisVar = "KSF_REDIS_CLUSTER_ADDRS=" + strings.Join(o.RedisCluster, ",")
		res.Redis = "cluster " + strings.Join(o.RedisCluster, ",")
	case redisURL == "":
		mr, err := miniredis.Run()
		if err != nil {
			return res, fmt.Errorf("miniredis: %w", err)
		}
		defer mr.Close()
		redisVar = "KSF_REDIS_URL=redis://" + mr.Addr()
		res.Redis = "miniredis (in process)"
	default:
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return res, fmt.Errorf("-redis: %w", err)
		}
		rdb := redis.NewClient(opt)
		err = checkEmpty(ctx, rdb)
		_ = rdb.Close()
		if err != nil {
			return res, fmt.Errorf("-redis %s: %w", redactURL(redisURL), err)
		}
		res.Redis = redactURL(redisURL)
	}

	v := startVendors(o.VendorLatency)
	defer v.Close()
	runID := make([]byte, 3)
	_, _ = rand.Read(runID)
	tenant := "syncload-" + hex.EncodeToString(runID)
	var bulk []string
	for i := range o.Bulk {
		code := fmt.Sprintf("B%05d", i)
		if err := seedCustomer(v.oms, code, o.Bills); err != nil {
			return res, err
		}
		bulk = append(bulk, code)
	}
	codes := make([][]string, o.N)
	for i := range codes {
		for j := range o.Customers {
			code := fmt.Sprintf("L%05d-%03d", i, j)
			if err := seedCustomer(v.oms, code, o.Bills); err != nil {
				return res, err
			}
			codes[i] = append(codes[i], code)
		}
	}

	env := []string{
		redisVar, "KSF_PUSH_SECRET=" + pushSecret,
		"KSF_HTTP_ADDR=127.0.0.1:0", "KSF_ADMIN_ADDR=127.0.0.1:0",
		"KSF_WORKER_CONCURRENCY=" + strconv.Itoa(o.Concurrency),
		"KSF_STATEMENT_SOURCE=oms", "KSF_EXPENSE_SOURCE=oms",
		"KSF_OMS_BASE_URL=" + v.omsSrv.URL, "KSF_OMS_FLAG=" + omsFlag, "KSF_OMS_TOKEN=" + omsToken,
		"KSF_OMS_RPS=" + strconv.FormatFloat(o.OMSRPS, 'f', -1, 64),
		"KSF_WAIQIN_BASE_URL=" + v.waiqSrv.URL, "KSF_WAIQIN_OPENID=" + waiqinOpenID, "KSF_WAIQIN_APPKEY=" + waiqinAppKey,
		"KSF_WAIQIN_RPS=" + strconv.FormatFloat(o.WaiqinRPS, 'f', -1, 64),
	}
	if o.ConfirmedPolicy != "" {
		env = append(env, "KSF_CONFIRMED_POLICY="+o.ConfirmedPolicy)
	}
	cfg, err := config.Load(env, func(string) ([]byte, error) { return nil, errors.New("no config file") })
	if err != nil {
		return res, err
	}
	for i := range max(1, o.Workers) {
		w := process.NewWorker(cfg, log.With().Str("process", "worker").Int("worker", i).Logger())
		w.ShutdownTimeout = 5 * time.Second
		if err := w.Open(ctx); err != nil {
			return res, fmt.Errorf("worker %d: %w", i, err)
		}
		defer func() { _ = w.Close(context.Background()) }()
	}
	recv := process.NewReceiver(cfg, log.With().Str("process", "receiver").Logger())
	if err := recv.Open(ctx); err != nil {
		return res, fmt.Errorf("receiver: %w", err)
	}
	defer func() { _ = recv.Close(context.Background()) }()

	client := &http.Client{Timeout: 10 * time.Second}
	pushURL := "http://" + recv.PushAddr() + webhook.PushPath
	answered := make([]time.Time, o.N)
	if o.Bulk > 0 {
		if err := sendPush(ctx, client, pushURL, tenant, "bulk", bulk); err != nil {
			return res, fmt.Errorf("bulk push: %w", err)
		}
	}
	var tick *time.Ticker
	if o.Interval > 0 {
		tick = time.NewTicker(o.Interval)
		defer tick.Stop()
	}
	for i := range o.N {
		if i > 0 && tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		if err := sendPush(ctx, client, pushURL, tenant, fmt.Sprintf("m%05d", i), codes[i]); err != nil {
			return res, fmt.Errorf("push %d: %w", i, err)
		}
		answered[i] = time.Now()
	}

	deadline := time.NewTimer(o.Timeout)
	defer deadline.Stop()
	for {
		saved, failed := v.recorder.done()
		if saved+failed >= res.Statements {
			break
		}
		select {
		case <-v.recorder.wake:
		case <-deadline.C:
			return res, fmt.Errorf("after %v: %d of %d statements saved, %d failed (%s)", o.Timeout, saved, res.Statements, failed, v.recorder.firstFailure())
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}

	res.Saved, res.Failed = v.recorder.done()
	res.FirstFailure = v.recorder.firstFailure()
	var first, last time.Time
	for i := range o.N {
		for _, code := range codes[i] {
			at, ok := v.recorder.savedAt(code)
			if !ok {
				continue
			}
			res.Latencies = append(res.Latencies, max(at.Sub(answered[i]), 0))
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
	}
	for _, code := range bulk {
		at, ok := v.recorder.savedAt(code)
		if !ok {
			continue
		}
		res.BulkSaved++
		if res.BulkFirst.IsZero() || at.Before(res.BulkFirst) {
			res.BulkFirst = at
		}
		if at.After(res.BulkLast) {
			res.BulkLast = at
		}
		if at.After(last) {
			last = at
		}
	}
	res.OMSSeconds, res.WaiqinSeconds = v.omsCount.seconds(), v.waiqinCount.seconds()
	slices.Sort(res.Latencies)
	res.P50, res.P90 = percentile(res.Latencies, 0.50), percentile(res.Latencies, 0.90)
	res.P99, res.Max = percentile(res.Latencies, 0.99), percentile(res.Latencies, 1)
	if res.Saved > 0 {
		res.Window, res.Steady = last.Sub(answered[0]), last.Sub(first)
	}
	res.Queries, res.Saves = v.waiqin.Calls("queryStatement"), v.waiqin.Calls("saveStatement")
	if got := len(v.waiqin.Statements()); got != res.Saved {
		return res, fmt.Errorf("the 勤策 fake holds %d statements, %d were recorded", got, res.Saved)
	}
	return res, nil
}

// sendPush signs and posts one push naming codes, like 勤策 does.
func sendPush(ctx context.Context, c *http.Client, pushURL, tenant, msgID string, codes []string) error {
	data := `{"customer_code":"` + strings.Join(codes, ",") + `","start_date":"` + periodStart + `","end_date":"` + periodEnd + `"}`
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	form := url.Values{"msgId": {msgID}, "tenantId": {tenant}, "dataType": {tasks.DataTypeStatement},
		"timestamp": {ts}, "status": {"0"}, "data": {data}, "digest": {digest.Push(data, pushSecret, ts)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pushURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"return_msg":"success"`) {
		return fmt.Errorf("answered %d %s", resp.StatusCode, body)
	}
	return nil
}

// checkEmpty refuses a Redis database whose queues hold tasks already: the
// worker would take them (another run's, another tool's) and the figures
// would mean nothing.
func checkEmpty(ctx context.Context, rdb redis.UniversalClient) error {
	if err := rdb.Ping(ctx).Err(); err != nil {
		return err
	}
	in := asynq.NewInspectorFromRedisClient(rdb)
	queues, err := in.Queues()
	if err != nil {
		return err
	}
	for _, q := range queues {
		info, err := in.GetQueueInfo(q)
		if err != nil {
			return err
		}
		if n := info.Pending + info.Active + info.Scheduled + info.Retry; n > 0 {
			return fmt.Errorf("queue %q holds %d unfinished tasks; use an empty database (redis-cli -n N flushdb)", q, n)
		}
	}
	return nil
}

// redactURL drops a password from a Redis URL for printing.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
