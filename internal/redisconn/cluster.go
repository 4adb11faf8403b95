package redisconn

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterReloadInterval bounds how stale a cluster client's slot map can
// get without errors (go-redis reloads it on MOVED/ASK, and otherwise every
// 60 s by default).
const ClusterReloadInterval = 5 * time.Second

// newCluster is a cluster client that also re-reads the slot map whenever a
// command fails without an answer from Redis (refused or dropped
// connection, timeout) or with CLUSTERDOWN/TRYAGAIN. go-redis reloads only on
// MOVED/ASK, which a dead master never sends: after its replica is promoted
// the client kept dialling the dead address until the next periodic reload
// (measured: ~43 s). go-redis coalesces reloads (one at a time, then a
// 200 ms pause), so a burst of errors costs a few CLUSTER SLOTS calls.
func newCluster(opt *redis.ClusterOptions) *redis.ClusterClient {
	if opt.ClusterStateReloadInterval == 0 {
		opt.ClusterStateReloadInterval = ClusterReloadInterval
	}
	c := redis.NewClusterClient(opt)
	c.AddHook(reloadOnFailure{c})
	return c
}

type reloadOnFailure struct{ c *redis.ClusterClient }

func (h reloadOnFailure) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnFailure) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if topologyMayHaveChanged(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

func (h reloadOnFailure) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if topologyMayHaveChanged(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

// topologyMayHaveChanged: err says the node did not answer, or the cluster
// is between owners of a slot. An error Redis answered (a script's error,
// WRONGTYPE, redis.Nil) or a cancelled context says nothing about topology.
func topologyMayHaveChanged(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN")
	}
	var nerr net.Error
	return errors.As(err, &nerr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
