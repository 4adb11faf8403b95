package main

import (
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// statementRecord is a run history record (docs/admin-api.md, statements).
type statementRecord struct {
	Tenant      string    `json:"tenant"`
	DataType    string    `json:"data_type"`
	Customer    string    `json:"customer"`
	StartDate   string    `json:"start_date"`
	EndDate     string    `json:"end_date"`
	Outcome     string    `json:"outcome"`
	Source      string    `json:"source"`
	StatementNo string    `json:"statement_no"`
	Trades      int       `json:"trades"`
	Details     int       `json:"details"`
	Difference  string    `json:"difference"`
	At          time.Time `json:"at"`
	TaskID      string    `json:"task_id"`
	MsgID       string    `json:"msg_id"`
	Reason      string    `json:"reason"`
	Error       string    `json:"error"`
	Vendor      string    `json:"vendor"`
	Totals      *struct {
		BeginBalance string `json:"begin_balance"`
		Zchje        string `json:"zchje"`
		Zthje        string `json:"zthje"`
		Zjkje        string `json:"zjkje"`
		Zqmye        string `json:"zqmye"`
		Zchsl        string `json:"zchsl"`
		Zthsl        string `json:"zthsl"`
		Zjcsl        string `json:"zjcsl"`
		TotalIn      string `json:"total_in"`
		TotalOut     string `json:"total_out"`
	} `json:"totals"`
}

const statementsUsage = `ksfctl statements [list] [filter flags] [--page N] [--per-page N] [--json|--csv]
ksfctl statements show --customer C --period yyyy-MM-dd..yyyy-MM-dd [--tenant T] [--kind K] [--json|--csv]
ksfctl statements export [filter flags]          the whole list as CSV (UTF-8 with BOM, for Excel)
ksfctl statements summary [--month yyyy-MM] [--tenant T] [--kind K] [--json]`

// statementFlags are the list filters.
type statementFlags struct {
	tenant, kind, month, period, customer, outcome string
	difference                                     bool
}

func (f *statementFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.tenant, "tenant", "", "tenant id")
	fs.StringVar(&f.kind, "kind", "", "ksf_statement or ksf_expense (also statement, expense)")
	fs.StringVar(&f.month, "month", "", "yyyy-MM: periods starting in that month")
	fs.StringVar(&f.period, "period", "", "yyyy-MM-dd..yyyy-MM-dd exactly")
	fs.StringVar(&f.customer, "customer", "", "customer code (or part of it)")
	fs.StringVar(&f.outcome, "outcome", "", "saved, failed, retrying, confirmed")
	fs.BoolVar(&f.difference, "difference", false, "only statements with a 对账差异")
}

func (f *statementFlags) query() url.Values {
	q := url.Values{}
	kind := f.kind
	switch kind {
	case "statement":
		kind = "ksf_statement"
	case "expense":
		kind = "ksf_expense"
	}
	for k, v := range map[string]string{"tenant": f.tenant, "kind": kind, "month": f.month, "period": f.period,
		"customer": f.customer, "outcome": f.outcome} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.difference {
		q.Set("difference", "1")
	}
	return q
}

func (c *cli) statements(args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		return c.statementList(args, false)
	case "export":
		return c.statementList(args, true)
	case "show":
		return c.statementShow(args)
	case "summary":
		return c.statementSummary(args)
	}
	return usageError{fmt.Sprintf("unknown statements command %q:\n%s", sub, statementsUsage)}
}

func (c *cli) statementList(args []string, export bool) error {
	fs := c.flags()
	var f statementFlags
	f.register(fs)
	asCSV := fs.Bool("csv", false, "print CSV (UTF-8 with BOM) instead of a table")
	pg, per := pageFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	q := f.query()
	if export || *asCSV {
		raw, err := c.call("GET", "/admin/api/statements/export.csv", q, nil, nil)
		if err != nil {
			return err
		}
		_, err = c.out.Write(raw)
		return err
	}
	pageQuery(q, *pg, *per)
	var p page[statementRecord]
	raw, err := c.call("GET", "/admin/api/statements", q, nil, &p)
	if err != nil || c.emit(raw) {
		return err
	}
	if p.Total == 0 {
		fmt.Fprintln(c.out, "no statements match")
		return nil
	}
	tw := c.table("AT", "OUTCOME", "KIND", "TENANT", "CUSTOMER", "PERIOD", "BEGIN", "ZCHJE", "ZTHJE", "ZJKJE", "ZQMYE", "DIFFERENCE", "REASON")
	for _, r := range p.Items {
		var t [5]string
		if r.Totals != nil {
			t = [5]string{r.Totals.BeginBalance, r.Totals.Zchje, r.Totals.Zthje, r.Totals.Zjkje, r.Totals.Zqmye}
			if r.Totals.TotalIn != "" {
				t = [5]string{"in " + r.Totals.TotalIn, "out " + r.Totals.TotalOut}
			}
		}
		row(tw, when(&r.At), r.Outcome, strings.TrimPrefix(r.DataType, "ksf_"), r.Tenant, clip(r.Customer, 30),
			r.StartDate+".."+r.EndDate, t[0], t[1], t[2], t[3], t[4], r.Difference, clip(r.Reason, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "page %d of %d, %d statements\n", p.Page, pages(p.Total, p.PerPage), p.Total)
	return nil
}

func (c *cli) statementShow(args []string) error {
	fs := c.flags()
	tenant := fs.String("tenant", "", "tenant id (default: the listener's KSF_TENANT_ID)")
	kind := fs.String("kind", "ksf_statement", "ksf_statement or ksf_expense")
	customer := fs.String("customer", "", "customer code")
	period := fs.String("period", "", "yyyy-MM-dd..yyyy-MM-dd")
	asCSV := fs.Bool("csv", false, "print the statement as CSV (UTF-8 with BOM)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *customer == "" || *period == "" {
		return usageError{"--customer and --period are required"}
	}
	q := url.Values{"customer": {*customer}, "period": {*period}, "kind": {*kind}}
	if *tenant != "" {
		q.Set("tenant", *tenant)
	}
	if *asCSV {
		raw, err := c.call("GET", "/admin/api/statements/one.csv", q, nil, nil)
		if err != nil {
			return err
		}
		_, err = c.out.Write(raw)
		return err
	}
	var one struct {
		Record    statementRecord   `json:"record"`
		Runs      []statementRecord `json:"runs"`
		Statement *struct {
			Trade []struct {
				SerialNo    string `json:"serial_no"`
				TradeDate   string `json:"trade_date"`
				VoucherNo   string `json:"voucher_no"`
				TradeDesc   string `json:"trade_desc"`
				TradeAmount string `json:"trade_amount"`
				TotalCount  string `json:"total_count"`
				Detail      []struct {
					ProductCode string `json:"product_code"`
					ProductName string `json:"product_name"`
					Number      string `json:"number"`
					Amount      string `json:"amount"`
				} `json:"detail"`
			} `json:"trade"`
		} `json:"statement"`
	}
	raw, err := c.call("GET", "/admin/api/statements/one", q, nil, &one)
	if err != nil || c.emit(raw) {
		return err
	}
	r := one.Record
	fmt.Fprintf(c.out, "%s %s %s..%s  %s  (tenant %s, source %s, %s)\n", r.Customer, r.DataType, r.StartDate, r.EndDate,
		r.Outcome, r.Tenant, r.Source, when(&r.At))
	if r.StatementNo != "" {
		fmt.Fprintf(c.out, "statement_no  %s\n", r.StatementNo)
	}
	if t := r.Totals; t != nil {
		tw := c.table("FIELD", "VALUE")
		for _, kv := range [][2]string{{"begin_balance 期初余额", t.BeginBalance}, {"zchje 本期出货金额", t.Zchje},
			{"zthje 本期退货金额", t.Zthje}, {"zjkje 本期缴款金额", t.Zjkje}, {"zqmye 期末余额", t.Zqmye},
			{"zchsl 本期出货数量", t.Zchsl}, {"zthsl 本期退货数量", t.Zthsl}, {"zjcsl 本期出货净数量", t.Zjcsl},
			{"total_in 入账合计", t.TotalIn}, {"total_out 出账合计", t.TotalOut}, {"difference 对账差异", r.Difference}} {
			if kv[1] != "" || strings.HasPrefix(kv[0], "difference") && r.DataType == "ksf_statement" {
				row(tw, kv[0], kv[1])
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if r.Reason != "" {
		fmt.Fprintf(c.out, "reason        %s\nvendor        %s\ntask          %s\n", r.Reason, r.Vendor, r.TaskID)
	}
	if s := one.Statement; s != nil && len(s.Trade) > 0 {
		tw := c.table("NO", "DATE", "VOUCHER", "DESC / PRODUCT", "COUNT", "AMOUNT")
		for _, tr := range s.Trade {
			row(tw, tr.SerialNo, tr.TradeDate, tr.VoucherNo, tr.TradeDesc, tr.TotalCount, tr.TradeAmount)
			for _, d := range tr.Detail {
				row(tw, "", "", "", "  "+d.ProductName+" "+d.ProductCode, d.Number, d.Amount)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.out, "%d runs kept:\n", len(one.Runs))
	tw := c.table("AT", "OUTCOME", "DIFFERENCE", "MSG ID", "TASK ID", "REASON")
	for _, x := range one.Runs {
		row(tw, when(&x.At), x.Outcome, x.Difference, x.MsgID, x.TaskID, clip(x.Reason, 60))
	}
	return tw.Flush()
}

func (c *cli) statementSummary(args []string) error {
	fs := c.flags()
	tenant := fs.String("tenant", "", "tenant id")
	kind := fs.String("kind", "", "ksf_statement or ksf_expense")
	month := fs.String("month", "", "yyyy-MM (default: the latest month in the history)")
	if err := parse(fs, args); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"tenant": *tenant, "kind": *kind, "month": *month} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var s struct {
		Month         string `json:"month"`
		Customers     int    `json:"customers"`
		Statements    int    `json:"statements"`
		Saved         int    `json:"saved"`
		Difference    int    `json:"with_difference"`
		Failed        int    `json:"failed"`
		Confirmed     int    `json:"confirmed"`
		Retrying      int    `json:"retrying"`
		DifferenceSum string `json:"difference_sum"`
	}
	raw, err := c.call("GET", "/admin/api/statements/summary", q, nil, &s)
	if err != nil || c.emit(raw) {
		return err
	}
	fmt.Fprintf(c.out, "%s: %d customers, %d statements: %d saved, %d with a difference (sum %s), %d failed, %d kept (confirmed), %d retrying\n",
		s.Month, s.Customers, s.Statements, s.Saved, s.Difference, s.DifferenceSum, s.Failed, s.Confirmed, s.Retrying)
	return nil
}
