package process_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/logging/logtest"
	"github.com/ksfsync/ksfsync/internal/redisconn"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
)

// scaleConcurrency is each worker process's KSF_WORKER_CONCURRENCY.
const scaleConcurrency = 4

// saveGate wraps the 勤策 fake: it counts saveStatement requests per
// customer code, and holds the first ones until more are waiting at once
// than one process can send (scaleConcurrency + 1). Only when both worker
// processes are busy can that happen, so the test does not depend on how
// fast the second process polls its queues (asynq checks an empty queue
// once a second); once open, the gate stays open.
type saveGate struct {
	next    http.Handler
	wake    chan<- struct{}
	release int

	mu       sync.Mutex
	held     int
	open     chan struct{}
	opened   bool
	requests map[string]int // customer code → saveStatement requests
}

func (g *saveGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/ksfStatement/v1/saveStatement/") {
		g.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var st struct {
		CustomerCode string `json:"customer_code"`
	}
	_ = json.Unmarshal(body, &st)
	g.mu.Lock()
	g.requests[st.CustomerCode]++
	if !g.opened {
		if g.held++; g.held >= g.release {
			g.opened = true
			close(g.open)
		}
	}
	g.mu.Unlock()
	wakeUp(g.wake)
	select {
	case <-g.open:
	case <-r.Context().Done():
		return
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	g.next.ServeHTTP(w, r)
}

func (g *saveGate) counts() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]int, len(g.requests))
	for k, v := range g.requests {
		out[k] = v
	}
	return out
}

func (g *saveGate) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return fmt.Sprintf("saveStatement gate: %d held, open %v, %d customers saved", g.held, g.opened, len(g.requests))
}

// workerProcess is a running cmd/worker binary whose stdout (its JSON log)
// feeds a workerLog.
type workerProcess struct {
	name   string
	cmd    *exec.Cmd
	log    *workerLog
	stderr *logtest.Buffer
	exited chan struct{} // closed once the process has exited and its output is read
	err    error         // Wait's answer, once exited
}

func startWorkerProcess(t *testing.T, name, bin string, env []string, wake chan<- struct{}) *workerProcess {
	t.Helper()
	p := &workerProcess{name: name, log: newWorkerLog(wake), stderr: &logtest.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "-shutdown-timeout", "10s")
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		// Copy stdout line by line; Wait only after the pipe is drained.
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			_, _ = p.log.Write(append(sc.Bytes(), '\n'))
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = p.cmd.Wait()
		close(p.exited)
		wakeUp(wake)
	}()
	t.Cleanup(func() {
		if !p.hasExited() {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *workerProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

func (p *workerProcess) describe() string {
	state := "running"
	if p.hasExited() {
		state = fmt.Sprintf("exited: %v", p.err)
	}
	lines := strings.Split(p.log.String(), "\n")
	if len(lines) > 30 {
		lines = append([]string{fmt.Sprintf("(%d lines before)", len(lines)-30)}, lines[len(lines)-30:]...)
	}
	return fmt.Sprintf("--- %s (pid %d, %s) stdout:\n%s\n--- stderr:\n%s", p.name, p.cmd.Process.Pid, state, strings.Join(lines, "\n"), p.stderr)
}

// stop sends SIGTERM and waits for the exit.
func (p *workerProcess) stop(t *testing.T) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("%s: SIGTERM: %v", p.name, err)
	}
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	select {
	case <-p.exited:
		return p.err
	case <-timer.C:
		t.Fatalf("%s did not stop within 20 s of SIGTERM\n%s", p.name, p.describe())
		return nil
	}
}

// workerEnvFor turns a configuration pointed at the demo fakes into a
// worker process's environment: only KSF_* variables (an unknown one would
// fail the start), secrets through Value().
func workerEnvFor(cfg *config.Config, redisURL, token string) []string {
	return []string{
		"KSF_REDIS_URL=" + redisURL,
		"KSF_ADMIN_ADDR=127.0.0.1:0",
		"KSF_ADMIN_TOKEN=" + token,
		"KSF_WORKER_CONCURRENCY=" + strconv.Itoa(scaleConcurrency),
		"KSF_WAIQIN_BASE_URL=" + cfg.Waiqin.BaseURL,
		"KSF_WAIQIN_OPENID=" + cfg.Waiqin.OpenID,
		"KSF_WAIQIN_APPKEY=" + cfg.Waiqin.AppKey.Value(),
		"KSF_OMS_BASE_URL=" + cfg.OMS.BaseURL,
		"KSF_OMS_FLAG=" + cfg.OMS.Flag,
		"KSF_OMS_TOKEN=" + cfg.OMS.Token.Value(),
		"KSF_JDY_BASE_URL=" + cfg.JDY.BaseURL,
		"KSF_JDY_CLIENT_ID=" + cfg.JDY.ClientID,
		"KSF_JDY_CLIENT_SECRET=" + cfg.JDY.ClientSecret.Value(),
		"KSF_JDY_APP_KEY=" + cfg.JDY.AppKey,
		"KSF_JDY_APP_SECRET=" + cfg.JDY.AppSecret.Value(),
		"KSF_JDY_DOMAIN=" + cfg.JDY.Domain,
		"KSF_WDT_ROUTER_URL=" + cfg.WDT.RouterURL,
		"KSF_WDT_APP_KEY=" + cfg.WDT.AppKey,
		"KSF_WDT_APP_SECRET=" + cfg.WDT.AppSecret.Value(),
		"KSF_WDT_TARGET_APP_KEY=" + cfg.WDT.TargetAppKey,
		"KSF_WDT_HJY_APP_ID=" + cfg.WDT.HJYAppID,
		"KSF_WDT_HJY_APP_KEY=" + cfg.WDT.HJYAppKey.Value(),
		"KSF_WDT_SID=" + cfg.WDT.SID,
		"KSF_WDT_PLATFORMS=" + strings.Join(cfg.WDT.Platforms, ","),
		"KSF_WAIQIN_RPS=0", "KSF_OMS_RPS=0", "KSF_JDY_RPS=0", "KSF_WDT_RPS=0",
	}
}

// buildWorker builds cmd/worker into dir.
func buildWorker(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build the worker: %v", err)
	}
	bin := filepath.Join(dir, "worker")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/ksfsync/ksfsync/cmd/worker").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/worker: %v\n%s", err, out)
	}
	return bin
}

// TestTwoWorkerProcessesShareOneQueue runs two real worker processes
// (cmd/worker, built by the test) on one Redis and pushes a statement
// resync for 60 customers: every customer's statement is saved exactly once,
// both processes did part of the jobs, every task completed, each process's
// /metrics counts its own jobs (and no queue series), and both stop on
// SIGTERM with exit status 0.
//
// Not parallel: on the real Redis the package's tests share one database,
// and another test's in-process worker would take this test's jobs (and
// these processes another test's). Sequential tests run before the parallel
// ones start.
func TestTwoWorkerProcessesShareOneQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the worker binary")
	}
	const token = "scale-token"
	began := time.Now()
	bin := buildWorker(t, t.TempDir())
	t.Logf("worker built in %v", time.Since(began).Round(time.Millisecond))

	rd := redistest.New(t, testDB)
	fakes, err := demo.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fakes.Close)
	customers := slices.Clone(demo.Customers)
	for i := len(customers) + 1; len(customers) < 60; i++ {
		code := fmt.Sprintf("C%03d", i)
		customers = append(customers, code)
		// An account and nothing else: an empty statement whose balances
		// come from the account (without one, OMS refuses the customer and
		// the job fails for good).
		fakes.OMS.SetBalance(omstest.Account{AccountID: code, AccountName: code + " 预付款", AccountType: "deposit",
			Balance: decimal.NewFromInt(int64(100 * i)), Currency: "CNY"})
	}
	fakes.Waiqin.SetCustomers(customers) // getCustomers answers all 60

	wake := make(chan struct{}, 1)
	gate := &saveGate{next: fakes.Waiqin.Handler(), wake: wake, release: scaleConcurrency + 1,
		open: make(chan struct{}), requests: map[string]int{}}
	waiqin := httptest.NewServer(gate)
	t.Cleanup(waiqin.Close)

	cfg := &config.Config{}
	fakes.Configure(cfg)
	cfg.Waiqin.BaseURL = waiqin.URL
	env := workerEnvFor(cfg, rd.URL, token)
	procs := []*workerProcess{
		startWorkerProcess(t, "worker-a", bin, env, wake),
		startWorkerProcess(t, "worker-b", bin, env, wake),
	}
	diag := func() string {
		var b strings.Builder
		b.WriteString(gate.String())
		for _, p := range procs {
			b.WriteString("\n" + p.describe())
		}
		return b.String()
	}
	anyExited := func() bool {
		for _, p := range procs {
			if p.hasExited() {
				t.Fatalf("%s exited early\n%s", p.name, diag())
			}
		}
		return false
	}
	waitOn(t, wake, 20*time.Second, "both workers to start", func() bool {
		_, a := procs[0].log.startedAt()
		_, b := procs[1].log.startedAt()
		return !anyExited() && a && b
	}, diag)

	conn, err := redisconn.Open(config.Redis{URL: config.Secret(rd.URL)}, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	tenant := "scale-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	start, end := shanghaiLastMonth()
	client := asynq.NewClientFromRedisClient(conn.Client)
	if _, err := tasks.Enqueue(context.Background(), client, tasks.Push{TenantID: tenant, MsgID: "scale-1",
		DataType: tasks.DataTypeStatement, Timestamp: strconv.FormatInt(time.Now().UnixMilli(), 10),
		Data: tasks.PushData{StartDate: start, EndDate: end}}); err != nil { // no customer: every customer getCustomers returns
		t.Fatal(err)
	}
	workStart := time.Now()
	statementJobs := func() int {
		return procs[0].log.jobLines(tasks.TypeStatement) + procs[1].log.jobLines(tasks.TypeStatement)
	}
	waitOn(t, wake, 30*time.Second, "60 statement jobs", func() bool {
		return !anyExited() && statementJobs() >= len(customers)
	}, diag)
	t.Logf("60 statements in %v", time.Since(workStart).Round(time.Millisecond))

	// Who did what: each process's job lines and its own /metrics.
	total := 0
	for _, p := range procs {
		ok := p.log.count(tasks.TypeStatement, "ok")
		t.Logf("%s: %d statement jobs, %d push jobs", p.name, ok, p.log.jobLines(tasks.TypePush))
		if ok == 0 {
			t.Errorf("%s did no statement job", p.name)
		}
		if n := p.log.jobLines(tasks.TypeStatement); n != ok {
			t.Errorf("%s: %d statement job lines, %d ok", p.name, n, ok)
		}
		total += ok
		addr, _ := p.log.startedAt()
		fams := scrapeAdmin(t, addr, token)
		if v := series(fams, "ksf_jobs_processed_total", "kind", tasks.TypeStatement, "outcome", "ok"); v != float64(ok) {
			t.Errorf("%s /metrics: statement jobs ok %v, its log says %d", p.name, v, ok)
		}
		if v := series(fams, "ksf_statements_saved_total", "kind", tasks.TypeStatement); v != float64(ok) {
			t.Errorf("%s /metrics: statements saved %v, want %d", p.name, v, ok)
		}
		if names := hasFamilyPrefix(fams, "asynq_"); len(names) > 0 {
			t.Errorf("%s exports queue series %v", p.name, names)
		}
	}
	if total != len(customers) {
		t.Errorf("statement jobs ok: %d, want %d", total, len(customers))
	}
	if n := procs[0].log.count(tasks.TypePush, "ok") + procs[1].log.count(tasks.TypePush, "ok"); n != 1 {
		t.Errorf("push fan-outs: %d, want 1", n)
	}

	// Both processes are registered with asynq on the shared Redis.
	in := asynq.NewInspectorFromRedisClient(conn.Client)
	servers, err := in.Servers()
	if err != nil {
		t.Fatal(err)
	}
	pids := map[int]bool{}
	for _, s := range servers {
		pids[s.PID] = true
	}
	for _, p := range procs {
		if !pids[p.cmd.Process.Pid] {
			t.Errorf("%s (pid %d) not among asynq's servers %v", p.name, p.cmd.Process.Pid, pids)
		}
	}

	// SIGTERM: both stop cleanly, with their tasks marked done.
	for _, p := range procs {
		if err := p.stop(t); err != nil {
			t.Errorf("%s: exit %v, want 0\n%s", p.name, err, p.describe())
		}
		if !strings.Contains(p.log.String(), `"message":"stopped"`) {
			t.Errorf("%s did not log its stop", p.name)
		}
	}

	// Exactly once: after both processes are gone, nothing more can come.
	saves := gate.counts()
	for _, c := range customers {
		if saves[c] != 1 {
			t.Errorf("customer %s: %d saveStatement requests, want 1", c, saves[c])
		}
	}
	if len(saves) != len(customers) {
		t.Errorf("saveStatement for %d customers, want %d: %v", len(saves), len(customers), saves)
	}
	saved := map[string]int{}
	for _, s := range fakes.Waiqin.Statements() {
		saved[s.CustomerCode]++
	}
	if len(saved) != len(customers) {
		t.Errorf("the 勤策 fake holds statements of %d customers, want %d", len(saved), len(customers))
	}

	// Every task of this push completed, none waits, retries or failed.
	prefix := map[string]string{tasks.QueuePush: tasks.PushTaskID(tenant, "scale-1"), tasks.QueueSync: "sync:" + tenant + ":scale-1:"}
	want := map[string]int{tasks.QueuePush: 1, tasks.QueueSync: len(customers)}
	for _, queue := range []string{tasks.QueuePush, tasks.QueueSync} {
		states := map[string]func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			"pending": in.ListPendingTasks, "active": in.ListActiveTasks, "scheduled": in.ListScheduledTasks,
			"retry": in.ListRetryTasks, "archived": in.ListArchivedTasks, "completed": in.ListCompletedTasks,
		}
		for state, list := range states {
			n := 0
			for page := 1; ; page++ {
				infos, err := list(queue, asynq.PageSize(100), asynq.Page(page))
				if err != nil {
					t.Fatalf("list %s %s: %v", state, queue, err)
				}
				for _, ti := range infos {
					if strings.HasPrefix(ti.ID, prefix[queue]) {
						n++
					}
				}
				if len(infos) < 100 {
					break
				}
			}
			switch {
			case state == "completed" && n != want[queue]:
				t.Errorf("queue %s: %d completed tasks of this push, want %d", queue, n, want[queue])
			case state != "completed" && n != 0:
				t.Errorf("queue %s: %d %s tasks of this push, want 0", queue, n, state)
			}
		}
	}
	if t.Failed() {
		t.Log(diag())
	}
}
