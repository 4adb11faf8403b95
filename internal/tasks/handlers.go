package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/ksfsync/ksfsync/internal/retry"
	"github.com/ksfsync/ksfsync/internal/statement"
)

// Waiqin is what the worker needs of 勤策: the customer list and the save
// calls. An adapter over the waiqin client picks the tenant's credentials.
type Waiqin interface {
	// Customers calls fn with every customer code getCustomers returns.
	Customers(ctx context.Context, tenantID string, fn func(code string) error) error
	SaveStatement(ctx context.Context, tenantID string, s *statement.Statement) error
	SaveExpense(ctx context.Context, tenantID string, e *statement.Expense) error
	SaveStatementError(ctx context.Context, tenantID string, log statement.ErrorLog) error
	SaveExpenseError(ctx context.Context, tenantID string, log statement.ErrorLog) error
}

// Built is one customer's statement, ready to save. Exactly one of
// Statement and Expense is set, by the job's data type.
type Built struct {
	Statement  *statement.Statement
	Expense    *statement.Expense
	Difference bool // the ledger and the bills disagree (goods statements)
	// DifferenceAmount is (zqmye − begin_balance) − (zjkje − (zchje − zthje)),
	// rounded to cents, also when within tolerance (goods statements).
	DifferenceAmount decimal.Decimal
	Lines            int // trade + detail rows, for logs
}

// Builder fetches one customer's source records for a period and builds the
// statement. Errors are classified with retry.IsPermanent / Permanent.
type Builder interface {
	Build(ctx context.Context, s Sync) (Built, error)
}

// BuilderFunc adapts a function to Builder.
type BuilderFunc func(ctx context.Context, s Sync) (Built, error)

// Build calls f.
func (f BuilderFunc) Build(ctx context.Context, s Sync) (Built, error) { return f(ctx, s) }

// Enqueuer is satisfied by *asynq.Client.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Coalescer joins requests for the same statement: a push and a scheduled
// run (or two pushes) asking for the same tenant, kind, customer and period
// while the first job still waits get one job. asynq's Unique option cannot
// do it: it keys on the whole payload, which names the request.
type Coalescer interface {
	// Claim is called before the fan-out queues sync task id for s. It
	// answers the id of another request's job that is still waiting for the
	// same statement (then id is not queued), or "" to queue id.
	Claim(ctx context.Context, s Sync, id string) (holder string, err error)
	// Release ends id's claim once its job is done (saved, or reported as
	// failed), so a later request builds again.
	Release(ctx context.Context, s Sync, id string) error
}

// RunTracker follows scheduled runs (Push.Scheduled) to their completion.
// Its errors are logged, never fail a job.
type RunTracker interface {
	FannedOut(ctx context.Context, p Push, res PushResult) error
	SyncDone(ctx context.Context, s Sync, ok bool) error
}

// Observer is told what the worker does (metrics). Nil is allowed.
type Observer interface {
	JobProcessed(kind, outcome string, d time.Duration)
	StatementSaved(kind string)
	ErrorLogSent(kind string)
	ReconcileDifference(kind string)
}

// Job outcomes reported to the Observer and logged.
const (
	OutcomeOK        = "ok"        // done
	OutcomeRetry     = "retry"     // transient failure, asynq will retry
	OutcomeFailed    = "failed"    // permanent or retries exhausted: reported to 勤策, archived
	OutcomeMalformed = "malformed" // payload unreadable: archived
	// OutcomeConfirmed: 勤策 holds the statement in a final state; it was
	// kept, the job reported why with save*Error and is archived.
	OutcomeConfirmed = "confirmed"
)

// Handlers processes every ksfsync task kind. Register it on an asynq.ServeMux.
type Handlers struct {
	Waiqin     Waiqin
	Statements Builder // goods statements (KSF_STATEMENT_SOURCE)
	Expenses   Builder // expense statements (KSF_EXPENSE_SOURCE)
	Enqueuer   Enqueuer
	Observer   Observer
	Logger     zerolog.Logger
	// Coalescer, when set, joins requests for the same statement (nil: every
	// request gets its own jobs).
	Coalescer Coalescer
	// Runs, when set, follows scheduled runs to completion.
	Runs RunTracker
	// Held answers which statements 勤策 holds; nil = never ask (every
	// statement is saved, as with KSF_CONFIRMED_POLICY=overwrite).
	Held Held
	// Confirmed is each tenant's policy before a save; the "" key is the
	// default for tenants without their own. Missing: keep, 已确认.
	Confirmed map[string]ConfirmedPolicy
	// InteractiveMax: a push naming at most this many customers is fanned
	// out to QueueInteractive (SyncQueue); 0 = every sync task on QueueSync.
	// The worker sets KSF_INTERACTIVE_MAX_CUSTOMERS.
	InteractiveMax int
	// Recorder keeps how each sync job ended (the run history); nil = none.
	Recorder Recorder

	attempt func(ctx context.Context) (retried int, final bool) // tests
}

// attemptOf tells how many times the running task was retried and whether
// this is its last try.
func (h *Handlers) attemptOf(ctx context.Context) (int, bool) {
	if h.attempt != nil {
		return h.attempt(ctx)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	return retried, ok && retried >= maxRetry
}

// Register routes each kind to its handler.
func (h *Handlers) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypePush, h.HandlePush)
	mux.HandleFunc(TypeStatement, h.HandleSync)
	mux.HandleFunc(TypeExpense, h.HandleSync)
	mux.HandleFunc(TypeReport, h.HandleReport)
}

// HandlePush fans a push out to one sync task per customer. Each sync task's
// ID derives from the push and the customer, so a re-run after a crash adds
// nothing twice; the counts are written as the task's result.
func (h *Handlers) HandlePush(ctx context.Context, t *asynq.Task) (err error) {
	start := time.Now()
	var p Push
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		h.done(t.Type(), OutcomeMalformed, start, h.Logger.Error().Err(err))
		return toAsynq(retry.Permanent(fmt.Errorf("decode push payload: %w", err)))
	}
	res := PushResult{Kind: SyncKind(p.DataType), Queue: SyncQueue(p, h.InteractiveMax)}
	defer func() {
		ev := h.Logger.Info()
		outcome := OutcomeOK
		if err != nil {
			ev, outcome = h.Logger.Warn().Err(err), OutcomeRetry
		}
		h.done(t.Type(), outcome, start, ev.Str("tenant", p.TenantID).Str("msg_id", p.MsgID).
			Str("data_type", p.DataType).Int("customers", res.Customers).
			Int("fanned_out", res.FannedOut).Int("already_queued", res.AlreadyQueued).Int("coalesced", res.Coalesced).Str("origin", p.Origin).Str("queue", res.Queue).
			Str("period", p.Data.StartDate+".."+p.Data.EndDate))
	}()
	if !ValidDataType(p.DataType) {
		return toAsynq(retry.Permanent(fmt.Errorf("unknown data type %q", p.DataType)))
	}
	enqueue := func(code string) error {
		res.Customers++
		s := Sync{TenantID: p.TenantID, MsgID: p.MsgID, DataType: p.DataType,
			CustomerCode: code, StartDate: p.Data.StartDate, EndDate: p.Data.EndDate}
		if h.Coalescer != nil {
			id := SyncTaskID(s.TenantID, s.MsgID, s.DataType, s.CustomerCode)
			holder, err := h.Coalescer.Claim(ctx, s, id)
			if err != nil {
				return fmt.Errorf("coalesce sync task of customer %s: %w", code, err)
			}
			if holder != "" && holder != id {
				res.Coalesced++
				return nil
			}
		}
		task, err := NewSyncTask(s)
		if err != nil {
			return err
		}
		switch _, err := h.Enqueuer.EnqueueContext(ctx, task, asynq.Queue(res.Queue)); {
		case errors.Is(err, asynq.ErrTaskIDConflict):
			res.AlreadyQueued++
		case err != nil:
			return fmt.Errorf("enqueue sync task of customer %s: %w", code, err)
		default:
			res.FannedOut++
		}
		return nil
	}
	if len(p.Data.CustomerCodes) == 0 {
		res.AllCustomers = true
		seen := make(map[string]struct{})
		err = h.Waiqin.Customers(ctx, p.TenantID, func(code string) error {
			if _, dup := seen[code]; dup || code == "" {
				return nil
			}
			seen[code] = struct{}{}
			return enqueue(code)
		})
		if err != nil {
			return fmt.Errorf("list customers: %w", err)
		}
	} else {
		for _, code := range p.Data.CustomerCodes {
			if err := enqueue(code); err != nil {
				return err
			}
		}
	}
	if rw := t.ResultWriter(); rw != nil { // nil outside an asynq server
		if b, err := json.Marshal(res); err == nil {
			_, _ = rw.Write(b) // the audit trail; a failed write loses no work
		}
	}
	if h.Runs != nil && p.Scheduled() {
		if err := h.Runs.FannedOut(ctx, p, res); err != nil {
			h.Logger.Warn().Err(err).Str("run", p.MsgID).Msg("recording a scheduled run's fan-out failed")
		}
	}
	return nil
}

// finished releases s's claim and tells the run tracker: the job is done
// (ok) or reported as failed.
func (h *Handlers) finished(ctx context.Context, s Sync, ok bool) {
	id := taskID(ctx)
	if h.Coalescer != nil && id != "" {
		if err := h.Coalescer.Release(ctx, s, id); err != nil {
			h.Logger.Warn().Err(err).Str("task_id", id).Msg("releasing a coalescing claim failed; it expires by itself")
		}
	}
	if h.Runs != nil {
		if err := h.Runs.SyncDone(ctx, s, ok); err != nil {
			h.Logger.Warn().Err(err).Str("run", s.MsgID).Msg("recording a scheduled run's progress failed")
		}
	}
}

// HandleSync builds one customer's statement and saves it to 勤策. A permanent
// failure is reported with save*Error at once and not retried; a transient
// one is retried, and reported when retries run out.
func (h *Handlers) HandleSync(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	var s Sync
	if err := json.Unmarshal(t.Payload(), &s); err != nil || !ValidDataType(s.DataType) {
		h.done(t.Type(), OutcomeMalformed, start, h.Logger.Error().Err(err).Str("task_id", taskID(ctx)))
		return toAsynq(retry.Permanent(fmt.Errorf("decode sync payload: %v", err)))
	}
	// kind, outcome and latency_ms are added by done, once.
	log := h.Logger.With().Str("task_id", taskID(ctx)).Str("tenant", s.TenantID).
		Str("msg_id", s.MsgID).Str("customer", s.CustomerCode).Str("period", s.StartDate+".."+s.EndDate).Logger()

	b, err := h.build(ctx, s)
	built := err == nil
	if err == nil {
		// Asked right before the save: the smallest window for a customer
		// to confirm in between.
		err = h.confirmed(ctx, s, b.number())
	}
	if err == nil {
		err = h.save(ctx, s, b)
	}
	run := Run{Sync: s, TaskID: taskID(ctx), Err: err}
	if built {
		run.Built = &b
	}
	if err == nil {
		if b.Difference {
			h.observe(func(o Observer) { o.ReconcileDifference(t.Type()) })
		}
		h.finished(ctx, s, true)
		h.end(ctx, run, RunSaved, "", start)
		h.done(t.Type(), OutcomeOK, start, log.Info().Int("lines", b.Lines).Bool("difference", b.Difference))
		return nil
	}
	if ctx.Err() != nil { // shutdown or timeout: asynq hands the task back
		h.end(ctx, run, RunRetrying, Reason(err), start)
		h.done(t.Type(), OutcomeRetry, start, log.Warn().Err(err))
		return err
	}
	permanent := retry.IsPermanent(err)
	retried, final := h.attemptOf(ctx)
	run.Retried = retried
	if !permanent && !final {
		h.end(ctx, run, RunRetrying, Reason(err), start)
		h.done(t.Type(), OutcomeRetry, start, log.Warn().Err(err).Int("retried", retried))
		return err
	}
	reason := Reason(err)
	if !permanent {
		reason = Truncate(fmt.Sprintf("重试%d次后仍失败: %s", retried, reason), maxReason)
	}
	if rerr := h.report(ctx, Report{Sync: s, Reason: reason, SyncTaskID: taskID(ctx)}); rerr != nil {
		// Neither reported nor queued for reporting: retry the whole job
		// rather than lose the failure.
		h.end(ctx, run, RunRetrying, reason, start)
		h.done(t.Type(), OutcomeRetry, start, log.Error().Err(rerr).AnErr("cause", err))
		return fmt.Errorf("%w (and reporting it failed: %v)", err, rerr)
	}
	h.finished(ctx, s, false)
	if errors.Is(err, ErrConfirmed) {
		h.end(ctx, run, RunConfirmed, reason, start) // before done: whoever sees the job end finds it in the history
		h.done(t.Type(), OutcomeConfirmed, start, log.Warn().Err(err).Str("reason", reason))
		return toAsynq(err)
	}
	h.end(ctx, run, RunFailed, reason, start)
	h.done(t.Type(), OutcomeFailed, start, log.Error().Err(err).Str("reason", reason).Bool("permanent", permanent))
	return toAsynq(err)
}

func (h *Handlers) build(ctx context.Context, s Sync) (Built, error) {
	b := h.builder(s.DataType)
	if b == nil {
		return Built{}, retry.Permanent(fmt.Errorf("no source configured for %s", s.DataType))
	}
	return b.Build(ctx, s)
}

// number is the built statement's number.
func (b Built) number() string {
	switch {
	case b.Statement != nil:
		return b.Statement.SerialNo
	case b.Expense != nil:
		return b.Expense.StatementNo
	}
	return ""
}

func (h *Handlers) save(ctx context.Context, s Sync, b Built) error {
	var err error
	switch {
	case s.DataType == DataTypeExpense && b.Expense != nil:
		err = h.Waiqin.SaveExpense(ctx, s.TenantID, b.Expense)
	case s.DataType == DataTypeStatement && b.Statement != nil:
		err = h.Waiqin.SaveStatement(ctx, s.TenantID, b.Statement)
	default:
		return retry.Permanent(fmt.Errorf("builder returned no %s", s.DataType))
	}
	if err == nil {
		h.observe(func(o Observer) { o.StatementSaved(s.Kind()) })
	}
	return err
}

// report sends the error log now, or queues a ksf:report job to send it.
func (h *Handlers) report(ctx context.Context, r Report) error {
	err := h.saveError(ctx, r)
	if err == nil {
		h.observe(func(o Observer) { o.ErrorLogSent(SyncKind(r.DataType)) })
		return nil
	}
	h.Logger.Warn().Err(err).Str("customer", r.CustomerCode).Msg("error log call failed; queueing a report job")
	task, terr := NewReportTask(r)
	if terr != nil {
		return terr
	}
	if _, terr = h.Enqueuer.EnqueueContext(ctx, task); terr != nil && !errors.Is(terr, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue report job: %w", terr)
	}
	return nil
}

// HandleReport repeats a save*Error call that failed inside a sync job.
func (h *Handlers) HandleReport(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	var r Report
	if err := json.Unmarshal(t.Payload(), &r); err != nil {
		h.done(t.Type(), OutcomeMalformed, start, h.Logger.Error().Err(err))
		return toAsynq(retry.Permanent(fmt.Errorf("decode report payload: %w", err)))
	}
	log := h.Logger.With().Str("task_id", taskID(ctx)).Str("tenant", r.TenantID).
		Str("customer", r.CustomerCode).Str("reason", r.Reason).Logger()
	err := h.saveError(ctx, r)
	switch {
	case err == nil:
		h.observe(func(o Observer) { o.ErrorLogSent(SyncKind(r.DataType)) })
		h.done(t.Type(), OutcomeOK, start, log.Info())
		return nil
	case retry.IsPermanent(err):
		h.done(t.Type(), OutcomeFailed, start, log.Error().Err(err))
		return toAsynq(err)
	default:
		h.done(t.Type(), OutcomeRetry, start, log.Warn().Err(err))
		return err
	}
}

// saveError calls saveStatementError or saveExpenseError by data type.
func (h *Handlers) saveError(ctx context.Context, r Report) error {
	l := statement.ErrorLog{CustomerCode: ErrorLogCustomer(r.CustomerCode), StartDate: r.StartDate, ErrorReason: r.Reason}
	if r.DataType == DataTypeExpense {
		return h.Waiqin.SaveExpenseError(ctx, r.TenantID, l)
	}
	return h.Waiqin.SaveStatementError(ctx, r.TenantID, l)
}

func (h *Handlers) done(kind, outcome string, start time.Time, ev *zerolog.Event) {
	d := time.Since(start)
	h.observe(func(o Observer) { o.JobProcessed(kind, outcome, d) })
	ev.Str("kind", kind).Str("outcome", outcome).Float64("latency_ms", float64(d.Microseconds())/1000).Msg("job")
}

func (h *Handlers) observe(f func(Observer)) {
	if h.Observer != nil {
		f(h.Observer)
	}
}

// toAsynq is the queue's edge of the retry contract: asynq does not know
// retry.ErrPermanent, so a permanent error handed back to it also wraps
// asynq.SkipRetry (archived at once, no retry). Nothing else in ksfsync
// uses SkipRetry.
func toAsynq(err error) error {
	if retry.IsPermanent(err) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

func taskID(ctx context.Context) string {
	id, _ := asynq.GetTaskID(ctx)
	return id
}

// builder builds statements of dataType (nil when none is configured).
func (h *Handlers) builder(dataType string) Builder {
	if dataType == DataTypeExpense {
		return h.Expenses
	}
	return h.Statements
}
