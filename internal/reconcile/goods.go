package reconcile

import (
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/statement"
)

// Bill is one AR bill of the customer (OMS ar.getList, items from
// ar.getDetail).
type Bill struct {
	BillBN   string          `json:"bill_bn"`
	BillType string          `json:"bill_type"` // a return when it contains a ReturnMarker
	Amount   decimal.Decimal `json:"amount"`    // counted as its absolute value
	Time     time.Time       `json:"time"`      // create_time
	Items    []Item          `json:"items"`
}

// Item is one line of a bill (ar.getDetail items).
type Item struct {
	Code     string          `json:"code"` // item_code
	Name     string          `json:"name"` // item_name
	Amount   decimal.Decimal `json:"amount"`
	Quantity decimal.Decimal `json:"quantity"`
}

// Transaction is one movement of the customer's account
// (finance.getTransactionList).
type Transaction struct {
	ID      string          `json:"id"`      // trans_id
	Type    string          `json:"type"`    // trans_type: "income" or "expense"
	Amount  decimal.Decimal `json:"amount"`  // counted as its absolute value
	Balance decimal.Decimal `json:"balance"` // the balance after this transaction
	Time    time.Time       `json:"time"`    // trans_time
	Remark  string          `json:"remark"`
}

// GoodsInput is everything BuildGoods needs for customer C and period S..E.
// The builder trusts the source queries: every record given is used, none
// is filtered by date, and each must be given once.
type GoodsInput struct {
	TenantID     string `json:"tenant_id"`
	CustomerCode string `json:"customer_code"` // 勤策's customer_code
	Period       Period `json:"period"`
	// Bills: every AR bill of the period.
	Bills []Bill `json:"bills"`
	// Transactions: every transaction of the account in the period, of any
	// type. Income ones are the payments; all give the balances.
	Transactions []Transaction `json:"transactions"`
	// NextTransaction is the first transaction after the period, if any; it
	// gives the balances when the period has no transaction.
	NextTransaction *Transaction `json:"next_transaction,omitempty"`
	// CurrentBalance (getAccountBalance) gives the balances when there is no
	// transaction since S at all.
	CurrentBalance *decimal.Decimal `json:"current_balance,omitempty"`
}

// Totals are the exact (unrounded) figures of a goods statement.
type Totals struct {
	BeginBalance decimal.Decimal // begin_balance
	EndBalance   decimal.Decimal // zqmye
	Payments     decimal.Decimal // zjkje
	Sales        decimal.Decimal // zchje
	Returns      decimal.Decimal // zthje
	SalesQty     decimal.Decimal // zchsl
	ReturnsQty   decimal.Decimal // zthsl
}

// Result is a built goods statement and what the reconciliation found.
type Result struct {
	Statement statement.Statement
	Totals    Totals
	// Difference is (zqmye − begin_balance) − (zjkje − (zchje − zthje)),
	// rounded to cents: positive when the account grew more than the bills
	// and payments explain. Always zero for jdy statements.
	Difference decimal.Decimal
	// HasDifference: |Difference| is above Options.DifferenceTolerance. The
	// worker counts it in metrics.
	HasDifference bool
}

// Ext keys written by BuildGoods and BuildGoodsFromJDY.
const (
	extRemark = "备注"
)

// goodsEntry is one trade row before numbering: a bill or a payment.
type goodsEntry struct {
	t       time.Time
	payment bool // bills sort before payments at the same time
	voucher string
	idx     int // into Bills or Transactions
	rank    int // a payment's place in the balance chain (txOrder)
}

// BuildGoods builds the goods statement from OMS records as DESIGN.md says:
// one trade per AR bill and per payment in date order (ties: bills before
// payments; bills by voucher number, then input order; payments in the
// balance chain's order, see txOrder), detail rows from the bill items,
// totals, balances and the 对账差异 ext. Transactions of SkipTypes are left
// out.
func BuildGoods(in GoodsInput, opt Options) (Result, error) {
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
	nDetail, err := checkBills(in.Bills)
	if err != nil {
		return Result{}, err
	}
	// Skipped types take no part; the rest are checked and chained.
	in.Transactions = o.kept(in.Transactions)
	if t := in.NextTransaction; t != nil && o.Skips(t.Type) {
		in.NextTransaction = nil
	}
	nPay, err := checkTransactions(&o, in.Transactions)
	if err != nil {
		return Result{}, err
	}
	txOrd := txOrder(&o, in.Transactions)
	rank := make([]int, len(in.Transactions))
	for r, i := range txOrd {
		rank[i] = r
	}
	if len(in.Bills)+nPay > 0 {
		if err := ident("trade.customer_code", in.CustomerCode, MaxField); err != nil {
			return Result{}, err
		}
	}

	entries := make([]goodsEntry, 0, len(in.Bills)+nPay)
	for i := range in.Bills {
		b := &in.Bills[i]
		entries = append(entries, goodsEntry{t: b.Time, voucher: b.BillBN, idx: i})
	}
	for i := range in.Transactions {
		t := &in.Transactions[i]
		if o.direction(t.Type) > 0 {
			entries = append(entries, goodsEntry{t: t.Time, payment: true, voucher: t.ID, idx: i, rank: rank[i]})
		}
	}
	slices.SortFunc(entries, compareGoods)

	st := statement.Statement{
		SerialNo:     StatementNo(o.GoodsPrefix, in.TenantID, in.CustomerCode, in.Period),
		CustomerCode: in.CustomerCode,
		StartDate:    in.Period.StartDate(),
		EndDate:      in.Period.EndDate(),
		TradeMonth:   o.tradeMonth(in.Period),
		Trade:        make([]statement.Trade, len(entries)),
		Exts:         []statement.Ext{},
	}
	// One backing array for every detail row: one allocation, not one per bill.
	details := make([]statement.Detail, nDetail)
	var tot Totals
	// Rows are in date order: consecutive rows mostly share their date text.
	var lastDay time.Time
	lastDate := ""
	for n, e := range entries {
		tr := &st.Trade[n]
		tr.StatementNo = st.SerialNo
		tr.SerialNo = strconv.Itoa(n + 1)
		tr.VoucherNo = e.voucher
		if d := day(e.t); !d.Equal(lastDay) {
			lastDay, lastDate = d, d.Format(dateLayout)
		}
		tr.TradeDate = lastDate
		tr.CustomerCode = in.CustomerCode
		tr.StartDate = st.StartDate
		tr.Exts = []statement.Ext{}
		if e.payment {
			t := &in.Transactions[e.idx]
			amt := t.Amount.Abs()
			tot.Payments = tot.Payments.Add(amt)
			tr.TradeDesc = o.PaymentDesc
			if tr.TradeAmount, err = money("trade.trade_amount", amt); err != nil {
				return Result{}, err
			}
			tr.TotalCount = "0"
			if r := text(t.Remark); r != "" {
				tr.Exts = []statement.Ext{{Key: extRemark, Value: r}}
			}
			tr.Detail = []statement.Detail{}
			continue
		}
		b := &in.Bills[e.idx]
		amt := b.Amount.Abs()
		ret := o.isReturn(b.BillType)
		tr.TradeDesc = text(b.BillType)
		if tr.TradeAmount, err = money("trade.trade_amount", amt); err != nil {
			return Result{}, err
		}
		k := len(b.Items)
		tr.Detail, details = details[:k:k], details[k:]
		var qty decimal.Decimal
		for j := range b.Items {
			it := &b.Items[j]
			q := it.Quantity.Abs()
			qty = qty.Add(q)
			d := &tr.Detail[j]
			d.StatementNo = st.SerialNo
			d.SerialNo = strconv.Itoa(j + 1)
			d.VoucherNo = b.BillBN
			d.ProductCode = it.Code
			d.ProductName = text(it.Name)
			if d.Amount, err = money("trade.detail.amount", it.Amount.Abs()); err != nil {
				return Result{}, err
			}
			if d.Number, err = quantity("trade.detail.number", q); err != nil {
				return Result{}, err
			}
			d.CustomerCode = in.CustomerCode
			d.StartDate = st.StartDate
		}
		if tr.TotalCount, err = quantity("trade.total_count", qty); err != nil {
			return Result{}, err
		}
		if ret {
			tot.Returns = tot.Returns.Add(amt)
			tot.ReturnsQty = tot.ReturnsQty.Add(qty)
		} else {
			tot.Sales = tot.Sales.Add(amt)
			tot.SalesQty = tot.SalesQty.Add(qty)
		}
	}

	if tot.BeginBalance, tot.EndBalance, err = balances(&o, in, txOrd); err != nil {
		return Result{}, err
	}
	res := Result{Totals: tot}
	if err := writeTotals(&st, tot); err != nil {
		return Result{}, err
	}
	moved := tot.EndBalance.Sub(tot.BeginBalance)
	explained := tot.Payments.Sub(tot.Sales.Sub(tot.Returns))
	res.Difference = moved.Sub(explained).Round(2)
	res.HasDifference = res.Difference.Abs().Cmp(o.DifferenceTolerance) > 0
	if res.HasDifference && !o.OmitDifference {
		v, err := money(o.DifferenceKey, res.Difference)
		if err != nil {
			return Result{}, err
		}
		st.Exts = append(st.Exts, statement.Ext{Key: o.DifferenceKey, Value: v})
	}
	res.Statement = st
	return res, nil
}

func compareGoods(a, b goodsEntry) int {
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	if a.payment != b.payment {
		if a.payment {
			return 1
		}
		return -1
	}
	if a.payment {
		return a.rank - b.rank
	}
	if a.voucher != b.voucher {
		if a.voucher < b.voucher {
			return -1
		}
		return 1
	}
	return a.idx - b.idx
}

// writeTotals formats the statement's money and quantity fields.
func writeTotals(st *statement.Statement, t Totals) error {
	var err error
	set := func(dst *string, field string, d decimal.Decimal, f func(string, decimal.Decimal) (string, error)) {
		if err == nil {
			*dst, err = f(field, d)
		}
	}
	set(&st.BeginBalance, "begin_balance", t.BeginBalance, money)
	set(&st.Zjkje, "zjkje", t.Payments, money)
	set(&st.Zchje, "zchje", t.Sales, money)
	set(&st.Zthje, "zthje", t.Returns, money)
	set(&st.Zqmye, "zqmye", t.EndBalance, money)
	set(&st.Zchsl, "zchsl", t.SalesQty, quantity)
	set(&st.Zthsl, "zthsl", t.ReturnsQty, quantity)
	set(&st.Zjcsl, "zjcsl", t.SalesQty.Sub(t.ReturnsQty), quantity)
	return err
}

// checkBills validates every bill before anything is built and counts the
// detail rows.
func checkBills(bills []Bill) (int, error) {
	n := 0
	for i := range bills {
		b := &bills[i]
		if err := requiredIdent("trade.voucher_no", b.BillBN, MaxField); err != nil {
			return 0, err
		}
		if b.Time.IsZero() {
			return 0, newError(ErrInvalidInput, "bill.time", "bill "+quote(b.BillBN)+" has no time", "单据"+quote(b.BillBN)+"没有日期,请在来源系统中补全")
		}
		if err := number("bill", b.BillBN, "amount", b.Amount); err != nil {
			return 0, err
		}
		for j := range b.Items {
			it := &b.Items[j]
			if err := ident("trade.detail.product_code", it.Code, MaxField); err != nil {
				return 0, err
			}
			if err := number("bill", b.BillBN, "item amount", it.Amount); err != nil {
				return 0, err
			}
			if err := number("bill", b.BillBN, "item quantity", it.Quantity); err != nil {
				return 0, err
			}
		}
		n += len(b.Items)
	}
	return n, nil
}

// checkTransactions validates the period's transactions and counts the
// payments among them.
func checkTransactions(o *Options, txs []Transaction) (int, error) {
	n := 0
	for i := range txs {
		t := &txs[i]
		if err := checkTransaction(o, t); err != nil {
			return 0, err
		}
		if o.direction(t.Type) > 0 {
			if err := ident("trade.voucher_no", t.ID, MaxField); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

func checkTransaction(o *Options, t *Transaction) error {
	if t.ID == "" {
		return newError(ErrInvalidInput, "transaction.id", "a transaction has no id", "有账户流水缺少流水号,请在来源系统中核对")
	}
	if t.Time.IsZero() {
		return newError(ErrInvalidInput, "transaction.time", "transaction "+quote(t.ID)+" has no time", "流水"+quote(t.ID)+"没有交易时间,请在来源系统中补全")
	}
	if o.direction(t.Type) == 0 {
		return newError(ErrInvalidInput, "transaction.type", "transaction "+quote(t.ID)+" type "+quote(t.Type)+" unmapped: add it to KSF_OMS_INCOME_TYPES, …",
			"流水"+quote(t.ID)+"的类型"+quote(t.Type)+"未配置,请管理员加入KSF_OMS_INCOME_TYPES、EXPENSE_TYPES或SKIP_TYPES")
	}
	if err := number("transaction", t.ID, "amount", t.Amount); err != nil {
		return err
	}
	return number("transaction", t.ID, "balance", t.Balance)
}

// before is the balance before t: the list's balance is the one after it.
func before(o *Options, t *Transaction) decimal.Decimal {
	amt := t.Amount.Abs()
	if o.direction(t.Type) > 0 {
		return t.Balance.Sub(amt)
	}
	return t.Balance.Add(amt)
}

// balances finds begin_balance and zqmye: before the first and after the
// last transaction of the period in txOrder's order; without one, the
// balance before the next transaction, or else the current balance.
func balances(o *Options, in GoodsInput, order []int) (begin, end decimal.Decimal, err error) {
	if len(order) > 0 {
		first, last := order[0], order[len(order)-1]
		return before(o, &in.Transactions[first]), in.Transactions[last].Balance, nil
	}
	if t := in.NextTransaction; t != nil {
		if err := checkTransaction(o, t); err != nil {
			return begin, end, err
		}
		b := before(o, t)
		return b, b, nil
	}
	if c := in.CurrentBalance; c != nil {
		if err := number("account", in.CustomerCode, "current balance", *c); err != nil {
			return begin, end, err
		}
		return *c, *c, nil
	}
	return begin, end, newError(ErrInvalidInput, "begin_balance", "no balance: no transaction since the start and no current balance",
		"查不到期初余额:期间起至今没有流水,也没有当前余额,请核对客户映射中的账户")
}
