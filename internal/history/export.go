package history

import (
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// SetCSVHeaders marks an HTTP answer as a CSV download named name; not
// cached (it holds a tenant's figures).
func SetCSVHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
}

// FileNamePart keeps s, a part of a download's file name (a customer
// code), to letters, digits, '-' and '_'.
func FileNamePart(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// BOM starts every CSV export, so Excel reads it as UTF-8 (Chinese intact).
const BOM = "\ufeff"

// OutcomeLabels are the outcomes as ERP staff read them.
var OutcomeLabels = map[string]string{
	"saved":     "已保存",
	"failed":    "失败",
	"retrying":  "重试中",
	"confirmed": "已确认未覆盖",
}

// ListColumns are the list export's columns: Chinese label and field name.
var ListColumns = [][2]string{
	{"租户", "tenant"}, {"类型", "kind"}, {"客户编码", "customer"}, {"开始日期", "start_date"}, {"结束日期", "end_date"},
	{"结果", "outcome"}, {"对账单号", "statement_no"}, {"期初余额", "begin_balance"}, {"本期出货金额", "zchje"},
	{"本期退货金额", "zthje"}, {"本期缴款金额", "zjkje"}, {"期末余额", "zqmye"}, {"本期出货数量", "zchsl"},
	{"本期退货数量", "zthsl"}, {"入账合计", "total_in"}, {"出账合计", "total_out"}, {"对账差异", "difference"},
	{"交易行数", "trades"}, {"明细行数", "details"}, {"来源", "source"}, {"时间", "at"}, {"任务", "task_id"},
	{"推送", "msg_id"}, {"失败原因", "reason"},
}

// cell keeps a spreadsheet from reading text as a formula (CSV injection);
// numbers such as "-120.00" stay numbers.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

func header(cols [][2]string) []string {
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c[0] + "(" + c[1] + ")"
	}
	return h
}

// WriteListCSV writes records as CSV (BOM, header, one row each).
func WriteListCSV(w io.Writer, recs []Record) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header(ListColumns)); err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		t := Totals{}
		if r.Totals != nil {
			t = *r.Totals
		}
		row := []string{r.Tenant, r.DataType, r.Customer, r.StartDate, r.EndDate, OutcomeLabels[r.Outcome], r.StatementNo,
			t.BeginBalance, t.Zchje, t.Zthje, t.Zjkje, t.Zqmye, t.Zchsl, t.Zthsl, t.TotalIn, t.TotalOut, r.Difference,
			strconv.Itoa(r.Trades), strconv.Itoa(r.Details), r.Source, r.At.In(tz.Shanghai).Format(time.DateTime),
			r.TaskID, r.MsgID, r.Reason}
		for j := range row {
			row[j] = cell(row[j])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteStatementCSV writes one statement: its header fields as label,
// field, value lines, an empty line, then its rows (a goods statement's
// trades each followed by their detail rows; an expense statement's trades
// with their exts as columns). st or ex may be nil (no body kept).
func WriteStatementCSV(w io.Writer, r *Record, st *statement.Statement, ex *statement.Expense) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	t := Totals{}
	if r.Totals != nil {
		t = *r.Totals
	}
	head := [][3]string{
		{"客户编码", "customer_code", r.Customer}, {"开始日期", "start_date", r.StartDate}, {"结束日期", "end_date", r.EndDate},
		{"对账单号", "statement_no", r.StatementNo}, {"结果", "outcome", OutcomeLabels[r.Outcome]},
	}
	if r.DataType == "ksf_expense" {
		head = append(head, [3]string{"入账合计", "total_in", t.TotalIn}, [3]string{"出账合计", "total_out", t.TotalOut})
	} else {
		head = append(head, [3]string{"期初余额", "begin_balance", t.BeginBalance}, [3]string{"本期出货金额", "zchje", t.Zchje},
			[3]string{"本期退货金额", "zthje", t.Zthje}, [3]string{"本期缴款金额", "zjkje", t.Zjkje},
			[3]string{"期末余额", "zqmye", t.Zqmye}, [3]string{"本期出货数量", "zchsl", t.Zchsl},
			[3]string{"本期退货数量", "zthsl", t.Zthsl}, [3]string{"本期出货净数量", "zjcsl", t.Zjcsl},
			[3]string{"对账差异", "difference", r.Difference})
	}
	for _, h := range head {
		if err := cw.Write([]string{h[0], h[1], cell(h[2])}); err != nil {
			return err
		}
	}
	if err := cw.Write([]string{}); err != nil {
		return err
	}
	switch {
	case st != nil:
		if err := cw.Write([]string{"行类型(row)", "序号(serial_no)", "单据号(voucher_no)", "日期(trade_date)", "摘要(trade_desc)",
			"金额(amount)", "数量(count)", "商品编码(product_code)", "商品名称(product_name)"}); err != nil {
			return err
		}
		for _, tr := range st.Trade {
			if err := cw.Write(cells("交易", tr.SerialNo, tr.VoucherNo, tr.TradeDate, tr.TradeDesc, tr.TradeAmount, tr.TotalCount, "", "")); err != nil {
				return err
			}
			for _, d := range tr.Detail {
				if err := cw.Write(cells("明细", d.SerialNo, d.VoucherNo, tr.TradeDate, "", d.Amount, d.Number, d.ProductCode, d.ProductName)); err != nil {
					return err
				}
			}
		}
	case ex != nil:
		keys := ExtKeys(ex)
		h := []string{"序号(serial_no)", "单据号(voucher_no)", "时间(trade_date)", "类型(trade_type)"}
		if err := cw.Write(append(h, keys...)); err != nil {
			return err
		}
		for _, tr := range ex.Trade {
			row := []string{tr.SerialNo, tr.VoucherNo, tr.TradeDate, tr.TradeType}
			for _, k := range keys {
				row = append(row, Ext(tr.Exts, k))
			}
			if err := cw.Write(cells(row...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func cells(v ...string) []string {
	for i := range v {
		v[i] = cell(v[i])
	}
	return v
}

// ExtKeys are the ext names of an expense statement's trades, each once, in
// the order they first appear: its table's columns.
func ExtKeys(ex *statement.Expense) []string {
	var keys []string
	seen := map[string]bool{}
	for _, tr := range ex.Trade {
		for _, e := range tr.Exts {
			if !seen[e.Key] {
				seen[e.Key] = true
				keys = append(keys, e.Key)
			}
		}
	}
	return keys
}
