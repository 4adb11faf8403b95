package tasks

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ksfsync/ksfsync/internal/reconcile"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// vendorNames are the names a person in 勤策 knows the sources by.
var vendorNames = map[string]string{
	"waiqin": "勤策",
	"oms":    "商派OMS",
	"jdy":    "金蝶精斗云",
	"wdt":    "旺店通",
}

// VendorName is vendor's name as 勤策 users know it ("oms" → 商派OMS).
func VendorName(vendor string) string {
	if n, ok := vendorNames[vendor]; ok {
		return n
	}
	return vendor
}

// opNames say in Chinese what a call was for.
var opNames = map[string]string{
	"ar.getList": "查询应收单", "ar.getDetail": "查询应收单明细",
	"finance.getTransactionList": "查询账户流水", "finance.getAccountBalance": "查询账户余额",
	"wdt.hjy.bill.ext.query.orgs": "查询账单", "customer_business": "查询客户往来", "kingdee_auth_token": "获取授权",
	"saveStatement": "保存货款对账单", "saveExpense": "保存费用对账单",
	"saveStatementError": "保存错误日志", "saveExpenseError": "保存错误日志",
	"queryStatement": "查询货款对账单", "queryExpenseStatement": "查询费用对账单", "getCustomers": "查询对账客户",
}

// ZhReasoner is an error that carries the reason 勤策 users read.
type ZhReasoner interface{ ZhReason() string }

// refusal is an error with its reason for 勤策 users.
type refusal struct {
	zh  string
	err error
}

func (r *refusal) Error() string    { return r.err.Error() }
func (r *refusal) Unwrap() error    { return r.err }
func (r *refusal) ZhReason() string { return r.zh }

// WithReason attaches the Chinese reason zh (what is wrong, what to fix) to
// err, which keeps its message (the English detail for logs and failure
// records) and its class (permanent or not).
func WithReason(err error, zh string) error {
	if err == nil {
		return nil
	}
	return &refusal{zh: zh, err: err}
}

// FromSource names the source of a reconcile build failure in its Chinese
// reason ("旺店通数据: 记录…"); other errors pass as they are.
func FromSource(vendor string, err error) error {
	var be *reconcile.Error
	if errors.As(err, &be) && be.Zh != "" {
		return WithReason(err, VendorName(vendor)+"数据: "+be.Zh)
	}
	return err
}

// Reason turns err into the error_reason sent to 勤策: Chinese, at most 100
// characters, naming the source as 勤策 users know it and what to fix. The
// English detail (err.Error()) stays in logs and failure records.
func Reason(err error) string {
	var z ZhReasoner
	if errors.As(err, &z) {
		if s := z.ZhReason(); s != "" {
			return Truncate(s, maxReason)
		}
	}
	if e, ok := upstream.As(err); ok {
		return Truncate(vendorReason(e), maxReason)
	}
	var be *reconcile.Error
	if errors.As(err, &be) && be.Zh != "" {
		return Truncate("数据有误: "+be.Zh, maxReason)
	}
	return "ksfsync处理失败,请联系ksfsync管理员查看日志和失败记录"
}

// authWords mark a vendor refusing ksfsync's credentials or signature.
var authWords = []string{"sign", "签名", "token", "app key", "app_key", "appkey", "credential", "auth", "认证", "授权", "flag", "openid", "secret", "密钥"}

// vendorReason: the fix first, so a long vendor message is what gets cut.
func vendorReason(e *upstream.Error) string {
	name := VendorName(e.Vendor)
	op := opNames[e.Op]
	if op == "" {
		op = "接口调用"
	}
	detail := strings.TrimSpace(e.Code + " " + e.Message)
	if e.Message == "" && e.Status != 0 {
		detail = strings.TrimSpace(e.Code + " HTTP " + strconv.Itoa(e.Status))
	}
	var fix string
	switch {
	case !e.Permanent:
		fix = name + op + "暂时失败,请稍后在勤策重新发起同步"
	case e.Status == 401 || e.Status == 403 || hasAny(strings.ToLower(e.Message+" "+e.Code), authWords):
		fix = name + "拒绝了ksfsync的调用,请管理员检查" + name + "接口配置"
	case e.Vendor == "waiqin":
		fix = "勤策" + op + "被拒绝,请核对对账单数据或联系管理员"
	default:
		fix = name + op + "被拒绝,请核对该客户在" + name + "的资料及客户映射"
	}
	if detail == "" {
		return fix
	}
	return fix + "。" + name + "答复: " + detail
}

func hasAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

const maxReason = 100

// Truncate cuts s to at most n characters (runes), marking a cut with "…".
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ErrorLogCustomer fits a customer code into the error log's customer_code
// (VARCHAR(32), where the statement's is VARCHAR(100)): a longer code is
// shortened by reconcile.ShortenID (its first 19 characters, "~", 12 hex
// digits of its SHA-256), so the report is sent instead of being refused
// forever, and two long codes stay apart. The full code is in the job's
// logs and failure record.
func ErrorLogCustomer(code string) string { return reconcile.ShortenID(code, statement.MaxLogCustomer) }
