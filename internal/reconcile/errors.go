package reconcile

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/retry"
)

// Sentinels matched with errors.Is on every error the builders return.
var (
	// ErrInvalidInput: the source records are unusable (a missing identifier or
	// time, an unknown transaction type, an absurd number, a bad period).
	ErrInvalidInput = errors.New("invalid source records")
	// ErrUnrepresentable: a value cannot be written within 勤策's field sizes
	// without changing its meaning (an identifier or a number too long).
	ErrUnrepresentable = errors.New("value does not fit 勤策's field")
	// ErrPeriodNotServed: the source cannot answer for the asked period.
	ErrPeriodNotServed = errors.New("period not served by source")
)

// MaxReason is the size of 勤策's error_reason (VARCHAR(100), in characters).
const MaxReason = 100

// Error is a statement that cannot be built. Its message is the English
// detail for logs and failure records, at most MaxReason characters, naming
// the 勤策 field or the source record at fault; Zh is what 勤策 users read.
// It is permanent: errors.Is(err, retry.ErrPermanent) is true, so the
// worker does not retry it.
type Error struct {
	Kind   error  // ErrInvalidInput, ErrUnrepresentable or ErrPeriodNotServed
	Field  string // 勤策 field ("trade.voucher_no") or source field ("bill.time")
	Reason string // English detail; at most MaxReason characters
	// Zh is the reason for 勤策 users, in Chinese: what is wrong and what to
	// fix, without the source's name (the worker puts the source first). At
	// most MaxZh characters.
	Zh string
}

// MaxZh leaves room in error_reason for the worker's source prefix
// ("旺店通数据: ").
const MaxZh = MaxReason - 12

func (e *Error) Error() string { return e.Reason }

// Unwrap exposes Kind to errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Is makes every build failure count as permanent for the worker.
func (e *Error) Is(target error) bool { return target == retry.ErrPermanent }

func newError(kind error, field, reason, zh string) *Error {
	return &Error{Kind: kind, Field: field, Reason: cut(reason, MaxReason), Zh: cut(zh, MaxZh)}
}

// zhConfig is the Chinese reason of a mapping option the configuration
// check should have refused: only an operator can fix it.
const zhConfig = "对账映射配置有误,请联系ksfsync管理员检查配置"

// tooLong reports an identifier or number that exceeds its field.
func tooLong(field, value string, limit int) *Error {
	n := strconv.Itoa(utf8.RuneCountInString(value))
	return newError(ErrUnrepresentable, field, field+" "+quote(value)+" has "+n+" characters, over the "+strconv.Itoa(limit)+" allowed",
		zhField(field)+quote(value)+"有"+n+"个字符,超过勤策允许的"+strconv.Itoa(limit)+"个,请在来源系统中缩短")
}

// quote shows the start of a value in an error reason.
func quote(s string) string { return strconv.Quote(cut(s, 16)) }

// zhFields name the fields in the reasons 勤策 users read.
var zhFields = map[string]string{
	"customer_code": "客户编码", "trade.customer_code": "客户编码", "trade.voucher_no": "单据号",
	"trade.detail.product_code": "商品编码", "trade.trade_amount": "单据金额", "trade.detail.amount": "商品金额",
	"trade.detail.number": "商品数量", "trade.total_count": "单据数量", "begin_balance": "期初余额",
	"zjkje": "本期缴款金额", "zchje": "本期出货金额", "zthje": "本期退货金额", "zqmye": "期末余额",
	"zchsl": "本期出货数量", "zthsl": "本期退货数量", "zjcsl": "本期出货净数量",
	"bill": "单据", "transaction": "流水", "record": "记录", "account": "账户", "customer_business": "客户往来",
	"amount": "金额", "balance": "余额", "item amount": "商品金额", "item quantity": "商品数量",
	"current balance": "当前余额",
}

func zhField(f string) string {
	if z, ok := zhFields[f]; ok {
		return z
	}
	return f
}
