package config

import (
	"fmt"
	"net"
	"strings"
)

// MinAdminTokenOffLoopback is the shortest KSF_ADMIN_TOKEN accepted when the
// admin listener is reachable from other hosts.
const MinAdminTokenOffLoopback = 16

// CheckAdminToken judges KSF_ADMIN_TOKEN for an admin listener on addr (the
// address it will listen on): off loopback a token shorter than
// MinAdminTokenOffLoopback is an error (the listener can queue work and
// delete failure records); on loopback it is a warning. No token at all
// is not an error: every protected route then refuses.
func (c *Config) CheckAdminToken(addr string) (warning string, err error) {
	n := len([]rune(c.AdminToken.Value()))
	if n == 0 || n >= MinAdminTokenOffLoopback {
		return "", nil
	}
	msg := fmt.Sprintf("KSF_ADMIN_TOKEN is %d characters long; use at least %d random ones (openssl rand -hex 32)", n, MinAdminTokenOffLoopback)
	if !Loopback(addr) {
		return "", fmt.Errorf("configuration: %s: the admin listener KSF_ADMIN_ADDR=%s is reachable from other hosts", msg, addr)
	}
	return msg, nil
}

// Loopback reports whether a listen address only accepts local
// connections: 127.0.0.0/8, ::1 or localhost. An empty host (":8081"),
// 0.0.0.0 and every other address are not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
