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
	res, err := Run(ctx, Options{URL: *target, N: *n, Concurrency: *c, Secret: *secret, Tenant: *tenant,
		DataType: *dataType, Customers: *codes, Timeout: *timeout})
	if err != nil {
		fmt.Fprintln(stderr, "pushload:", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	if res.OK != res.Sent {
		return 1
	}
	return 0
}
