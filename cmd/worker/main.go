// Command worker processes the tasks the receiver queues: it fans each push
// out to one job per customer, builds the statements from the configured
// sources and saves them to 勤策 (or reports why not). SIGTERM lets running
// jobs finish, or hands them back to the queue.
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

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/logging"
	"github.com/ksfsync/ksfsync/internal/process"
	"github.com/ksfsync/ksfsync/internal/redisconn"
)

func main() {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	os.Exit(run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run returns the exit code: 0 after a clean stop, 1 on a failure while
// running, 2 on bad flags or configuration.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	drain := fs.Duration("shutdown-timeout", 30*time.Second, "how long SIGTERM waits for running tasks")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: worker [-shutdown-timeout 30s]\nConfiguration: KSF_* variables, see docs/configuration.md.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := zerolog.New(stdout).With().Timestamp().Str("process", "worker").Logger()

	cfg, err := config.Load(environ, os.ReadFile)
	if err != nil {
		log.Error().Err(err).Msg("invalid configuration")
		return 2
	}
	if cfg.Demo() {
		log.Error().Msg("KSF_REDIS_URL (or KSF_REDIS_CLUSTER_ADDRS) is required: a worker alone on an embedded Redis gets no work. " +
			"For the demo, run `go run ./cmd/receiver`: it starts a worker in-process.")
		return 2
	}
	if err := cfg.ValidateWorker(); err != nil {
		log.Error().Err(err).Msg("invalid configuration")
		return 2
	}
	redisconn.SetLogger(log) // process-wide: go-redis's own messages as JSON lines
	logging.RedirectStd(log) // process-wide: the standard log package too
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	w := process.NewWorker(cfg, log)
	// Running tasks get the drain time minus a margin to close the rest.
	w.ShutdownTimeout = *drain - min(5*time.Second, *drain/2)
	return process.Run(ctx, w, *drain, "stopping: letting running tasks finish", log)
}
