package failures_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/failures"
)

func ExampleStore() {
	mr, _ := miniredis.Run()
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	store := failures.New(rdb, failures.Options{})
	ctx := context.Background()

	// The worker's ErrorHandler records a job that failed for good…
	_ = store.Record(ctx, failures.Record{
		TaskID: "sync:t1:m1:ksf_statement:c1", Kind: "ksf:statement", Queue: "sync",
		TenantID: "t1", CustomerCode: "c1", StartDate: "2026-11-01", EndDate: "2026-11-30",
		Payload: []byte(`{"tenant_id":"t1"}`), LastError: "商派OMS ar.getList: busy",
		Retried: 10, MaxRetry: 10, FailedAt: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC),
	})
	// …and an operator finds it by customer and period, long after asynq dropped the task.
	list, total, _ := store.List(ctx, failures.Filter{CustomerCode: "c1", Start: "2026-11-15", End: "2026-11-15"}, failures.Page{})
	fmt.Println(total, list[0].TaskID, list[0].LastError)
	// Output: 1 sync:t1:m1:ksf_statement:c1 商派OMS ar.getList: busy
}
