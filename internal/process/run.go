package process

import (
	"context"
	"time"

	"github.com/rs/zerolog"
)

// Runner is a process cmd/ starts: Receiver, Worker, or the demo wrapping a
// Receiver.
type Runner interface {
	// Open starts serving and returns.
	Open(ctx context.Context) error
	// Err reports a listener that failed after Open.
	Err() <-chan error
	// Close stops, letting work in flight finish until ctx ends.
	Close(ctx context.Context) error
}

// Run is a process's life after its configuration is read: Open p, serve
// until ctx ends (main's signal context) or a listener fails, then Close it
// within drain. It returns the exit code: 0 after a clean stop, 1 when p
// cannot start, a listener failed or the stop was unclean. stopping is
// logged when ctx ends (what the process now waits for).
func Run(ctx context.Context, p Runner, drain time.Duration, stopping string, log zerolog.Logger) int {
	if err := p.Open(ctx); err != nil {
		log.Error().Err(err).Msg("cannot start")
		return 1
	}
	code := 0
	select {
	case <-ctx.Done():
		log.Info().Msg(stopping)
	case err := <-p.Err():
		log.Error().Err(err).Msg("listener failed")
		code = 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := p.Close(sctx); err != nil {
		log.Error().Err(err).Msg("unclean shutdown")
		code = 1
	}
	log.Info().Msg("stopped")
	return code
}
