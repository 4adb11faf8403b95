// Command clusterprobe measures how long ksfsync's Redis Cluster client
// takes to recover when a master dies: it writes one key per queue hash tag
// every -every through redisconn (the worker's client and timeouts), watches
// which online master owns each key's slot (CLUSTER SHARDS, asked of the seed
// nodes directly), and prints, per key, when writes started failing, when the slot
// got its new master, and when writes succeeded again.
//
//	clusterprobe -addrs 127.0.0.1:7000,…,127.0.0.1:7005 -for 60s    # then kill a master
//	clusterprobe -go-redis-defaults …   # the cluster client without redisconn's reload on errors
//
// It writes only keys under ksf:probe:{tag} (expiring after a minute).
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
	fs := flag.NewFlagSet("clusterprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addrs := fs.String("addrs", "", "cluster nodes, comma-separated (KSF_REDIS_CLUSTER_ADDRS)")
	every := fs.Duration("every", 50*time.Millisecond, "between two rounds of writes")
	dur := fs.Duration("for", time.Minute, "how long to probe")
	tags := fs.String("tags", "push,interactive,sync,report", "hash tags to write under, comma-separated")
	defaults := fs.Bool("go-redis-defaults", false, "use go-redis's cluster client as is (slot map reloaded on MOVED or every 60 s), for comparison")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *addrs == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "clusterprobe: -addrs is required; no arguments")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	res, err := Probe(ctx, Options{Addrs: strings.Split(*addrs, ","), Every: *every, Tags: strings.Split(*tags, ","),
		GoRedisDefaults: *defaults, Progress: stderr})
	if err != nil {
		fmt.Fprintln(stderr, "clusterprobe:", err)
		return 1
	}
	fmt.Fprint(stdout, res)
	return 0
}
