package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/config"
	"github.com/ksfsync/ksfsync/internal/demo"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/vendors"
)

func TestDemoSeedsBuildStatements(t *testing.T) {
	t.Parallel()
	now := time.Now().In(tz.Shanghai)
	f, err := demo.Start(now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	cfg := config.Default()
	f.Configure(cfg)
	h, err := vendors.New(cfg, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, tz.Shanghai)
	start, end := first.AddDate(0, -1, 0).Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly)
	for _, tt := range []struct {
		code           string
		wantDifference bool
		minTrades      int
	}{{"C001", false, 4}, {"C002", true, 5}, {"C003", false, 0}} {
		t.Run(tt.code, func(t *testing.T) {
			s := tasks.Sync{TenantID: "demo", MsgID: "m", DataType: tasks.DataTypeStatement, CustomerCode: tt.code, StartDate: start, EndDate: end}
			b, err := h.Statements.Build(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if b.Difference != tt.wantDifference || len(b.Statement.Trade) < tt.minTrades {
				t.Fatalf("difference %v, %d trades: %+v", b.Difference, len(b.Statement.Trade), b.Statement)
			}
			if tt.code == "C003" && (b.Statement.BeginBalance != "5000.00" || b.Statement.Zqmye != "5000.00") {
				t.Fatalf("idle customer balances = %s / %s", b.Statement.BeginBalance, b.Statement.Zqmye)
			}
			s.DataType = tasks.DataTypeExpense
			e, err := h.Expenses.Build(context.Background(), s)
			if err != nil || len(e.Expense.Trade) == 0 {
				t.Fatalf("expense %+v, %v", e.Expense, err)
			}
		})
	}
}
