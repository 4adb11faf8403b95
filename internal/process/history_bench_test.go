package process_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/oms/omstest"
	"github.com/ksfsync/ksfsync/internal/vendors"
)

// BenchmarkSyncJobHistory: ksf:statement jobs (13 rows each) against the
// demo's vendor fakes, without and with the run
// history (KSF_TEST_REDIS_URL for the real Redis; miniredis otherwise).
// The difference of the two is what recording costs a sync job; run it
// with -benchtime=40x (blocks of 25 + 25 jobs; at most 60: a customer per job).
func BenchmarkSyncJobHistory(b *testing.B) {
	fakes, err := demo.Start(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(fakes.Close)
	cfg, err := config.Load([]string{"KSF_REDIS_URL=redis://127.0.0.1:1/0"}, func(string) ([]byte, error) { return nil, io.EOF })
	if err != nil {
		b.Fatal(err)
	}
	fakes.Configure(cfg)
	cfg.Waiqin.RPS = 1e6 // the 勤策 client's default 10/s would be all we measured
	set, err := vendors.New(cfg, nil, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	h := set.Handlers(nil, nil, zerolog.Nop())
	rd := redistest.New(b, testDB)
	opt, err := redis.ParseURL(rd.URL)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	b.Cleanup(func() { _ = rdb.Close() })
	store := history.NewAsync(history.New(rdb, history.Options{}), 0) // as the worker records
	b.Cleanup(store.Close)
	start, end := lastMonth()
	// OMS refuses a signed request repeated within a second (its client
	// waits for the next second rather than repeat one): every job is a
	// customer of its own, 3 bills of 3 items and a payment (13 rows).
	const customers = 3000 // 60 iterations of 50 jobs
	day, _ := time.Parse(time.DateOnly, start)
	for i := range customers {
		code := fmt.Sprintf("B%04d", i)
		balance := decimal.NewFromInt(10_000)
		for j := range 3 {
			at := day.AddDate(0, 0, 2+j*7).Format(time.DateOnly) + " 09:30:00"
			bill := omstest.Bill{ShopCode: code, BillBN: fmt.Sprintf("AR%s%d", code, j), BillType: "销售单", Amount: decimal.NewFromInt(300),
				CreateTime: at, Currency: "CNY"}
			for n := range 3 {
				bill.Items = append(bill.Items, omstest.Item{ItemCode: fmt.Sprintf("SKU-%d", n), ItemName: "冰红茶500ml×15",
					Amount: decimal.NewFromInt(100), Quantity: decimal.NewFromInt(2), UnitPrice: decimal.NewFromInt(50)})
			}
			if err := fakes.OMS.AddBill(bill); err != nil {
				b.Fatal(err)
			}
			balance = balance.Sub(bill.Amount)
			if err := fakes.OMS.AddTransaction(omstest.Transaction{TransID: "T" + bill.BillBN, AccountID: code, TransType: "expense",
				Amount: bill.Amount, Balance: balance, TransTime: at}); err != nil {
				b.Fatal(err)
			}
		}
		balance = balance.Add(decimal.NewFromInt(1000))
		if err := fakes.OMS.AddTransaction(omstest.Transaction{TransID: "PAY" + code, AccountID: code, TransType: "income",
			Amount: decimal.NewFromInt(1000), Balance: balance, TransTime: day.AddDate(0, 0, 20).Format(time.DateOnly) + " 10:00:00"}); err != nil {
			b.Fatal(err)
		}
	}
	tenant := "bench-" + time.Now().Format("150405.000")
	k := 0
	next := func() *asynq.Task {
		k++
		payload, _ := json.Marshal(tasks.Sync{TenantID: tenant, MsgID: "m1", DataType: tasks.DataTypeStatement,
			CustomerCode: fmt.Sprintf("B%04d", k%customers), StartDate: start, EndDate: end})
		return asynq.NewTask(tasks.TypeStatement, payload)
	}
	// Blocks of jobs with and without the history alternate, so the fakes'
	// growing state and the machine's load weigh on both alike; a block
	// with the history ends when its runs are written (Flush), so it pays
	// for all of its writes.
	const block = 25
	var with, without time.Duration
	n := 0
	for b.Loop() {
		for _, rec := range []*history.Async{store, nil} {
			h.Recorder = nil
			if rec != nil {
				h.Recorder = rec
			}
			t0 := time.Now()
			for range block {
				if err := h.HandleSync(context.Background(), next()); err != nil {
					b.Fatal(err)
				}
			}
			if rec != nil {
				rec.Flush()
				with += time.Since(t0)
			} else {
				without += time.Since(t0)
			}
		}
		n += block
	}
	b.ReportMetric(float64(without.Microseconds())/float64(n), "µs/job-without")
	b.ReportMetric(float64(with.Microseconds())/float64(n), "µs/job-with")
	b.ReportMetric(100*(float64(with)/float64(without)-1), "%-overhead")
}
