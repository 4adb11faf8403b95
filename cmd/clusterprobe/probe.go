package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/redisconn"
)

// Options of a probe.
type Options struct {
	Addrs           []string
	Every           time.Duration
	Tags            []string
	GoRedisDefaults bool
	Progress        io.Writer // one line per event; nil = none
}

// Worker's Redis timeouts (process.Worker's defaults).
var workerOpts = redisconn.Options{DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, PoolTimeout: 4 * time.Second}

// keyState follows one key's writes and its slot's owner.
type keyState struct {
	Tag                 string
	Owner               string    // master of the slot, last seen
	Writes, Failed      int       // writes attempted, failed
	FirstFail, LastFail time.Time // first and last failed write
	Promoted            time.Time // the slot's master changed
	NewOwner            string
	Recovered           time.Time // first successful write after a failure
}

// Result is every key's state at the end.
type Result struct {
	Keys     []*keyState
	Defaults bool
}

func (r Result) String() string {
	var b strings.Builder
	client := "redisconn (reload on errors, every 5 s)"
	if r.Defaults {
		client = "go-redis defaults (reload on MOVED, every 60 s)"
	}
	fmt.Fprintf(&b, "client: %s\n", client)
	for _, k := range r.Keys {
		fmt.Fprintf(&b, "{%s}: %d writes, %d failed", k.Tag, k.Writes, k.Failed)
		if !k.FirstFail.IsZero() {
			fmt.Fprintf(&b, "; failing from %s to %s (%.2fs)", k.FirstFail.Format("15:04:05.000"), k.LastFail.Format("15:04:05.000"), k.LastFail.Sub(k.FirstFail).Seconds())
		}
		if !k.Promoted.IsZero() {
			fmt.Fprintf(&b, "; new master %s at %s", k.NewOwner, k.Promoted.Format("15:04:05.000"))
		}
		if !k.Recovered.IsZero() {
			fmt.Fprintf(&b, "; writes ok again at %s", k.Recovered.Format("15:04:05.000"))
			if !k.Promoted.IsZero() {
				fmt.Fprintf(&b, " = %.2fs after the promotion", k.Recovered.Sub(k.Promoted).Seconds())
			}
		} else if !k.FirstFail.IsZero() {
			b.WriteString("; NOT recovered")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Probe runs until ctx ends.
func Probe(ctx context.Context, o Options) (Result, error) {
	res := Result{Defaults: o.GoRedisDefaults}
	var rdb redis.UniversalClient
	if o.GoRedisDefaults {
		rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: o.Addrs, DialTimeout: workerOpts.DialTimeout,
			ReadTimeout: workerOpts.ReadTimeout, WriteTimeout: workerOpts.ReadTimeout, PoolTimeout: workerOpts.PoolTimeout,
			MaxRetries: 1, DialerRetries: 1, ContextTimeoutEnabled: true, DisableIdentity: true, Protocol: 2})
	} else {
		conn, err := redisconn.Open(config.Redis{ClusterAddrs: o.Addrs}, workerOpts)
		if err != nil {
			return res, err
		}
		rdb = conn.Client
	}
	defer rdb.Close()
	seeds := make([]*redis.Client, len(o.Addrs))
	for i, a := range o.Addrs {
		seeds[i] = redis.NewClient(&redis.Options{Addr: a, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
			MaxRetries: -1, DisableIdentity: true, Protocol: 2})
		defer seeds[i].Close()
	}
	logf := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, time.Now().Format("15:04:05.000 ")+format+"\n", a...)
		}
	}
	var mu sync.Mutex
	for _, t := range o.Tags {
		res.Keys = append(res.Keys, &keyState{Tag: t})
	}
	owners := func() {
		slots := clusterShards(ctx, seeds)
		if slots == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, k := range res.Keys {
			owner := ownerOf(slots, redisSlot(k.Tag))
			switch {
			case owner == "" || owner == k.Owner:
			case k.Owner == "":
				k.Owner = owner
				logf("{%s} on %s", k.Tag, owner)
			default:
				logf("{%s}: master %s → %s", k.Tag, k.Owner, owner)
				k.Owner, k.NewOwner, k.Promoted = owner, owner, time.Now()
			}
		}
	}
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		owners()
		var wg sync.WaitGroup
		for _, k := range res.Keys {
			wg.Go(func() {
				wctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				err := rdb.Set(wctx, "ksf:probe:{"+k.Tag+"}", time.Now().UnixNano(), time.Minute).Err()
				if ctx.Err() != nil {
					return
				}
				now := time.Now()
				mu.Lock()
				defer mu.Unlock()
				k.Writes++
				switch {
				case err != nil:
					if k.Failed == 0 {
						logf("{%s}: write failed: %v", k.Tag, err)
					}
					k.Failed++
					if k.FirstFail.IsZero() {
						k.FirstFail = now
					}
					k.LastFail = now
					k.Recovered = time.Time{}
				case k.Failed > 0 && k.Recovered.IsZero():
					k.Recovered = now
					logf("{%s}: writes ok again", k.Tag)
				}
			})
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return res, nil
		case <-tick.C:
		}
	}
}

// clusterShards asks the seeds in turn (CLUSTER SHARDS); nil if none
// answers.
func clusterShards(ctx context.Context, seeds []*redis.Client) []redis.ClusterShard {
	for _, s := range seeds {
		shards, err := s.ClusterShards(ctx).Result()
		if err == nil {
			return shards
		}
		if errors.Is(err, context.Canceled) {
			return nil
		}
	}
	return nil
}

// ownerOf is the address of the slot's master while it is online; "" while
// the slot has none (a dead master not yet replaced).
func ownerOf(shards []redis.ClusterShard, slot int) string {
	for _, sh := range shards {
		for _, r := range sh.Slots {
			if int64(slot) < r.Start || int64(slot) > r.End {
				continue
			}
			for _, n := range sh.Nodes {
				if n.Role == "master" && n.Health == "online" {
					return fmt.Sprintf("%s:%d", n.IP, n.Port)
				}
			}
		}
	}
	return ""
}

// redisSlot is Redis Cluster's slot of a key made only of a hash tag.
func redisSlot(tag string) int { return int(crc16([]byte(tag)) % 16384) }

// crc16 is CRC-16/XMODEM, Redis Cluster's key hash.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
