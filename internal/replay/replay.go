// Package replay remembers the pushes the receiver accepted, by timestamp
// and digest, so a captured push re-sent under another msgId (or another
// dataType or tenantId) is recognised instead of starting a new fan-out.
//
// 勤策's digest, md5(data|pushsecret|timestamp), covers data and timestamp
// only: msgId, dataType, tenantId and every other field can be changed by
// whoever holds one signed push. What cannot be changed without the secret
// is the (timestamp, digest) pair, so a Guard keys on that pair and stores
// the tenant and msgId that first used it, for as long as the push itself
// is kept (tasks.PushRetention). The tenant is in the value, not the key:
// with one secret shared by every tenant (KSF_PUSH_SECRET without tenant
// blocks) a push re-sent under another tenantId would verify too; two
// tenants with different secrets cannot produce the same digest.
//
// The record is written by the same Redis script that queues the push
// (Guard.Enqueue), so the check costs no round trip of its own.
package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/asynqwire"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// KeyPrefix starts every key a Guard writes:
// ksf:replay:{push}:{timestamp}:{digest}, holding "{tenant}:{msgId}" of the
// first push. {push} is the push queue's hash tag: on a Redis Cluster the
// record lies in the queue's slot, so one script writes both.
const KeyPrefix = "ksf:replay:{" + tasks.QueuePush + "}:"

// Guard queues pushes and remembers them in Redis. It is safe for
// concurrent use.
type Guard struct {
	rdb       redis.UniversalClient
	ttl       int64       // seconds
	published atomic.Bool // the push queue is in asynq:queues
	batch     batcher
}

// New returns a Guard remembering each push for ttl (≥ 1 s).
func New(rdb redis.UniversalClient, ttl time.Duration) *Guard {
	return &Guard{rdb: rdb, ttl: max(1, int64(ttl/time.Second)), batch: batcher{rdb: rdb, script: enqueue}}
}

// enqueue is one command (EVALSHA; pushes arriving together share a round
// trip, see batcher): the replay check, then asynq's own enqueue of the
// task. KEYS: the task hash, the push queue's pending list,
// the replay record. ARGV: the task message, its id, now (Unix ns) — what
// asynq's script takes — then "{tenant}:{msgId}" and the record's TTL. It
// returns 1 (queued), 0 (the task id exists: already queued) or the
// "{tenant}:{msgId}" that first used the record.
var enqueue = redis.NewScript(`
local first = redis.call("GET", KEYS[3])
if first and first ~= ARGV[4] then return first end
redis.call("SET", KEYS[3], ARGV[4], "EX", ARGV[5])
` + asynqwire.EnqueueScript)

// Enqueue queues p exactly as tasks.Enqueue would (the same task, byte for
// byte) and records that tenant's p.MsgID is the push signed (p.Timestamp,
// digest), unless another push was first: then nothing is queued and first
// is that push, "{tenant}:{msgId}". alreadyQueued is true when p's task
// exists already (勤策's retry of it); a retry is never a replay. An error
// means it could not tell; as with tasks.Enqueue, the push may have been
// stored when the error is a timeout.
func (g *Guard) Enqueue(ctx context.Context, p tasks.Push, digest string) (alreadyQueued bool, first string, err error) {
	msg, err := tasks.PushMessage(p)
	if err != nil {
		return false, "", err
	}
	if !g.published.Load() {
		// asynq's Client does this once per queue too: servers and the
		// Inspector find queues in this set.
		if err := g.rdb.SAdd(ctx, asynqwire.AllQueues, msg.Queue).Err(); err != nil {
			return false, "", fmt.Errorf("enqueue %s: %w", msg.ID, err)
		}
		g.published.Store(true)
	}
	id := p.TenantID + ":" + p.MsgID // tenant ids hold no ':'
	keys := []string{asynqwire.TaskKey(msg.Queue, msg.ID), asynqwire.PendingKey(msg.Queue), Key(p.Timestamp, digest)}
	v, err := g.batch.run(ctx, keys, msg.Encode(), msg.ID, time.Now().UnixNano(), id, g.ttl)
	if err != nil {
		return false, "", fmt.Errorf("enqueue %s: %w", msg.ID, err)
	}
	switch v := v.(type) {
	case int64:
		return v == 0, "", nil
	case string:
		return false, v, nil
	}
	return false, "", fmt.Errorf("enqueue %s: %w: script answered %T", msg.ID, errUnexpected, v)
}

var errUnexpected = errors.New("unexpected answer")

// Key is where the first msgId of a signed push is kept. The digest is
// compared case-insensitively, so it is stored in lower case.
func Key(timestamp, digest string) string {
	var b strings.Builder
	b.Grow(len(KeyPrefix) + len(timestamp) + len(digest) + 1)
	b.WriteString(KeyPrefix)
	b.WriteString(timestamp)
	b.WriteByte(':')
	b.WriteString(strings.ToLower(digest))
	return b.String()
}
