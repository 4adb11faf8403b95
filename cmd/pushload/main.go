// Command pushload measures a receiver: it signs N pushes (unique msgIds per
// run), fires them at -url with concurrency C over keep-alive connections,
// and prints pushes/s and latency percentiles.
//
//	pushload -url http://127.0.0.1:8080/waiqin/push -n 50000 -c 32 -secret s -tenant bench
//
// With -baseline it instead serves the hand-written reference handler
// (net/http + md5 + asynq.Enqueue, nothing else) the receiver is compared
// with:
//
//	pushload -baseline -listen 127.0.0.1:8090 -redis redis://127.0.0.1:6379/9 -secret s
//
// With -slowloris N it first sends the -n pushes alone (their p99 on a quiet
// receiver), then opens N connections that each declare a body of -declared
// bytes, send -sent of them and trickle the rest a byte a second, and sends
// the -n pushes again while they are open: it prints how many slow
// connections the receiver closed within -deadline, the receiver's RSS
// (VmRSS of -pid) before and at its peak, and both p99s:
//
//	pushload -slowloris 300 -pid $(pgrep -n receiver) -n 2000 -c 8 -secret s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pushload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		target   = fs.String("url", "http://127.0.0.1:8080/waiqin/push", "push URL of the receiver")
		n        = fs.Int("n", 20000, "pushes to send")
		c        = fs.Int("c", 32, "concurrent senders")
		secret   = fs.String("secret", "demo-secret", "push secret to sign with")
		tenant   = fs.String("tenant", "pushload", "tenantId of the pushes")
		dataType = fs.String("datatype", "ksf_statement", "dataType of the pushes")
		codes    = fs.Int("customers", 3, "customer codes per push")
		timeout  = fs.Duration("timeout", 5*time.Second, "per-request timeout (勤策 waits 5 s)")
		baseline = fs.Bool("baseline", false, "serve the hand-written baseline handler instead of sending")
		listen   = fs.String("listen", "127.0.0.1:8090", "with -baseline: address to serve on")
		redisURL = fs.String("redis", "redis://127.0.0.1:6379/9", "with -baseline: Redis URL")
		slow     = fs.Int("slowloris", 0, "open this many slow-body connections while sending the pushes")
		pid      = fs.Int("pid", 0, "with -slowloris: the receiver's process id (its VmRSS is sampled)")
		declared = fs.Int("declared", 1048000, "with -slowloris: Content-Length each slow connection declares")
		sent     = fs.Int("sent", 1047000, "with -slowloris: bytes each slow connection sends at once")
		hold     = fs.Duration("hold", 30*time.Second, "with -slowloris: how long the slow connections are kept trickling")
		deadline = fs.Duration("deadline", 10*time.Second, "with -slowloris: the receiver's body deadline (KSF_PUSH_BODY_TIMEOUT)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *baseline {
		if err := serveBaseline(ctx, *listen, *redisURL, *secret, stderr); err != nil {
			fmt.Fprintln(stderr, "pushload:", err)
			return 1
		}
		return 0
	}
	if *n <= 0 || *c <= 0 {
		fmt.Fprintln(stderr, "pushload: -n and -c must be above 0")
		return 2
	}
	opts := Options{URL: *target, N: *n, Concurrency: *c, Secret: *secret, Tenant: *tenant,
		DataType: *dataType, Customers: *codes, Timeout: *timeout}
	if *slow > 0 {
		return runSlow(ctx, opts, SlowOptions{URL: *target, Conns: *slow, Declared: *declared, Sent: *sent,
			Trickle: time.Second, Hold: *hold, Deadline: *deadline, PID: *pid}, stdout, stderr)
	}
	res, err := Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "pushload:", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	if res.OK != res.Sent {
		return 1
	}
	if q := res.Answers["success"]; q != res.OK {
		fmt.Fprintf(stderr, "pushload: %d of %d pushes were answered 200 but not queued: the run did not measure queueing\n", res.OK-q, res.OK)
		return 1
	}
	return 0
}

// runSlow: the pushes alone, then again beside the slow connections.
func runSlow(ctx context.Context, o Options, so SlowOptions, stdout, stderr io.Writer) int {
	quiet, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "pushload:", err)
		return 1
	}
	fmt.Fprintln(stdout, "pushes alone:", quiet)
	type slowDone struct {
		res SlowResult
		err error
	}
	done := make(chan slowDone, 1)
	go func() {
		r, err := Slow(ctx, so)
		done <- slowDone{r, err}
	}()
	time.Sleep(2 * time.Second) // let the slow connections open and send their bulk
	busy, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "pushload:", err)
		return 1
	}
	fmt.Fprintln(stdout, "pushes beside the slow connections:", busy)
	d := <-done
	if d.err != nil {
		fmt.Fprintln(stderr, "pushload:", d.err)
		return 1
	}
	fmt.Fprintln(stdout, d.res)
	fmt.Fprintf(stdout, "p99 beside / alone: %.2f\n", float64(busy.P99)/float64(quiet.P99))
	return 0
}
