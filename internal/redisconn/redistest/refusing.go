package redistest

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
)

// Refusing starts a stand-in Redis on loopback that answers every command
// with the error reply msg (e.g. "ERR DB index is out of range", what a real
// server answers SELECT 99 with when it has 16 databases), and returns its
// redis:// URL with database db. It stops when the test ends.
func Refusing(tb testing.TB, msg string, db int) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go refuse(c, msg)
		}
	}()
	return "redis://" + ln.Addr().String() + "/" + strconv.Itoa(db)
}

// refuse reads RESP commands (arrays of bulk strings, or inline) and
// answers each with -msg.
func refuse(c net.Conn, msg string) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := []byte("-" + msg + "\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "*") {
			n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
			for range n {
				head, err := r.ReadString('\n') // $len
				if err != nil {
					return
				}
				size, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
				if _, err := r.Discard(size + 2); err != nil {
					return
				}
			}
		}
		if _, err := c.Write(reply); err != nil {
			return
		}
	}
}
