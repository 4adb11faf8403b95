package redisconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
)

type redisErr string

func (e redisErr) Error() string { return string(e) }
func (redisErr) RedisError()     {}

func TestTopologyMayHaveChanged(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"nil reply", redis.Nil, false},
		{"cancelled", context.Canceled, false},
		{"script error", redisErr("ERR user_script:1: bad"), false},
		{"wrong type", redisErr("WRONGTYPE Operation against a key"), false},
		{"cluster down", redisErr("CLUSTERDOWN The cluster is down"), true},
		{"try again", redisErr("TRYAGAIN Multiple keys request during rehashing"), true},
		{"dial refused", refused, true},
		{"wrapped dial refused", fmt.Errorf("enqueue: %w", refused), true},
		{"reset", syscall.ECONNRESET, true},
		{"dropped", io.EOF, true},
		{"timeout", context.DeadlineExceeded, true},
		{"other", errors.New("something else"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := topologyMayHaveChanged(tt.err); got != tt.want {
				t.Errorf("topologyMayHaveChanged(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
