package waiqintest

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// rule is one field of the spec: VARCHAR(limit) characters and, for dates,
// the layout. The fake keeps its own copy of the spec's tables (rather than
// calling statement.Validate) so that a mistake in one is caught by the other.
type rule struct {
	limit  int
	layout string
}

const (
	date     = "2006-01-02"
	month    = "2006-01"
	dateTime = "2006-01-02 15:04:05"
)

var extRules = map[string]rule{"ext_key": {32, ""}, "ext_value": {32, ""}}

// schema of saveStatement, keyed by path without indices.
var statementSchema = merge(map[string]rule{
	"serial_no": {32, ""}, "customer_code": {100, ""},
	"start_date": {100, date}, "end_date": {100, date}, "trade_month": {100, month},
	"dept_code": {100, ""}, "dept_name": {100, ""}, "dept_source_code": {100, ""},
	"business_name": {100, ""}, "business_addr": {100, ""}, "telphone": {100, ""},
	"begin_balance": {32, ""}, "zjkje": {32, ""}, "zchje": {32, ""}, "zthje": {32, ""},
	"zqmye": {32, ""}, "zchsl": {32, ""}, "zthsl": {32, ""}, "zjcsl": {32, ""},
	"trade.statement_no": {32, ""}, "trade.serial_no": {32, ""}, "trade.voucher_no": {32, ""},
	"trade.trade_date": {100, date}, "trade.trade_desc": {32, ""}, "trade.trade_amount": {32, ""},
	"trade.total_count": {32, ""}, "trade.customer_code": {32, ""}, "trade.start_date": {32, date},
	"trade.detail.statement_no": {32, ""}, "trade.detail.serial_no": {32, ""},
	"trade.detail.voucher_no": {32, ""}, "trade.detail.product_code": {32, ""},
	"trade.detail.product_name": {32, ""}, "trade.detail.amount": {32, ""},
	"trade.detail.number": {32, ""}, "trade.detail.customer_code": {32, ""},
	"trade.detail.start_date": {32, date},
}, prefixed("trade.exts.", extRules), prefixed("exts.", extRules))

// schema of saveExpense.
var expenseSchema = merge(map[string]rule{
	"statement_no": {32, ""}, "customer_code": {100, ""},
	"start_date": {100, date}, "end_date": {100, date}, "trade_month": {100, month},
	"dept_code": {100, ""}, "dept_name": {100, ""}, "dept_source_code": {100, ""},
	"trade.serial_no": {32, ""}, "trade.voucher_no": {32, ""},
	"trade.trade_date": {100, dateTime}, "trade.trade_type": {32, ""},
}, prefixed("trade.exts.", extRules), prefixed("exts.", extRules))

// schema of saveStatementError and saveExpenseError.
var errorLogSchema = map[string]rule{
	"customer_code": {32, ""}, "start_date": {32, date},
	"error_reason": {100, ""}, "error_status": {32, ""},
}

func merge(ms ...map[string]rule) map[string]rule {
	out := map[string]rule{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func prefixed(p string, m map[string]rule) map[string]rule {
	out := make(map[string]rule, len(m))
	for k, v := range m {
		out[p+k] = v
	}
	return out
}

// checkSchema walks a decoded document (a struct with json tags) and returns
// 勤策-style refusal text for the first string that is too long, not valid
// UTF-8 or not in its date layout; "" if all is well. Strings without a rule
// are unlimited (勤策 ignores fields it does not know).
func checkSchema(v reflect.Value, schema map[string]rule) string {
	return walk(v, schema, "", "")
}

func walk(v reflect.Value, schema map[string]rule, key, path string) string {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			r, ok := schema[key+name]
			if !ok {
				continue
			}
			s := f.String()
			if !utf8.ValidString(s) {
				return path + name + "编码错误"
			}
			if n := utf8.RuneCountInString(s); n > r.limit {
				return fmt.Sprintf("%s%s超长(%d>%d)", path, name, n, r.limit)
			}
			if r.layout != "" && s != "" {
				if _, err := time.Parse(r.layout, s); err != nil {
					return fmt.Sprintf("%s%s格式错误,应为%s", path, name, javaLayout(r.layout))
				}
			}
		case reflect.Slice:
			for j := range f.Len() {
				if msg := walk(f.Index(j), schema, key+name+".", path+name+"["+strconv.Itoa(j)+"]."); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

func javaLayout(l string) string {
	switch l {
	case date:
		return "yyyy-MM-dd"
	case month:
		return "yyyy-MM"
	}
	return "yyyy-MM-dd HH:mm:ss"
}
