package source

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
	"github.com/ksfsync/ksfsync/internal/upstream/oms"
)

// DefaultDetailConcurrency bounds the ar.getDetail calls in flight per job;
// the client's rate limit bounds them per process.
const DefaultDetailConcurrency = 4

// OMSGoods builds goods statements from 商派 OMS: the customer's AR bills of
// the period with their items, and the account's transactions for payments
// and balances (docs/statement-mapping.md).
type OMSGoods struct {
	Client  *oms.Client
	Maps    CustomerMaps
	Options reconcile.Options
	// TenantOptions replace Options for a tenant (its KSF_CONFIG block).
	TenantOptions map[string]reconcile.Options
	// DetailConcurrency: ar.getDetail calls in flight; 0 = DefaultDetailConcurrency.
	DetailConcurrency int
	Now               func() time.Time // nil: time.Now (the end of the later-transactions query)
}

// Build implements tasks.Builder.
func (b *OMSGoods) Build(ctx context.Context, s tasks.Sync) (tasks.Built, error) {
	p, err := period(s)
	if err != nil {
		return tasks.Built{}, err
	}
	ids, err := b.Maps.Lookup(s.TenantID, s.CustomerCode)
	if err != nil {
		return tasks.Built{}, err
	}
	opts := optionsFor(b.Options, b.TenantOptions, s.TenantID)
	from, to := dayStart(p.Start), dayEnd(p.End)
	in := reconcile.GoodsInput{TenantID: s.TenantID, CustomerCode: s.CustomerCode, Period: p}

	var heads []oms.ARBill
	seen := map[string]bool{}
	// Every shop of the customer (a map cell S1#S2): one query, OMS joins them.
	err = b.Client.ARList(ctx, oms.ARQuery{ShopCodes: ids.OMSShopCodes(), Start: from, End: to}, func(a oms.ARBill) error {
		if !seen[a.BillBN] { // never ask the same bill twice (OMS refuses repeats)
			seen[a.BillBN] = true
			heads = append(heads, a)
		}
		return nil
	})
	if err != nil {
		return tasks.Built{}, err
	}
	if in.Bills, err = b.details(ctx, heads); err != nil {
		return tasks.Built{}, err
	}
	if in.Transactions, err = omsTransactions(ctx, b.Client, ids.OMSAccountID, from, to); err != nil {
		return tasks.Built{}, err
	}
	if len(in.Transactions) == 0 {
		if err := b.balanceSource(ctx, ids.OMSAccountID, to, opts, &in); err != nil {
			return tasks.Built{}, err
		}
	}
	r, err := reconcile.BuildGoods(in, opts)
	if err != nil {
		return tasks.Built{}, tasks.FromSource(oms.Vendor, err)
	}
	return goodsBuilt(r), nil
}

// details fetches every bill's items, a bounded number at a time, keeping
// the list's order.
func (b *OMSGoods) details(ctx context.Context, heads []oms.ARBill) ([]reconcile.Bill, error) {
	bills := make([]reconcile.Bill, len(heads))
	n := b.DetailConcurrency
	if n <= 0 {
		n = DefaultDetailConcurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		next     = make(chan int)
	)
	for range min(n, len(heads)) {
		wg.Go(func() {
			for i := range next {
				d, err := b.Client.ARDetail(ctx, heads[i].BillBN)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					continue
				}
				bills[i] = bill(heads[i], d)
			}
		})
	}
feed:
	for i := range heads {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return bills, ctx.Err()
}

func bill(head oms.ARBill, d *oms.ARDetail) reconcile.Bill {
	b := reconcile.Bill{BillBN: head.BillBN, BillType: head.BillType, Amount: head.Amount, Time: head.CreateTime,
		Items: make([]reconcile.Item, 0, len(d.Items))}
	for _, it := range d.Items {
		b.Items = append(b.Items, reconcile.Item{Code: it.ItemCode, Name: it.ItemName, Amount: it.Amount, Quantity: it.Quantity})
	}
	return b
}

// balanceSource gives a period without transactions its balances: the first
// transaction after it, or with none since, the current balance.
func (b *OMSGoods) balanceSource(ctx context.Context, account string, after time.Time, opts reconcile.Options, in *reconcile.GoodsInput) error {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	if end := now().In(tz.Shanghai); end.After(after) {
		later, err := omsTransactions(ctx, b.Client, account, after.Add(time.Second), end)
		if err != nil {
			return err
		}
		// The list's order is not documented: the earliest, same-second ties
		// by the balance chain, skipped types left out.
		in.NextTransaction = reconcile.EarliestTransaction(later, opts)
		if in.NextTransaction != nil {
			return nil
		}
	}
	accounts, err := b.Client.AccountBalance(ctx, account)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.AccountID == account {
			bal := a.Balance
			in.CurrentBalance = &bal
			return nil
		}
	}
	return tasks.WithReason(retry.Permanent(fmt.Errorf("OMS account %.40s not found (check oms_account_id in the customer map)", account)),
		"商派OMS中找不到账户"+tasks.Truncate(account, 32)+",请核对客户映射中的oms_account_id")
}

// OMSExpense builds expense statements from the customer's OMS account
// transactions of the period (docs/statement-mapping.md).
type OMSExpense struct {
	Client  *oms.Client
	Maps    CustomerMaps
	Options reconcile.Options
	// TenantOptions replace Options for a tenant (its KSF_CONFIG block).
	TenantOptions map[string]reconcile.Options
}

// Build implements tasks.Builder.
func (b *OMSExpense) Build(ctx context.Context, s tasks.Sync) (tasks.Built, error) {
	p, err := period(s)
	if err != nil {
		return tasks.Built{}, err
	}
	ids, err := b.Maps.Lookup(s.TenantID, s.CustomerCode)
	if err != nil {
		return tasks.Built{}, err
	}
	txs, err := omsTransactions(ctx, b.Client, ids.OMSAccountID, dayStart(p.Start), dayEnd(p.End))
	if err != nil {
		return tasks.Built{}, err
	}
	r, err := reconcile.BuildExpenseFromOMS(reconcile.OMSExpenseInput{TenantID: s.TenantID,
		CustomerCode: s.CustomerCode, Period: p, Transactions: txs}, optionsFor(b.Options, b.TenantOptions, s.TenantID))
	if err != nil {
		return tasks.Built{}, tasks.FromSource(oms.Vendor, err)
	}
	return expenseBuilt(r), nil
}

// omsTransactions lists every transaction of account in [from, to], any type.
func omsTransactions(ctx context.Context, c *oms.Client, account string, from, to time.Time) ([]reconcile.Transaction, error) {
	var txs []reconcile.Transaction
	err := c.Transactions(ctx, oms.TxQuery{AccountID: account, Start: from, End: to}, func(t oms.Transaction) error {
		txs = append(txs, reconcile.Transaction{ID: t.TransID, Type: t.TransType, Amount: t.Amount,
			Balance: t.Balance, Time: t.TransTime, Remark: t.Remark})
		return nil
	})
	return txs, err
}

func dayStart(t time.Time) time.Time {
	t = t.In(tz.Shanghai)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, tz.Shanghai)
}

func dayEnd(t time.Time) time.Time { return dayStart(t).Add(24*time.Hour - time.Second) }
