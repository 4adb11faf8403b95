// Command syncload measures the worker end to end, in one process: it
// starts a Redis (an in-process miniredis, or -redis), 商派 OMS and 勤策 fakes
// (every answer delayed by -vendor-latency), a receiver and a worker
// (internal/process, as cmd/receiver and cmd/worker wire them), sends -n signed
// pushes of -customers customers each, and measures for every statement the
// time from its push's 200 to the moment the 勤策 fake stored it. It prints
// p50/p90/p99 and saves per second.
//
//	syncload -n 100 -customers 3 -interval 100ms                     # latency, immediate fakes
//	syncload -n 200 -customers 4 -vendor-latency 50ms -waiqin-rps 20 -concurrency 20
//	syncload -redis redis://127.0.0.1:6379/9 …                       # the real Redis (an empty database)
//	syncload -bulk 2000 -n 30 -customers 1 -interval 2s -vendor-latency 50ms -waiqin-rps 20   # mixed: one-customer pushes while a bulk push drains
//	syncload -workers 3 -oms-rps 5 -n 20 -customers 2 -bills 1           # three workers, one OMS limit
//	syncload … -confirmed-policy overwrite                           # without the queryStatement before each save
//
// It also prints how many requests each fake saw in every second.
//
// With -mem it instead builds and saves one statement of 50,000 trade and
// detail lines through the worker's handler (source.OMSGoods, reconcile, the
// waiqin client), the OMS and 勤策 fakes running in a child process, and
// prints this process's peak RSS:
//
//	syncload -mem -mem-bills 12475 -mem-payments 100
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("syncload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		n           = fs.Int("n", 50, "pushes to send")
		customers   = fs.Int("customers", 3, "customers per push (each push names customers of its own)")
		bills       = fs.Int("bills", 3, "AR bills per customer (two items each), 0..1000")
		interval    = fs.Duration("interval", 0, "pause between two pushes (0 = back to back)")
		latency     = fs.Duration("vendor-latency", 0, "added to every answer of the OMS and 勤策 fakes")
		waiqinRPS   = fs.Float64("waiqin-rps", 0, "KSF_WAIQIN_RPS (0 = no limit)")
		omsRPS      = fs.Float64("oms-rps", 0, "KSF_OMS_RPS (0 = no limit)")
		workers     = fs.Int("workers", 1, "worker instances, each with its own Redis connection and vendor clients")
		bulk        = fs.Int("bulk", 0, "customers of one bulk push sent first; the -n pushes go out while it drains")
		concurrency = fs.Int("concurrency", 10, "KSF_WORKER_CONCURRENCY")
		policy      = fs.String("confirmed-policy", "keep", "KSF_CONFIRMED_POLICY: keep (a queryStatement before every save) or overwrite")
		redisURL    = fs.String("redis", "", "Redis URL (an empty database); empty = an in-process miniredis")
		cluster     = fs.String("redis-cluster", "", "Redis Cluster seed nodes, comma-separated (KSF_REDIS_CLUSTER_ADDRS), instead of -redis")
		timeout     = fs.Duration("timeout", 10*time.Minute, "for every statement to be saved after the last push")
		logPath     = fs.String("log", "", "write the receiver's and the worker's JSON log to this file (default: discarded)")
		mem         = fs.Bool("mem", false, "memory mode: build and save one large statement, print the peak RSS")
		memBills    = fs.Int("mem-bills", 12475, "with -mem: AR bills of three items")
		memPayments = fs.Int("mem-payments", 100, "with -mem: payments")
		serveFakes  = fs.Bool("serve-mem-fakes", false, "internal: the fakes process of -mem")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "syncload: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *serveFakes {
		if err := serveMemFakes(*memBills, *memPayments, os.Stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "syncload fakes:", err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var logw io.Writer
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintln(stderr, "syncload:", err)
			return 1
		}
		defer f.Close()
		logw = f
	}
	if *mem {
		res, err := RunMem(ctx, MemOptions{Bills: *memBills, Payments: *memPayments, Log: logw})
		if err != nil {
			fmt.Fprintln(stderr, "syncload:", err)
			return 1
		}
		fmt.Fprintln(stdout, res)
		return 0
	}
	var clusterAddrs []string
	if *cluster != "" {
		clusterAddrs = strings.Split(*cluster, ",")
	}
	res, err := Run(ctx, Options{RedisCluster: clusterAddrs, N: *n, Customers: *customers, Bills: *bills, Interval: *interval, VendorLatency: *latency,
		WaiqinRPS: *waiqinRPS, OMSRPS: *omsRPS, Workers: *workers, Bulk: *bulk, Concurrency: *concurrency, RedisURL: *redisURL, Timeout: *timeout, Log: logw, ConfirmedPolicy: *policy})
	if err != nil {
		fmt.Fprintln(stderr, "syncload:", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	if res.Saved != res.Statements {
		return 1
	}
	return 0
}
