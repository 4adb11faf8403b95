package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ksfsync/ksfsync/internal/digest"
	"github.com/ksfsync/ksfsync/internal/jsonenc"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// Outcomes of a push, in logs and for the Observer.
const (
	OutcomeQueued           = "queued"             // 200: durably queued now
	OutcomeAlreadyQueued    = "already_queued"     // 200: same tenant + msgId queued before
	OutcomeReplayed         = "replayed"           // 200: same tenant + timestamp + digest queued before under another msgId
	OutcomeBadRequest       = "bad_request"        // 400: malformed body, field or data
	OutcomeUnauthorized     = "unauthorized"       // 401: digest or tenant refused
	OutcomeTooLarge         = "too_large"          // 413
	OutcomeMethodNotAllowed = "method_not_allowed" // 405: not a POST
	OutcomeUnknownDataType  = "unknown_data_type"  // 422
	OutcomeUnavailable      = "unavailable"        // 503: Redis could not take it
	OutcomeBusy             = "busy"               // 503: too many large bodies being read at once
	OutcomeInternal         = "internal_error"     // 500: a bug (panic)
)

type kind int

const (
	kindBadRequest kind = iota + 1
	kindTooLarge
	kindUnknownTenant
	kindUnknownDataType
)

// requestError is a refusal decided by the handler: msg is for the sender,
// err (optional) the detail for the log.
type requestError struct {
	kind kind
	msg  string
	err  error
}

func (e *requestError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *requestError) Unwrap() error { return e.err }

func reqErr(k kind, detail error, format string, a ...any) error {
	return &requestError{kind: k, msg: fmt.Sprintf(format, a...), err: detail}
}

// answer is what the sender gets for an error, and what logs and metrics say.
type answer struct {
	status  int
	outcome string
	msg     string
	digest  string // DigestFailed reason, "" when the digest was not the problem
}

// answerFor maps every error the push route can meet to its HTTP status,
// outcome and the message the sender sees. It is the only place that does.
// The log gets err itself, with the detail.
func answerFor(err error) answer {
	var re *requestError
	switch {
	case errors.As(err, &re):
		switch re.kind {
		case kindTooLarge:
			return answer{http.StatusRequestEntityTooLarge, OutcomeTooLarge, re.msg, ""}
		case kindUnknownTenant:
			return answer{http.StatusUnauthorized, OutcomeUnauthorized, re.msg, "unknown_tenant"}
		case kindUnknownDataType:
			return answer{http.StatusUnprocessableEntity, OutcomeUnknownDataType, re.msg, ""}
		default:
			return answer{http.StatusBadRequest, OutcomeBadRequest, re.msg, ""}
		}
	case errors.Is(err, digest.ErrMismatch):
		return answer{http.StatusUnauthorized, OutcomeUnauthorized, "digest does not match: check the push secret configured for this tenant", "mismatch"}
	case errors.Is(err, digest.ErrMalformedDigest):
		return answer{http.StatusUnauthorized, OutcomeUnauthorized, "digest is not 32 hex characters (md5 of data|pushsecret|timestamp)", "malformed"}
	case errors.Is(err, digest.ErrMissingDigest):
		return answer{http.StatusBadRequest, OutcomeBadRequest, "field digest is missing or empty", "missing"}
	case errors.Is(err, digest.ErrTooOld):
		return answer{http.StatusUnauthorized, OutcomeUnauthorized, "timestamp is older than this endpoint accepts (KSF_PUSH_MAX_AGE)", "too_old"}
	case errors.Is(err, digest.ErrNoSecret):
		return answer{http.StatusUnauthorized, OutcomeUnauthorized, "no push secret is configured for this tenant", "no_secret"}
	case errors.Is(err, digest.ErrBadTimestamp):
		return answer{http.StatusBadRequest, OutcomeBadRequest, "field timestamp is not epoch milliseconds", ""}
	case errors.Is(err, tasks.ErrInvalidData), errors.Is(err, tasks.ErrInvalidPush):
		return answer{http.StatusBadRequest, OutcomeBadRequest, err.Error(), ""}
	case errors.As(err, new(*replayedError)):
		return answer{http.StatusOK, OutcomeReplayed, "already queued", ""}
	case errors.Is(err, digest.ErrFuture):
		return answer{http.StatusUnauthorized, OutcomeUnauthorized, "timestamp is too far in the future: check the sender's clock (KSF_PUSH_MAX_SKEW)", "future"}
	case errors.Is(err, errBusy):
		return answer{http.StatusServiceUnavailable, OutcomeBusy, "too many large pushes are being received right now: the push was not stored, retry later", ""}
	case errors.Is(err, errPanic):
		return answer{http.StatusInternalServerError, OutcomeInternal, "internal error: the push may or may not have been stored; retry (a stored push is answered \"already queued\")", ""}
	}
	// Anything else happened while storing the push: Redis down, slow or
	// refusing. When the answer did not come back in time, the command may
	// have run all the same (it was on the wire): say so, and let 勤策
	// retry — a stored push's retry is "already queued".
	return answer{http.StatusServiceUnavailable, OutcomeUnavailable, "the queue did not confirm the push in time: it may or may not be stored; retry (a stored push is answered \"already queued\")", ""}
}

// replayedError: the push's timestamp and digest were accepted before
// under another msgId or tenant. Answered 200 "already queued": the signed
// work is queued, and a captured push gains nothing by being re-sent.
type replayedError struct{ first string }

func (e *replayedError) Error() string {
	return "replay: this timestamp and digest were first accepted as {tenant}:{msgId} " + e.first + "; nothing queued"
}

var (
	errPanic = errors.New("panic")
	// errBusy: MaxLargeBodies bodies are being read already.
	errBusy = errors.New("too many large bodies being read at once (KSF_PUSH_MAX_LARGE_BODIES)")
)

// writeAnswer writes the JSON answer 勤策 gets:
// {"return_code":"0"|"1","return_msg":"…","msg_id":"…"}.
func writeAnswer(w http.ResponseWriter, status int, msg, msgID string) {
	code := "1"
	if status == http.StatusOK {
		code = "0"
	}
	b := make([]byte, 0, 64+len(msg)+len(msgID))
	b = append(b, `{"return_code":"`...)
	b = append(b, code...)
	b = append(b, `","return_msg":`...)
	b = jsonenc.AppendString(b, msg)
	b = append(b, `,"msg_id":`...)
	b = jsonenc.AppendString(b, msgID)
	b = append(b, "}\n"...)
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

var jsonContentType = []string{"application/json; charset=utf-8"}
