package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ksfsync/ksfsync/internal/failures"
	"github.com/ksfsync/ksfsync/internal/history"
	"github.com/ksfsync/ksfsync/internal/tasks"
)

// apiError is an error whose message is meant for the caller.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, a ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, a...)}
}

var (
	errNoToken = errorf(http.StatusServiceUnavailable,
		"the admin API is disabled: set KSF_ADMIN_TOKEN to use the admin API, then send it as \"Authorization: Bearer <token>\"")
	errBadToken = errorf(http.StatusUnauthorized,
		"missing or wrong admin token: send \"Authorization: Bearer <KSF_ADMIN_TOKEN>\"")
	errRedis = errors.New("redis unavailable")
	// errUnsupportedType: a resync's data_type is not one ksfsync handles.
	errUnsupportedType = errors.New("unsupported data_type")
)

// status maps an error to the HTTP status and the message the caller sees.
// It is the one place where errors become answers; details of internal
// errors go to the log only.
func status(err error) (int, string) {
	var ae *apiError
	var ne net.Error
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.Is(err, failures.ErrBadFilter), errors.Is(err, tasks.ErrInvalidData), errors.Is(err, history.ErrBadFilter):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errUnsupportedType):
		return http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, history.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, failures.ErrNotFound), errors.Is(err, asynq.ErrTaskNotFound):
		return http.StatusNotFound, "no such failed job: " + err.Error()
	case errors.Is(err, errRedis), errors.Is(err, redis.ErrClosed), errors.As(err, &ne),
		errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "Redis is unreachable or too slow; try again (details in the admin log)"
	case errors.Is(err, context.Canceled):
		return 499, "request canceled" // nginx's "client closed request"; nobody reads it
	default:
		return http.StatusInternalServerError, "internal error (details in the admin log)"
	}
}

// fail answers err as {"error": "..."} and logs it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := status(err)
	ev := s.cfg.Logger.Warn()
	if code >= 500 {
		ev = s.cfg.Logger.Error()
	}
	ev.Err(err).Int("status", code).Str("method", r.Method).Str("path", r.URL.Path).Msg("admin request refused")
	writeJSON(w, code, map[string]string{"error": msg})
}
