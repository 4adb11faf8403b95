// Command receiver is ksfsync's push endpoint: it verifies each push 勤策
// sends to POST /waiqin/push and queues it in Redis. Configuration is the
// KSF_* environment (see docs/configuration.md); with none it runs the demo
// on an embedded Redis.
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
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/logging"
	"github.com/ksfsync/ksfsync/internal/process"
	"github.com/ksfsync/ksfsync/internal/redisconn"
)

func main() {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	os.Exit(run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run is main with its surroundings passed in; it returns the exit code:
// 0 after a clean stop, 1 on a failure while running, 2 on bad flags or
// configuration.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	drain := fs.Duration("shutdown-timeout", 10*time.Second, "how long SIGTERM waits for in-flight pushes to be answered")
	demoSend := fs.Bool("demo-send", false, "demo only: once started, push a sample of each data type for every customer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: receiver [-shutdown-timeout 10s]\nConfiguration: KSF_* variables, see docs/configuration.md.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// One line per push: batched into fewer writes, warnings written at once.
	lw := logging.NewWriter(stdout, 10*time.Millisecond)
	defer lw.Close()
	log := zerolog.New(lw).With().Timestamp().Str("process", "receiver").Logger()

	cfg, err := config.Load(environ, os.ReadFile)
	if err != nil {
		log.Error().Err(err).Msg("invalid configuration")
		return 2
	}
	redisconn.SetLogger(log) // process-wide: go-redis's own messages as JSON lines
	logging.RedirectStd(log) // process-wide: the standard log package too
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var r process.Runner
	if cfg.Demo() { // nothing configured: the whole service in one process
		d := demo.NewReceiver(cfg, log)
		d.Banner, d.Send = stderr, *demoSend
		r = d
	} else {
		r = process.NewReceiver(cfg, log)
	}
	return process.Run(ctx, r, *drain, "stopping: answering the pushes in flight", log)
}
