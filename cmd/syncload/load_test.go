package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

const testDB = 5 // this package's database on the real test server

// TestMain lets the test binary be -mem's fakes process too.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// redisFor is the Redis a load run uses: the real test server's database
// when KSF_TEST_REDIS_URL is set, else "" (the run's own miniredis).
func redisFor(t *testing.T) string {
	rd := redistest.New(t, testDB)
	if rd.Real() {
		return rd.URL
	}
	return ""
}

// TestRunSavesEveryStatement: a small run through receiver, Redis, worker
// and slowed fakes saves every statement once and reports one latency each.
func TestRunSavesEveryStatement(t *testing.T) {
	res, err := Run(context.Background(), Options{N: 3, Customers: 2, Bills: 2, Concurrency: 4,
		VendorLatency: 5 * time.Millisecond, WaiqinRPS: 50, RedisURL: redisFor(t), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Statements != 6 || res.Saved != 6 || res.Failed != 0 || len(res.Latencies) != 6 {
		t.Fatalf("result %+v", res)
	}
	if res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.Max || res.Max > time.Minute || res.Rate() <= 0 || res.Steady > res.Window {
		t.Errorf("figures %+v", res)
	}
	out := res.String()
	// Each job asks 勤策 once (no statement yet: one empty page) before it saves.
	if res.Queries != 6 || res.Saves != 6 {
		t.Errorf("勤策 calls: %d queries, %d saves; want 6 and 6", res.Queries, res.Saves)
	}
	for _, want := range []string{"saved 6, failed 0", "p50 ", "p99 ", "saves/s: ", "ratio to KSF_WAIQIN_RPS", "6 queryStatement + 6 saveStatement = 2.00 per saved statement"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestRunRefusesBusyRedis: a database whose queues hold work is refused.
func TestRunRefusesBusyRedis(t *testing.T) {
	rd := redistest.New(t, testDB)
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	info, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask("other:tool", nil), asynq.Queue("push"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = asynq.NewInspectorFromRedisClient(rdb).DeleteTask("push", info.ID) })
	_, err = Run(context.Background(), Options{N: 1, Customers: 1, Concurrency: 1, RedisURL: rd.URL})
	if err == nil || !strings.Contains(err.Error(), "unfinished tasks") {
		t.Fatalf("Run on a busy database: %v", err)
	}
}

// TestRunMem: the memory mode's plumbing on a small statement (the child
// process is this test binary, see TestMain).
func TestRunMem(t *testing.T) {
	res, err := RunMem(context.Background(), MemOptions{Bills: 40, Payments: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Trades != 43 || res.Details != 120 || res.Options.Lines() != 163 {
		t.Errorf("rows %d + %d", res.Trades, res.Details)
	}
	// VmHWM is not monotonic: Linux reports max(the recorded high-water
	// mark, the current RSS) and records the mark lazily, so after Go hands
	// memory back it can read lower than before the job. Only its presence
	// is checked; getrusage's ru_maxrss never decreases.
	if _, err := os.Stat("/proc/self/status"); err == nil && (res.Peak <= 0 || res.PeakBefore <= 0 || res.MaxRSS <= 0) {
		t.Errorf("peak RSS %d (before %d), max RSS %d", res.Peak, res.PeakBefore, res.MaxRSS)
	}
	if !strings.Contains(res.String(), "163 lines") {
		t.Errorf("report: %s", res)
	}
}

func TestRunExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-nope"}, &stdout, &stderr); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code := run([]string{"-n", "0"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "must be above 0") {
		t.Errorf("-n 0: exit %d, %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"-n", "1", "-customers", "1"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "saved 1, failed 0") {
		t.Errorf("one push: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
}

// TestRunWorkersShareOMSLimit: three workers (each with its own Redis
// connection and vendor clients, as three processes) against one OMS fake
// with KSF_OMS_RPS=5: the fake never sees more than 5 requests in a second
// (per-process limits would let 15 through).
func TestRunWorkersShareOMSLimit(t *testing.T) {
	res, err := Run(context.Background(), Options{N: 3, Customers: 3, Bills: 1, Concurrency: 4, Workers: 3,
		OMSRPS: 5, RedisURL: redisFor(t), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Saved != 9 {
		t.Fatalf("saved %d of 9", res.Saved)
	}
	if got := res.OMSSeconds.Max(); got > 5 || res.OMSSeconds.Total() < 9 {
		t.Errorf("OMS fake per second: %s; want at most 5 in any second", res.OMSSeconds)
	}
	if !strings.Contains(res.String(), "3 worker(s)") || !strings.Contains(res.String(), "OMS fake: ") {
		t.Errorf("report:\n%s", res)
	}
}

// TestRunMixedBulk: the mixed scenario's plumbing: a bulk push first, small
// pushes while it drains; every statement saved, the bulk counted apart.
func TestRunMixedBulk(t *testing.T) {
	res, err := Run(context.Background(), Options{N: 2, Customers: 1, Bills: 1, Concurrency: 4, Bulk: 30,
		WaiqinRPS: 100, RedisURL: redisFor(t), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Statements != 32 || res.Saved != 32 || res.BulkSaved != 30 || len(res.Latencies) != 2 {
		t.Fatalf("statements %d saved %d bulk %d latencies %d", res.Statements, res.Saved, res.BulkSaved, len(res.Latencies))
	}
	// KSF_CONFIRMED_POLICY=keep: a queryStatement before each of the 32 saves.
	if res.BulkRate() <= 0 || res.WaiqinSeconds.Total() != 64 || res.Queries != 32 || res.Saves != 32 {
		t.Errorf("bulk rate %v, 勤策 requests %s (%d queries, %d saves)", res.BulkRate(), res.WaiqinSeconds, res.Queries, res.Saves)
	}
	for _, want := range []string{"bulk push of 30 customers", "interactive pushes: push 200", "bulk: 30 saved", "% of KSF_WAIQIN_RPS"} {
		if !strings.Contains(res.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, res)
		}
	}
}

func TestSeconds(t *testing.T) {
	t.Parallel()
	s := Seconds{2, 5, 4, 5, 1}
	if s.Max() != 5 || s.Total() != 17 || s.Inner() != 14.0/3 {
		t.Errorf("max %d total %d inner %v", s.Max(), s.Total(), s.Inner())
	}
	if got := s.String(); !strings.Contains(got, "17 requests over 5 s, max 5/s") || !strings.Contains(got, "5/s×2 4/s×1 2/s×1 1/s×1") {
		t.Errorf("String() = %s", got)
	}
	if (Seconds{}).String() != "no requests" || (Seconds{3, 3}).Inner() != 0 {
		t.Error("empty or short")
	}
}
