package reconcile

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// JDYBusiness is 金蝶精斗云 customer_business for one customer.
type JDYBusiness struct {
	MonthTransactionFees  decimal.Decimal `json:"month_transaction_fees"`
	MonthRefundFees       decimal.Decimal `json:"month_refund_fees"`
	LastMonthSalFees      decimal.Decimal `json:"last_month_sal_fees"`
	LastMonthRefundFees   decimal.Decimal `json:"last_month_refund_fees"`
	LatelyTransactionFees decimal.Decimal `json:"lately_transaction_fees"`
	// LatelyTransactionDate is the latest transaction's time; zero if none.
	LatelyTransactionDate time.Time `json:"lately_transaction_date"`
}

// JDYInput is what BuildGoodsFromJDY needs. Today (any time of the day; its
// Shanghai date counts) decides which months jdy serves.
type JDYInput struct {
	TenantID     string      `json:"tenant_id"`
	CustomerCode string      `json:"customer_code"`
	Period       Period      `json:"period"`
	Today        time.Time   `json:"today"`
	Business     JDYBusiness `json:"business"`
}

// Statement ext keys written by BuildGoodsFromJDY.
const (
	extMonth        = "统计月份"
	extLatelyDate   = "最近交易时间"
	extLatelyAmount = "最近交易金额"
)

// BuildGoodsFromJDY builds the goods statement summary from customer_business:
// a period inside the current calendar month (of Today, in Shanghai) takes
// month_transaction_fees / month_refund_fees as zchje / zthje, one inside the
// last month last_month_sal_fees / last_month_refund_fees. The other money
// and quantity fields are 0, there are no trade rows, and the month and the
// latest transaction go into exts. Any other period fails with
// ErrPeriodNotServed ("period not served by jdy"). There is no balance, so
// no reconciliation: Difference is 0.
func BuildGoodsFromJDY(in JDYInput, opt Options) (Result, error) {
	o, err := opt.WithDefaults()
	if err != nil {
		return Result{}, err
	}
	if err := in.Period.Validate(); err != nil {
		return Result{}, err
	}
	if err := requiredIdent("customer_code", in.CustomerCode, MaxCustomerCode); err != nil {
		return Result{}, err
	}
	if in.Today.IsZero() {
		return Result{}, newError(ErrInvalidInput, "today", "today's date is not set", "内部错误:未设置当天日期,请联系ksfsync管理员")
	}
	b := &in.Business
	for _, f := range []struct {
		name string
		d    decimal.Decimal
	}{
		{"month_transaction_fees", b.MonthTransactionFees}, {"month_refund_fees", b.MonthRefundFees},
		{"last_month_sal_fees", b.LastMonthSalFees}, {"last_month_refund_fees", b.LastMonthRefundFees},
		{"lately_transaction_fees", b.LatelyTransactionFees},
	} {
		if err := number("customer_business", in.CustomerCode, f.name, f.d); err != nil {
			return Result{}, err
		}
	}

	cur := day(in.Today).AddDate(0, 0, 1-day(in.Today).Day())
	last := cur.AddDate(0, -1, 0)
	var tot Totals
	var month time.Time
	switch {
	case servedBy(in.Period, cur, o.JDYWholeMonth):
		month, tot.Sales, tot.Returns = cur, b.MonthTransactionFees.Abs(), b.MonthRefundFees.Abs()
	case servedBy(in.Period, last, o.JDYWholeMonth):
		month, tot.Sales, tot.Returns = last, b.LastMonthSalFees.Abs(), b.LastMonthRefundFees.Abs()
	default:
		which := "inside "
		if o.JDYWholeMonth {
			which = "the whole of "
		}
		return Result{}, newError(ErrPeriodNotServed, "period", "period "+in.Period.StartDate()+".."+in.Period.EndDate()+
			" not served by jdy: only "+which+cur.Format("2006-01")+" or "+last.Format("2006-01"),
			"只提供"+cur.Format("2006-01")+"和"+last.Format("2006-01")+"的月度汇总,请选择这两个月内的日期重新同步")
	}

	st := statement.Statement{
		SerialNo:     StatementNo(o.GoodsPrefix, in.TenantID, in.CustomerCode, in.Period),
		CustomerCode: in.CustomerCode,
		StartDate:    in.Period.StartDate(),
		EndDate:      in.Period.EndDate(),
		TradeMonth:   o.tradeMonth(in.Period),
		Trade:        []statement.Trade{},
		Exts:         make([]statement.Ext, 0, 3),
	}
	if err := writeTotals(&st, tot); err != nil {
		return Result{}, err
	}
	st.Exts = append(st.Exts, statement.Ext{Key: extMonth, Value: month.Format("2006-01")})
	if t := b.LatelyTransactionDate; !t.IsZero() {
		st.Exts = append(st.Exts, statement.Ext{Key: extLatelyDate, Value: t.In(tz.Shanghai).Format(dateTimeLayout)})
	}
	v, err := money(extLatelyAmount, b.LatelyTransactionFees.Abs())
	if err != nil {
		return Result{}, err
	}
	st.Exts = append(st.Exts, statement.Ext{Key: extLatelyAmount, Value: v})
	return Result{Statement: st, Totals: tot}, nil
}

// servedBy reports whether p lies inside the month starting at m (or is
// exactly that month, when whole).
func servedBy(p Period, m time.Time, whole bool) bool {
	s, e, next := day(p.Start), day(p.End), m.AddDate(0, 1, 0)
	if whole {
		return s.Equal(m) && e.Equal(next.AddDate(0, 0, -1))
	}
	return !s.Before(m) && e.Before(next)
}
