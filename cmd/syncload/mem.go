package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
	"github.com/ksfsync/ksfsync/internal/upstream/waiqin/waiqintest"
	"github.com/ksfsync/ksfsync/internal/vendors"
)

// childEnv marks the vendor-fakes process of -mem: a test binary re-executed
// as that process sees it before the testing flags are parsed.
const childEnv = "SYNCLOAD_MEM_FAKES"

const memCustomer = "MEM001"

// MemOptions of a memory run: one statement of Bills bills with three items
// each and Payments payments, i.e. Bills+Payments trade rows and 3·Bills
// detail rows.
type MemOptions struct {
	Bills    int
	Payments int
	Log      io.Writer // the job's log line; nil = discarded
}

// Lines is the statement's trade + detail rows.
func (o MemOptions) Lines() int { return o.Bills + o.Payments + 3*o.Bills }

// MemResult is what a memory run measured.
type MemResult struct {
	Options        MemOptions
	Trades         int // trade rows the 勤策 fake holds
	Details        int // detail rows the 勤策 fake holds
	Elapsed        time.Duration
	PeakBefore     int64 // VmHWM before the job, bytes
	Peak           int64 // VmHWM after the job, bytes
	MaxRSS         int64 // getrusage ru_maxrss after the job, bytes; -1 if unknown
	TotalAlloc     uint64
	NumGC          uint32
	BodyBytesSaved int64 // the saved statement re-encoded as JSON (≈ the saveStatement body)
}

func (r MemResult) String() string {
	mib := func(n int64) string {
		if n < 0 {
			return "n/a"
		}
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return fmt.Sprintf("memory: 1 statement of %d trade rows + %d detail rows = %d lines, built (source.OMSGoods over the OMS client, reconcile) and sent (waiqin client) in %.2fs; the statement as JSON ≈ %s\n"+
		"peak RSS of this process: VmHWM %s (%s before the job), ru_maxrss %s; Go: %s allocated in all, %d GCs",
		r.Trades, r.Details, r.Trades+r.Details, r.Elapsed.Seconds(), mib(r.BodyBytesSaved),
		mib(r.Peak), mib(r.PeakBefore), mib(r.MaxRSS), mib(int64(r.TotalAlloc)), r.NumGC)
}

// RunMem starts the OMS and 勤策 fakes in a child process (their data and
// the saved statement are not this process's memory), then builds and saves
// one statement through the worker's own handler, and reads this process's
// peak RSS.
func RunMem(ctx context.Context, o MemOptions) (MemResult, error) {
	res := MemResult{Options: o}
	if o.Bills <= 0 || o.Payments < 0 {
		return res, errors.New("-mem-bills must be above 0, -mem-payments not negative")
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, self, "-serve-mem-fakes", "-mem-bills", strconv.Itoa(o.Bills), "-mem-payments", strconv.Itoa(o.Payments))
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // closing it ends the child
	if err != nil {
		return res, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "READY" {
		return res, fmt.Errorf("fakes process: %q %v", line, err)
	}
	omsURL, waiqinURL := f[1], f[2]

	env := []string{
		"KSF_REDIS_URL=redis://127.0.0.1:1", // not used: the handler is called directly
		"KSF_STATEMENT_SOURCE=oms", "KSF_EXPENSE_SOURCE=oms",
		"KSF_OMS_BASE_URL=" + omsURL, "KSF_OMS_FLAG=" + omsFlag, "KSF_OMS_TOKEN=" + omsToken, "KSF_OMS_RPS=0",
		"KSF_WAIQIN_BASE_URL=" + waiqinURL, "KSF_WAIQIN_OPENID=" + waiqinOpenID, "KSF_WAIQIN_APPKEY=" + waiqinAppKey, "KSF_WAIQIN_RPS=0",
	}
	cfg, err := config.Load(env, func(string) ([]byte, error) { return nil, errors.New("no config file") })
	if err != nil {
		return res, err
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	set, err := vendors.New(cfg, nil, zerolog.New(logw))
	if err != nil {
		return res, err
	}
	h := set.Handlers(noQueue{}, nil, zerolog.New(logw))
	payload, err := json.Marshal(tasks.Sync{TenantID: "memtest", MsgID: "mem-1", DataType: tasks.DataTypeStatement,
		CustomerCode: memCustomer, StartDate: periodStart, EndDate: periodEnd})
	if err != nil {
		return res, err
	}

	runtime.GC()
	res.PeakBefore = vmHWM()
	start := time.Now()
	if err := h.HandleSync(ctx, asynq.NewTask(tasks.TypeStatement, payload)); err != nil {
		return res, fmt.Errorf("the statement job failed: %w", err)
	}
	res.Elapsed = time.Since(start)
	res.Peak, res.MaxRSS = vmHWM(), maxRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.TotalAlloc, res.NumGC = ms.TotalAlloc, ms.NumGC

	// Measured; now check what 勤策 received (this may use memory freely).
	res.Trades, res.Details, res.BodyBytesSaved, err = savedRows(ctx, waiqinURL)
	if err != nil {
		return res, err
	}
	if want := o.Bills + o.Payments; res.Trades != want || res.Details != 3*o.Bills {
		return res, fmt.Errorf("勤策 holds %d trade and %d detail rows, want %d and %d", res.Trades, res.Details, want, 3*o.Bills)
	}
	return res, nil
}

// noQueue stands in for Redis: the memory run never needs to queue a job.
type noQueue struct{}

func (noQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("no queue in a memory run")
}

// savedRows reads the saved statement back from the 勤策 fake.
func savedRows(ctx context.Context, waiqinURL string) (trades, details int, size int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, waiqinURL+"/_fake/state?full=1", nil)
	if err != nil {
		return 0, 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Statements []struct {
			Document struct {
				Trade []struct {
					Detail []json.RawMessage `json:"detail"`
				} `json:"trade"`
			} `json:"document"`
		} `json:"statements"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, 0, 0, fmt.Errorf("勤策 fake state: %w", err)
	}
	if len(st.Statements) != 1 {
		return 0, 0, 0, fmt.Errorf("勤策 fake holds %d statements, want 1", len(st.Statements))
	}
	doc := st.Statements[0].Document
	for _, t := range doc.Trade {
		details += len(t.Detail)
	}
	b, _ := json.Marshal(doc)
	return len(doc.Trade), details, int64(len(b)), nil
}

// serveMemFakes is the child process: it seeds the fakes, prints
// "READY <oms URL> <勤策 URL>" and serves until its stdin closes.
func serveMemFakes(bills, payments int, stdin io.Reader, stdout io.Writer) error {
	oms := omstest.NewHandler(omstest.Config{Flag: omsFlag, Token: omsToken})
	if err := seedBig(oms, bills, payments); err != nil {
		return err
	}
	wq := waiqintest.NewUnstarted(waiqintest.Config{OpenID: waiqinOpenID, AppKey: waiqinAppKey, Customers: []string{memCustomer}})
	var urls []string
	for _, h := range []http.Handler{oms.Handler(), wq.Handler()} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		urls = append(urls, "http://"+ln.Addr().String())
	}
	if _, err := fmt.Fprintf(stdout, "READY %s %s\n", urls[0], urls[1]); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, stdin) // until the parent closes it or exits
	return nil
}

// seedBig gives memCustomer, in March 2025, `bills` sales bills of three
// items (spread over 22 days) each paid from the deposit, and `payments`
// payments spread over the month: the ledger's balances follow time order.
func seedBig(oms *omstest.Server, bills, payments int) error {
	d := decimal.RequireFromString
	month := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	step := 22 * 24 * time.Hour / time.Duration(max(bills, 1)) // the bills fill 22 days
	var moves []omstest.Transaction
	for k := range bills {
		at := month.Add(time.Hour + time.Duration(k)*step).Format(time.DateTime)
		no := fmt.Sprintf("ARM%07d", k)
		items := []omstest.Item{
			{ItemCode: "SKU-TEA-500", ItemName: "冰红茶500ml×15", Amount: d("480.00"), Quantity: d("10"), UnitPrice: d("48.00")},
			{ItemCode: "SKU-WATER-550", ItemName: "矿物质水550ml×24", Amount: d("96.00"), Quantity: d("3"), UnitPrice: d("32.00")},
			{ItemCode: "SKU-JASMINE-500", ItemName: "茉莉清茶500ml×15", Amount: d("90.00"), Quantity: d("2"), UnitPrice: d("45.00")},
		}
		amount := d("666.00")
		if err := oms.AddBill(omstest.Bill{ShopCode: memCustomer, ShopName: memCustomer + " 经销商", SupplierCode: "KSF", SupplierName: "康师傅饮品",
			BillBN: no, BillType: "销售单", Amount: amount, Currency: "CNY", Status: "未结算", CreateTime: at, Items: items}); err != nil {
			return err
		}
		moves = append(moves, omstest.Transaction{TransID: "T" + no, TransType: "expense", Amount: amount, TransTime: at, Remark: "货款扣款 " + no})
	}
	for j := range payments {
		at := month.Add(2*time.Hour + time.Duration(j)*(29*24*time.Hour/time.Duration(max(payments, 1)))).Format(time.DateTime)
		moves = append(moves, omstest.Transaction{TransID: fmt.Sprintf("PAY%05d", j), TransType: "income", Amount: d("200000.00"), TransTime: at, Remark: "银行转账缴款"})
	}
	slices.SortStableFunc(moves, func(a, b omstest.Transaction) int { return strings.Compare(a.TransTime, b.TransTime) })
	balance := d("10000000.00")
	for _, m := range moves {
		if m.TransType == "income" {
			balance = balance.Add(m.Amount)
		} else {
			balance = balance.Sub(m.Amount)
		}
		m.AccountID, m.AccountName, m.Balance = memCustomer, memCustomer+" 预付款", balance
		if err := oms.AddTransaction(m); err != nil {
			return err
		}
	}
	oms.SetBalance(omstest.Account{AccountID: memCustomer, AccountName: memCustomer + " 预付款", AccountType: "deposit", Balance: balance, Currency: "CNY"})
	return nil
}

// vmHWM is this process's peak resident set (VmHWM in /proc/self/status), in
// bytes; -1 where there is no /proc.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}
