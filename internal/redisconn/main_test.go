package redisconn_test

import (
	"os"
	"testing"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/redisconn"
)

// TestMain quiets go-redis's own dial-failure messages, which the tests of a
// stopped Redis provoke on purpose.
func TestMain(m *testing.M) {
	redisconn.SetLogger(zerolog.Nop())
	os.Exit(m.Run())
}
