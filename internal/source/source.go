// Package source fetches one customer's records for a period from the
// configured source (商派 OMS, 金蝶精斗云, 旺店通慧经营) and builds the 勤策
// statement with internal/reconcile. Each builder is a tasks.Builder.
//
// It is the I/O around the pure reconcile package: vendor records in the
// clients' types are mapped to reconcile's inputs here, and nowhere else.
package source

import (
	"errors"
	"fmt"

	"github.com/ksfsync/ksfsync/internal/customermap"
	"github.com/ksfsync/ksfsync/internal/retry"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// period parses a job's dates; a bad period can never succeed.
func period(s tasks.Sync) (reconcile.Period, error) {
	p, err := reconcile.ParsePeriod(s.StartDate, s.EndDate)
	if err != nil {
		zh := ""
		var be *reconcile.Error
		if errors.As(err, &be) {
			zh = be.Zh // 勤策 sent the dates: no source to name
		}
		return p, tasks.WithReason(retry.Permanent(fmt.Errorf("bad period %s..%s: %w", s.StartDate, s.EndDate, err)), zh)
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

// Lookup returns the source ids of tenantID's customer code. A customer a
// configured map does not list is a permanent error (unless that map takes
// unlisted customers as identity, KSF_CUSTOMER_MAP_UNLISTED=identity): its
// ids would be guesses, and a guess can save somebody else's statement, or
// an empty one over a real one.
func (m CustomerMaps) Lookup(tenantID, code string) (customermap.Entry, error) {
	cm, ok := m[tenantID]
	if !ok {
		cm = m[""]
	}
	e, err := cm.Resolve(code)
	if err != nil {
		return e, tasks.WithReason(retry.Permanent(fmt.Errorf("customer %.40q: %w (KSF_CUSTOMER_MAP)", code, err)),
			"客户"+tasks.Truncate(code, 32)+"不在ksfsync的客户映射表中,请管理员在客户映射(KSF_CUSTOMER_MAP)中加入该客户后重新同步")
	}
	return e, nil
}

// optionsFor is tenantID's mapping: its own options, else def.
func optionsFor(def reconcile.Options, byTenant map[string]reconcile.Options, tenantID string) reconcile.Options {
	if o, ok := byTenant[tenantID]; ok {
		return o
	}
	return def
}

// SourceName implements tasks.SourceNamer (the run history's source).
func (b *OMSGoods) SourceName() string { return "oms" }

// SourceName implements tasks.SourceNamer.
func (b *JDYGoods) SourceName() string { return "jdy" }

// SourceName implements tasks.SourceNamer.
func (b *OMSExpense) SourceName() string { return "oms" }

// SourceName implements tasks.SourceNamer.
func (b *WDTExpense) SourceName() string { return "wdt" }
