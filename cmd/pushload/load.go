package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksfsync/ksfsync/internal/digest"
)

// Options of a load run.
type Options struct {
	URL         string
	N           int // pushes
	Concurrency int
	Secret      string
	Tenant      string
	DataType    string
	Customers   int // customer codes per push
	Timeout     time.Duration
}

// Result of a load run.
type Result struct {
	Sent, OK int
	Statuses map[int]int // HTTP status → count; 0 = transport error
	// Answers counts the return_msg of the 200 answers: "success" is a push
	// queued; anything else ("already queued") means the run did not
	// measure what it says.
	Answers  map[string]int
	Elapsed  time.Duration
	P50, P90 time.Duration
	P99, Max time.Duration
	FirstErr error
}

// Rate is pushes per second.
func (r Result) Rate() float64 { return float64(r.Sent) / r.Elapsed.Seconds() }

func (r Result) String() string {
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var st []string
	for _, c := range codes {
		st = append(st, fmt.Sprintf("%d×%d", c, r.Statuses[c]))
	}
	msgs := make([]string, 0, len(r.Answers))
	for m := range r.Answers {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		st = append(st, fmt.Sprintf("%q×%d", m, r.Answers[m]))
	}
	s := fmt.Sprintf("pushes %d ok %d [%s] in %.2fs: %.0f pushes/s  p50 %s  p90 %s  p99 %s  max %s",
		r.Sent, r.OK, strings.Join(st, " "), r.Elapsed.Seconds(), r.Rate(), ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	if r.FirstErr != nil {
		s += "\nfirst error: " + r.FirstErr.Error()
	}
	return s
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// Bodies signs n form-encoded pushes with msgIds unique to this run. Each
// asks for its own customers (unique to the run too), so no two share a
// (timestamp, digest), even across runs sent at once: pushes
// signed in the same millisecond with the same data would be answered
// "already queued" by the receiver's replay check, and a run of them would
// measure that answer instead of a push being queued.
func Bodies(o Options) []string {
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	prefix := "load-" + hex.EncodeToString(run) + "-"
	codePrefix := "C" + hex.EncodeToString(run) + "-" // another run's pushes never ask for the same
	codes := make([]string, o.Customers)
	bodies := make([]string, o.N)
	for i := range bodies {
		for j := range codes {
			codes[j] = codePrefix + strconv.Itoa(i*o.Customers+j)
		}
		data := `{"customer_code":"` + strings.Join(codes, ",") + `","start_date":"2026-10-01","end_date":"2026-10-31"}`
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		bodies[i] = url.Values{
			"msgId": {prefix + strconv.Itoa(i)}, "dataId": {strconv.Itoa(i)}, "dataVersion": {"001"}, "dataFormat": {"json"},
			"dataSource": {"biz"}, "timestamp": {ts}, "status": {"0"}, "tenantId": {o.Tenant},
			"dataType": {o.DataType}, "data": {data}, "digest": {digest.Push(data, o.Secret, ts)},
		}.Encode()
	}
	return bodies
}

// Run sends the pushes (signed before the clock starts) and measures.
func Run(ctx context.Context, o Options) (Result, error) {
	if _, err := url.Parse(o.URL); err != nil {
		return Result{}, err
	}
	bodies := Bodies(o)
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: o.Timeout}).DialContext,
		MaxIdleConns:        o.Concurrency,
		MaxIdleConnsPerHost: o.Concurrency,
		MaxConnsPerHost:     o.Concurrency,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: o.Timeout}

	var (
		next     atomic.Int64
		mu       sync.Mutex
		res      = Result{Statuses: map[int]int{}, Answers: map[string]int{}}
		lats     = make([][]time.Duration, o.Concurrency)
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses, answers := map[int]int{}, map[string]int{}
			mine := make([]time.Duration, 0, o.N/o.Concurrency+1)
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(bodies)) {
					break
				}
				t0 := time.Now()
				status, msg, err := post(ctx, client, o.URL, bodies[i])
				mine = append(mine, time.Since(t0))
				statuses[status]++
				if status == http.StatusOK {
					answers[msg]++
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
			lats[w] = mine
			mu.Lock()
			for s, c := range statuses {
				res.Statuses[s] += c
			}
			for m, c := range answers {
				res.Answers[m] += c
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	all := slices.Concat(lats...)
	slices.Sort(all)
	res.Sent, res.OK, res.FirstErr = len(all), res.Statuses[http.StatusOK], firstErr
	if len(all) > 0 {
		pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
		res.P50, res.P90, res.P99, res.Max = pct(0.50), pct(0.90), pct(0.99), all[len(all)-1]
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// post sends one push: its status and, for a 200, the answer's return_msg.
func post(ctx context.Context, c *http.Client, u, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // drain: the connection is reused
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, "", errors.New(resp.Status + ": " + strings.TrimSpace(string(b)))
	}
	var a struct {
		Msg string `json:"return_msg"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return resp.StatusCode, "", fmt.Errorf("answer %q: %w", b, err)
	}
	return resp.StatusCode, a.Msg, nil
}
