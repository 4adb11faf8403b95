// Package redistest gives tests a Redis: the real server named by
// KSF_TEST_REDIS_URL when set (integration tests, CI), an in-process
// miniredis otherwise.
//
// With the real server each package uses a database number of its own (the
// db argument, never 0), so packages tested in parallel do not disturb each
// other, and the database is flushed when the last test of the package using
// it finishes. Tests must therefore use task IDs of their own (a unique
// tenant or msgId per test) and look only at those.
package redistest

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the real Redis of integration tests.
const EnvURL = "KSF_TEST_REDIS_URL"

// Redis is one test's Redis.
type Redis struct {
	// URL is a redis:// URL for KSF_REDIS_URL / redisconn.
	URL string
	// Mini is the in-process server, nil when the test runs on the real one.
	Mini *miniredis.Miniredis
}

// Real reports whether the test runs against the real server.
func (r *Redis) Real() bool { return r.Mini == nil }

var (
	mu    sync.Mutex
	users = map[string]int{} // live tests per real database URL
)

// New returns a Redis for tb. db is the package's own database number on the
// real server (1–15, never 0); it is ignored with miniredis.
func New(tb testing.TB, db int) *Redis {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		mr := miniredis.RunT(tb)
		return &Redis{URL: "redis://" + mr.Addr(), Mini: mr}
	}
	if db <= 0 {
		tb.Fatalf("redistest: database %d: the integration tests never use database 0", db)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		tb.Fatalf("redistest: %s is not a redis:// URL", EnvURL)
	}
	u.Path = "/" + strconv.Itoa(db)
	r := &Redis{URL: u.String()}
	mu.Lock()
	users[r.URL]++
	mu.Unlock()
	tb.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if users[r.URL]--; users[r.URL] > 0 {
			return
		}
		// The last user of the database: leave it empty.
		opt, err := redis.ParseURL(r.URL)
		if err != nil {
			tb.Errorf("redistest: %v", err)
			return
		}
		c := redis.NewClient(opt)
		defer c.Close()
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			tb.Errorf("redistest: flush db %d: %v", db, err)
		}
	})
	return r
}
