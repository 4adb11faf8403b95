package source

import (
	"context"
	"time"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream/jdy"
)

// JDYGoods builds goods statements from 金蝶精斗云 customer_business: the
// current and the last calendar month only (see reconcile.BuildGoodsFromJDY).
type JDYGoods struct {
	Client  *jdy.Client
	Maps    CustomerMaps
	Options reconcile.Options
	// TenantOptions replace Options for a tenant (its KSF_CONFIG block).
	TenantOptions map[string]reconcile.Options
	Now           func() time.Time // nil: time.Now
}

// Build implements tasks.Builder.
func (b *JDYGoods) Build(ctx context.Context, s tasks.Sync) (tasks.Built, error) {
	p, err := period(s)
	if err != nil {
		return tasks.Built{}, err
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	in := reconcile.JDYInput{TenantID: s.TenantID, CustomerCode: s.CustomerCode, Period: p, Today: now()}
	// Refuse a period jdy cannot serve before asking it anything.
	if _, err := reconcile.BuildGoodsFromJDY(in, optionsFor(b.Options, b.TenantOptions, s.TenantID)); err != nil {
		return tasks.Built{}, tasks.FromSource(jdy.Vendor, err)
	}
	ids, err := b.Maps.Lookup(s.TenantID, s.CustomerCode)
	if err != nil {
		return tasks.Built{}, err
	}
	biz, err := b.Client.CustomerBusiness(ctx, ids.JDYCustomerID)
	if err != nil {
		return tasks.Built{}, err
	}
	in.Business = reconcile.JDYBusiness{
		MonthTransactionFees:  biz.MonthTransactionFees,
		MonthRefundFees:       biz.MonthRefundFees,
		LastMonthSalFees:      biz.LastMonthSalFees,
		LastMonthRefundFees:   biz.LastMonthRefundFees,
		LatelyTransactionFees: biz.LatelyTransactionFees,
		LatelyTransactionDate: biz.LatelyTransactionDate,
	}
	r, err := reconcile.BuildGoodsFromJDY(in, optionsFor(b.Options, b.TenantOptions, s.TenantID))
	if err != nil {
		return tasks.Built{}, tasks.FromSource(jdy.Vendor, err)
	}
	return goodsBuilt(r), nil
}
