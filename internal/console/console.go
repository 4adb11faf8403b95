// Package console is the reconciliation console for ERP staff at /console/
// on the admin listener: the month overview (cards, charts, the filterable
// table of statements with their 对账差异), one statement with its totals,
// rows, reconciliation equation and run history, a failed job with its
// reason and a replay button, and CSV downloads.
//
// Pages are rendered on the server with html/template from embedded files
// (no build step, no JavaScript needed); charts are inline SVG drawn here.
// Labels are Chinese first, with the 勤策 field name in small type for the
// integrator. The admin listener puts the console behind its token; the
// replay POST is refused cross-origin (http.CrossOriginProtection).
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// Path is where the console is mounted.
const Path = "/console"

// ChartMonths is how many months the counts chart shows.
const ChartMonths = 6

// maxExportRows bounds a CSV download of the list.
const maxExportRows = 100_000

//go:embed templates/*.html static/console.css
var files embed.FS

// Config wires the console.
type Config struct {
	// History is the run history it shows. Required.
	History *history.Store
	// Replay replays one failed job by task id (admin.Server.ReplayTask);
	// nil: the replay button is not shown.
	Replay func(ctx context.Context, taskID string) (action, note string, err error)
	// TaskState tells a task's state in asynq (admin.Server.TaskState); nil: not shown.
	TaskState func(ctx context.Context, taskID string) string
	// PublicError turns an error into the status and message a user may
	// see; nil: 500 and a generic message.
	PublicError func(error) (int, string)
	// MonitoringPath is the asynqmon UI's root, for links to tasks. Default "/monitoring".
	MonitoringPath string
	// DefaultTenant fills a statement link without a tenant (KSF_TENANT_ID).
	DefaultTenant string
	Logger        zerolog.Logger
	Now           func() time.Time // default time.Now
}

// Console is the console's http.Handler.
type Console struct {
	cfg  Config
	tmpl *template.Template
	css  template.CSS
	mux  *http.ServeMux
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.History == nil {
		return nil, errors.New("console: History is required")
	}
	if cfg.MonitoringPath == "" {
		cfg.MonitoringPath = "/monitoring"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t, err := template.New("").Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// The style sheet goes inline: one request per page, and a browser that
	// got the page with Basic credentials needs none for a second one.
	css, err := files.ReadFile("static/console.css")
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, tmpl: t, css: template.CSS(css), mux: http.NewServeMux()}
	c.mux.HandleFunc("GET "+Path+"/{$}", c.overview)
	c.mux.HandleFunc("GET "+Path+"/statement", c.statement)
	c.mux.HandleFunc("GET "+Path+"/export.csv", c.exportList)
	c.mux.HandleFunc("GET "+Path+"/statement.csv", c.exportOne)
	// A cross-site page cannot make the browser replay jobs: browsers
	// send Sec-Fetch-Site / Origin, and a cross-origin POST is refused.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.cfg.Logger.Warn().Str("origin", r.Header.Get("Origin")).Str("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")).
			Msg("console: cross-origin replay refused")
		c.errorPage(w, r, http.StatusForbidden, "跨站请求被拒绝：请在控制台页面上点击重新执行。(cross-origin request refused)")
	}))
	c.mux.Handle("POST "+Path+"/replay", cop.Handler(http.HandlerFunc(c.replay)))
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var b strings.Builder
	if err := c.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		c.cfg.Logger.Error().Err(err).Str("template", name).Str("path", r.URL.Path).Msg("console: render failed")
		http.Error(w, "内部错误 (internal error, see the admin log)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

type errorView struct {
	page
	Status  int
	Message string
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var b strings.Builder
	v := errorView{page: c.page("出错了"), Status: status, Message: msg}
	if err := c.tmpl.ExecuteTemplate(&b, "error.html", v); err != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail shows err as a page, with the status and words the admin API uses.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "内部错误，详情见管理日志 (internal error, details in the admin log)"
	switch {
	case errors.Is(err, history.ErrBadFilter):
		status, msg = http.StatusBadRequest, "筛选条件有误 (bad filter): "+err.Error()
	case errors.Is(err, history.ErrNotFound):
		status, msg = http.StatusNotFound, "没有这张对账单的记录 (no run recorded for this statement)"
	case c.cfg.PublicError != nil:
		status, msg = c.cfg.PublicError(err)
	}
	ev := c.cfg.Logger.Warn()
	if status >= 500 {
		ev = c.cfg.Logger.Error()
	}
	ev.Err(err).Int("status", status).Str("path", r.URL.Path).Msg("console request failed")
	c.errorPage(w, r, status, msg)
}

// page is what every page's layout needs.
type page struct {
	Title string
	CSS   template.CSS
	Path  string
	Now   string
}

func (c *Console) page(title string) page {
	return page{Title: title, CSS: c.css, Path: Path, Now: c.cfg.Now().In(tz.Shanghai).Format("2006-01-02 15:04")}
}

// filterFrom reads the overview's filters.
func filterFrom(q url.Values) history.Filter {
	return history.Filter{Tenant: q.Get("tenant"), Kind: q.Get("kind"), Month: q.Get("month"), Period: q.Get("period"),
		Customer: strings.TrimSpace(q.Get("customer")), Outcome: q.Get("outcome"), DifferenceOnly: q.Get("difference") == "1"}
}

// query writes f back as a query string (links keep the filters).
func query(f history.Filter, extra ...string) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("tenant", f.Tenant)
	set("kind", f.Kind)
	set("month", f.Month)
	set("period", f.Period)
	set("customer", f.Customer)
	set("outcome", f.Outcome)
	if f.DifferenceOnly {
		v.Set("difference", "1")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		set(extra[i], extra[i+1])
	}
	return v.Encode()
}

// statementQuery identifies one statement in a link.
func statementQuery(r *history.Record) string {
	return url.Values{"tenant": {r.Tenant}, "kind": {r.DataType}, "customer": {r.Customer}, "period": {r.Period()}}.Encode()
}

// oneFrom reads one statement's key.
func (c *Console) oneFrom(q url.Values) (history.PeriodKey, string, error) {
	kind := q.Get("kind")
	switch kind {
	case "", tasks.TypeStatement:
		kind = tasks.DataTypeStatement
	case tasks.TypeExpense:
		kind = tasks.DataTypeExpense
	}
	f := history.Filter{Kind: kind, Period: q.Get("period")}
	if err := f.Validate(); err != nil {
		return history.PeriodKey{}, "", err
	}
	tenant, customer := q.Get("tenant"), q.Get("customer")
	if tenant == "" {
		tenant = c.cfg.DefaultTenant
	}
	if tenant == "" || customer == "" || f.Period == "" {
		return history.PeriodKey{}, "", history.ErrNotFound
	}
	start, end, _ := strings.Cut(f.Period, "..")
	return history.PeriodKey{Tenant: tenant, DataType: f.Kind, StartDate: start, EndDate: end}, customer, nil
}

// GET /console/export.csv
func (c *Console) exportList(w http.ResponseWriter, r *http.Request) {
	f := filterFrom(r.URL.Query())
	p, err := c.cfg.History.Export(r.Context(), f, maxExportRows)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	name := "statements"
	if f.Month != "" {
		name += "-" + f.Month
	}
	history.SetCSVHeaders(w, name+".csv")
	_ = history.WriteListCSV(w, p.Items)
}

// GET /console/statement.csv
func (c *Console) exportOne(w http.ResponseWriter, r *http.Request) {
	key, customer, err := c.oneFrom(r.URL.Query())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	l, err := c.cfg.History.One(r.Context(), key, customer)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	history.SetCSVHeaders(w, "statement-"+history.FileNamePart(customer)+"-"+key.StartDate+".csv")
	_ = history.WriteStatementCSV(w, &l.Record, l.Statement, l.Expense)
}

// POST /console/replay (form: task_id, back)
func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Replay == nil {
		c.errorPage(w, r, http.StatusNotFound, "此进程未启用重新执行 (replay is not available here)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "表单无法读取 (bad form)")
		return
	}
	id := strings.TrimSpace(r.PostForm.Get("task_id"))
	if id == "" {
		c.errorPage(w, r, http.StatusBadRequest, "缺少任务编号 task_id (missing task_id)")
		return
	}
	action, note, err := c.cfg.Replay(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.cfg.Logger.Info().Str("task_id", id).Str("action", action).Msg("console: replay")
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, Path+"/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = Path + "/"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+url.Values{"replayed": {action}, "note": {note}}.Encode(), http.StatusSeeOther)
}
