package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRedisSlot: the slots Redis itself gives these hash tags (CLUSTER
// KEYSLOT on Redis 7).
func TestRedisSlot(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]int{"push": 297, "sync": 11216, "interactive": 3599, "report": 4432, "v1": 1165} {
		if got := redisSlot(tag); got != want {
			t.Errorf("slot of {%s} = %d, want %d", tag, got, want)
		}
	}
}

func TestRunNeedsAddrs(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-addrs") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
