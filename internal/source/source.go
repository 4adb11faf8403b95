// Package source fetches one customer's records for a period from the
// configured source (商派 OMS, 金蝶精斗云, 旺店通慧经营) and builds the 勤策
// statement with internal/reconcile. Each builder is a tasks.Builder.
//
// It is the I/O around the pure reconcile package: vendor records in the
// clients' types are mapped to reconcile's inputs here, and nowhere else.
package source

import (
	"fmt"
	"github.com/ksfsync/ksfsync/internal/customermap"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// period parses a job's dates; a bad period can never succeed.
func period(s tasks.Sync) (reconcile.Period, error) {
	p, err := reconcile.ParsePeriod(s.StartDate, s.EndDate)
	if err != nil {
		return p, tasks.Permanent(fmt.Errorf("bad period %s..%s: %w", s.StartDate, s.EndDate, err))
	}
	return p, nil
}

func goodsBuilt(r reconcile.Result) tasks.Built {
	st := r.Statement
	return tasks.Built{Statement: &st, Difference: r.HasDifference, DifferenceAmount: r.Difference, Lines: goodsLines(&st)}
}

func expenseBuilt(r reconcile.ExpenseResult) tasks.Built {
	e := r.Expense
	return tasks.Built{Expense: &e, Lines: len(e.Trade)}
}

func goodsLines(s *statement.Statement) int {
	n := len(s.Trade)
	for i := range s.Trade {
		n += len(s.Trade[i].Detail)
	}
	return n
}

// CustomerMaps holds each tenant's customer map; the "" key is the default
// for tenants without their own. A missing map is the identity.
type CustomerMaps map[string]*customermap.Map

// Lookup returns the source ids of tenantID's customer code.
func (m CustomerMaps) Lookup(tenantID, code string) customermap.Entry {
	cm, ok := m[tenantID]
	if !ok {
		cm = m[""]
	}
	return cm.Lookup(code)
}

// SourceName implements tasks.SourceNamer (the run history's source).
func (b *OMSGoods) SourceName() string { return "oms" }

// SourceName implements tasks.SourceNamer.
func (b *JDYGoods) SourceName() string { return "jdy" }

// SourceName implements tasks.SourceNamer.
func (b *OMSExpense) SourceName() string { return "oms" }

// SourceName implements tasks.SourceNamer.
func (b *WDTExpense) SourceName() string { return "wdt" }
