package source

import (
	"context"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/wdt"
)

// WDTExpense builds expense statements from 旺店通慧经营 bill records: every
// record of the customer's shop in the period (business date, type 1), for
// each configured platform, all pages.
type WDTExpense struct {
	Client  *wdt.Client
	Maps    CustomerMaps
	Options reconcile.Options
	// TenantOptions replace Options for a tenant (its KSF_CONFIG block).
	TenantOptions map[string]reconcile.Options
}

// Build implements tasks.Builder.
func (b *WDTExpense) Build(ctx context.Context, s tasks.Sync) (tasks.Built, error) {
	p, err := period(s)
	if err != nil {
		return tasks.Built{}, err
	}
	ids, err := b.Maps.Lookup(s.TenantID, s.CustomerCode)
	if err != nil {
		return tasks.Built{}, err
	}
	in := reconcile.ExpenseInput{TenantID: s.TenantID, CustomerCode: s.CustomerCode, Period: p}
	q := wdt.BillQuery{ShopNos: ids.WDTShopNos(), Type: wdt.ByBusinessDate, Start: p.Start, End: p.End}
	// The customer's own platforms (wdt_platforms in the map), else every
	// configured one: each platform is at least one call.
	for _, code := range ids.WDTPlatformCodes() {
		q.Platforms = append(q.Platforms, wdt.Platform(code))
	}
	err = b.Client.Bills(ctx, q, func(bill wdt.Bill) error {
		in.Records = append(in.Records, expenseRecord(bill))
		return nil
	})
	if err != nil {
		return tasks.Built{}, err
	}
	r, err := reconcile.BuildExpense(in, optionsFor(b.Options, b.TenantOptions, s.TenantID))
	if err != nil {
		return tasks.Built{}, tasks.FromSource(wdt.Vendor, err)
	}
	return expenseBuilt(r), nil
}

// expenseRecord picks the record's fields the mapping uses, each with the
// fallbacks docs/statement-mapping.md lists.
func expenseRecord(b wdt.Bill) reconcile.ExpenseRecord {
	amount := b.AccountAmount // 动账金额: what moved in the account
	if _, ok := b.Raw["account_amount"]; !ok {
		amount = b.Amount // 流水金额
	}
	flow := "" // unknown: reconcile takes the amount's sign
	switch b.Direction() {
	case wdt.DirectionIn:
		flow = "0"
	case wdt.DirectionOut:
		flow = "1"
	}
	return reconcile.ExpenseRecord{
		Platform:       string(b.Platform),
		PlatformName:   b.Platform.Name(),
		AccountTradeNo: b.AccountTradeNo,
		OccurTime:      b.Time(), // occur_time, else create_time, else event_day
		Description:    first(b.AccountBillDesc, b.Description, b.BizTypeDesc),
		Amount:         amount,
		FundFlow:       flow, // fund_flow, else fund_flow_desc, else income_out_direction
		OrderNo:        first(b.OrderID, b.ShopOrderID, b.PlatOrderNo),
	}
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
