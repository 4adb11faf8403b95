package reconcile

import (
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
)

const dateTimeLayout = "2006-01-02 15:04:05"

// ExpenseRecord is one 旺店通慧经营 bill record (wdt.hjy.bill.ext.query.orgs).
type ExpenseRecord struct {
	Platform       string          `json:"platform"`         // subBillPlatform code, e.g. "9969"
	PlatformName   string          `json:"platform_name"`    // empty: PlatformName(Platform)
	AccountTradeNo string          `json:"account_trade_no"` // 动账流水号, unique
	OccurTime      time.Time       `json:"occur_time"`
	Description    string          `json:"description"`
	Amount         decimal.Decimal `json:"amount"`    // counted as its absolute value
	FundFlow       string          `json:"fund_flow"` // "0" in, "1" out; empty: negative amounts are out
	OrderNo        string          `json:"order_no"`
}

// ExpenseInput is what BuildExpense needs: every record of the customer's
// shop in the period, for every configured platform, each once.
type ExpenseInput struct {
	TenantID     string          `json:"tenant_id"`
	CustomerCode string          `json:"customer_code"`
	Period       Period          `json:"period"`
	Records      []ExpenseRecord `json:"records"`
}

// OMSExpenseInput is what BuildExpenseFromOMS needs: every transaction of the
// customer's account in the period, each once.
type OMSExpenseInput struct {
	TenantID     string        `json:"tenant_id"`
	CustomerCode string        `json:"customer_code"`
	Period       Period        `json:"period"`
	Transactions []Transaction `json:"transactions"`
}

// ExpenseResult is a built expense statement and its exact totals.
type ExpenseResult struct {
	Expense statement.Expense
	In, Out decimal.Decimal // sums of the absolute amounts in and out
}

// Ext keys written by the expense builders.
const (
	extAmount    = "金额"
	extDirection = "方向"
	extPlatform  = "平台"
	extOrderNo   = "订单号"
	extBalance   = "余额"
	extTotalIn   = "入账合计"
	extTotalOut  = "出账合计"
	dirIn        = "入账"
	dirOut       = "出账"
)

// platformNames are the subBillPlatform codes of the wdt spec.
var platformNames = map[string]string{
	"9999": "支付宝账单", "9903": "京东商城货款账单", "9803": "京东钱包",
	"9939": "拼多多货款账单", "9839": "拼多多百亿补贴", "9739": "百亿补贴订单明细",
	"9969": "抖店资金流水明细", "9983": "微信视频号资金流水",
	"9975": "快手小店货款账单", "9875": "快手超售后期账单", "9775": "快手安心钱包",
	"9956": "小红书订单货款", "9856": "小红书其他服务款", "9756": "小红书人工调账",
	"9972": "小米有品货款结算单", "9872": "小米有品运费免邮表", "9772": "小米有品手续费明细", "9672": "小米有品奖惩罚金",
}

// PlatformName is the spec's name of a wdt subBillPlatform code, or the code
// itself when it is not in the spec.
func PlatformName(code string) string {
	if n, ok := platformNames[code]; ok {
		return n
	}
	return code
}

// PlatformCodes lists every subBillPlatform code of the wdt spec, sorted
// (the default of KSF_WDT_PLATFORMS).
func PlatformCodes() []string {
	codes := make([]string, 0, len(platformNames))
	for c := range platformNames {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// BuildExpense builds the expense statement from wdt records: one trade per
// record in time order (ties: platform code, then account_trade_no, then
// input order) with voucher_no = account_trade_no, trade_date = occur time,
// trade_type = description (the platform's name when empty), and the amount,
// direction, platform and order number as exts; the statement exts carry
// the totals in and out.
func BuildExpense(in ExpenseInput, opt Options) (ExpenseResult, error) {
	o, err := opt.WithDefaults()
	if err != nil {
		return ExpenseResult{}, err
	}
	ex, err := expenseHead(&o, in.TenantID, in.CustomerCode, in.Period, len(in.Records))
	if err != nil {
		return ExpenseResult{}, err
	}
	order := make([]int, len(in.Records))
	for i := range in.Records {
		r := &in.Records[i]
		if r.AccountTradeNo == "" {
			return ExpenseResult{}, newError(ErrInvalidInput, "trade.voucher_no", "trade.voucher_no is empty", "有记录缺少动账流水号,请在来源系统中核对")
		}
		if r.OccurTime.IsZero() {
			return ExpenseResult{}, newError(ErrInvalidInput, "record.occur_time", "record "+quote(r.AccountTradeNo)+" has no occur time",
				"记录"+quote(r.AccountTradeNo)+"没有动账时间,请在来源系统中补全")
		}
		if err := number("record", r.AccountTradeNo, "amount", r.Amount); err != nil {
			return ExpenseResult{}, err
		}
		if r.FundFlow != "" && r.FundFlow != "0" && r.FundFlow != "1" {
			return ExpenseResult{}, newError(ErrInvalidInput, "record.fund_flow", "record "+quote(r.AccountTradeNo)+" has fund_flow "+quote(r.FundFlow)+", not 0 or 1",
				"记录"+quote(r.AccountTradeNo)+"的动账方向"+quote(r.FundFlow)+"无法识别,请在来源系统中核对")
		}
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &in.Records[i], &in.Records[j]
		if c := a.OccurTime.Compare(b.OccurTime); c != 0 {
			return c
		}
		if a.Platform != b.Platform {
			if a.Platform < b.Platform {
				return -1
			}
			return 1
		}
		if a.AccountTradeNo != b.AccountTradeNo {
			if a.AccountTradeNo < b.AccountTradeNo {
				return -1
			}
			return 1
		}
		return i - j
	})

	res := ExpenseResult{}
	// Four exts per row from one backing array.
	exts := make([]statement.Ext, 4*len(order))
	buf := make([]byte, 0, len(dateTimeLayout))
	for n, i := range order {
		r := &in.Records[i]
		amt := r.Amount.Abs()
		out := r.FundFlow == "1" || r.FundFlow == "" && r.Amount.IsNegative()
		dir := dirIn
		if out {
			dir = dirOut
			res.Out = res.Out.Add(amt)
		} else {
			res.In = res.In.Add(amt)
		}
		v, err := money("trade.exts."+extAmount, amt)
		if err != nil {
			return ExpenseResult{}, err
		}
		platform := r.PlatformName
		if platform == "" {
			platform = PlatformName(r.Platform)
		}
		platform = text(platform)
		tt := text(r.Description)
		if tt == "" {
			tt = platform
		}
		e := exts[4*n : 4*n+4 : 4*n+4]
		e[0] = statement.Ext{Key: extAmount, Value: v}
		e[1] = statement.Ext{Key: extDirection, Value: dir}
		e[2] = statement.Ext{Key: extPlatform, Value: platform}
		e[3] = statement.Ext{Key: extOrderNo, Value: ShortenID(r.OrderNo, MaxField)}
		ex.Trade[n] = statement.ExpenseTrade{
			SerialNo:  strconv.Itoa(n + 1),
			VoucherNo: ShortenID(r.AccountTradeNo, MaxField),
			TradeDate: string(r.OccurTime.In(tz.Shanghai).AppendFormat(buf[:0], dateTimeLayout)),
			TradeType: tt,
			Exts:      e,
		}
	}
	if err := expenseTotals(&ex, res.In, res.Out); err != nil {
		return ExpenseResult{}, err
	}
	res.Expense = ex
	return res, nil
}

// BuildExpenseFromOMS builds the expense statement from OMS account
// transactions (KSF_EXPENSE_SOURCE=oms; DESIGN.md leaves this mapping open,
// see docs/statement-mapping.md): one trade per transaction in time order
// (ties: the balance chain, then input order; see txOrder), SkipTypes left
// out, with voucher_no = trans_id, trade_date
// = trans_time, trade_type = remark (收入/支出 when empty), and the amount,
// direction and balance after it as exts; the statement exts carry the
// totals in (income) and out (expense).
func BuildExpenseFromOMS(in OMSExpenseInput, opt Options) (ExpenseResult, error) {
	o, err := opt.WithDefaults()
	if err != nil {
		return ExpenseResult{}, err
	}
	in.Transactions = o.kept(in.Transactions)
	ex, err := expenseHead(&o, in.TenantID, in.CustomerCode, in.Period, len(in.Transactions))
	if err != nil {
		return ExpenseResult{}, err
	}
	for i := range in.Transactions {
		t := &in.Transactions[i]
		if err := checkTransaction(&o, t); err != nil {
			return ExpenseResult{}, err
		}
		if err := ident("trade.voucher_no", t.ID, MaxField); err != nil {
			return ExpenseResult{}, err
		}
	}
	order := txOrder(&o, in.Transactions)

	res := ExpenseResult{}
	exts := make([]statement.Ext, 3*len(order))
	buf := make([]byte, 0, len(dateTimeLayout))
	for n, i := range order {
		t := &in.Transactions[i]
		amt := t.Amount.Abs()
		dir, label := dirIn, "收入"
		if o.direction(t.Type) < 0 {
			dir, label = dirOut, "支出"
			res.Out = res.Out.Add(amt)
		} else {
			res.In = res.In.Add(amt)
		}
		v, err := money("trade.exts."+extAmount, amt)
		if err != nil {
			return ExpenseResult{}, err
		}
		bal, err := money("trade.exts."+extBalance, t.Balance)
		if err != nil {
			return ExpenseResult{}, err
		}
		tt := text(t.Remark)
		if tt == "" {
			tt = label
		}
		e := exts[3*n : 3*n+3 : 3*n+3]
		e[0] = statement.Ext{Key: extAmount, Value: v}
		e[1] = statement.Ext{Key: extDirection, Value: dir}
		e[2] = statement.Ext{Key: extBalance, Value: bal}
		ex.Trade[n] = statement.ExpenseTrade{
			SerialNo:  strconv.Itoa(n + 1),
			VoucherNo: t.ID,
			TradeDate: string(t.Time.In(tz.Shanghai).AppendFormat(buf[:0], dateTimeLayout)),
			TradeType: tt,
			Exts:      e,
		}
	}
	if err := expenseTotals(&ex, res.In, res.Out); err != nil {
		return ExpenseResult{}, err
	}
	res.Expense = ex
	return res, nil
}

// expenseHead validates what both expense builders share and starts the
// statement with n trade rows.
func expenseHead(o *Options, tenantID, customerCode string, p Period, n int) (statement.Expense, error) {
	if err := p.Validate(); err != nil {
		return statement.Expense{}, err
	}
	if err := requiredIdent("customer_code", customerCode, MaxCustomerCode); err != nil {
		return statement.Expense{}, err
	}
	return statement.Expense{
		StatementNo:  StatementNo(o.ExpensePrefix, tenantID, customerCode, p),
		CustomerCode: customerCode,
		StartDate:    p.StartDate(),
		EndDate:      p.EndDate(),
		TradeMonth:   o.tradeMonth(p),
		Trade:        make([]statement.ExpenseTrade, n),
	}, nil
}

func expenseTotals(ex *statement.Expense, in, out decimal.Decimal) error {
	vin, err := money(extTotalIn, in)
	if err != nil {
		return err
	}
	vout, err := money(extTotalOut, out)
	if err != nil {
		return err
	}
	ex.Exts = []statement.Ext{{Key: extTotalIn, Value: vin}, {Key: extTotalOut, Value: vout}}
	return nil
}
