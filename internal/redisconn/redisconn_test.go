package redisconn_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
)

const testDB = 11 // this package's database on the real test server

func open(t *testing.T, r config.Redis) *redisconn.Conn {
	t.Helper()
	c, err := redisconn.Open(r, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestNoRedisConfigured: redisconn embeds no Redis (the demo starts its
// own); an empty configuration is an error naming the variables.
func TestNoRedisConfigured(t *testing.T) {
	t.Parallel()
	_, err := redisconn.Open(config.Redis{}, redisconn.Options{})
	if err == nil || !strings.Contains(err.Error(), "KSF_REDIS_URL") {
		t.Fatalf("err = %v, want one naming KSF_REDIS_URL", err)
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	r := redistest.New(t, testDB)
	c := open(t, config.Redis{URL: config.Secret(r.URL)})
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	opt, ok := c.Opt.(asynq.RedisClientOpt)
	if !ok || opt.ReadTimeout != redisconn.DefaultTimeout || opt.DialTimeout != redisconn.DefaultTimeout {
		t.Errorf("Opt = %#v, want bounded timeouts", c.Opt)
	}
}

func TestOptKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    config.Redis
		want string
	}{
		{"sentinel", config.Redis{URL: "redis-sentinel://:pw@s1:26379,s2:26379?master=mymaster"}, "asynq.RedisFailoverClientOpt"},
		{"cluster", config.Redis{ClusterAddrs: []string{"n1:7000", "n2:7001"}}, "redisconn.ClusterOpt"},
		{"tls", config.Redis{URL: "rediss://:pw@h:6380/1"}, "asynq.RedisClientOpt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := open(t, tt.r)
			if got := typeName(c.Opt); got != tt.want {
				t.Errorf("Opt is %s, want %s", got, tt.want)
			}
			if strings.Contains(c.String(), "pw") {
				t.Errorf("String() shows the password: %s", c.String())
			}
		})
	}
}

func typeName(v any) string {
	switch v := v.(type) {
	case asynq.RedisFailoverClientOpt:
		if v.ReadTimeout != redisconn.DefaultTimeout || v.MasterName != "mymaster" {
			return "failover without timeouts or master"
		}
		return "asynq.RedisFailoverClientOpt"
	case redisconn.ClusterOpt:
		if v.ReadTimeout != redisconn.DefaultTimeout || len(v.Addrs) != 2 {
			return "cluster without timeouts or addrs"
		}
		// The clients asynq makes from it are redisconn's too.
		cc, ok := v.MakeRedisClient().(*redis.ClusterClient)
		if !ok {
			return "cluster option making no cluster client"
		}
		defer cc.Close()
		if o := cc.Options(); o.ClusterStateReloadInterval != redisconn.ClusterReloadInterval || o.DialTimeout != redisconn.DefaultTimeout {
			return "cluster client without redisconn's settings"
		}
		return "redisconn.ClusterOpt"
	case asynq.RedisClientOpt:
		if v.TLSConfig == nil || v.DB != 1 {
			return "client without TLS or db"
		}
		return "asynq.RedisClientOpt"
	}
	return "unknown"
}

// TestDeadRedisFailsFast: a refused connection and a Redis that accepts but
// never answers both fail a ping well under the receiver's 1 s budget.
func TestDeadRedisFailsFast(t *testing.T) {
	t.Parallel()
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() { // accept and hold every connection, never answering
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	for name, addr := range map[string]string{"refused": refusedAddr, "silent": silent.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := open(t, config.Redis{URL: config.Secret("redis://" + addr)})
			start := time.Now()
			err := c.Ping(context.Background())
			if err == nil {
				t.Fatal("ping succeeded")
			}
			if d := time.Since(start); d >= time.Second {
				t.Errorf("ping failed after %v, want < 1s", d)
			}
		})
	}
}

// TestMisconfigured: Redis refusing the configuration (a database it does
// not have, auth) is told apart from Redis being down.
func TestMisconfigured(t *testing.T) {
	t.Parallel()
	down, err := redisconn.Open(config.Redis{URL: "redis://127.0.0.1:1/0"}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if err := down.CheckConfig(context.Background()); err == nil || redisconn.Misconfigured(err) {
		t.Errorf("Redis down: %v, want a transient error", err)
	}
	for _, reply := range []string{"ERR DB index is out of range", "WRONGPASS invalid username-password pair or user is disabled.", "NOAUTH Authentication required."} {
		conn, err := redisconn.Open(config.Redis{URL: config.Secret(redistest.Refusing(t, reply, 99))}, redisconn.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = conn.CheckConfig(context.Background())
		conn.Close()
		if !redisconn.Misconfigured(err) || !strings.Contains(err.Error(), "KSF_REDIS_URL") || !strings.Contains(err.Error(), reply) {
			t.Errorf("%s: %v, want a configuration error naming KSF_REDIS_URL", reply, err)
		}
	}
}
