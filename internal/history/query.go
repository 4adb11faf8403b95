package history

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/upstream"
)

// Paging defaults of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// ErrBadFilter: a filter value that cannot match anything as written.
var ErrBadFilter = errors.New("bad filter")

// Outcomes a filter accepts.
var Outcomes = []string{tasks.RunSaved, tasks.RunFailed, tasks.RunRetrying, tasks.RunConfirmed}

var (
	monthRe  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	periodRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$`)
)

// Filter selects statements. Zero fields match everything.
type Filter struct {
	Tenant   string `json:"tenant,omitempty"`
	Kind     string `json:"kind,omitempty"`   // ksf:statement / ksf_statement, ksf:expense / ksf_expense
	Month    string `json:"month,omitempty"`  // yyyy-MM: periods starting in that month
	Period   string `json:"period,omitempty"` // yyyy-MM-dd..yyyy-MM-dd, exactly
	Customer string `json:"customer,omitempty"`
	Outcome  string `json:"outcome,omitempty"` // saved, failed, retrying, confirmed
	// DifferenceOnly keeps statements with a 对账差异.
	DifferenceOnly bool `json:"difference_only,omitempty"`
}

// Validate normalises f (kind as a data type) and rejects what cannot match.
func (f *Filter) Validate() error {
	switch f.Kind {
	case "", tasks.DataTypeStatement, tasks.DataTypeExpense:
	case tasks.TypeStatement:
		f.Kind = tasks.DataTypeStatement
	case tasks.TypeExpense:
		f.Kind = tasks.DataTypeExpense
	default:
		return fmt.Errorf("%w: kind %q is not ksf:statement, ksf:expense, ksf_statement or ksf_expense", ErrBadFilter, f.Kind)
	}
	if f.Month != "" && !monthRe.MatchString(f.Month) {
		return fmt.Errorf("%w: month %q is not yyyy-MM", ErrBadFilter, f.Month)
	}
	if f.Period != "" && !periodRe.MatchString(f.Period) {
		return fmt.Errorf("%w: period %q is not yyyy-MM-dd..yyyy-MM-dd", ErrBadFilter, f.Period)
	}
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		return fmt.Errorf("%w: outcome %q is not one of %s", ErrBadFilter, f.Outcome, strings.Join(Outcomes, ", "))
	}
	return nil
}

func (f *Filter) matchPeriod(p PeriodKey) bool {
	return (f.Tenant == "" || f.Tenant == p.Tenant) && (f.Kind == "" || f.Kind == p.DataType) &&
		(f.Month == "" || f.Month == p.Month()) && (f.Period == "" || f.Period == p.StartDate+".."+p.EndDate)
}

func (f *Filter) matchEntry(e *idxEntry) bool {
	return (f.Outcome == "" || f.Outcome == e.Outcome) && (!f.DifferenceOnly || e.Difference != "") &&
		(f.Customer == "" || strings.Contains(strings.ToLower(e.Customer), strings.ToLower(f.Customer)))
}

// Page is one page of List.
type Page struct {
	Total    int      `json:"total"`
	Page     int      `json:"page"`
	PageSize int      `json:"per_page"`
	Items    []Record `json:"items"`
}

type hit struct {
	p PeriodKey
	e idxEntry
}

// scan reads the short index of every period f selects.
func (s *Store) scan(ctx context.Context, f Filter) ([]hit, error) {
	periods, err := s.Periods(ctx)
	if err != nil {
		return nil, err
	}
	var sel []PeriodKey
	for _, p := range periods {
		if f.matchPeriod(p) {
			sel = append(sel, p)
		}
	}
	cmds := make([]*redis.MapStringStringCmd, len(sel))
	if len(sel) > 0 {
		_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, p := range sel {
				cmds[i] = pipe.HGetAll(ctx, keyIdx+p.id())
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("run history: read index: %w", err)
		}
	}
	var hits []hit
	for i, c := range cmds {
		for cust, v := range c.Val() {
			e, ok := parseIdx(cust, v)
			if ok && f.matchEntry(&e) {
				hits = append(hits, hit{sel[i], e})
			}
		}
	}
	return hits, nil
}

// List returns the statements f selects, newest first, one page (page from
// 1, size up to MaxPageSize; 0 = DefaultPageSize).
func (s *Store) List(ctx context.Context, f Filter, page, size int) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	if page <= 0 {
		page = 1
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	return s.list(ctx, f, page, min(size, MaxPageSize))
}

// Export returns up to limit statements f selects, newest first, in one
// answer (CSV downloads); Page.Total tells how many matched.
func (s *Store) Export(ctx context.Context, f Filter, limit int) (Page, error) {
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	return s.list(ctx, f, 1, max(limit, 1))
}

func (s *Store) list(ctx context.Context, f Filter, page, size int) (Page, error) {
	hits, err := s.scan(ctx, f)
	if err != nil {
		return Page{}, err
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(b.e.At, a.e.At); c != 0 {
			return c
		}
		if c := cmp.Compare(a.e.Customer, b.e.Customer); c != 0 {
			return c
		}
		return cmp.Compare(a.p.id(), b.p.id())
	})
	out := Page{Total: len(hits), Page: page, PageSize: size, Items: []Record{}}
	from := (page - 1) * size
	if from >= len(hits) {
		return out, nil
	}
	hits = hits[from:min(from+size, len(hits))]
	for len(hits) > 0 { // a pipeline of at most MaxPageSize reads at a time
		chunk := hits[:min(len(hits), MaxPageSize)]
		hits = hits[len(chunk):]
		cmds := make([]*redis.StringCmd, len(chunk))
		_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, h := range chunk {
				cmds[i] = pipe.HGet(ctx, keyRec+h.p.id(), h.e.Customer)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return Page{}, fmt.Errorf("run history: read records: %w", err)
		}
		for _, c := range cmds {
			var r Record
			if b, err := c.Bytes(); err == nil && json.Unmarshal(b, &r) == nil {
				out.Items = append(out.Items, r)
			}
		}
	}
	return out, nil
}

// CustomerDifference is one customer's 对账差异 in a month.
type CustomerDifference struct {
	Tenant     string `json:"tenant"`
	Customer   string `json:"customer"`
	StartDate  string `json:"start_date"`
	EndDate    string `json:"end_date"`
	Difference string `json:"difference"`
}

// Summary counts one month's statements.
type Summary struct {
	Month      string `json:"month"`
	Customers  int    `json:"customers"`  // distinct customer codes
	Statements int    `json:"statements"` // tenant × kind × customer × period keys
	Saved      int    `json:"saved"`
	Difference int    `json:"with_difference"`
	Failed     int    `json:"failed"`
	Confirmed  int    `json:"confirmed"` // kept because 勤策 holds them as 已确认
	Retrying   int    `json:"retrying"`
	// DifferenceSum adds every 对账差异 (two decimals, exact).
	DifferenceSum string `json:"difference_sum"`
	// Differences: the customers with a difference, largest absolute first.
	Differences []CustomerDifference `json:"differences"`
}

// Summarize counts the statements of f's month (f.Month required; the
// outcome, customer and difference filters apply too).
func (s *Store) Summarize(ctx context.Context, f Filter) (Summary, error) {
	if err := f.Validate(); err != nil {
		return Summary{}, err
	}
	if f.Month == "" {
		return Summary{}, fmt.Errorf("%w: month (yyyy-MM) is required", ErrBadFilter)
	}
	hits, err := s.scan(ctx, f)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Month: f.Month, Statements: len(hits), Differences: []CustomerDifference{}}
	customers := make(map[string]struct{}, len(hits))
	total := decimal.Zero
	for _, h := range hits {
		customers[h.p.Tenant+"\x00"+h.e.Customer] = struct{}{}
		switch h.e.Outcome {
		case tasks.RunSaved:
			sum.Saved++
		case tasks.RunFailed:
			sum.Failed++
		case tasks.RunConfirmed:
			sum.Confirmed++
		case tasks.RunRetrying:
			sum.Retrying++
		}
		if h.e.Difference != "" {
			sum.Difference++
			total = sumDifference(total, h.e.Difference)
			sum.Differences = append(sum.Differences, CustomerDifference{Tenant: h.p.Tenant, Customer: h.e.Customer,
				StartDate: h.p.StartDate, EndDate: h.p.EndDate, Difference: h.e.Difference})
		}
	}
	sum.Customers = len(customers)
	sum.DifferenceSum = total.StringFixed(2)
	slices.SortFunc(sum.Differences, func(a, b CustomerDifference) int {
		da, _ := decimal.NewFromString(a.Difference)
		db, _ := decimal.NewFromString(b.Difference)
		if c := db.Abs().Cmp(da.Abs()); c != 0 {
			return c
		}
		return cmp.Compare(a.Customer, b.Customer)
	})
	return sum, nil
}

// Months summarizes the n months ending with f.Month, oldest first; the
// last one (f.Month) is Summarize's answer, the others carry no Differences.
func (s *Store) Months(ctx context.Context, f Filter, n int) ([]Summary, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	end, err := time.Parse("2006-01", f.Month)
	if err != nil {
		return nil, fmt.Errorf("%w: month (yyyy-MM) is required", ErrBadFilter)
	}
	out := make([]Summary, 0, n)
	for i := n - 1; i >= 0; i-- {
		g := f
		g.Month = end.AddDate(0, -i, 0).Format("2006-01")
		sm, err := s.Summarize(ctx, g)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			sm.Differences = nil // only the counts are wanted, but f.Month's in full
		}
		out = append(out, sm)
	}
	return out, nil
}

// LatestMonth is the month of the most recently written period f selects
// ("" when none): what the console opens on.
func (s *Store) LatestMonth(ctx context.Context, f Filter) (string, error) {
	periods, err := s.Periods(ctx)
	if err != nil {
		return "", err
	}
	f.Month = ""
	for _, p := range periods {
		if f.matchPeriod(p) {
			return p.Month(), nil
		}
	}
	return "", nil
}

func vendorOf(err error) string {
	if e, ok := upstream.As(err); ok {
		return e.Vendor
	}
	return ""
}
