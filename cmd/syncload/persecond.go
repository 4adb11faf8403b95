package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// perSecond counts the requests a fake receives in each wall-clock second
// (Unix second of arrival), to show what a vendor's own rate counter sees.
type perSecond struct {
	next http.Handler

	mu     sync.Mutex
	counts map[int64]int
}

func countPerSecond(next http.Handler) *perSecond {
	return &perSecond{next: next, counts: map[int64]int{}}
}

func (p *perSecond) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sec := time.Now().Unix()
	p.mu.Lock()
	p.counts[sec]++
	p.mu.Unlock()
	p.next.ServeHTTP(w, r)
}

// Seconds are the counts of a fake, first to last second that saw a request
// (idle seconds in between count 0).
type Seconds []int

func (p *perSecond) seconds() Seconds {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.counts) == 0 {
		return nil
	}
	var first, last int64
	for s := range p.counts {
		if first == 0 || s < first {
			first = s
		}
		if s > last {
			last = s
		}
	}
	out := make(Seconds, 0, last-first+1)
	for s := first; s <= last; s++ {
		out = append(out, p.counts[s])
	}
	return out
}

// Max is the most requests seen in one second.
func (s Seconds) Max() int {
	if len(s) == 0 {
		return 0
	}
	return slices.Max(s)
}

// Total requests.
func (s Seconds) Total() int {
	n := 0
	for _, c := range s {
		n += c
	}
	return n
}

// Inner is the mean of the seconds between the first and the last (both
// partial, so left out); 0 with fewer than three seconds.
func (s Seconds) Inner() float64 {
	if len(s) < 3 {
		return 0
	}
	return float64(Seconds(s[1:len(s)-1]).Total()) / float64(len(s)-2)
}

// String: total, max, inner mean, and how many seconds saw each count.
func (s Seconds) String() string {
	if len(s) == 0 {
		return "no requests"
	}
	hist := map[int]int{}
	for _, c := range s {
		hist[c]++
	}
	keys := make([]int, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range slices.Backward(keys) {
		parts = append(parts, fmt.Sprintf("%d/s×%d", k, hist[k]))
	}
	return fmt.Sprintf("%d requests over %d s, max %d/s, mean %.2f/s between the first and last second; seconds by count: %s",
		s.Total(), len(s), s.Max(), s.Inner(), strings.Join(parts, " "))
}
