package console

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
)

var kindLabels = map[string]string{tasks.DataTypeStatement: "货款对账单", tasks.DataTypeExpense: "费用对账单"}

var vendorLabels = map[string]string{"waiqin": "勤策", "oms": "商派OMS", "jdy": "金蝶精斗云", "wdt": "旺店通"}

var funcs = template.FuncMap{
	"ext":     history.Ext,
	"outcome": func(o string) string { return history.OutcomeLabels[o] },
	"kind":    func(k string) string { return kindLabels[k] },
	"vendor": func(v string) string {
		if l := vendorLabels[v]; l != "" {
			return l
		}
		return v
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(tz.Shanghai).Format("2006-01-02 15:04:05")
	},
	"negative": func(s string) bool { return strings.HasPrefix(s, "-") },
	"origin": func(r history.Record) string {
		switch r.Origin() {
		case "resync":
			return "手工重推 resync"
		case "schedule":
			return "定时 schedule"
		}
		return "勤策推送 push"
	},
}

// filterOption is one choice of a select.
type filterOption struct {
	Value, Label string
	Selected     bool
}

func options(cur string, pairs ...string) []filterOption {
	out := make([]filterOption, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, filterOption{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == cur})
	}
	return out
}

type card struct {
	Label, Field, Value, Class, Href string
}

type row struct {
	history.Record
	Link string
}

type overviewView struct {
	page
	Filter    history.Filter
	Months    []filterOption
	Kinds     []filterOption
	Outcomes  []filterOption
	Tenants   []filterOption
	Cards     []card
	DiffSum   string
	DiffChart *barChart
	Counts    *countChart
	Rows      []row
	Total     int
	Page      int
	Pages     int
	PrevLink  string
	NextLink  string
	CSVLink   string
	Flash     string
}

// GET /console/
func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := filterFrom(q)
	if f.Month == "" && f.Period == "" {
		m, err := c.cfg.History.LatestMonth(ctx, f)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if m == "" {
			m = c.cfg.Now().In(tz.Shanghai).Format("2006-01")
		}
		f.Month = m
	}
	if err := f.Validate(); err != nil {
		c.fail(w, r, err)
		return
	}
	pageNo, _ := strconv.Atoi(q.Get("page"))
	if pageNo < 1 {
		pageNo = 1
	}
	const size = 50
	list, err := c.cfg.History.List(ctx, f, pageNo, size)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	// The cards and charts count the whole month (tenant and kind apply),
	// whatever the table's other filters.
	month := f.Month
	if month == "" {
		month = f.Period[:7]
	}
	mf := history.Filter{Tenant: f.Tenant, Kind: f.Kind, Month: month}
	months, err := c.cfg.History.Months(ctx, mf, ChartMonths)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sum := months[len(months)-1] // the month itself, differences included
	periods, err := c.cfg.History.Periods(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := overviewView{page: c.page("对账总览 " + month), Filter: f, Total: list.Total, Page: pageNo,
		CSVLink: Path + "/export.csv?" + query(f)}
	v.Pages = max(1, (list.Total+size-1)/size)
	if pageNo > 1 {
		v.PrevLink = Path + "/?" + query(f, "page", strconv.Itoa(pageNo-1))
	}
	if pageNo < v.Pages {
		v.NextLink = Path + "/?" + query(f, "page", strconv.Itoa(pageNo+1))
	}
	v.Months, v.Tenants = monthOptions(periods, f.Month, c.cfg.Now()), tenantOptions(periods, f.Tenant)
	v.Kinds = options(f.Kind, "", "全部类型", tasks.DataTypeStatement, kindLabels[tasks.DataTypeStatement],
		tasks.DataTypeExpense, kindLabels[tasks.DataTypeExpense])
	ol := history.OutcomeLabels
	v.Outcomes = options(f.Outcome, "", "全部结果", tasks.RunSaved, ol[tasks.RunSaved], tasks.RunFailed, ol[tasks.RunFailed],
		tasks.RunConfirmed, ol[tasks.RunConfirmed], tasks.RunRetrying, ol[tasks.RunRetrying])
	base := mf
	link := func(g history.Filter) string { return Path + "/?" + query(g) }
	withOutcome := func(o string) history.Filter { g := base; g.Outcome = o; return g }
	withDiff := base
	withDiff.DifferenceOnly = true
	v.Cards = []card{
		{Label: "客户", Field: "customers", Value: strconv.Itoa(sum.Customers), Href: link(base)},
		{Label: "已保存", Field: "saved", Value: strconv.Itoa(sum.Saved), Class: "ok", Href: link(withOutcome(tasks.RunSaved))},
		{Label: "有差异", Field: "with_difference", Value: strconv.Itoa(sum.Difference), Class: warnIf(sum.Difference > 0), Href: link(withDiff)},
		{Label: "失败", Field: "failed", Value: strconv.Itoa(sum.Failed), Class: badIf(sum.Failed > 0), Href: link(withOutcome(tasks.RunFailed))},
		{Label: "已确认未覆盖", Field: "confirmed", Value: strconv.Itoa(sum.Confirmed), Class: "info", Href: link(withOutcome(tasks.RunConfirmed))},
	}
	if sum.Retrying > 0 {
		v.Cards = append(v.Cards, card{Label: "重试中", Field: "retrying", Value: strconv.Itoa(sum.Retrying), Class: "warn", Href: link(withOutcome(tasks.RunRetrying))})
	}
	v.DiffSum = sum.DifferenceSum
	v.DiffChart = differenceChart(sum.Differences, func(d history.CustomerDifference) string {
		return Path + "/statement?" + url.Values{"tenant": {d.Tenant}, "kind": {tasks.DataTypeStatement},
			"customer": {d.Customer}, "period": {d.StartDate + ".." + d.EndDate}}.Encode()
	})
	v.Counts = monthsChart(months)
	for _, rec := range list.Items {
		v.Rows = append(v.Rows, row{Record: rec, Link: Path + "/statement?" + statementQuery(&rec)})
	}
	if a := q.Get("replayed"); a != "" {
		v.Flash = "已提交重新执行 (replay: " + a + ")"
	}
	c.render(w, r, "overview.html", v)
}

func warnIf(b bool) string {
	if b {
		return "warn"
	}
	return ""
}

func badIf(b bool) string {
	if b {
		return "bad"
	}
	return ""
}

// monthOptions: this month and the 11 before it, plus every month the
// history has.
func monthOptions(periods []history.PeriodKey, cur string, now time.Time) []filterOption {
	seen := map[string]bool{}
	var ms []string
	add := func(m string) {
		if m != "" && !seen[m] {
			seen[m] = true
			ms = append(ms, m)
		}
	}
	first := time.Date(now.In(tz.Shanghai).Year(), now.In(tz.Shanghai).Month(), 1, 0, 0, 0, 0, tz.Shanghai)
	for i := range 12 {
		add(first.AddDate(0, -i, 0).Format("2006-01"))
	}
	for _, p := range periods {
		add(p.Month())
	}
	add(cur)
	slices.Sort(ms)
	slices.Reverse(ms)
	out := make([]filterOption, len(ms))
	for i, m := range ms {
		out[i] = filterOption{Value: m, Label: m, Selected: m == cur}
	}
	return out
}

func tenantOptions(periods []history.PeriodKey, cur string) []filterOption {
	out := []filterOption{{Value: "", Label: "全部租户", Selected: cur == ""}}
	seen := map[string]bool{}
	for _, p := range periods {
		if !seen[p.Tenant] {
			seen[p.Tenant] = true
			out = append(out, filterOption{Value: p.Tenant, Label: p.Tenant, Selected: p.Tenant == cur})
		}
	}
	if cur != "" && !seen[cur] {
		out = append(out, filterOption{Value: cur, Label: cur, Selected: true})
	}
	return out
}

// totalField is one header total on the statement page.
type totalField struct {
	Label, Field, Value, Class string
}

// equation is the reconciliation check of a goods statement.
type equation struct {
	BeginBalance, EndBalance, Payments, Sales, Returns string
	Moved, Explained, Difference                       string
	Balanced                                           bool
}

type statementView struct {
	page
	Rec        history.Record
	Kind       string
	Totals     []totalField
	Eq         *equation
	St         *statement.Statement
	Ex         *statement.Expense
	ExtKeys    []string // an expense statement's trade ext columns
	Runs       []history.Record
	Failed     bool
	TaskState  string
	TaskLink   string
	CanReplay  bool
	Back       string
	CSVLink    string
	ListLink   string
	Flash      string
	BodyAbsent bool
}

// GET /console/statement
func (c *Console) statement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, customer, err := c.oneFrom(r.URL.Query())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	l, err := c.cfg.History.One(ctx, key, customer)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rec := l.Record
	v := statementView{page: c.page(customer + " " + kindLabels[key.DataType] + " " + rec.Period()), Rec: rec,
		Kind: kindLabels[key.DataType], St: l.Statement, Ex: l.Expense, Runs: l.Runs,
		Failed:   rec.Outcome == tasks.RunFailed || rec.Outcome == tasks.RunRetrying,
		Back:     Path + "/statement?" + statementQuery(&rec),
		CSVLink:  Path + "/statement.csv?" + statementQuery(&rec),
		ListLink: Path + "/?" + query(history.Filter{Tenant: rec.Tenant, Month: rec.Month()}),
	}
	v.BodyAbsent = l.Statement == nil && l.Expense == nil
	if t := rec.Totals; t != nil {
		if key.DataType == tasks.DataTypeExpense {
			v.Totals = []totalField{{"入账合计", "total_in", t.TotalIn, ""}, {"出账合计", "total_out", t.TotalOut, ""}}
		} else {
			v.Totals = []totalField{{"期初余额", "begin_balance", t.BeginBalance, ""}, {"本期出货金额", "zchje", t.Zchje, ""},
				{"本期退货金额", "zthje", t.Zthje, ""}, {"本期缴款金额", "zjkje", t.Zjkje, ""}, {"期末余额", "zqmye", t.Zqmye, ""},
				{"本期出货数量", "zchsl", t.Zchsl, ""}, {"本期退货数量", "zthsl", t.Zthsl, ""}, {"本期出货净数量", "zjcsl", t.Zjcsl, ""}}
			diff := rec.Difference
			cls := "ok"
			if diff == "" {
				diff = "0.00"
			} else {
				cls = "bad"
			}
			v.Totals = append(v.Totals, totalField{"对账差异", "difference", diff, cls})
			v.Eq = equationOf(t)
		}
	}
	if l.Expense != nil {
		v.ExtKeys = history.ExtKeys(l.Expense)
	}
	if v.Failed && rec.TaskID != "" {
		v.TaskLink = c.cfg.MonitoringPath + "/queues/" + tasks.QueueSync + "/tasks/" + url.PathEscape(rec.TaskID)
		if c.cfg.TaskState != nil {
			v.TaskState = c.cfg.TaskState(ctx, rec.TaskID)
		}
		v.CanReplay = c.cfg.Replay != nil && rec.Outcome == tasks.RunFailed
	}
	if a := r.URL.Query().Get("replayed"); a != "" {
		v.Flash = "已提交重新执行 (replay: " + a + ")，刷新本页查看结果。"
	}
	c.render(w, r, "statement.html", v)
}

func equationOf(t *history.Totals) *equation {
	begin, end, pay, sales, ret := amount(t.BeginBalance), amount(t.Zqmye), amount(t.Zjkje), amount(t.Zchje), amount(t.Zthje)
	moved := end.Sub(begin)
	explained := pay.Sub(sales.Sub(ret))
	diff := moved.Sub(explained)
	return &equation{BeginBalance: t.BeginBalance, EndBalance: t.Zqmye, Payments: t.Zjkje, Sales: t.Zchje, Returns: t.Zthje,
		Moved: moved.StringFixed(2), Explained: explained.StringFixed(2), Difference: diff.StringFixed(2), Balanced: diff.IsZero()}
}
