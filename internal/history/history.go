// Package history keeps the run history of statements in Redis: for every
// sync job that ends (saved, failed, retrying, kept because confirmed), a
// record keyed by tenant × kind × customer × period, a capped list of the
// runs before it, and the latest built statement body, gzip-compressed.
// The console (internal/console), the admin API and ksfctl read it.
//
// Keys (all under one Redis Cluster hash tag, like internal/failures; a
// period p is "<tenant>:<data type>:<start>:<end>", the tenant escaped):
//
//	ksf:history:{v1}:periods      ZSET  p → last write (ms)
//	ksf:history:{v1}:idx:<p>      HASH  customer → "at_ms|outcome|difference" (what lists and sums read)
//	ksf:history:{v1}:rec:<p>      HASH  customer → the latest Record as JSON
//	ksf:history:{v1}:body:<p>     HASH  customer → the latest built statement, gzip JSON
//	ksf:history:{v1}:runs:<p>:<c> LIST  the last Options.Runs records, newest first
//
// Growth is bounded: every key expires Options.Retention after its last
// write; beyond Options.MaxPeriods periods the least recently written
// period is deleted whole; a customer keeps Options.Runs runs per period;
// a body over Options.BodyMaxBytes compressed is not kept. What the caps
// push out is counted (Observer.HistoryDropped).
package history

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/statement"
	"github.com/ksfsync/ksfsync/internal/tasks"
	"github.com/ksfsync/ksfsync/internal/tz"
)

// Defaults of Options (and of the KSF_HISTORY_* settings).
const (
	DefaultRuns         = 20
	DefaultBodyMaxBytes = 256 << 10
	DefaultRetention    = 400 * 24 * time.Hour
	DefaultMaxPeriods   = 1000
	// KeyPrefix starts every key of the store.
	KeyPrefix = "ksf:history:"
)

const (
	keyPeriods = KeyPrefix + "{v1}:periods"
	keyIdx     = KeyPrefix + "{v1}:idx:"
	keyRec     = KeyPrefix + "{v1}:rec:"
	keyBody    = KeyPrefix + "{v1}:body:"
	keyRuns    = KeyPrefix + "{v1}:runs:"
)

// What the caps drop (Observer.HistoryDropped's label).
const (
	DroppedRun    = "run"    // an old run fell off a customer's capped run list
	DroppedBody   = "body"   // a statement body over BodyMaxBytes was not kept
	DroppedPeriod = "period" // a whole period was deleted (MaxPeriods or Retention)
)

// ErrNotFound: no record for the key asked.
var ErrNotFound = errors.New("no statement run recorded for this tenant, kind, customer and period")

// Options bound the store. The zero value is the documented defaults.
type Options struct {
	// Runs is how many runs a customer keeps per period, newest first, the
	// latest included (KSF_HISTORY_RUNS). Default DefaultRuns (20).
	Runs int
	// BodyMaxBytes caps a kept statement body, gzip-compressed
	// (KSF_HISTORY_BODY_MAX_BYTES). Default DefaultBodyMaxBytes (256 KiB).
	BodyMaxBytes int
	// Retention: every key expires this long after its last write
	// (KSF_HISTORY_RETENTION). Default DefaultRetention (400 days).
	Retention time.Duration
	// MaxPeriods caps the periods kept (tenant × kind × start..end); the
	// least recently written goes first (KSF_HISTORY_MAX_PERIODS). Default
	// DefaultMaxPeriods (1000).
	MaxPeriods int
	// Observer counts what the caps drop and failed writes; nil = none.
	Observer Observer
	Logger   zerolog.Logger
}

func (o Options) withDefaults() Options {
	if o.Runs <= 0 {
		o.Runs = DefaultRuns
	}
	if o.BodyMaxBytes <= 0 {
		o.BodyMaxBytes = DefaultBodyMaxBytes
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.MaxPeriods <= 0 {
		o.MaxPeriods = DefaultMaxPeriods
	}
	return o
}

// Observer is told what the history drops (metrics).
type Observer interface {
	HistoryDropped(what string, n int)
	HistoryWriteFailed()
}

// Totals are a statement's header totals as written to 勤策 (two decimals).
type Totals struct {
	BeginBalance string `json:"begin_balance,omitempty"` // 期初余额
	Zchje        string `json:"zchje,omitempty"`         // 本期出货金额
	Zthje        string `json:"zthje,omitempty"`         // 本期退货金额
	Zjkje        string `json:"zjkje,omitempty"`         // 本期缴款金额
	Zqmye        string `json:"zqmye,omitempty"`         // 期末余额
	Zchsl        string `json:"zchsl,omitempty"`         // 本期出货数量
	Zthsl        string `json:"zthsl,omitempty"`         // 本期退货数量
	Zjcsl        string `json:"zjcsl,omitempty"`         // 本期出货净数量
	TotalIn      string `json:"total_in,omitempty"`      // 入账合计 (expense statements)
	TotalOut     string `json:"total_out,omitempty"`     // 出账合计 (expense statements)
}

// Record is one run of a sync job.
type Record struct {
	Tenant      string    `json:"tenant"`
	DataType    string    `json:"data_type"` // ksf_statement or ksf_expense
	Customer    string    `json:"customer"`
	StartDate   string    `json:"start_date"`
	EndDate     string    `json:"end_date"`
	Outcome     string    `json:"outcome"` // saved, failed, retrying, confirmed
	Source      string    `json:"source,omitempty"`
	StatementNo string    `json:"statement_no,omitempty"`
	Trades      int       `json:"trades"`
	Details     int       `json:"details"`
	Totals      *Totals   `json:"totals,omitempty"`
	Difference  string    `json:"difference,omitempty"` // 对账差异, two decimals; "" = none found
	At          time.Time `json:"at"`
	TookMs      int64     `json:"took_ms"`
	TaskID      string    `json:"task_id,omitempty"`
	MsgID       string    `json:"msg_id,omitempty"` // the push or resync that caused it
	Retried     int       `json:"retried"`
	Error       string    `json:"error,omitempty"`  // the last error, for failed and retrying runs
	Reason      string    `json:"reason,omitempty"` // what 勤策 was told (≤ 100 characters)
	Vendor      string    `json:"vendor,omitempty"` // whose call failed: waiqin, oms, jdy, wdt
	// BodyKept: the statement body of this run is the one kept.
	BodyKept bool `json:"body_kept,omitempty"`
}

// Kind is the task kind of r (ksf:statement, ksf:expense).
func (r Record) Kind() string { return tasks.SyncKind(r.DataType) }

// Period is "start..end".
func (r Record) Period() string { return r.StartDate + ".." + r.EndDate }

// Month is the start date's month, yyyy-MM.
func (r Record) Month() string { return monthOf(r.StartDate) }

// HasDifference reports a 对账差异.
func (r Record) HasDifference() bool { return r.Difference != "" }

// Origin is "resync" when an operator asked for the run, "push" otherwise.
func (r Record) Origin() string {
	if strings.HasPrefix(r.MsgID, tasks.ResyncMsgIDPrefix) {
		return "resync"
	}
	if strings.HasPrefix(r.MsgID, tasks.ScheduleRunIDPrefix) {
		return "schedule"
	}
	return "push"
}

// Store is the run history on Redis.
type Store struct {
	rdb redis.UniversalClient
	opt Options
}

// New returns a store on rdb.
func New(rdb redis.UniversalClient, opt Options) *Store {
	return &Store{rdb: rdb, opt: opt.withDefaults()}
}

// Options are the store's bounds, defaults filled.
func (s *Store) Options() Options { return s.opt }

// PeriodKey identifies one tenant × data type × period.
type PeriodKey struct {
	Tenant, DataType, StartDate, EndDate string
}

var tenantEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

func (p PeriodKey) id() string {
	return tenantEscaper.Replace(p.Tenant) + ":" + p.DataType + ":" + p.StartDate + ":" + p.EndDate
}

// Month is the start date's month.
func (p PeriodKey) Month() string { return monthOf(p.StartDate) }

func parsePeriod(id string) (PeriodKey, bool) {
	parts := strings.Split(id, ":")
	if len(parts) != 4 {
		return PeriodKey{}, false
	}
	t := strings.NewReplacer("%3A", ":", "%25", "%").Replace(parts[0])
	return PeriodKey{Tenant: t, DataType: parts[1], StartDate: parts[2], EndDate: parts[3]}, true
}

func monthOf(date string) string {
	if len(date) >= 7 {
		return date[:7]
	}
	return date
}

// RecordRun implements tasks.Recorder: it writes r and never fails the job;
// a failed write is logged and counted.
func (s *Store) RecordRun(ctx context.Context, r tasks.Run) {
	rec, body := FromRun(r)
	if err := s.Write(ctx, rec, body); err != nil {
		s.opt.Logger.Warn().Err(err).Str("task_id", r.TaskID).Str("customer", rec.Customer).
			Msg("run history: write failed; the job itself is unaffected")
		if s.opt.Observer != nil {
			s.opt.Observer.HistoryWriteFailed()
		}
	}
}

// FromRun turns a job's end into a Record and, when a statement was
// built, the body to keep (its JSON as sent to 勤策).
func FromRun(r tasks.Run) (Record, any) {
	rec := Record{Tenant: r.Sync.TenantID, DataType: r.Sync.DataType, Customer: r.Sync.CustomerCode,
		StartDate: r.Sync.StartDate, EndDate: r.Sync.EndDate, Outcome: r.Outcome, Source: r.Source,
		At: r.At, TookMs: r.Took.Milliseconds(), TaskID: r.TaskID, MsgID: r.Sync.MsgID, Retried: r.Retried,
		Reason: r.Reason}
	if r.Err != nil {
		rec.Error = truncate(r.Err.Error(), 1000)
		rec.Vendor = vendorOf(r.Err)
		if rec.Vendor == "" && r.Built == nil {
			rec.Vendor = r.Source // the build failed on the source's data
		}
	}
	var body any
	if b := r.Built; b != nil {
		switch {
		case b.Statement != nil:
			st := b.Statement
			body = st
			rec.StatementNo = st.SerialNo
			rec.Trades = len(st.Trade)
			for i := range st.Trade {
				rec.Details += len(st.Trade[i].Detail)
			}
			rec.Totals = &Totals{BeginBalance: st.BeginBalance, Zchje: st.Zchje, Zthje: st.Zthje, Zjkje: st.Zjkje,
				Zqmye: st.Zqmye, Zchsl: st.Zchsl, Zthsl: st.Zthsl, Zjcsl: st.Zjcsl}
			if b.Difference {
				rec.Difference = b.DifferenceAmount.StringFixed(2)
			}
		case b.Expense != nil:
			e := b.Expense
			body = e
			rec.StatementNo = e.StatementNo
			rec.Trades = len(e.Trade)
			rec.Totals = &Totals{TotalIn: Ext(e.Exts, "入账合计"), TotalOut: Ext(e.Exts, "出账合计")}
		}
	}
	return rec, body
}

// Ext is the value of a trade's ext named key ("" without one).
func Ext(exts []statement.Ext, key string) string {
	for _, e := range exts {
		if e.Key == key {
			return e.Value
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// gzip writers are big (hundreds of KiB of state): reuse them.
var gzPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

func compress(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzPool.Get().(*gzip.Writer)
	defer gzPool.Put(zw)
	zw.Reset(&buf)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// idxValue is the short form lists and sums read: "at_ms|outcome|difference".
func idxValue(r *Record) string {
	return strconv.FormatInt(r.At.UnixMilli(), 10) + "|" + r.Outcome + "|" + r.Difference
}

type idxEntry struct {
	Customer   string
	At         int64
	Outcome    string
	Difference string
}

func parseIdx(customer, v string) (idxEntry, bool) {
	a, rest, ok := strings.Cut(v, "|")
	if !ok {
		return idxEntry{}, false
	}
	o, d, ok := strings.Cut(rest, "|")
	if !ok {
		return idxEntry{}, false
	}
	at, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return idxEntry{}, false
	}
	return idxEntry{Customer: customer, At: at, Outcome: o, Difference: d}, true
}

// Write keeps rec as the latest of its key, adds it to the key's runs and,
// when body is not nil, keeps body compressed (if within BodyMaxBytes).
func (s *Store) Write(ctx context.Context, rec Record, body any) error {
	if rec.At.IsZero() {
		rec.At = time.Now()
	}
	rec.At = rec.At.In(tz.Shanghai) // as operators and 勤策 read times
	p := PeriodKey{Tenant: rec.Tenant, DataType: rec.DataType, StartDate: rec.StartDate, EndDate: rec.EndDate}
	pid := p.id()
	var gz []byte
	if body != nil {
		var err error
		if gz, err = compress(body); err != nil {
			return fmt.Errorf("compress statement body: %w", err)
		}
		if len(gz) > s.opt.BodyMaxBytes {
			s.dropped(DroppedBody, 1)
			s.opt.Logger.Warn().Int("bytes", len(gz)).Int("max", s.opt.BodyMaxBytes).Str("customer", rec.Customer).
				Msg("run history: statement body over KSF_HISTORY_BODY_MAX_BYTES, not kept")
			gz = nil
		} else {
			rec.BodyKept = true
		}
	}
	js, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	ttl := s.opt.Retention
	runsKey := keyRuns + pid + ":" + rec.Customer
	var push *redis.IntCmd
	var added *redis.IntCmd
	_, err = s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, keyIdx+pid, rec.Customer, idxValue(&rec))
		pipe.HSet(ctx, keyRec+pid, rec.Customer, js)
		push = pipe.LPush(ctx, runsKey, js)
		pipe.LTrim(ctx, runsKey, 0, int64(s.opt.Runs-1))
		if gz != nil {
			pipe.HSet(ctx, keyBody+pid, rec.Customer, gz)
		} else if body != nil {
			// A newer statement was built but not kept: the old body is not
			// this record's, drop it rather than show a stale one.
			pipe.HDel(ctx, keyBody+pid, rec.Customer)
		}
		for _, k := range []string{keyIdx + pid, keyRec + pid, keyBody + pid, runsKey} {
			pipe.Expire(ctx, k, ttl)
		}
		added = pipe.ZAdd(ctx, keyPeriods, redis.Z{Score: float64(rec.At.UnixMilli()), Member: pid})
		return nil
	})
	if err != nil {
		return fmt.Errorf("write run history: %w", err)
	}
	if n := push.Val() - int64(s.opt.Runs); n > 0 {
		s.dropped(DroppedRun, int(n))
	}
	if added.Val() > 0 { // a new period: enforce the period bounds
		return s.trimPeriods(ctx, rec.At)
	}
	return nil
}

// trimPeriods deletes periods past Retention and beyond MaxPeriods.
func (s *Store) trimPeriods(ctx context.Context, now time.Time) error {
	old, err := s.rdb.ZRangeByScore(ctx, keyPeriods, &redis.ZRangeBy{Min: "-inf",
		Max: "(" + strconv.FormatInt(now.Add(-s.opt.Retention).UnixMilli(), 10)}).Result()
	if err != nil {
		return fmt.Errorf("run history: list old periods: %w", err)
	}
	n, err := s.rdb.ZCard(ctx, keyPeriods).Result()
	if err != nil {
		return fmt.Errorf("run history: count periods: %w", err)
	}
	if over := n - int64(len(old)) - int64(s.opt.MaxPeriods); over > 0 {
		more, err := s.rdb.ZRange(ctx, keyPeriods, int64(len(old)), int64(len(old))+over-1).Result()
		if err != nil {
			return fmt.Errorf("run history: list periods over the cap: %w", err)
		}
		old = append(old, more...)
	}
	for _, pid := range old {
		if err := s.deletePeriod(ctx, pid); err != nil {
			return err
		}
		s.dropped(DroppedPeriod, 1)
	}
	return nil
}

func (s *Store) deletePeriod(ctx context.Context, pid string) error {
	customers, err := s.rdb.HKeys(ctx, keyIdx+pid).Result()
	if err != nil {
		return fmt.Errorf("run history: customers of period %s: %w", pid, err)
	}
	keys := []string{keyIdx + pid, keyRec + pid, keyBody + pid}
	for _, c := range customers {
		keys = append(keys, keyRuns+pid+":"+c)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := s.rdb.Del(ctx, keys[:n]...).Err(); err != nil {
			return fmt.Errorf("run history: delete period %s: %w", pid, err)
		}
		keys = keys[n:]
	}
	return s.rdb.ZRem(ctx, keyPeriods, pid).Err()
}

func (s *Store) dropped(what string, n int) {
	if s.opt.Observer != nil {
		s.opt.Observer.HistoryDropped(what, n)
	}
}

// Periods lists the periods kept, most recently written first.
func (s *Store) Periods(ctx context.Context) ([]PeriodKey, error) {
	ids, err := s.rdb.ZRevRange(ctx, keyPeriods, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("run history: list periods: %w", err)
	}
	out := make([]PeriodKey, 0, len(ids))
	for _, id := range ids {
		if p, ok := parsePeriod(id); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Get returns the latest record of one key.
func (s *Store) Get(ctx context.Context, p PeriodKey, customer string) (Record, error) {
	v, err := s.rdb.HGet(ctx, keyRec+p.id(), customer).Bytes()
	if errors.Is(err, redis.Nil) {
		return Record{}, ErrNotFound
	}
	if err != nil {
		return Record{}, fmt.Errorf("run history: read record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return Record{}, fmt.Errorf("run history: decode record: %w", err)
	}
	return r, nil
}

// Runs returns the kept runs of one key, newest first.
func (s *Store) Runs(ctx context.Context, p PeriodKey, customer string) ([]Record, error) {
	vs, err := s.rdb.LRange(ctx, keyRuns+p.id()+":"+customer, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("run history: read runs: %w", err)
	}
	out := make([]Record, 0, len(vs))
	for _, v := range vs {
		var r Record
		if err := json.Unmarshal([]byte(v), &r); err == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// Body decodes the kept statement of one key into v (*statement.Statement
// or *statement.Expense); ErrNotFound when none is kept.
func (s *Store) Body(ctx context.Context, p PeriodKey, customer string, v any) error {
	gz, err := s.rdb.HGet(ctx, keyBody+p.id(), customer).Bytes()
	if errors.Is(err, redis.Nil) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("run history: read body: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return fmt.Errorf("run history: body: %w", err)
	}
	if err := json.NewDecoder(io.LimitReader(zr, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("run history: decode body: %w", err)
	}
	return nil
}

// sumDifference adds decimal texts exactly.
func sumDifference(sum decimal.Decimal, d string) decimal.Decimal {
	if d == "" {
		return sum
	}
	v, err := decimal.NewFromString(d)
	if err != nil {
		return sum
	}
	return sum.Add(v)
}

// One is one statement as kept: its latest record, the kept runs newest
// first, and the document sent to 勤策 when it was kept (Statement for a
// goods statement, Expense for an expense one; nil when not kept).
type One struct {
	Record    Record               `json:"record"`
	Runs      []Record             `json:"runs"`
	Statement *statement.Statement `json:"statement,omitempty"`
	Expense   *statement.Expense   `json:"expense,omitempty"`
}

// One reads one statement: ErrNotFound when nothing was recorded for it.
func (s *Store) One(ctx context.Context, p PeriodKey, customer string) (One, error) {
	var out One
	var err error
	if out.Record, err = s.Get(ctx, p, customer); err != nil {
		return out, err
	}
	if out.Runs, err = s.Runs(ctx, p, customer); err != nil {
		return out, err
	}
	if p.DataType == tasks.DataTypeExpense {
		var e statement.Expense
		if err = s.Body(ctx, p, customer, &e); err == nil {
			out.Expense = &e
		}
	} else {
		var st statement.Statement
		if err = s.Body(ctx, p, customer, &st); err == nil {
			out.Statement = &st
		}
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return out, err
	}
	return out, nil
}
