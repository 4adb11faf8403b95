// Package redisconn turns the configured Redis (KSF_REDIS_URL or
// KSF_REDIS_CLUSTER_ADDRS) into what asynq and go-redis need, with bounded
// timeouts so a dead Redis fails a call in well under a second instead of
// hanging. It embeds no Redis: the demo starts its own and passes its URL.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
)

// Options bound every Redis call. Zero fields take the defaults below,
// chosen for the receiver: 勤策 waits 5 s and a push must get its 503 in
// under 1 s when Redis is gone.
type Options struct {
	DialTimeout  time.Duration // default 500 ms
	ReadTimeout  time.Duration // default 500 ms
	WriteTimeout time.Duration // default ReadTimeout
	PoolTimeout  time.Duration // wait for a free connection; default 500 ms
	PoolSize     int           // default go-redis's, 10 per CPU
	// MaxRetries of a failed command on a fresh connection (a pooled one may
	// be stale after a Redis restart). Default 1; -1 = none. Retrying an
	// enqueue is safe: the task ID makes a second attempt "already queued".
	MaxRetries int
}

// DefaultTimeout is the default of every Options timeout.
const DefaultTimeout = 500 * time.Millisecond

func (o Options) withDefaults() Options {
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = o.ReadTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = DefaultTimeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	return o
}

// Conn is one configured Redis: the asynq connection option (for asynq
// servers, inspectors, asynqmon) and a shared go-redis client (for asynq
// clients built with NewClientFromRedisClient, pings and anything else).
type Conn struct {
	// Opt builds further clients the same way (same address, timeouts, TLS).
	Opt asynq.RedisConnOpt
	// Client is shared: build asynq clients and servers on it with
	// asynq.NewClientFromRedisClient / NewServerFromRedisClient.
	Client redis.UniversalClient

	desc string
}

// Open prepares the Redis of cfg. It does not wait for Redis to answer (a
// process may start before its Redis; readiness says when it is there). A
// configuration without Redis is an error.
func Open(cfg config.Redis, o Options) (*Conn, error) {
	o = o.withDefaults()
	c := &Conn{desc: cfg.String()}
	var opt asynq.RedisConnOpt
	switch {
	case len(cfg.ClusterAddrs) > 0:
		opt = asynq.RedisClusterClientOpt{Addrs: cfg.ClusterAddrs}
	case cfg.URL == "":
		return nil, errors.New("no Redis configured: set KSF_REDIS_URL or KSF_REDIS_CLUSTER_ADDRS")
	default:
		var err error
		if opt, err = asynq.ParseRedisURI(cfg.URL.Value()); err != nil {
			// The URL may hold a password: do not echo it.
			return nil, errors.New("KSF_REDIS_URL is not a Redis URL asynq can use")
		}
	}
	c.Opt, c.Client = build(opt, o)
	return c, nil
}

// go-redis would redial 5 times. RESP2: asynq needs nothing of RESP3, and
// RESP3's push-notification checks cost ~4% of a push's CPU.
const dialRetries, protocol = 1, 2

// build sets the bounded timeouts on opt and makes the matching client.
func build(opt asynq.RedisConnOpt, o Options) (asynq.RedisConnOpt, redis.UniversalClient) {
	switch v := opt.(type) {
	case asynq.RedisClientOpt:
		v.DialTimeout, v.ReadTimeout, v.WriteTimeout, v.PoolSize = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize
		return v, redis.NewClient(&redis.Options{
			Network: v.Network, Addr: v.Addr, Username: v.Username, Password: v.Password, DB: v.DB, TLSConfig: v.TLSConfig,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout, MaxRetries: o.MaxRetries, DialerRetries: dialRetries,
			ContextTimeoutEnabled: true, DisableIdentity: true, Protocol: protocol,
		})
	case asynq.RedisFailoverClientOpt:
		v.DialTimeout, v.ReadTimeout, v.WriteTimeout, v.PoolSize = o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize
		return v, redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: v.MasterName, SentinelAddrs: v.SentinelAddrs, SentinelUsername: v.SentinelUsername,
			SentinelPassword: v.SentinelPassword, Username: v.Username, Password: v.Password, DB: v.DB, TLSConfig: v.TLSConfig,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout, MaxRetries: o.MaxRetries, DialerRetries: dialRetries,
			ContextTimeoutEnabled: true, DisableIdentity: true, Protocol: protocol,
		})
	case asynq.RedisClusterClientOpt:
		v.DialTimeout, v.ReadTimeout, v.WriteTimeout = o.DialTimeout, o.ReadTimeout, o.WriteTimeout
		c := ClusterOpt{RedisClusterClientOpt: v, opts: o}
		return c, c.MakeRedisClient().(*redis.ClusterClient)
	}
	panic(fmt.Sprintf("redisconn: unexpected asynq.RedisConnOpt %T", opt))
}

// Ping checks that Redis answers, within ctx.
func (c *Conn) Ping(ctx context.Context) error {
	if err := c.Client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Misconfigured reports whether err is Redis refusing the configuration
// itself — a database number it does not have, a missing or wrong password,
// an ACL user that may not do this — which no retry cures, as opposed to
// Redis being down or slow.
func Misconfigured(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	for _, p := range []string{"ERR DB index is out of range", "ERR invalid DB index", "NOAUTH", "WRONGPASS",
		"ERR invalid password", "ERR AUTH", "ERR Client sent AUTH", "NOPERM"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// CheckConfig pings Redis within ctx. A refusal of the configuration
// (Misconfigured) is returned as an error naming the variable, so a
// process can refuse to start; any other failure (Redis down, slow) is
// returned wrapped as from Ping, for the caller to wait out.
func (c *Conn) CheckConfig(ctx context.Context) error {
	err := c.Ping(ctx)
	if err != nil && Misconfigured(err) {
		variable := "KSF_REDIS_URL"
		if strings.HasPrefix(c.desc, "cluster ") {
			variable = "KSF_REDIS_CLUSTER_ADDRS"
		}
		return fmt.Errorf("configuration: %s (%s): Redis refuses it: %w (the database number must be below the server's `databases`, 16 by default; the password and user must be the server's)", variable, c.desc, err)
	}
	return err
}

// String describes the connection without its password.
func (c *Conn) String() string { return c.desc }

// Close closes the shared client.
func (c *Conn) Close() error { return c.Client.Close() }

// SetLogger sends go-redis's own messages (dial failures, pool trouble),
// which it otherwise prints to stderr as plain text, to log as warnings. It
// is process-wide: call it once, from main or the wiring.
func SetLogger(log zerolog.Logger) {
	redis.SetLogger(redisLogger{log.With().Str("component", "go-redis").Logger()})
}

type redisLogger struct{ log zerolog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Msgf(format, v...)
}

// ClusterOpt is asynq's cluster connection option with redisconn's cluster
// client: the clients asynq builds from it (the admin's inspector and asynq
// client, asynqmon, the receivers' queue metrics) also re-read the slot map
// on errors, like Conn.Client.
type ClusterOpt struct {
	asynq.RedisClusterClientOpt
	opts Options
}

// MakeRedisClient returns a new *redis.ClusterClient (asynq.RedisConnOpt).
func (c ClusterOpt) MakeRedisClient() any {
	v, o := c.RedisClusterClientOpt, c.opts
	return newCluster(&redis.ClusterOptions{
		Addrs: v.Addrs, MaxRedirects: v.MaxRedirects, Username: v.Username, Password: v.Password, TLSConfig: v.TLSConfig,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		PoolSize: o.PoolSize, PoolTimeout: o.PoolTimeout, MaxRetries: o.MaxRetries, DialerRetries: dialRetries,
		ContextTimeoutEnabled: true, DisableIdentity: true, Protocol: protocol,
	})
}
