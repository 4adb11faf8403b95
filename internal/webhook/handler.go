package webhook

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// Routes.
const (
	PushPath    = "/waiqin/push"
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
)

// DefaultEnqueueTimeout bounds the Redis part of a push, so a dead or stuck
// Redis gets a 503 in under a second (勤策 waits 5 s).
const DefaultEnqueueTimeout = 800 * time.Millisecond

// Body limits against slow senders (a trickled body holds its buffer and
// goroutine for as long as the sender likes): see Options.
const (
	// DefaultBodyTimeout: 勤策 itself gives up after 5 s.
	DefaultBodyTimeout = 10 * time.Second
	// DefaultMaxLargeBodies bounds the memory slow large bodies can hold
	// (each up to MaxBodyBytes) to about 32 MiB.
	DefaultMaxLargeBodies = 32
	// LargeBodyBytes: a body declared larger (or of unknown length) counts
	// against MaxLargeBodies. 勤策's pushes are a few hundred bytes; 5,000
	// customer codes are ~60 KB.
	LargeBodyBytes = 64 << 10
)

// Options wire a Handler.
type Options struct {
	// Client stores accepted pushes when Replay is nil (then required).
	// Build it on a Redis client with bounded timeouts (redisconn).
	Client *asynq.Client
	// Verifier returns the verifier of a tenant's push digests, or nil when
	// that tenant may not push here (401). Required.
	Verifier func(tenantID string) *digest.Verifier
	// Ready checks the queue's Redis for /readyz; nil = always ready.
	Ready func(ctx context.Context) error
	// Logger gets one line per push; the zero Logger logs nothing.
	Logger zerolog.Logger
	// Observer is told of every push; nil = NopObserver.
	Observer Observer
	// EnqueueTimeout bounds the Redis round trip; 0 = DefaultEnqueueTimeout.
	EnqueueTimeout time.Duration
	// Now stamps ReceivedAt; nil = time.Now.
	Now func() time.Time
	// Replay queues pushes in place of Client, recognising a signed push
	// re-sent under another msgId or tenant (answered 200 "already queued",
	// nothing queued) in the same Redis round trip; nil = Client queues
	// them, with no such check.
	Replay ReplayGuard
	// BodyTimeout is the read deadline of a push, from the moment its
	// headers are in (KSF_PUSH_BODY_TIMEOUT); a body not in by then gets
	// 400 and the connection is closed. 0 = DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxLargeBodies caps the bodies over LargeBodyBytes (or of unknown
	// length) being read at once (KSF_PUSH_MAX_LARGE_BODIES); one more gets
	// a fast 503, so 勤策 retries. Small pushes are never refused by it.
	// 0 = DefaultMaxLargeBodies.
	MaxLargeBodies int
}

// ReplayGuard queues pushes and remembers them by timestamp and digest
// (replay.Guard). Enqueue queues p as tasks.Enqueue does, unless another
// push was accepted with p.Timestamp and digest: then it queues nothing and
// returns that push as first, "{tenant}:{msgId}". An error means the push
// may or may not be stored (503).
type ReplayGuard interface {
	Enqueue(ctx context.Context, p tasks.Push, digest string) (alreadyQueued bool, first string, err error)
}

// Handler serves the push listener: POST /waiqin/push, GET /healthz,
// GET /readyz. It is safe for concurrent use.
type Handler struct {
	o      Options
	log    zerolog.Logger
	router chi.Router
	large  chan struct{} // one token per large body being read
}

// New returns the push listener's handler.
func New(o Options) (*Handler, error) {
	if (o.Client == nil && o.Replay == nil) || o.Verifier == nil {
		return nil, errors.New("webhook: Options.Verifier and Options.Client or Options.Replay are required")
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.EnqueueTimeout <= 0 {
		o.EnqueueTimeout = DefaultEnqueueTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.MaxLargeBodies <= 0 {
		o.MaxLargeBodies = DefaultMaxLargeBodies
	}
	h := &Handler{o: o, log: o.Logger, large: make(chan struct{}, o.MaxLargeBodies)}
	r := chi.NewRouter()
	r.Use(WithRequestID, recoverer(&h.log))
	r.Post(PushPath, h.push)
	HealthRoutes(r, o.Ready)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeAnswer(w, http.StatusNotFound, "no such route: pushes go to POST "+PushPath, "")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Allow", http.MethodPost)
		writeAnswer(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here: pushes are POST "+PushPath, "")
		// Logged and counted like a push: a sender (or a probe) using the
		// wrong method should show up.
		if r.URL.Path == PushPath {
			h.log.Warn().Str("req_id", RequestID(r.Context())).Str("method", clip(r.Method)).Str("path", PushPath).
				Str("outcome", OutcomeMethodNotAllowed).Int("status", http.StatusMethodNotAllowed).
				Float64("latency_ms", float64(time.Since(start).Microseconds())/1000).Msg("push")
			h.o.Observer.PushHandled("other", OutcomeMethodNotAllowed, time.Since(start))
		}
	})
	h.router = r
	return h, nil
}

// ServeHTTP routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// HealthRoutes mounts GET /healthz (the process is alive) and GET /readyz
// (ready checks Redis within 1 s; nil = always ready) on r. The admin
// listener mounts them too.
func HealthRoutes(r chi.Router, ready func(ctx context.Context) error) {
	r.Get(HealthzPath, func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, `{"status":"ok"}`)
	})
	r.Get(ReadyzPath, func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), time.Second)
			defer cancel()
			if err := ready(ctx); err != nil {
				writeStatus(w, http.StatusServiceUnavailable, `{"status":"unavailable","reason":"redis does not answer"}`)
				return
			}
		}
		writeStatus(w, http.StatusOK, `{"status":"ready"}`)
	})
}

func writeStatus(w http.ResponseWriter, status int, body string) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}

// serverBoundsBody reports whether r's server already ends reading the
// request within timeout (its ReadTimeout, counted from the request's first
// byte): then the handler's own read deadline would only cost a timer
// change per push.
func serverBoundsBody(r *http.Request, timeout time.Duration) bool {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	return srv != nil && srv.ReadTimeout > 0 && srv.ReadTimeout <= timeout
}

// push answers one push and logs one line about it.
func (h *Handler) push(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !serverBoundsBody(r, h.o.BodyTimeout) {
		// Not supported (an httptest recorder) means no connection to guard.
		_ = http.NewResponseController(w).SetReadDeadline(start.Add(h.o.BodyTimeout))
	}
	req, customers, already, err := h.accept(r)
	var a answer
	switch {
	case err != nil:
		a = answerFor(err)
	case already:
		a = answer{status: http.StatusOK, outcome: OutcomeAlreadyQueued, msg: "already queued"}
	default:
		a = answer{status: http.StatusOK, outcome: OutcomeQueued, msg: "success"}
	}
	msgID := clip(req.MsgID)
	if a.outcome == OutcomeBusy {
		// The body is unread: close rather than let net/http read up to
		// 256 KiB of it before answering.
		w.Header()["Connection"] = []string{"close"}
	}
	writeAnswer(w, a.status, a.msg, msgID)
	d := time.Since(start)

	var ev *zerolog.Event
	switch {
	case a.status >= 500:
		ev = h.log.Error()
	case a.status >= 400, a.outcome == OutcomeReplayed:
		ev = h.log.Warn()
	default:
		ev = h.log.Info()
	}
	if ev != nil {
		ev = ev.Str("req_id", RequestID(r.Context())).
			Str("msg_id", msgID).
			Str("tenant", clip(req.TenantID)).
			Str("data_type", clip(req.DataType)).
			Int("customers", customers).
			Str("outcome", a.outcome).
			Int("status", a.status).
			Float64("latency_ms", float64(d.Microseconds())/1000)
		if req.Status != "" {
			ev = ev.Str("push_status", clip(req.Status))
		}
		if err != nil {
			ev = ev.Str("error", err.Error())
		}
		ev.Msg("push")
	}

	dataType := req.DataType
	if !tasks.ValidDataType(dataType) {
		dataType = "other"
	}
	h.o.Observer.PushHandled(dataType, a.outcome, d)
	if a.digest != "" {
		h.o.Observer.DigestFailed(a.digest)
	}
}

// accept checks a push in this order — body, fields, tenant, digest,
// dataType, data — and enqueues it. customers is the number of customer
// codes (0 = every customer).
func (h *Handler) accept(r *http.Request) (req Request, customers int, alreadyQueued bool, err error) {
	if n := r.ContentLength; n <= MaxBodyBytes && (n < 0 || n > LargeBodyBytes) {
		select {
		case h.large <- struct{}{}:
			defer func() { <-h.large }()
		default:
			return req, 0, false, errBusy
		}
	}
	if req, err = ParseRequest(r); err != nil {
		return req, 0, false, err
	}
	if err = req.Check(); err != nil {
		return req, 0, false, err
	}
	v := h.o.Verifier(req.TenantID)
	if v == nil {
		return req, 0, false, reqErr(kindUnknownTenant, nil, "tenantId %q may not push to this endpoint", req.TenantID)
	}
	if err = v.Verify(req.Data, req.Timestamp, req.Digest); err != nil {
		return req, 0, false, err
	}
	if !tasks.ValidDataType(req.DataType) {
		return req, 0, false, reqErr(kindUnknownDataType, nil, "dataType %q is not handled here: expected %s or %s",
			req.DataType, tasks.DataTypeStatement, tasks.DataTypeExpense)
	}
	data, err := tasks.ParsePushData(req.Data)
	if err != nil {
		return req, 0, false, err
	}
	p := tasks.Push{
		TenantID: req.TenantID, MsgID: req.MsgID, DataID: req.DataID, DataVersion: req.DataVersion,
		DataFormat: req.DataFormat, DataSource: req.DataSource, DataType: req.DataType, Status: req.Status,
		StatusTime: req.StatusTime, Timestamp: req.Timestamp, Data: data, Origin: tasks.OriginPush,
		ReceivedAt: h.o.Now(),
	}
	// Not cancelled when the sender hangs up: the push is as good as taken
	// once Redis runs the enqueue, and the log should say so.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.o.EnqueueTimeout)
	defer cancel()
	t0 := time.Now()
	var first string
	if h.o.Replay != nil {
		alreadyQueued, first, err = h.o.Replay.Enqueue(ctx, p, req.Digest)
	} else {
		alreadyQueued, err = tasks.Enqueue(ctx, h.o.Client, p)
	}
	switch {
	case err != nil:
		return req, len(data.CustomerCodes), false, err
	case first != "":
		return req, len(data.CustomerCodes), false, &replayedError{first: first}
	}
	h.o.Observer.Enqueued(time.Since(t0))
	return req, len(data.CustomerCodes), alreadyQueued, nil
}
