// Package replay remembers the pushes the receiver accepted, by tenant,
// timestamp and digest, so a captured push re-sent under another msgId (or
// another dataType) is recognised instead of starting a new fan-out.
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
package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// KeyPrefix starts every key a Guard writes: ksf:replay:{timestamp}:{digest},
// holding "{tenant}:{msgId}" of the first push.
const KeyPrefix = "ksf:replay:"

// Guard remembers accepted pushes in Redis. It is safe for concurrent use.
type Guard struct {
	rdb redis.UniversalClient
	ttl int64 // seconds
}

// New returns a Guard remembering each push for ttl (≥ 1 s).
func New(rdb redis.UniversalClient, ttl time.Duration) *Guard {
	return &Guard{rdb: rdb, ttl: max(1, int64(ttl/time.Second))}
}

// remember is one round trip and one command (EVALSHA): the msgId that first
// used the key, or nil after storing msgId as that first one.
var remember = redis.NewScript(`
local first = redis.call("GET", KEYS[1])
if first then return first end
redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[2])
return false
`)

// Claim records that tenant's msgID is the push signed (timestamp, digest),
// unless another push was first: then it returns that one as
// "{tenant}:{msgId}". A retry of the same push (same tenant and msgId) is
// not a replay and returns "".
func (g *Guard) Claim(ctx context.Context, tenant, timestamp, digest, msgID string) (first string, err error) {
	id := tenant + ":" + msgID // tenant ids hold no ':'
	v, err := remember.Run(ctx, g.rdb, []string{Key(timestamp, digest)}, id, g.ttl).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("replay check: %w", err)
	case v == id:
		return "", nil
	}
	return v, nil
}

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
