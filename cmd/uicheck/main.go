//go:build uicheck

// Command uicheck opens the queue UI (asynqmon at /monitoring/ of the admin
// listener) in headless Chromium against a real Redis and checks that it
// renders ksfsync's queues and tasks. It is the operations issue's browser
// check; run it with scripts/uicheck.sh (docs/operations.md, "Queue UI
// check"). It is behind the uicheck build tag so normal builds and tests
// neither compile nor run it:
//
//	go run -tags uicheck ./cmd/uicheck -redis redis://127.0.0.1:6379/6
//
// It empties the Redis database named by -redis (FLUSHDB, that database
// only; 0 is refused), seeds it with a completed ksf:push carrying its
// fan-out result, the pending ksf:statement tasks of that fan-out, a pending
// ksf:report and archived ksf:statement tasks (one of a resync, whose id has
// a hyphen), serves admin.New on 127.0.0.1:0 and, for each page, has
// Chromium dump the rendered DOM (<out>/ksf-uicheck-<page>.html) and take a
// screenshot (<out>/ksf-uicheck-<page>.png). It fails when a page misses a
// queue row, a task id or a formatted payload, shows an error alert, or
// when a request the browser made was not answered 200/304 in the end.
//
// The token reaches Chromium as the password in the URL
// (http://ksf:TOKEN@127.0.0.1:PORT/monitoring/), i.e. as HTTP Basic
// credentials, the way a browser sends it after the login prompt. Chromium
// 156 uses them for the page's scripts and its XHR calls to
// /monitoring/api/… too, but only after a 401 challenge for each request
// (the admin log gets a "request refused" line per challenge), and never
// for /monitoring/manifest.json, which it fetches without credentials (a
// harmless 401). -proxy instead puts a small reverse proxy in front that
// adds "Authorization: Bearer TOKEN" to every request, for a browser that
// would not reuse URL credentials: then every request must be answered 200.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/admin"
	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/metrics"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

const (
	tenant = "T1"
	// A push from 勤策 (msgId as 勤策 sends it) and a manual resync, whose
	// msg_id has a hyphen (resync-<uuid without hyphens>, see resync.go).
	pushMsg   = "8d0f6c2e4b1a4f7c9e3d5a6b7c8d9e0f"
	failMsg   = "3a9e1b7c5d2f4e6a8b0c1d2e3f4a5b6c"
	resyncMsg = "resync-5f0c2b9a7e614d3c8a1b2c3d4e5f6a7b"
	start     = "2026-11-01"
	end       = "2026-11-30"
)

// opts are the command's flags.
type opts struct {
	redisURL, out, chromium, window string
	budget                          int
	proxy                           bool
	serve                           time.Duration
}

func main() {
	var o opts
	flag.StringVar(&o.redisURL, "redis", "redis://127.0.0.1:6379/6", "Redis URL; its database is FLUSHed (database 0 is refused)")
	flag.StringVar(&o.out, "out", os.TempDir(), "directory for the screenshots, dumped DOMs and the admin log")
	flag.StringVar(&o.chromium, "chromium", "chromium", "Chromium binary")
	flag.StringVar(&o.window, "window", "1400,900", "Chromium --window-size")
	flag.IntVar(&o.budget, "budget", 8000, "Chromium --virtual-time-budget in ms (time the page gets to load and poll)")
	flag.BoolVar(&o.proxy, "proxy", false, "send the token as a bearer header through a reverse proxy instead of as Basic credentials in the URL")
	flag.DurationVar(&o.serve, "serve", 0, "after the checks, keep serving for this long (to look with a browser of your own)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "uicheck: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("uicheck: PASS")
}

// page is one UI page to check.
type page struct {
	name  string
	path  string
	text  []string // text the page must show (tags removed: a highlighted payload is split into spans)
	cells []string // consecutive text nodes the page must show, joined with " | " (a table row)
	not   []string // text the page must not show (tasks of another state)
}

func run(o opts) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	ropt, err := redis.ParseURL(o.redisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	if ropt.DB == 0 {
		return errors.New("-redis: name a database other than 0 (it is flushed), e.g. redis://127.0.0.1:6379/6")
	}
	opt := asynq.RedisClientOpt{Addr: ropt.Addr, Username: ropt.Username, Password: ropt.Password, DB: ropt.DB, TLSConfig: ropt.TLSConfig}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("flush database %d: %w", ropt.DB, err)
	}
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return err
	}
	fmt.Printf("redis %s database %d (%s): flushed\n", ropt.Addr, ropt.DB, field(info, "redis_version"))

	s, err := seed(ctx, opt)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	// The admin listener, as cmd/receiver and cmd/worker build it; its log
	// (one "admin request refused" line per 401) goes to a file.
	logPath := filepath.Join(o.out, "ksf-uicheck-admin.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	token := fmt.Sprintf("uicheck-%d", time.Now().UnixNano())
	srv, err := admin.New(admin.Config{
		Token:        token,
		RedisConnOpt: opt,
		Redis:        rdb,
		Failures:     failures.New(rdb, failures.Options{}),
		Metrics:      metrics.New(),
		Logger:       zerolog.New(logFile).With().Timestamp().Logger(),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	log := &requestLog{}
	adminURL, stopAdmin, err := listen(log.wrap(srv))
	if err != nil {
		return err
	}
	defer stopAdmin()
	fmt.Printf("admin listener %s (log %s)\n", adminURL, logPath)

	// What Chromium opens: the admin listener with the token as the
	// password in the URL (Basic auth, what a browser sends after the login
	// prompt), or a proxy that adds it as a bearer header.
	base, _ := url.Parse(adminURL)
	base.User = url.UserPassword("ksf", token)
	if o.proxy {
		target, _ := url.Parse(adminURL)
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Set("Authorization", "Bearer "+token)
		}}
		proxyURL, stopProxy, err := listen(proxy)
		if err != nil {
			return err
		}
		defer stopProxy()
		fmt.Println("proxy adding the bearer token:", proxyURL)
		base, _ = url.Parse(proxyURL)
	}

	pages := []page{
		{name: "queues", path: "/monitoring/", cells: s.queues},
		{name: "sync-archived", path: "/monitoring/queues/sync?status=archived", text: s.archived, not: []string{"customer=C001"}},
		{name: "sync-pending", path: "/monitoring/queues/sync?status=pending", text: s.pending, not: []string{"customer=C004"}},
		{name: "push-completed", path: "/monitoring/queues/push?status=completed", text: s.completed},
		{name: "task-detail", path: "/monitoring/queues/sync/tasks/" + url.PathEscape(s.detailID), text: s.detail},
	}
	var failed []string
	for _, p := range pages {
		if err := check(o, base, p, log); err != nil {
			fmt.Printf("  FAIL %s: %v\n", p.name, err)
			failed = append(failed, p.name)
		}
	}
	if o.serve > 0 {
		fmt.Printf("serving %s for %s (user: anything, password: %s)\n", base.Redacted(), o.serve, token)
		time.Sleep(o.serve)
	}
	if len(failed) > 0 {
		return fmt.Errorf("pages %s", strings.Join(failed, ", "))
	}
	return nil
}

// seeded lists what each checked page must show.
type seeded struct {
	queues                               []string // queue list rows: name, state, size
	archived, pending, completed, detail []string
	detailID                             string // an archived task whose detail page is checked
}

// seed queues what a day of ksfsync leaves in Redis: a completed push with
// its fan-out result, the fan-out's pending statements, a pending error
// report, and archived statements (failed for good).
func seed(ctx context.Context, opt asynq.RedisClientOpt) (seeded, error) {
	var s seeded
	client := asynq.NewClient(opt)
	defer client.Close()
	in := asynq.NewInspector(opt)
	defer in.Close()

	customers := []string{"C001", "C002", "C003"}
	push := tasks.Push{TenantID: tenant, MsgID: pushMsg, DataType: tasks.DataTypeStatement, Status: "0",
		Timestamp: fmt.Sprint(time.Now().UnixMilli()), Origin: "push", ReceivedAt: time.Now(),
		Data: tasks.PushData{CustomerCodes: customers, StartDate: start, EndDate: end}}
	pt, err := tasks.NewPushTask(push)
	if err != nil {
		return s, err
	}
	if _, err := client.EnqueueContext(ctx, pt); err != nil {
		return s, err
	}
	// A worker on the push queue only: it fans the push out into pending
	// ksf:statement tasks and writes the result, as tasks.HandlePush does.
	worker := asynq.NewServer(opt, asynq.Config{Queues: map[string]int{tasks.QueuePush: 1}, LogLevel: asynq.WarnLevel})
	err = worker.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p tasks.Push
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return err
		}
		res := tasks.PushResult{Customers: len(p.Data.CustomerCodes), Kind: tasks.SyncKind(p.DataType)}
		for _, c := range p.Data.CustomerCodes {
			st, err := tasks.NewSyncTask(tasks.Sync{TenantID: p.TenantID, MsgID: p.MsgID, DataType: p.DataType,
				CustomerCode: c, StartDate: p.Data.StartDate, EndDate: p.Data.EndDate})
			if err != nil {
				return err
			}
			if _, err := client.EnqueueContext(ctx, st); err != nil {
				return err
			}
			res.FannedOut++
		}
		b, _ := json.Marshal(res)
		_, err := t.ResultWriter().Write(b)
		return err
	}))
	if err != nil {
		return s, err
	}
	pushID := tasks.PushTaskID(tenant, pushMsg)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ti, err := in.GetTaskInfo(tasks.QueuePush, pushID)
		if err == nil && ti.State == asynq.TaskStateCompleted {
			break
		}
		if time.Now().After(deadline) {
			worker.Shutdown()
			return s, fmt.Errorf("push %s not completed after 20 s (last: %v %v)", pushID, ti, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	worker.Shutdown()
	s.completed = []string{pushID,
		fmt.Sprintf("tenant=%s customer=C001,C002,C003 period=%s..%s dataType=%s msgId=%s", tenant, start, end, tasks.DataTypeStatement, pushMsg),
		"customers=3 fanned_out=3 already_queued=0 all_customers=false kind=ksf:statement"}
	for _, c := range customers {
		s.pending = append(s.pending, tasks.SyncTaskID(tenant, pushMsg, tasks.DataTypeStatement, c),
			fmt.Sprintf("tenant=%s customer=%s period=%s..%s", tenant, c, start, end))
	}

	// A save*Error call to retry, so the report queue exists.
	rt, err := tasks.NewReportTask(tasks.Report{Sync: tasks.Sync{TenantID: tenant, MsgID: failMsg, DataType: tasks.DataTypeStatement,
		CustomerCode: "C004", StartDate: start, EndDate: end}, Reason: "商派OMS ar.getList: shop_code C004 不存在",
		SyncTaskID: tasks.SyncTaskID(tenant, failMsg, tasks.DataTypeStatement, "C004")})
	if err != nil {
		return s, err
	}
	if _, err := client.EnqueueContext(ctx, rt); err != nil {
		return s, err
	}

	// Statements that failed for good: archived.
	for _, a := range []struct{ msg, customer string }{{failMsg, "C004"}, {failMsg, "C005"}, {resyncMsg, "C006"}} {
		st, err := tasks.NewSyncTask(tasks.Sync{TenantID: tenant, MsgID: a.msg, DataType: tasks.DataTypeStatement,
			CustomerCode: a.customer, StartDate: start, EndDate: end})
		if err != nil {
			return s, err
		}
		ti, err := client.EnqueueContext(ctx, st)
		if err != nil {
			return s, err
		}
		if err := in.ArchiveTask(tasks.QueueSync, ti.ID); err != nil {
			return s, fmt.Errorf("archive %s: %w", ti.ID, err)
		}
		// asynqmon's ID column shows an id up to its first "-" (its
		// uuidPrefix): a resync's ids show as "sync:T1:resync".
		s.archived = append(s.archived, shownID(ti.ID),
			fmt.Sprintf("tenant=%s customer=%s period=%s..%s dataType=%s msgId=%s", tenant, a.customer, start, end, tasks.DataTypeStatement, a.msg))
	}
	for i := 0; i < len(s.pending); i += 2 {
		s.pending[i] = shownID(s.pending[i])
	}
	s.completed[0] = shownID(s.completed[0])
	// The detail page shows the whole id.
	s.detailID = tasks.SyncTaskID(tenant, resyncMsg, tasks.DataTypeStatement, "C006")
	s.detail = []string{s.detailID, "ksf:statement", "archived",
		fmt.Sprintf("tenant=%s customer=C006 period=%s..%s dataType=%s msgId=%s", tenant, start, end, tasks.DataTypeStatement, resyncMsg)}

	for _, q := range []string{tasks.QueuePush, tasks.QueueReport, tasks.QueueSync} {
		qi, err := in.GetQueueInfo(q)
		if err != nil {
			return s, fmt.Errorf("queue %s: %w", q, err)
		}
		fmt.Printf("seeded queue %-6s size %d: pending %d, completed %d, archived %d\n", q, qi.Size, qi.Pending, qi.Completed, qi.Archived)
		s.queues = append(s.queues, fmt.Sprintf("%s | run | %d |", q, qi.Size))
	}
	return s, nil
}

// shownID is how asynqmon's task tables print a task id.
func shownID(id string) string {
	if i := strings.IndexByte(id, '-'); i >= 0 {
		return id[:i]
	}
	return id
}

// check loads one page twice (DOM dump, screenshot) and checks the DOM and
// the requests the browser made.
func check(o opts, base *url.URL, p page, log *requestLog) error {
	u := base.String() + p.path
	fmt.Printf("page %s: %s\n", p.name, strings.Replace(u, base.String(), base.Redacted(), 1))
	log.take()
	dom, err := browse(o, u, "--dump-dom")
	if err != nil {
		return err
	}
	domFile := filepath.Join(o.out, "ksf-uicheck-"+p.name+".html")
	if err := os.WriteFile(domFile, dom, 0o644); err != nil {
		return err
	}
	png := filepath.Join(o.out, "ksf-uicheck-"+p.name+".png")
	_ = os.Remove(png)
	if _, err := browse(o, u, "--screenshot="+png); err != nil {
		return err
	}
	fi, err := os.Stat(png)
	if err != nil || fi.Size() == 0 {
		return fmt.Errorf("no screenshot %s: %v", png, err)
	}
	fmt.Printf("  DOM %d bytes (%s), screenshot %d bytes (%s)\n", len(dom), domFile, fi.Size(), png)

	problems := checkRequests(log.take(), o.proxy)
	text, cells := visibleText(dom)
	for _, w := range p.text {
		if strings.Contains(text, w) {
			fmt.Printf("  shows %q\n", w)
		} else {
			problems = append(problems, fmt.Sprintf("page does not show %q", w))
		}
	}
	for _, w := range p.cells {
		if strings.Contains(cells, "| "+w) {
			fmt.Printf("  shows row %q\n", w)
		} else {
			problems = append(problems, fmt.Sprintf("page does not show the row %q", w))
		}
	}
	for _, w := range p.not {
		if strings.Contains(text, w) {
			problems = append(problems, fmt.Sprintf("page shows %q", w))
		}
	}
	// asynqmon shows a failed API call as an error alert ("Could not
	// retrieve queues live data — …"); our 401 answer says "admin token".
	if alertRE.Match(dom) {
		problems = append(problems, "page shows an error alert")
	}
	for _, e := range []string{"Could not retrieve", "admin token"} {
		if strings.Contains(text, e) {
			problems = append(problems, fmt.Sprintf("page shows %q: %s", e, around(text, e)))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// manifestPath is fetched by Chromium without credentials (a
// <link rel="manifest"> without crossorigin="use-credentials"), so it is
// refused with 401 when the token comes as Basic credentials. Harmless: the
// manifest only matters to "install as an app".
const manifestPath = "/monitoring/manifest.json"

// checkRequests summarises what the browser asked and got. Every request
// must end in 200 or 304. With Basic credentials in the URL, Chromium asks
// first without them, gets the 401 challenge and asks again with them: a
// 401 is fine when the same URL was then answered.
func checkRequests(reqs []request, proxy bool) []string {
	var problems []string
	byStatus := map[int]int{}
	answered := map[string]bool{}
	for _, r := range reqs {
		byStatus[r.status]++
		if r.status == http.StatusOK || r.status == http.StatusNotModified {
			answered[r.method+" "+r.uri] = true
		}
	}
	refused := map[string]bool{}
	for _, r := range reqs {
		switch {
		case r.status == http.StatusOK || r.status == http.StatusNotModified:
		case r.status == http.StatusUnauthorized && !proxy && (answered[r.method+" "+r.uri] || r.uri == manifestPath):
		default:
			refused[fmt.Sprintf("%s %s answered %d", r.method, r.uri, r.status)] = true
		}
	}
	for r := range refused {
		problems = append(problems, r)
	}
	sort.Strings(problems)
	var api []string
	for _, r := range reqs {
		if strings.HasPrefix(r.uri, "/monitoring/api/") && r.status == http.StatusOK {
			api = append(api, strings.TrimPrefix(r.uri, "/monitoring"))
		}
	}
	fmt.Printf("  requests %d: 200 %d, 304 %d, 401 %d (Basic challenges), other %d; API answered 200: %s\n",
		len(reqs), byStatus[200], byStatus[304], byStatus[401], len(reqs)-byStatus[200]-byStatus[304]-byStatus[401],
		strings.Join(uniq(api), " "))
	return problems
}

func uniq(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// browse runs headless Chromium on u with a fresh profile.
func browse(o opts, u string, action string) ([]byte, error) {
	profile, err := os.MkdirTemp("", "ksf-uicheck-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir="+profile, "--window-size="+o.window,
		fmt.Sprintf("--virtual-time-budget=%d", o.budget), action, u)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", o.chromium, action, err, lastLines(stderr.String(), 10))
	}
	return b, nil
}

var (
	alertRE  = regexp.MustCompile(`MuiAlert-(standard|filled|outlined)Error`)
	scriptRE = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)>`)
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	spaceRE  = regexp.MustCompile(`\s+`)
)

// visibleText is the DOM's text, scripts and styles dropped, entities
// decoded: text with the tags removed (a syntax highlighter splits a
// payload into spans), and cells with its text nodes joined by " | ".
func visibleText(dom []byte) (text, cells string) {
	s := scriptRE.ReplaceAllString(string(dom), " ")
	text = spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(s, "")), " ")
	var nodes []string
	for _, n := range tagRE.Split(s, -1) {
		if n = strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(n), " ")); n != "" {
			nodes = append(nodes, n)
		}
	}
	return text, "| " + strings.Join(nodes, " | ") + " |"
}

func around(s, sub string) string {
	i := strings.Index(s, sub)
	return s[max(0, i-80):min(len(s), i+120)]
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func field(info, name string) string {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+":"); ok {
			return name + " " + v
		}
	}
	return name + " ?"
}

// listen serves h on 127.0.0.1:0.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = hs.Close() }, nil
}

// requestLog records the answer to every request the browser made.
type requestLog struct {
	mu   sync.Mutex
	reqs []request
}

type request struct {
	method, uri string
	status      int
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		l.reqs = append(l.reqs, request{r.Method, r.URL.RequestURI(), sw.status})
		l.mu.Unlock()
	})
}

func (l *requestLog) take() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.reqs
	l.reqs = nil
	return r
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
