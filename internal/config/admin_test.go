package config_test

import (
	"strings"
	"testing"

	"github.com/ksfsync/ksfsync/internal/config"
)

func TestCheckAdminToken(t *testing.T) {
	t.Parallel()
	long := "0123456789abcdef"
	tests := []struct {
		name, token, addr string
		warn, fail        bool
	}{
		{"1 character on 0.0.0.0", "x", "0.0.0.0:8081", false, true},
		{"15 characters on all interfaces", long[:15], ":8081", false, true},
		{"short on a private address", "short", "10.0.0.5:8081", false, true},
		{"short on loopback: warning", "x", "127.0.0.1:8081", true, false},
		{"short on ::1: warning", "x", "[::1]:8081", true, false},
		{"short on localhost: warning", "x", "localhost:8081", true, false},
		{"16 characters anywhere", long, "0.0.0.0:8081", false, false},
		{"no token: the API refuses all", "", "0.0.0.0:8081", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			c.AdminToken = config.Secret(tt.token)
			warn, err := c.CheckAdminToken(tt.addr)
			if (warn != "") != tt.warn || (err != nil) != tt.fail {
				t.Fatalf("warning %q, error %v; want warning %v, error %v", warn, err, tt.warn, tt.fail)
			}
			if err != nil && (!strings.Contains(err.Error(), "KSF_ADMIN_TOKEN") || !strings.Contains(err.Error(), tt.addr)) {
				t.Errorf("error does not name the variable and address: %v", err)
			}
		})
	}
}
