package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// maxExportRows bounds a CSV export of the list.
const maxExportRows = 100_000

// statementFilter reads the list filters from the query string.
func statementFilter(q url.Values) (history.Filter, error) {
	f := history.Filter{Tenant: q.Get("tenant"), Kind: q.Get("kind"), Month: q.Get("month"), Period: q.Get("period"),
		Customer: q.Get("customer"), Outcome: q.Get("outcome")}
	switch d := q.Get("difference"); d {
	case "", "0", "false":
	case "1", "true":
		f.DifferenceOnly = true
	default:
		return f, errorf(http.StatusBadRequest, "difference=%q: use 1 (with a difference only) or leave it out", d)
	}
	for k := range q {
		switch k {
		case "tenant", "kind", "month", "period", "customer", "outcome", "difference", "page", "per_page":
		default:
			return f, errorf(http.StatusBadRequest, "unknown parameter %q: filters are tenant, kind, month, period, customer, outcome, difference, page, per_page", k)
		}
	}
	return f, f.Validate()
}

// GET /admin/api/statements
func (s *Server) listStatements(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := statementFilter(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg, err := pageFrom(q) // as /failed and /pushes: per_page capped, not refused
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.cfg.History.List(r.Context(), f, pg.Number, pg.Size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// GET /admin/api/statements/export.csv
func (s *Server) exportStatements(w http.ResponseWriter, r *http.Request) {
	f, err := statementFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.cfg.History.Export(r.Context(), f, maxExportRows)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	history.SetCSVHeaders(w, "statements.csv")
	_ = history.WriteListCSV(w, p.Items)
}

// GET /admin/api/statements/summary
func (s *Server) statementSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := statementFilter(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Month == "" {
		if f.Month, err = s.cfg.History.LatestMonth(r.Context(), f); err != nil {
			s.fail(w, r, err)
			return
		}
		if f.Month == "" {
			f.Month = s.cfg.Now().In(tz.Shanghai).Format("2006-01")
		}
	}
	sum, err := s.cfg.History.Summarize(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// loadOne reads the statement the request names.
func (s *Server) loadOne(r *http.Request) (history.One, error) {
	key, customer, err := oneKey(r.URL.Query(), s.cfg.DefaultTenant)
	if err != nil {
		return history.One{}, err
	}
	return s.cfg.History.One(r.Context(), key, customer)
}

// oneKey reads tenant, kind, customer and period of one statement.
func oneKey(q url.Values, defTenant string) (history.PeriodKey, string, error) {
	f := history.Filter{Kind: q.Get("kind"), Period: q.Get("period")}
	if f.Kind == "" {
		f.Kind = tasks.DataTypeStatement
	}
	if err := f.Validate(); err != nil {
		return history.PeriodKey{}, "", err
	}
	tenant, customer := q.Get("tenant"), q.Get("customer")
	if tenant == "" {
		tenant = defTenant
	}
	if tenant == "" || customer == "" || f.Period == "" {
		return history.PeriodKey{}, "", errorf(http.StatusBadRequest,
			"give tenant, customer and period (yyyy-MM-dd..yyyy-MM-dd); kind defaults to ksf_statement")
	}
	start, end, _ := strings.Cut(f.Period, "..")
	return history.PeriodKey{Tenant: tenant, DataType: f.Kind, StartDate: start, EndDate: end}, customer, nil
}

// GET /admin/api/statements/one
func (s *Server) getStatement(w http.ResponseWriter, r *http.Request) {
	one, err := s.loadOne(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if one.Runs == nil {
		one.Runs = []history.Record{}
	}
	writeJSON(w, http.StatusOK, one)
}

// GET /admin/api/statements/one.csv
func (s *Server) exportStatement(w http.ResponseWriter, r *http.Request) {
	one, err := s.loadOne(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	history.SetCSVHeaders(w, "statement-"+history.FileNamePart(one.Record.Customer)+"-"+one.Record.StartDate+".csv")
	_ = history.WriteStatementCSV(w, &one.Record, one.Statement, one.Expense)
}
