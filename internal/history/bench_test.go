package history_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/redisconn/redistest"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// benchRun is a typical goods statement run: 4 bills of 3 items and a
// payment (17 rows), a difference for every 20th customer, a failure for
// every 100th.
func benchRun(tenant, customer, start, end string, i int, at time.Time) tasks.Run {
	st := &statement.Statement{SerialNo: "HK" + start + customer, CustomerCode: customer, StartDate: start, EndDate: end,
		BeginBalance: "20000.00", Zjkje: "3000.00", Zchje: "2375.00", Zthje: "0.00", Zqmye: "20625.00", Zchsl: "45", Zthsl: "0", Zjcsl: "45"}
	for b := range 4 {
		tr := statement.Trade{StatementNo: st.SerialNo, SerialNo: strconv.Itoa(b + 1), VoucherNo: fmt.Sprintf("AR2026100%d%s", b, customer),
			TradeDesc: "销售单", TradeAmount: "576.00", TotalCount: "15", TradeDate: "2026-10-04", CustomerCode: customer, StartDate: start}
		for d := range 3 {
			tr.Detail = append(tr.Detail, statement.Detail{StatementNo: st.SerialNo, SerialNo: strconv.Itoa(d + 1), VoucherNo: tr.VoucherNo,
				ProductCode: "SKU-TEA-500", ProductName: "冰红茶500ml×15", Amount: "288.00", Number: "6", CustomerCode: customer, StartDate: start})
		}
		st.Trade = append(st.Trade, tr)
	}
	st.Trade = append(st.Trade, statement.Trade{StatementNo: st.SerialNo, SerialNo: "5", VoucherNo: "PAY" + customer, TradeDesc: "缴款",
		TradeAmount: "3000.00", TotalCount: "0", TradeDate: "2026-10-16", CustomerCode: customer, StartDate: start})
	r := tasks.Run{Sync: tasks.Sync{TenantID: tenant, MsgID: "bench", DataType: tasks.DataTypeStatement, CustomerCode: customer,
		StartDate: start, EndDate: end}, TaskID: "sync:" + tenant + ":bench:ksf_statement:" + customer, Outcome: tasks.RunSaved,
		Source: "oms", Built: &tasks.Built{Statement: st}, At: at, Took: 40 * time.Millisecond}
	if i%20 == 0 {
		r.Built.Difference, r.Built.DifferenceAmount = true, decimal.New(-int64(i%977)-1, 0)
	}
	if i%100 == 1 {
		r.Built, r.Outcome, r.Err, r.Reason = nil, tasks.RunFailed, fmt.Errorf("oms ar.getList: shop %s not found", customer), "商派OMS ar.getList: shop not found"
	}
	return r
}

func benchStore(b *testing.B) (*history.Store, *redis.Client, *redistest.Redis) {
	b.Helper()
	r := redistest.New(b, testDB)
	o, err := redis.ParseURL(r.URL)
	if err != nil {
		b.Fatal(err)
	}
	o.PoolSize = 16
	rdb := redis.NewClient(o)
	b.Cleanup(func() { _ = rdb.Close() })
	return history.New(rdb, history.Options{}), rdb, r
}

// seedMonths writes customers × months runs with 8 writers.
func seedMonths(b *testing.B, s *history.Store, tenant string, customers, months int) {
	b.Helper()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for n := range work {
				m, i := n/customers, n%customers
				first := time.Date(2026, time.Month(10-m), 1, 0, 0, 0, 0, time.UTC)
				start, end := first.Format(time.DateOnly), first.AddDate(0, 1, -1).Format(time.DateOnly)
				rec, body := history.FromRun(benchRun(tenant, fmt.Sprintf("C%05d", i), start, end, i, first.AddDate(0, 1, 1).Add(time.Duration(i)*time.Millisecond)))
				if err := s.Write(context.Background(), rec, body); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for n := range customers * months {
		work <- n
	}
	close(work)
	wg.Wait()
}

// BenchmarkOverview10k is what the console's overview reads for a month of
// 10,000 customers: 6 months of counts (the last with the month's
// differences, for the cards and the chart) and the first page of the table.
func BenchmarkOverview10k(b *testing.B) {
	s, _, _ := benchStore(b)
	tenant := "bench-ov-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	seedMonths(b, s, tenant, 10_000, 1)
	ctx := context.Background()
	f := history.Filter{Tenant: tenant, Month: "2026-10"}
	b.ResetTimer()
	for b.Loop() {
		months, err := s.Months(ctx, f, 6) // the cards are its last month
		if err != nil || months[5].Statements != 10_000 || len(months[5].Differences) != 500 {
			b.Fatal(err)
		}
		if p, err := s.List(ctx, f, 1, 50); err != nil || len(p.Items) != 50 {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilteredList10k: a filtered list over 10,000 customers.
func BenchmarkFilteredList10k(b *testing.B) {
	s, _, _ := benchStore(b)
	tenant := "bench-fl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	seedMonths(b, s, tenant, 10_000, 1)
	ctx := context.Background()
	for _, f := range []history.Filter{
		{Tenant: tenant, Month: "2026-10", DifferenceOnly: true},
		{Tenant: tenant, Month: "2026-10", Outcome: tasks.RunFailed},
		{Tenant: tenant, Month: "2026-10", Customer: "c012"},
	} {
		name := strings.NewReplacer(" ", "", ":", "=").Replace(fmt.Sprintf("diff=%v,outcome=%s,customer=%s", f.DifferenceOnly, f.Outcome, f.Customer))
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if p, err := s.List(ctx, f, 2, 50); err != nil || p.Total == 0 {
					b.Fatal(p.Total, err)
				}
			}
		})
	}
}

// BenchmarkRecordRun: one run written (record, run list, gzip body).
func BenchmarkRecordRun(b *testing.B) {
	s, _, _ := benchStore(b)
	tenant := "bench-rr-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	run := benchRun(tenant, "C00002", "2026-10-01", "2026-10-31", 2, time.Now())
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		run.Sync.CustomerCode = "C" + strconv.Itoa(i%10_000)
		s.RecordRun(ctx, run)
	}
}

// BenchmarkMemory10kx12 writes 10,000 customers × 12 months once and
// reports Redis's memory per run (real Redis: INFO used_memory; miniredis:
// the bytes of keys and values, a lower bound) and in all. Run it with
// -benchtime=1x.
func BenchmarkMemory10kx12(b *testing.B) {
	customers, months := 10_000, 12
	if v := os.Getenv("KSF_HISTORY_BENCH_CUSTOMERS"); v != "" {
		customers, _ = strconv.Atoi(v)
	}
	for range b.N {
		b.StopTimer()
		s, rdb, r := benchStore(b)
		tenant := "bench-mem-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		before := usedMemory(b, rdb, r)
		b.StartTimer()
		seedMonths(b, s, tenant, customers, months)
		b.StopTimer()
		used := usedMemory(b, rdb, r) - before
		b.StartTimer()
		runs := float64(customers * months)
		b.ReportMetric(float64(used)/runs, "bytes/run")
		b.ReportMetric(float64(used)/(1<<20), "MiB-total")
	}
}

func usedMemory(b *testing.B, rdb *redis.Client, r *redistest.Redis) int64 {
	b.Helper()
	if r.Real() {
		info, err := rdb.Info(context.Background(), "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
		b.Fatal("no used_memory in INFO")
	}
	var n int64
	for _, k := range r.Mini.Keys() {
		n += int64(len(k))
		switch r.Mini.Type(k) {
		case "hash":
			fields, _ := r.Mini.HKeys(k)
			for _, f := range fields {
				n += int64(len(f) + len(r.Mini.HGet(k, f)))
			}
		case "list":
			l, _ := r.Mini.List(k)
			for _, v := range l {
				n += int64(len(v))
			}
		case "zset":
			m, _ := r.Mini.ZMembers(k)
			for _, v := range m {
				n += int64(len(v) + 8)
			}
		}
	}
	return n
}
