package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SlowOptions of a slow-body run: N connections each declare a body of
// Declared bytes, send Sent of them at once, then trickle one byte every
// Trickle until the server closes the connection or Hold has passed.
type SlowOptions struct {
	URL      string
	Conns    int
	Declared int
	Sent     int
	Trickle  time.Duration
	Hold     time.Duration
	Deadline time.Duration // the server's body deadline: a close later than this (+1 s) is "late"
	PID      int           // receiver process whose RSS is sampled; 0 = none
}

// SlowResult is what a slow-body run saw.
type SlowResult struct {
	Opened       int
	Answered     map[int]int // status the server answered with → count
	ClosedOnTime int         // closed (answer or EOF) within Deadline + 1 s of the headers
	ClosedLate   int
	StillOpen    int           // open when Hold ended
	MaxClose     time.Duration // slowest close seen
	RSSBefore    int64         // kB, VmRSS before the connections opened
	RSSPeak      int64         // kB, highest VmRSS sampled while they were open
	RSSAfter     int64         // kB, VmRSS at the end
}

func (r SlowResult) String() string {
	s := fmt.Sprintf("slow connections %d: closed within the deadline %d, closed late %d, still open after the hold %d, slowest close %s; answers %v",
		r.Opened, r.ClosedOnTime, r.ClosedLate, r.StillOpen, r.MaxClose.Round(time.Millisecond), r.Answered)
	if r.RSSPeak > 0 {
		s += fmt.Sprintf("\nreceiver RSS: before %.1f MB, peak %.1f MB, after %.1f MB",
			float64(r.RSSBefore)/1024, float64(r.RSSPeak)/1024, float64(r.RSSAfter)/1024)
	}
	return s
}

// RSS reads VmRSS (kB) of pid from /proc.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// Slow opens the slow connections, samples the receiver's RSS while they
// last, and reports how each ended. It returns once every connection is
// closed or Hold has passed (then closes the rest).
func Slow(ctx context.Context, o SlowOptions) (SlowResult, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return SlowResult{}, err
	}
	res := SlowResult{Answered: map[int]int{}}
	if o.PID > 0 {
		if res.RSSBefore, err = RSS(o.PID); err != nil {
			return res, err
		}
	}
	var peak atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		if o.PID <= 0 {
			return
		}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := RSS(o.PID); err == nil && v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
		}
	}()

	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(o.Declared) + "\r\n\r\n"
	chunk := []byte("data=" + strings.Repeat("x", max(0, o.Sent-5)))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	holdCtx, cancel := context.WithTimeout(ctx, o.Hold)
	defer cancel()
	for range o.Conns {
		c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			stopSampling()
			<-sampled
			return res, fmt.Errorf("after %d connections: %w", res.Opened, err)
		}
		res.Opened++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			start := time.Now()
			closed := make(chan int, 1) // the status answered, 0 = closed without one
			go func() {
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					closed <- 0
					return
				}
				resp.Body.Close()
				closed <- resp.StatusCode
			}()
			go func() { // the writer: headers, the bulk, then a trickle
				if _, err := c.Write([]byte(head)); err != nil {
					return
				}
				if _, err := c.Write(chunk); err != nil {
					return
				}
				t := time.NewTicker(o.Trickle)
				defer t.Stop()
				for sent := len(chunk); sent < o.Declared-1; sent++ {
					select {
					case <-holdCtx.Done():
						return
					case <-t.C:
					}
					if _, err := c.Write([]byte{'x'}); err != nil {
						return
					}
				}
			}()
			select {
			case status := <-closed:
				d := time.Since(start)
				mu.Lock()
				res.Answered[status]++
				if d <= o.Deadline+time.Second {
					res.ClosedOnTime++
				} else {
					res.ClosedLate++
				}
				res.MaxClose = max(res.MaxClose, d)
				mu.Unlock()
			case <-holdCtx.Done():
				mu.Lock()
				res.StillOpen++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	stopSampling()
	<-sampled
	res.RSSPeak = peak.Load()
	if o.PID > 0 {
		res.RSSAfter, _ = RSS(o.PID)
	}
	return res, nil
}
